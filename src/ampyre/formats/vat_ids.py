"""VAT identification numbers, checked with each country's rules (python-stdnum).

EU VAT ids carry their country as a prefix ("PL5261040828"; Greece writes "EL"). Other
countries' numbers (e.g. Swiss "CHE-116.281.710 MWST", Norwegian "NO 974 760 673 MVA") are
checked with that country's module when the caller names the country. The result is the
compact form stdnum gives, with the prefix.
"""

from __future__ import annotations

from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from ampyre.domain.customers import VatId
from ampyre.domain.errors import ValidationFailed

_ISO_OF_PREFIX = {"EL": "GR", "XI": "GB"}
"""VAT prefixes that are not the ISO 3166 code: Greece, and Northern Ireland (UK)."""


def parse_vat_id(text: str, country: str | None = None) -> VatId:
    """Check ``text`` and return it normalised; ``ValidationFailed`` says what is wrong.

    ``country`` (ISO alpha-2) is needed only for a non-EU number without an EU prefix.
    """
    raw = text.strip()
    if not raw or len(raw) > 40:
        raise ValidationFailed("vat_id must be 1-40 characters")
    prefix = raw[:2].upper()
    if prefix.lower() in eu_vat.MEMBER_STATES or prefix in _ISO_OF_PREFIX:
        try:
            number = eu_vat.validate(raw)
        except ValidationError as exc:
            raise ValidationFailed(
                f"vat_id {raw!r} is not a valid {prefix} VAT number: {exc}"
            ) from exc
        return VatId(_ISO_OF_PREFIX.get(prefix, prefix), number.upper())
    if country is None:
        raise ValidationFailed(
            f"vat_id {raw!r} has no EU country prefix; give the country of a non-EU number"
        )
    module = get_cc_module(country.lower(), "vat")
    if module is None:
        raise ValidationFailed(f"VAT ids of {country} cannot be checked; enter it with a prefix")
    try:
        number = str(module.validate(raw)).upper()
    except ValidationError as exc:
        raise ValidationFailed(
            f"vat_id {raw!r} is not a valid {country} VAT number: {exc}"
        ) from exc
    code = country.upper()
    return VatId(code, number if number.startswith(code) else f"{code}{number}")
