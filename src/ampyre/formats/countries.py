"""ISO 3166-1 country codes: Ampyre stores alpha-2 ("PL"), OCPI 2.2.1 wants alpha-3 ("POL")."""

from __future__ import annotations

from functools import cache

from babel.core import get_global

from ampyre.domain.errors import ValidationFailed


@cache
def _alpha3_by_alpha2() -> dict[str, str]:
    """CLDR's territory aliases map each alpha-3 code to its alpha-2 code; invert them.

    A few alpha-2 codes also have withdrawn alpha-3 aliases (DDR → DE); the current code is
    the one that starts with the alpha-2 code when there is one (DEU).
    """
    candidates: dict[str, list[str]] = {}
    for alias, targets in get_global("territory_aliases").items():
        if len(alias) == 3 and alias.isalpha() and len(targets) == 1:
            candidates.setdefault(targets[0], []).append(alias)
    return {
        code: next((a for a in sorted(aliases) if a.startswith(code)), sorted(aliases)[0])
        for code, aliases in candidates.items()
    }


def alpha3(alpha2: str) -> str:
    """The alpha-3 code of an alpha-2 country code (``ValidationFailed`` if unknown)."""
    try:
        return _alpha3_by_alpha2()[alpha2.upper()]
    except KeyError:
        raise ValidationFailed(f"unknown country code {alpha2!r}") from None
