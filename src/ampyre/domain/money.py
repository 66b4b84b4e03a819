"""Money: amounts are ``Decimal`` with an ISO 4217 currency, rounded only where a rule says so.

DOMAIN.md §2: build amounts from strings, compute exactly, round once, half-up, to the
currency's minor unit. The table of minor units follows CLDR (as Babel's
``get_currency_precision`` reports it; a test keeps the two in step), so the domain needs no
third-party package.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from ampyre.domain.errors import ValidationFailed

# CLDR currency digits that differ from the usual 2 (historical codes included).
_NO_DECIMALS = (
    "ADP AFN ALL BIF BYR CLP DJF ESP GNF IQD IRR ISK ITL JPY KMF KPW KRW LAK LBP LUF MGA MGF "
    "MMK MRO PYG RSD RWF SLL SOS STD SYP TMM TRL UGX UYI VND VUV XAF XOF XPF YER ZMK ZWD"
)
_THREE_DECIMALS = "BHD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"
_MINOR_UNIT_EXCEPTIONS: dict[str, int] = {
    **dict.fromkeys(_NO_DECIMALS.split(), 0),
    **dict.fromkeys(_THREE_DECIMALS.split(), 3),
    **dict.fromkeys(_FOUR_DECIMALS.split(), 4),
}

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def check_currency(currency: str) -> str:
    """Return the currency code if it looks like ISO 4217 (three capital letters)."""
    if len(currency) != 3 or not (currency.isascii() and currency.isalpha() and currency.isupper()):
        raise ValidationFailed(f"currency {currency!r} is not an ISO 4217 code like 'EUR'")
    return currency


def minor_units(currency: str) -> int:
    """Number of decimals of the currency's minor unit (EUR 2, JPY 0, BHD 3)."""
    return _MINOR_UNIT_EXCEPTIONS.get(check_currency(currency), 2)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round an exact amount once, half-up, to the currency's minor unit (DOMAIN.md §2)."""
    return amount.quantize(_minor_unit(currency), rounding=ROUND_HALF_UP)


@cache
def _minor_unit(currency: str) -> Decimal:
    """The currency's smallest amount (0.01 for EUR); cached, it is asked for every total."""
    return Decimal(1).scaleb(-minor_units(currency))


def with_vat(amount_excl: Decimal, vat_percent: Decimal | None) -> Decimal:
    """The exact amount including VAT; ``None`` means no VAT applies (not 0 %)."""
    if vat_percent is None:
        return amount_excl
    return amount_excl + amount_excl * vat_percent / HUNDRED


@dataclass(frozen=True, slots=True)
class Price:
    """An amount excluding and including VAT, in one currency (OCPI 2.2.1 Price)."""

    excl_vat: Decimal
    incl_vat: Decimal

    def __add__(self, other: Price) -> Price:
        return Price(self.excl_vat + other.excl_vat, self.incl_vat + other.incl_vat)

    def rounded(self, currency: str) -> Price:
        return Price(round_money(self.excl_vat, currency), round_money(self.incl_vat, currency))


ZERO_PRICE = Price(ZERO, ZERO)
