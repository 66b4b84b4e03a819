from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.metering import (
    MeterSample,
    SampledValue,
    ValueFormat,
    energy_wh,
    register_reading_wh,
)

T0 = datetime(2026, 11, 21, tzinfo=UTC)


def test_kwh_and_wh_registers_normalise_to_wh() -> None:
    assert energy_wh(Decimal("12.3456"), "kWh") == 12346
    assert energy_wh(Decimal("12345"), "Wh") == 12345
    assert energy_wh(Decimal("7"), None) == 7


def test_non_energy_unit_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        energy_wh(Decimal(1), "W")


@given(st.integers(min_value=0, max_value=10**12))
def test_kwh_text_round_trips_to_the_same_wh(wh: int) -> None:
    kwh_text = f"{Decimal(wh) / 1000:.3f}"
    assert energy_wh(Decimal(kwh_text), "kWh") == wh


def test_register_prefers_the_total_over_phases_and_skips_other_measurands() -> None:
    sample = MeterSample(
        T0,
        (
            SampledValue("5", measurand="Power.Active.Import", unit="W"),
            SampledValue("1.5", unit="kWh", phase="L1"),
            SampledValue("4.2", unit="kWh"),
        ),
    )
    assert register_reading_wh(sample) == 4200


def test_signed_data_is_kept_and_not_read_as_a_number() -> None:
    value = SampledValue("OCMF|{...}|{...}", format=ValueFormat.SIGNED_DATA, signed_data="x")
    assert value.numeric() is None
    assert register_reading_wh(MeterSample(T0, (value,))) is None
