"""The eMobility Account Identifier (eMAID, "contract id") and its check digit.

Format (ISO 15118-2:2014 Annex H.1.2, same in eMI3 v1.0 Part 2 and the IDACS/IDRR
"E-mobility ID-codes" paper), case-insensitive::

    <EMAID> = <Country Code> <S> <Provider ID> <S> <eMA Instance> <S> <Check Digit>
    Country Code = 2 ALPHA        (ISO 3166-1 alpha-2)
    Provider ID  = 3 (ALPHA / DIGIT)
    eMA Instance = 9 (ALPHA / DIGIT)
    Check Digit  = *1 (ALPHA / DIGIT)
    S            = *1 "-"

So an eMAID has 14 characters without its check digit, 15 with it. The separators are for
people; IDACS asks that they are set at all three places or at none, which is what
:meth:`Emaid.parse` accepts. Parts are read by position, so a missing character is reported,
not guessed around: "DE-8EO-CAB19D12-3" has an 8-character instance and is refused, while
"DE8EOCAB19D123" is a different id, instance "CAB19D123" without a check digit. eMI3 further
recommends an instance starting with "C"; that is a convention for issuers, not a rule of the
format, so it is not enforced.

The older DIN SPEC 91286 "EVCO-ID" had a 6-character instance and a modulo-11 check digit;
Ampyre neither issues nor parses that form.

Check digit (ISO 15118-1 / eMI3 "Check Digit Calculation for Contract-IDs", IDRR annex 1,
after Y. Chen, M. Niemenmaa and A. J. H. Vinck's check digit system over abelian groups): each
of the 36 characters 0-9, A-Z stands for its value v (0-35), and v is split as
``v = 9 q + r`` with ``q`` in 0-3 written as two bits ``(q1, q2)`` and ``r`` in 0-8 written as
two base-3 digits ``(r1, r2)``. With the matrices P1 = [[0, 1], [1, 1]] over GF(2) and
P2 = [[0, 1], [1, 2]] over GF(3), the 15 characters c1..c15 (c15 the check digit) satisfy::

    sum_i (q1_i, q2_i) · P1^i = (0, 0)  (mod 2)
    sum_i (r1_i, r2_i) · P2^i = (0, 0)  (mod 3)

(row vectors times matrix powers). Solving these for c15 gives the check digit. Because both
matrices are invertible, every single wrong character changes one of the sums, so it is
detected wherever it is, the check digit included; the construction also catches adjacent
and jump transpositions and twin errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ampyre.domain.errors import ValidationFailed

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""The characters of an eMAID, in the order of their check-digit values (0-35)."""

LENGTH = 14
"""Characters of an eMAID without separators and without its check digit."""

FORMAT_HINT = "CC-PPP-IIIIIIIII-D or CCPPPIIIIIIIIID (check digit D optional)"

_HYPHENATED = re.compile(r"([A-Z]{2})-([A-Z0-9]{3})-([A-Z0-9]{9})(?:-([A-Z0-9]))?")
_COMPACT = re.compile(r"([A-Z]{2})([A-Z0-9]{3})([A-Z0-9]{9})([A-Z0-9])?")

_Matrix = tuple[tuple[int, int], tuple[int, int]]
_Vector = tuple[int, int]


def _mat_mul(a: _Matrix, b: _Matrix, modulus: int) -> _Matrix:
    return (
        (
            (a[0][0] * b[0][0] + a[0][1] * b[1][0]) % modulus,
            (a[0][0] * b[0][1] + a[0][1] * b[1][1]) % modulus,
        ),
        (
            (a[1][0] * b[0][0] + a[1][1] * b[1][0]) % modulus,
            (a[1][0] * b[0][1] + a[1][1] * b[1][1]) % modulus,
        ),
    )


def _vec_mul(v: _Vector, m: _Matrix, modulus: int) -> _Vector:
    """The row vector ``v`` times ``m``."""
    return (
        (v[0] * m[0][0] + v[1] * m[1][0]) % modulus,
        (v[0] * m[0][1] + v[1] * m[1][1]) % modulus,
    )


def _inverse(m: _Matrix, modulus: int) -> _Matrix:
    """Inverse of an invertible 2×2 matrix over the prime field GF(modulus) (adjugate / det)."""
    det_inverse = pow((m[0][0] * m[1][1] - m[0][1] * m[1][0]) % modulus, -1, modulus)
    return (
        ((m[1][1] * det_inverse) % modulus, (-m[0][1] * det_inverse) % modulus),
        ((-m[1][0] * det_inverse) % modulus, (m[0][0] * det_inverse) % modulus),
    )


@dataclass(frozen=True, slots=True)
class _Component:
    """One of the two check equations: digits over GF(modulus) weighted by powers of P."""

    modulus: int
    powers: tuple[_Matrix, ...]
    """P^1 .. P^14, the weights of the 14 payload positions."""
    to_check: _Matrix
    """-(P^15)^-1: turns the payload's weighted sum into the check character's digits."""

    @classmethod
    def of(cls, p: _Matrix, modulus: int) -> _Component:
        powers = [p]
        for _ in range(LENGTH):
            powers.append(_mat_mul(powers[-1], p, modulus))
        (a, b), (c, d) = _inverse(powers[LENGTH], modulus)
        negated = ((-a % modulus, -b % modulus), (-c % modulus, -d % modulus))
        return cls(modulus, tuple(powers[:LENGTH]), negated)

    def check_vector(self, payload: list[_Vector]) -> _Vector:
        """The check character's digits for the 14 payload characters' digits."""
        total = (0, 0)
        for vector, power in zip(payload, self.powers, strict=True):
            term = _vec_mul(vector, power, self.modulus)
            total = ((total[0] + term[0]) % self.modulus, (total[1] + term[1]) % self.modulus)
        return _vec_mul(total, self.to_check, self.modulus)


_BINARY = _Component.of(((0, 1), (1, 1)), 2)
_TERNARY = _Component.of(((0, 1), (1, 2)), 3)


def check_digit(code: str) -> str:
    """The check digit of the 14 characters ``code`` (country, provider, instance), upper case.

    Raises ``ValidationFailed`` unless ``code`` is 14 characters of 0-9 and A-Z (either case).
    """
    upper = code.upper()
    if len(code) != LENGTH or not code.isascii() or not all(c in ALPHABET for c in upper):
        raise ValidationFailed(f"{code!r} is not 14 letters and digits")
    quotients: list[_Vector] = []
    remainders: list[_Vector] = []
    for char in upper:
        q, r = divmod(ALPHABET.index(char), 9)
        quotients.append(divmod(q, 2))
        remainders.append(divmod(r, 3))
    q1, q2 = _BINARY.check_vector(quotients)
    r1, r2 = _TERNARY.check_vector(remainders)
    return ALPHABET[9 * (2 * q1 + q2) + 3 * r1 + r2]


@dataclass(frozen=True, slots=True)
class Emaid:
    """A valid eMAID: upper-case parts and the check digit that belongs to them.

    Build one with :meth:`parse` (text from a person or a partner) or :meth:`new` (a fresh
    contract); the constructor takes already normalised parts and computes the check digit.
    ``str()`` gives the hyphenated form with the check digit ("NL-TNM-000122045-U"),
    :attr:`compact` the 15-character form without separators (what fits an OCPP idTag).
    """

    country: str
    provider: str
    instance: str
    check_digit: str = field(init=False)

    def __post_init__(self) -> None:
        _check_parts(self.country, self.provider, self.instance, self._hyphenated_code())
        object.__setattr__(self, "check_digit", check_digit(self.code))

    def _hyphenated_code(self) -> str:
        return f"{self.country}-{self.provider}-{self.instance}"

    @classmethod
    def new(cls, country: str, provider: str, instance: str) -> Emaid:
        """The eMAID of these parts (any case), with its check digit computed."""
        text = f"{country}-{provider}-{instance}"
        if not text.isascii():
            raise ValidationFailed(f"{text!r} is not an eMA ID: use ASCII letters and digits")
        return cls(country.upper(), provider.upper(), instance.upper())

    @classmethod
    def parse(cls, text: str) -> Emaid:
        """Read an eMAID written with "-" between all its parts or none, in any case, with or
        without its check digit; a check digit that is present must be the right one.
        Surrounding whitespace is ignored."""
        stripped = text.strip()
        upper = stripped.upper()
        if not stripped.isascii():
            raise ValidationFailed(f"{text!r} is not an eMA ID: use ASCII letters and digits")
        match = (_HYPHENATED if "-" in upper else _COMPACT).fullmatch(upper)
        if match is None:
            raise ValidationFailed(f"{text!r} is not an eMA ID ({FORMAT_HINT}): {_why(upper)}")
        country, provider, instance, given = match.groups()
        emaid = cls(country, provider, instance)
        if given is not None and given != emaid.check_digit:
            raise ValidationFailed(
                f"{text!r} has check digit {given!r} but {emaid.code} needs "
                f"{emaid.check_digit!r}: a character is probably mistyped",
                code="check_digit_mismatch",
            )
        return emaid

    @property
    def code(self) -> str:
        """The 14 characters without separators and without the check digit."""
        return f"{self.country}{self.provider}{self.instance}"

    @property
    def compact(self) -> str:
        """The 15 characters without separators, check digit included."""
        return f"{self.code}{self.check_digit}"

    def __str__(self) -> str:
        return f"{self._hyphenated_code()}-{self.check_digit}"


def _check_parts(country: str, provider: str, instance: str, text: str) -> None:
    problem = _part_problem(country, provider, instance)
    if problem is not None:
        raise ValidationFailed(f"{text!r} is not an eMA ID: {problem}")


def _part_problem(country: str, provider: str, instance: str) -> str | None:
    if not (len(country) == 2 and country.isascii() and country.isalpha() and country.isupper()):
        return f"country code {country!r} must be 2 letters (ISO 3166-1 alpha-2)"
    if not (len(provider) == 3 and _alphanumeric(provider)):
        return f"provider id {provider!r} must be 3 letters or digits"
    if not (len(instance) == 9 and _alphanumeric(instance)):
        return f"eMA instance {instance!r} must be 9 letters or digits, not {len(instance)}"
    return None


def _alphanumeric(part: str) -> bool:
    return all(c in ALPHABET for c in part)


def _why(upper: str) -> str:
    """Which part of a text that does not match the format is wrong (for the error)."""
    if "-" in upper:
        parts = upper.split("-")
        if len(parts) not in (3, 4):
            return "put '-' between all parts or between none"
        if len(parts) == 4 and not (len(parts[3]) == 1 and _alphanumeric(parts[3])):
            return f"check digit {parts[3]!r} must be one letter or digit"
        return _part_problem(*parts[:3]) or "put '-' between all parts or between none"
    if len(upper) not in (LENGTH, LENGTH + 1):
        return f"it has {len(upper)} characters, not 14 or 15"
    if not _alphanumeric(upper):
        return "only letters and digits are allowed"
    return _part_problem(upper[:2], upper[2:5], upper[5:14]) or "unreadable"
