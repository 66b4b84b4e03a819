"""``ampyre tariffs price`` as a user runs it: the public OCPI vectors and DOMAIN.md §1.

Every run is a real subprocess. They are started together once per module (a process
takes 2-3 s to import the CLI) and each test checks its own run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

# One test's setup runs the whole batch: give it room on a busy machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

AMPYRE = [sys.executable, "-m", "ampyre"]
VECTORS = Path(__file__).parents[1] / "data" / "ocpi-tariffs"
VECTOR_CDRS = sorted(
    f"{p.parent.name}/{p.name}" for p in VECTORS.glob("*/cdr*.json")
)  # 9 CDRs in 8 folders
COSTS = (
    "total_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_fixed_cost",
)
VOLUMES = ("total_energy", "total_time", "total_parking_time")
D = Decimal
Result = subprocess.CompletedProcess[str]


def _flat_and_energy(max_price: dict[str, Any] | None = None) -> dict[str, Any]:
    tariff: dict[str, Any] = {
        "currency": "EUR",
        "elements": [
            {
                "price_components": [
                    {"type": "FLAT", "price": 0.50, "vat": 20.0, "step_size": 1},
                    {"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1},
                ]
            }
        ],
    }
    if max_price:
        tariff["max_price"] = max_price
    return tariff


def _cdr(hours: str, *dimensions: tuple[str, float]) -> dict[str, Any]:
    end_minutes = int(D(hours) * 60)
    return {
        "start_date_time": "2024-05-06T08:00:00Z",
        "end_date_time": f"2024-05-06T{8 + end_minutes // 60:02}:{end_minutes % 60:02}:00Z",
        "currency": "EUR",
        "charging_periods": [
            {
                "start_date_time": "2024-05-06T08:00:00Z",
                "dimensions": [{"type": t, "volume": v} for t, v in dimensions],
            }
        ],
    }


# DOMAIN.md §1 worked examples 1-4: (tariff, CDR, expected total_cost excl/incl).
DOMAIN_EXAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any], tuple[str, str]]] = {
    "1-energy": (
        {
            "currency": "EUR",
            "elements": [
                {
                    "price_components": [
                        {"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1}
                    ]
                }
            ],
        },
        _cdr("1", ("ENERGY", 20)),
        ("5.00", "5.50"),
    ),
    "2-energy-and-flat": (_flat_and_energy(), _cdr("1", ("ENERGY", 20)), ("5.50", "6.10")),
    "3-time-step": (
        {
            "currency": "EUR",
            "elements": [
                {
                    "price_components": [
                        {"type": "TIME", "price": 2.00, "vat": 10.0, "step_size": 60}
                    ]
                }
            ],
        },
        _cdr("2.5", ("TIME", 2.5)),
        ("5.00", "5.50"),
    ),
    "4-max-price": (
        _flat_and_energy({"excl_vat": 10.00, "incl_vat": 11.00}),
        _cdr("3", ("ENERGY", 50)),
        ("10.00", "11.00"),
    ),
}


def _price(tariff: Path, cdr: Path, *extra: str) -> Result:
    return subprocess.run(
        [*AMPYRE, "tariffs", "price", "--tariff", str(tariff), "--cdr", str(cdr), *extra],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    """Every CLI run of this module, keyed by name, run a few at a time."""
    work = tmp_path_factory.mktemp("tariffs-cli")
    jobs: dict[str, tuple[Path, Path, tuple[str, ...]]] = {}
    for name in VECTOR_CDRS:
        jobs[name] = (VECTORS / name.split("/")[0] / "tariff.json", VECTORS / name, ())
    for name, (tariff, cdr, _) in DOMAIN_EXAMPLES.items():
        (work / f"{name}-tariff.json").write_text(json.dumps(tariff))
        (work / f"{name}-cdr.json").write_text(json.dumps(cdr))
        jobs[name] = (work / f"{name}-tariff.json", work / f"{name}-cdr.json", ())
    step_tariff, step_cdr = (
        VECTORS / "step_size" / "tariff.json",
        VECTORS / "step_size" / "cdr1.json",
    )
    jobs["amsterdam"] = (step_tariff, step_cdr, ("--time-zone", "Europe/Amsterdam"))
    bad = work / "bad-tariff.json"
    bad.write_text(
        json.dumps({"currency": "EUR", "elements": [{"price_components": [{"type": "FOO"}]}]})
    )
    jobs["bad-tariff"] = (bad, step_cdr, ())
    jobs["missing-file"] = (work / "nope.json", step_cdr, ())
    jobs["bad-zone"] = (step_tariff, step_cdr, ("--time-zone", "X/Y"))
    expired = work / "expired-tariff.json"
    expired.write_text(json.dumps({**_flat_and_energy(), "end_date_time": "2020-01-01T00:00:00Z"}))
    jobs["expired"] = (expired, work / "2-energy-and-flat-cdr.json", ())
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        futures = {
            name: pool.submit(_price, tariff, cdr, *extra)
            for name, (tariff, cdr, extra) in jobs.items()
        }
        return {name: future.result() for name, future in futures.items()}


def _output(result: Result) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout, parse_float=Decimal)
    return data


def _expected(name: str) -> dict[str, Any]:
    """The CDR's own totals; a missing one means zero (as in the source's harness)."""
    cdr = json.loads((VECTORS / name).read_text(), parse_float=Decimal)
    expected: dict[str, Any] = {}
    for key in COSTS:
        price = cdr.get(key, {"excl_vat": 0, "incl_vat": 0})
        expected[key] = {side: D(str(price[side])) for side in ("excl_vat", "incl_vat")}
    for key in VOLUMES:
        expected[key] = D(str(cdr.get(key, 0)))
    return expected


def test_all_nine_vector_cdrs_are_run() -> None:
    assert len(VECTOR_CDRS) == 9


@pytest.mark.parametrize("name", VECTOR_CDRS)
def test_vector_cdr_totals(runs: dict[str, Result], name: str) -> None:
    output = _output(runs[name])
    expected = _expected(name)
    assert set(output) == {"currency", *COSTS, *VOLUMES}
    assert output["currency"] == "EUR"
    tolerance = D(0)
    if name == "025kwh_min_price/cdr2_less_than_2kWh.json":
        # The vector expects 0.30/0.33 (its source ignores min_price). OCPI 2.2.1: the
        # tariff's min_price 0.50/0.55 applies to the session total; the energy cost
        # itself stays 0.30/0.33.
        expected["total_cost"] = {"excl_vat": D("0.50"), "incl_vat": D("0.55")}
    if name == "step_size/cdr1.json":
        # The vector writes its 5-minute periods as 0.0834 h and expects 0.5502 (time
        # 0.3002). The spec's own step_size example gives 0.55 (time 0.30), which exact
        # arithmetic with once-rounded amounts reproduces: allow half a cent.
        tolerance = D("0.005")
    for key in COSTS:
        for side in ("excl_vat", "incl_vat"):
            got, want = output[key][side], expected[key][side]
            assert abs(got - want) <= tolerance, (key, side, got, want)
            assert got == got.quantize(D("0.01")), "amounts are rounded to cents"
    for key in VOLUMES:
        assert output[key] == expected[key], key


def test_step_size_gives_the_specs_answer_exactly(runs: dict[str, Result]) -> None:
    output = _output(runs["step_size/cdr1.json"])
    assert output["total_cost"] == {"excl_vat": D("0.55"), "incl_vat": D("0.55")}
    assert output["total_time_cost"] == {"excl_vat": D("0.30"), "incl_vat": D("0.30")}


def test_amounts_are_printed_as_exact_decimal_numbers(runs: dict[str, Result]) -> None:
    text = runs["simple_025kwh/cdr1.json"].stdout
    assert '"excl_vat": 5.00' in text
    assert '"incl_vat": 5.50' in text


@pytest.mark.parametrize("name", list(DOMAIN_EXAMPLES))
def test_domain_worked_examples(runs: dict[str, Result], name: str) -> None:
    excl, incl = DOMAIN_EXAMPLES[name][2]
    output = _output(runs[name])
    assert output["total_cost"] == {"excl_vat": D(excl), "incl_vat": D(incl)}


def test_the_max_price_clamps_only_the_total(runs: dict[str, Result]) -> None:
    output = _output(runs["4-max-price"])
    assert output["total_energy_cost"] == {"excl_vat": D("12.50"), "incl_vat": D("13.75")}
    assert output["total_fixed_cost"] == {"excl_vat": D("0.50"), "incl_vat": D("0.60")}


def test_the_time_zone_option_moves_the_tariff_clock(runs: dict[str, Result]) -> None:
    # In Amsterdam (UTC+1 in January) the whole session falls in the 17:00-20:00 element.
    output = _output(runs["amsterdam"])
    assert output["total_cost"] == {"excl_vat": D("0.65"), "incl_vat": D("0.65")}


def test_a_tariff_not_in_force_is_used_with_a_warning(runs: dict[str, Result]) -> None:
    result = runs["expired"]
    assert "warning: the tariff was not in force at the session start" in result.stderr
    assert _output(result)["total_cost"] == {"excl_vat": D("5.50"), "incl_vat": D("6.10")}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad-tariff", "elements[0].price_components[0].type: 'FOO' is not one of"),
        ("missing-file", "cannot read"),
        ("bad-zone", "unknown time zone 'X/Y'"),
    ],
)
def test_refused_input_exits_2_with_a_message(
    runs: dict[str, Result], name: str, message: str
) -> None:
    result = runs[name]
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
