"""Driver-facing price texts (AFIR order, en/pl/de wording, VAT, restrictions)."""

from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.money import Price
from ampyre.domain.rating.tariff import (
    DayOfWeek,
    Dimension,
    PriceComponent,
    ReservationRestriction,
    Restrictions,
    Tariff,
    TariffElement,
    TimeUnit,
)
from ampyre.formats.price_text import describe_tariff, resolve_locale, shown_amount

NBSP = "\xa0"  # CLDR puts a no-break space between amount and currency in pl/de
NNBSP = "\u202f"  # and a narrow one before AM/PM in en
VAT = Decimal(23)


def _component(
    dimension: Dimension,
    price: str,
    vat: Decimal | None = VAT,
    unit: TimeUnit = TimeUnit.HOUR,
) -> PriceComponent:
    return PriceComponent(dimension, Decimal(price), vat, time_unit=unit)


def _element(*components: PriceComponent, **restrictions: Any) -> TariffElement:
    return TariffElement(components, Restrictions(**restrictions))


def _seed_tariff() -> Tariff:
    """Start fee, night/day energy, per-minute time fee, parking after 60 min, all 23 % VAT.

    Elements are deliberately not in AFIR order.
    """
    return Tariff(
        currency="PLN",
        elements=(
            _element(_component(Dimension.FLAT, "1.00")),
            _element(_component(Dimension.PARKING_TIME, "6.00")),
            _element(_component(Dimension.TIME, "0.05", unit=TimeUnit.MINUTE)),
            _element(_component(Dimension.ENERGY, "0.25"), start_time=time(22), end_time=time(6)),
            _element(_component(Dimension.ENERGY, "0.35")),
        ),
        parking_grace_s=3600,
    )


def test_lines_follow_the_afir_order_kwh_minute_session_other() -> None:
    display = describe_tariff(_seed_tariff(), "en")
    assert [line.kind for line in display.lines] == ["energy", "energy", "time", "flat", "parking"]
    assert [line.unit for line in display.lines] == ["kWh", "kWh", "min", "session", "min"]


def test_english_text_is_gross_with_one_vat_note() -> None:
    display = describe_tariff(_seed_tariff(), "en")
    assert display.locale == "en"
    assert display.currency == "PLN"
    assert [line.amount for line in display.lines] == [
        Decimal("0.3075"),
        Decimal("0.4305"),
        Decimal("0.0615"),
        Decimal("1.23"),
        Decimal("0.123"),
    ]
    assert display.vat_note == "all prices incl. 23% VAT"
    assert display.summary == (
        f"PLN0.3075 per kWh (10:00{NNBSP}PM–6:00{NNBSP}AM); PLN0.4305 per kWh; "
        "PLN0.0615 per min; PLN1.23 per session; parking fee PLN0.123 per min (after 60 min); "
        "all prices incl. 23% VAT"
    )


def test_polish_text_uses_zloty_decimal_comma_and_24h_clock() -> None:
    display = describe_tariff(_seed_tariff(), "pl")
    assert display.locale == "pl"
    assert [line.text for line in display.lines] == [
        f"0,3075{NBSP}zł za kWh",
        f"0,4305{NBSP}zł za kWh",
        f"0,0615{NBSP}zł za min",
        f"1,23{NBSP}zł za sesję",
        f"opłata postojowa 0,123{NBSP}zł za min",
    ]
    assert display.lines[0].conditions == "22:00–06:00"
    assert display.lines[4].conditions == "po 60 min"
    assert display.summary.endswith("; ceny zawierają 23% VAT")


def test_german_text() -> None:
    display = describe_tariff(_seed_tariff(), "de-DE")
    assert display.locale == "de_DE"
    assert display.summary == (
        f"0,3075{NBSP}PLN pro kWh (22:00–06:00); 0,4305{NBSP}PLN pro kWh; "
        f"0,0615{NBSP}PLN pro Min.; 1,23{NBSP}PLN pro Ladevorgang; "
        f"Blockiergebühr 0,123{NBSP}PLN pro Min. (nach 60 Min.); "
        f"alle Preise inkl. 23{NBSP}% MwSt."
    )


def test_net_display_shows_prices_excluding_vat() -> None:
    display = describe_tariff(_seed_tariff(), "pl", include_vat=False)
    assert [line.amount for line in display.lines] == [
        Decimal("0.25"),
        Decimal("0.35"),
        Decimal("0.05"),
        Decimal("1.00"),
        Decimal("0.10"),
    ]
    assert display.lines[4].text == f"opłata postojowa 0,10{NBSP}zł za min"
    assert display.vat_note == "ceny nie zawierają 23% VAT"
    assert describe_tariff(_seed_tariff(), "en", include_vat=False).vat_note == (
        "all prices excl. 23% VAT"
    )


@pytest.mark.parametrize(
    ("per_hour", "vat", "per_minute", "text"),
    [
        ("3.00", None, "0.05", "€0.05 per min"),
        ("2.40", None, "0.04", "€0.04 per min"),
        ("1.23", None, "0.0205", "€0.0205 per min"),
        ("0.27", None, "0.0045", "€0.0045 per min"),
        ("3.00", Decimal(19), "0.0595", "€0.0595 per min"),
        ("2.50", None, "0.0417", "€0.0417 per min"),  # 0.041666… rounded at the 4th decimal
    ],
)
def test_per_hour_prices_are_shown_per_minute(
    per_hour: str, vat: Decimal | None, per_minute: str, text: str
) -> None:
    tariff = Tariff("EUR", (_element(_component(Dimension.TIME, per_hour, vat)),))
    (line,) = describe_tariff(tariff, "en").lines
    assert line.amount == Decimal(per_minute)
    assert str(line.amount) == per_minute
    assert line.text == text


@given(cents=st.integers(min_value=1, max_value=100_000))
def test_per_minute_amount_is_exact_whenever_four_decimals_can_hold_it(cents: int) -> None:
    per_hour = Decimal(cents) / 100
    tariff = Tariff("EUR", (_element(PriceComponent(Dimension.PARKING_TIME, per_hour)),))
    (line,) = describe_tariff(tariff, "en").lines
    exact = per_hour / 60
    if exact == exact.quantize(Decimal("0.0001")):
        assert line.amount == exact
    else:
        assert abs(line.amount - exact) <= Decimal("0.00005")
    assert 2 <= len(str(line.amount).partition(".")[2]) <= 4


def test_shown_amount_keeps_currency_digits_when_exact() -> None:
    assert str(shown_amount(Decimal("0.5"), "EUR")) == "0.50"
    assert str(shown_amount(Decimal("0.43500"), "EUR")) == "0.435"
    assert str(shown_amount(Decimal(50), "JPY")) == "50"
    assert str(shown_amount(Decimal("50.5"), "JPY")) == "50.5"
    assert str(shown_amount(Decimal("0.12345"), "EUR")) == "0.1235"


def test_tariff_without_prices_is_free_charging() -> None:
    for tariff in (
        Tariff("EUR", ()),
        Tariff(
            "EUR", (_element(_component(Dimension.ENERGY, "0"), _component(Dimension.FLAT, "0")),)
        ),
    ):
        en, pl, de = (describe_tariff(tariff, language) for language in ("en", "pl", "de"))
        assert en.summary == "free charging"
        assert pl.summary == "ładowanie bezpłatne"
        assert de.summary == "kostenloses Laden"
        assert en.lines[0].amount == Decimal("0.00")


def test_free_component_in_a_paid_tariff() -> None:
    tariff = Tariff(
        "EUR",
        (
            _element(
                _component(Dimension.PARKING_TIME, "0"), start_time=time(22), end_time=time(6)
            ),
            _element(_component(Dimension.ENERGY, "0.40"), _component(Dimension.PARKING_TIME, "3")),
        ),
    )
    assert [line.display for line in describe_tariff(tariff, "pl").lines] == [
        f"0,492{NBSP}€ za kWh",
        "postój: bezpłatnie (22:00–06:00)",
        f"opłata postojowa 0,0615{NBSP}€ za min",
    ]
    assert describe_tariff(tariff, "en").lines[1].text == "parking: free"


def test_minimum_and_maximum_price_come_last() -> None:
    tariff = Tariff(
        "EUR",
        (_element(_component(Dimension.ENERGY, "0.30")),),
        min_price=Price(Decimal("2.00"), Decimal("2.46")),
        max_price=Price(Decimal("50.00"), Decimal("61.50")),
    )
    en = describe_tariff(tariff, "en")
    assert [line.text for line in en.lines] == [
        "€0.369 per kWh",
        "minimum €2.46 per session",
        "maximum €61.50 per session",
    ]
    assert [line.kind for line in en.lines] == ["energy", "other", "other"]
    assert [line.text for line in describe_tariff(tariff, "pl", include_vat=False).lines][1:] == [
        f"minimalna opłata 2,00{NBSP}€ za sesję",
        f"maksymalna opłata 50,00{NBSP}€ za sesję",
    ]
    assert [line.text for line in describe_tariff(tariff, "de").lines][1:] == [
        f"mindestens 2,46{NBSP}€ pro Ladevorgang",
        f"höchstens 61,50{NBSP}€ pro Ladevorgang",
    ]


def test_a_minimum_price_makes_a_zero_priced_tariff_not_free() -> None:
    tariff = Tariff(
        "EUR",
        (_element(_component(Dimension.ENERGY, "0")),),
        min_price=Price(Decimal("1.00"), Decimal("1.23")),
    )
    assert describe_tariff(tariff, "en").summary == (
        "energy: free; minimum €1.23 per session; all prices incl. 23% VAT"
    )


def test_different_vat_rates_are_noted_per_line() -> None:
    tariff = Tariff(
        "EUR",
        (
            _element(
                _component(Dimension.ENERGY, "0.30", Decimal(19)),
                _component(Dimension.FLAT, "1.00", Decimal(7)),
                _component(Dimension.TIME, "0.60", None),
            ),
        ),
        min_price=Price(Decimal("2.00"), Decimal("2.38")),
    )
    en = describe_tariff(tariff, "en")
    assert en.vat_note == ""
    assert [line.display for line in en.lines] == [
        "€0.357 per kWh (incl. 19% VAT)",
        "€0.01 per min (no VAT)",
        "€1.07 per session (incl. 7% VAT)",
        "minimum €2.38 per session (incl. VAT)",
    ]
    assert [line.vat_note for line in describe_tariff(tariff, "de", include_vat=False).lines] == [
        f"zzgl. 19{NBSP}% MwSt.",
        "ohne MwSt.",
        f"zzgl. 7{NBSP}% MwSt.",
        "zzgl. MwSt.",
    ]


def test_no_vat_anywhere_means_no_note() -> None:
    tariff = Tariff("EUR", (_element(_component(Dimension.ENERGY, "0.30", None)),))
    assert describe_tariff(tariff, "en").summary == "€0.30 per kWh"


def test_restrictions_are_rendered_per_locale() -> None:
    weekdays = frozenset(DayOfWeek) - {DayOfWeek.SATURDAY, DayOfWeek.SUNDAY}
    tariff = Tariff(
        "EUR",
        (
            _element(
                _component(Dimension.ENERGY, "0.50", None),
                days_of_week=weekdays,
                start_date=date(2025, 3, 1),
                end_date=date(2025, 4, 1),  # exclusive: the range ends on 31 March
                min_kwh=Decimal(0),
                max_kwh=Decimal(20),
                max_duration_s=1800,
                min_power=Decimal("22"),
            ),
        ),
    )
    assert describe_tariff(tariff, "en").lines[0].conditions == (
        "Mon–Fri, Mar 1\u2009–\u200931, 2025, from 0 to 20 kWh, for the first 30 min, from 22 kW"
    )
    assert describe_tariff(tariff, "pl").lines[0].conditions == (
        "pon.–pt., 1–31 mar 2025, od 0 do 20 kWh, przez pierwsze 30 min, od 22 kW"
    )
    assert describe_tariff(tariff, "de").lines[0].conditions == (
        "Mo–Fr, 1.–31. März 2025, von 0 bis 20 kWh, in den ersten 30 Min., ab 22 kW"
    )


@pytest.mark.parametrize(
    ("days", "text"),
    [
        ({DayOfWeek.SATURDAY, DayOfWeek.SUNDAY}, "Sat, Sun"),
        (
            {DayOfWeek.MONDAY, DayOfWeek.TUESDAY, DayOfWeek.WEDNESDAY, DayOfWeek.FRIDAY},
            "Mon–Wed, Fri",
        ),
        ({DayOfWeek.THURSDAY, DayOfWeek.FRIDAY, DayOfWeek.SATURDAY, DayOfWeek.SUNDAY}, "Thu–Sun"),
        (set(DayOfWeek), ""),
    ],
)
def test_days_of_week(days: set[DayOfWeek], text: str) -> None:
    tariff = Tariff(
        "EUR", (_element(_component(Dimension.FLAT, "1"), days_of_week=frozenset(days)),)
    )
    assert describe_tariff(tariff, "en").lines[0].conditions == text


def test_one_sided_ranges() -> None:
    tariff = Tariff(
        "EUR",
        (
            _element(
                _component(Dimension.ENERGY, "0.40"), min_kwh=Decimal("20.5"), start_time=time(6)
            ),
            _element(
                _component(Dimension.ENERGY, "0.45"),
                max_power=Decimal(11),
                end_date=date(2026, 1, 1),
            ),
            _element(_component(Dimension.TIME, "1.20"), min_duration_s=5400, max_duration_s=7200),
        ),
    )
    assert [line.conditions for line in describe_tariff(tariff, "en").lines] == [
        f"from 6:00{NNBSP}AM, from 20.5 kWh",
        "before Jan 1, 2026, up to 11 kW",
        "from 90 to 120 min",
    ]
    assert [line.conditions for line in describe_tariff(tariff, "pl").lines] == [
        "od 06:00, od 20,5 kWh",
        "przed 1 sty 2026, do 11 kW",
        "od 90 do 120 min",
    ]


def test_parking_grace_combines_with_the_element_restrictions() -> None:
    tariff = Tariff(
        "EUR",
        (
            _element(_component(Dimension.PARKING_TIME, "9.00"), max_duration_s=1800),
            _element(_component(Dimension.PARKING_TIME, "12.00"), min_duration_s=7200),
            _element(_component(Dimension.PARKING_TIME, "6.00")),
        ),
        parking_grace_s=3600,
    )
    # The first element ends before the grace period does: its price never applies.
    assert describe_tariff(tariff, "en").summary == (
        "parking fee €0.246 per min (after 120 min); parking fee €0.123 per min (after 60 min); "
        "all prices incl. 23% VAT"
    )


def test_reservation_elements_are_other_lines() -> None:
    tariff = Tariff(
        "EUR",
        (
            _element(
                _component(Dimension.FLAT, "1.00", None),
                _component(Dimension.TIME, "0.60", None),
                reservation=ReservationRestriction.RESERVATION,
            ),
            _element(
                _component(Dimension.FLAT, "5.00", None),
                reservation=ReservationRestriction.RESERVATION_EXPIRES,
            ),
            _element(_component(Dimension.ENERGY, "0.30", None)),
        ),
    )
    en = describe_tariff(tariff, "en")
    assert [(line.kind, line.unit, line.text) for line in en.lines] == [
        ("energy", "kWh", "€0.30 per kWh"),
        ("other", "reservation", "reservation fee €1.00"),
        ("other", "min", "reservation €0.01 per min"),
        ("other", "reservation", "expired reservation fee €5.00"),
    ]
    assert [line.text for line in describe_tariff(tariff, "pl").lines][1:] == [
        f"opłata za rezerwację 1,00{NBSP}€",
        f"rezerwacja 0,01{NBSP}€ za min",
        f"opłata za wygasłą rezerwację 5,00{NBSP}€",
    ]


@pytest.mark.parametrize(
    ("tag", "used"),
    [
        ("fr", "en"),  # Babel knows French, Ampyre has no French phrases
        ("xx", "en"),
        ("pl-XX", "pl"),  # unknown region: the language is kept
        ("de-AT", "de_AT"),
        ("EN_gb", "en_GB"),
    ],
)
def test_locale_fallback(tag: str, used: str) -> None:
    assert str(resolve_locale(tag)) == used


def test_unknown_language_is_shown_in_english() -> None:
    display = describe_tariff(_seed_tariff(), "fr-FR")
    assert display.locale == "en"
    assert display.lines[0].text == "PLN0.3075 per kWh"


@pytest.mark.parametrize("tag", ["", "en_US.UTF-8", "1", "de_1", "pl PL", "e", "en--US"])
def test_malformed_locale_is_refused(tag: str) -> None:
    with pytest.raises(ValidationFailed):
        describe_tariff(_seed_tariff(), tag)


def test_a_tiny_price_is_not_shown_as_free() -> None:
    tariff = Tariff("EUR", (_element(_component(Dimension.TIME, "0.0001", None)),))
    (line,) = describe_tariff(tariff, "en").lines
    assert line.text == "€0.00 per min"  # Babel drops the zeros past the currency's digits
    assert str(line.amount) == "0.0000"
