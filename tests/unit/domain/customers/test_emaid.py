"""eMAID parsing and the ISO 15118-1 / eMI3 check digit, against published examples."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ampyre.domain.emaid import ALPHABET, Emaid, check_digit
from ampyre.domain.errors import ValidationFailed

# Published ids with their check digits:
# - "Check Digit Calculation for Contract-IDs" (OCHP / IDRR annex 1) worked example:
#   DE83DUIEN83QGZ → D.
# - eMI3 standard v1.0 Part 2, §1.2.2.1: DE-8AA-CA2B3C4D5-L.
# - The test list shared by the mobilityid libraries of The New Motion (Scala), Go, PHP and
#   .NET ports: NN123ABCDEFGHI → T ... DE8AA001234567 → 0, and its README/spec examples
#   NL-TNM-000122045-U, NL-TNM-C00122045-K, NL-TNM-000722345-X, NL-TNM-012345678-W.
PUBLISHED = [
    ("DE83DUIEN83QGZ", "D"),
    ("DE8AACA2B3C4D5", "L"),
    ("NN123ABCDEFGHI", "T"),
    ("FRXYZ123456789", "2"),
    ("ITA1B2C3E4F5G6", "4"),
    ("ESZU8WOX834H1D", "R"),
    ("PT73902837ABCZ", "Z"),
    ("DE83DUIEN83ZGQ", "M"),
    ("DE8AA001234567", "0"),
    ("NLTNM000122045", "U"),
    ("NLTNMC00122045", "K"),
    ("NLTNM000722345", "X"),
    ("NLTNM012345678", "W"),
]


@pytest.mark.parametrize(("code", "expected"), PUBLISHED)
def test_published_check_digits(code: str, expected: str) -> None:
    assert check_digit(code) == expected
    assert check_digit(code.lower()) == expected
    assert Emaid.parse(code + expected).check_digit == expected


@pytest.mark.parametrize(
    "text",
    [
        "DE-8AA-CA2B3C4D5-L",
        "de-8aa-ca2b3c4d5-l",
        "DE8AACA2B3C4D5L",
        "DE8AACA2B3C4D5",
        " DE-8AA-CA2B3C4D5 ",
    ],
)
def test_forms_of_one_id_parse_to_the_same_normalised_id(text: str) -> None:
    emaid = Emaid.parse(text)
    assert emaid == Emaid.new("de", "8aa", "ca2b3c4d5")
    assert (emaid.country, emaid.provider, emaid.instance) == ("DE", "8AA", "CA2B3C4D5")
    assert str(emaid) == "DE-8AA-CA2B3C4D5-L"
    assert emaid.compact == "DE8AACA2B3C4D5L"
    assert emaid.code == "DE8AACA2B3C4D5"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("DE-8AA-CA2B3C4D5-N", "check digit 'N'"),
        # The instance has 9 characters (ISO 15118-2 Annex H); this one has 8.
        ("DE-8EO-CAB19D12-3", "9 letters or digits, not 8"),
        ("DE8EO-CAB19D123-X", "country code"),
        ("D1-8AA-CA2B3C4D5", "country code"),
        ("DE-8A_-CA2B3C4D5", "provider id"),
        ("DE-8AA-CA2B3C4D5-LL", "check digit 'LL'"),
        ("DE-8AA-CA2B3C4D5-L-1", "between all parts"),
        ("DE8AACA2B3C4D", "13 characters"),
        ("DE8AACA2B3C4D5L1", "16 characters"),
        ("DE8AACA2B3C4D5_", "letters and digits"),
        ("DE8AACA2B3C4Dß", "ASCII"),
        ("dı8AACA2B3C4D5", "ASCII"),  # "ı".upper() is "I": must not sneak through
        ("", "0 characters"),
    ],
)
def test_malformed_ids_are_refused_with_the_reason(text: str, words: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        Emaid.parse(text)
    assert words in caught.value.message


def test_a_wrong_check_digit_has_its_own_error_code() -> None:
    with pytest.raises(ValidationFailed) as caught:
        Emaid.parse("NL-TNM-000122045-X")
    assert caught.value.code == "check_digit_mismatch"
    assert "'U'" in caught.value.message


@pytest.mark.parametrize(
    ("country", "provider", "instance"),
    [
        ("D", "8AA", "CA2B3C4D5"),
        ("DE", "8AAA", "CA2B3C4D5"),
        ("DE", "8AA", "CA2B3C4D"),
        ("DE", "8AA", "CA2B3C4Dé"),
    ],
)
def test_new_refuses_parts_of_the_wrong_shape(country: str, provider: str, instance: str) -> None:
    with pytest.raises(ValidationFailed):
        Emaid.new(country, provider, instance)


def test_check_digit_needs_exactly_14_alphanumerics() -> None:
    for bad in ("DE8AACA2B3C4D", "DE8AACA2B3C4D55", "DE8AACA2B3C4D-", "DE٨٣DUIEN٨٣QGZ"):
        with pytest.raises(ValidationFailed):
            check_digit(bad)


_letters = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)
_alnum = st.text(alphabet=ALPHABET, min_size=1, max_size=1)


def _parts(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=ALPHABET, min_size=size, max_size=size)


@given(_letters, _parts(3), _parts(9))
def test_new_then_parse_of_str_round_trips(country: str, provider: str, instance: str) -> None:
    emaid = Emaid.new(country, provider, instance)
    assert Emaid.parse(str(emaid)) == emaid
    assert Emaid.parse(emaid.compact.lower()) == emaid
    assert Emaid.parse(emaid.code) == emaid


@given(_letters, _parts(3), _parts(9), st.integers(min_value=0, max_value=14), _alnum)
def test_any_single_wrong_character_is_detected(
    country: str, provider: str, instance: str, position: int, replacement: str
) -> None:
    compact = Emaid.new(country, provider, instance).compact
    if compact[position] == replacement:
        replacement = ALPHABET[(ALPHABET.index(replacement) + 1) % len(ALPHABET)]
    typo = compact[:position] + replacement + compact[position + 1 :]
    assert check_digit(typo[:14]) != typo[14]
    with pytest.raises(ValidationFailed):
        Emaid.parse(typo)


@given(_letters, _parts(3), _parts(9), st.integers(min_value=0, max_value=13))
def test_swapping_two_different_neighbours_is_detected(
    country: str, provider: str, instance: str, position: int
) -> None:
    compact = Emaid.new(country, provider, instance).compact
    a, b = compact[position], compact[position + 1]
    assume(a != b)
    swapped = compact[:position] + b + a + compact[position + 2 :]
    assert check_digit(swapped[:14]) != swapped[14]


@given(_letters, _parts(3), _parts(9), st.integers(min_value=0, max_value=12))
def test_swapping_characters_two_apart_is_detected(
    country: str, provider: str, instance: str, position: int
) -> None:
    compact = Emaid.new(country, provider, instance).compact
    a, b = compact[position], compact[position + 2]
    assume(a != b)
    swapped = compact[:position] + b + compact[position + 1] + a + compact[position + 3 :]
    assert check_digit(swapped[:14]) != swapped[14]


@given(_parts(14), st.integers(min_value=0, max_value=12), _alnum, _alnum)
def test_twin_errors_are_detected(code: str, position: int, twin: str, other: str) -> None:
    assume(twin != other)
    original = code[:position] + twin * 2 + code[position + 2 :]
    typo = code[:position] + other * 2 + code[position + 2 :]
    assert check_digit(original) != check_digit(typo)
