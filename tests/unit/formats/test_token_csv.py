"""The token CSV codec: delimiters, BOM, header rules, every cell checked and every problem
reported with its line and column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import ValidationFailed
from ampyre.domain.tokens import TokenKind
from ampyre.formats.token_csv import MAX_BYTES, CellError, TokenRow, parse_token_csv

EMAID = Emaid.new("PL", "AMP", "C00000001")
HYPHENATED = str(EMAID)  # PL-AMP-C00000001-1


def parse(text: str, **options: int) -> tuple[list[TokenRow], list[tuple[int, str | None]]]:
    parsed = parse_token_csv(text.encode(), **options)
    return list(parsed.rows), [(e.line, e.column) for e in parsed.errors]


def test_a_full_row_with_commas() -> None:
    parsed = parse_token_csv(
        (
            "uid,contract_id,kind,printed_number,expires_at,card_fee\n"
            f"04A1B2C3,{HYPHENATED},rfid,1000 0001,2027-12-31T23:59:59+01:00,false\n"
        ).encode()
    )
    assert parsed.errors == ()
    assert parsed.rows == (
        TokenRow(
            line=2,
            uid="04A1B2C3",
            contract_id=EMAID,
            kind=TokenKind.RFID,
            printed_number="1000 0001",
            expires_at=datetime(2027, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=1))),
            card_fee=False,
        ),
    )


def test_semicolons_bom_any_header_order_and_case_blank_lines_and_trimming() -> None:
    text = f"\ufeffContract_ID ; UID\r\n\r\n {EMAID.compact} ; 04A1 \r\n;\r\n{EMAID.code};04A2\r\n"
    rows, errors = parse(text)
    assert errors == []
    assert [(r.line, r.uid, r.contract_id, r.card_fee) for r in rows] == [
        (3, "04A1", EMAID, None),
        (5, "04A2", EMAID, None),
    ]


def test_optional_values_left_empty_and_vehicle_uids_normalised() -> None:
    rows, errors = parse(
        "uid,contract_id,kind,card_fee,expires_at\n"
        f"92:d5:0a:69:3f:80,{HYPHENATED},Vehicle,,2030-01-01T00:00:00Z\n"
        f"APP-1,{HYPHENATED},app,no,\n"
        f"CARD-1,{HYPHENATED},,YES,\n"
    )
    assert errors == []
    assert [(r.uid, r.kind, r.card_fee) for r in rows] == [
        ("VID:92D50A693F80", TokenKind.VEHICLE, None),
        ("APP-1", TokenKind.APP, False),
        ("CARD-1", TokenKind.RFID, True),
    ]
    assert rows[0].expires_at == datetime(2030, 1, 1, tzinfo=UTC)


def test_every_bad_cell_of_every_row_is_reported_in_order() -> None:
    parsed = parse_token_csv(
        (
            "uid,contract_id,kind,printed_number,expires_at,card_fee\n"
            f"GOOD-1,{HYPHENATED},,,,\n"
            f"CARD WITH SPACE,{HYPHENATED},,,,\n"  # line 3: space is not printable ASCII
            "CARD-3,PL-AMP-C00000001-2,,,,\n"  # line 4: wrong check digit
            f"CARD-4,{HYPHENATED},,,2027-12-31,maybe\n"  # line 5: no zone; not a boolean
            f"CARD-5,{HYPHENATED},app,12,,true\n"  # line 6: printed number and fee of an app
            f",,tram,,,\n"  # line 7: uid, contract and kind
            f"CARD-7,{HYPHENATED}\n"  # line 8: too few cells
            f"{'X' * 21},XX,,{'9' * 65},,\n"  # line 9: three bad cells
        ).encode()
    )
    assert [(e.line, e.column) for e in parsed.errors] == [
        (3, "uid"),
        (4, "contract_id"),
        (5, "expires_at"),
        (5, "card_fee"),
        (6, "printed_number"),
        (6, "card_fee"),
        (7, "kind"),
        (7, "uid"),
        (7, "contract_id"),
        (8, None),
        (9, "uid"),
        (9, "contract_id"),
        (9, "printed_number"),
    ]
    messages = {(e.line, e.column): e.message for e in parsed.errors}
    assert "printable ASCII" in messages[3, "uid"]
    assert "check digit '2'" in messages[4, "contract_id"]
    assert "with a zone" in messages[5, "expires_at"]
    assert "only for an RFID card" in messages[6, "card_fee"]
    assert "rfid, app, vehicle" in messages[7, "kind"]
    assert messages[8, None] == (
        "expected 6 cells (uid, contract_id, kind, printed_number, expires_at, card_fee), got 2"
    )
    assert len(parsed.rows) == 8
    assert parsed.rows[1].uid is None
    assert parsed.rows[1].contract_id == EMAID


def test_a_row_may_end_with_empty_extra_cells_but_not_with_values() -> None:
    rows, errors = parse(f"uid,contract_id,\nA,{HYPHENATED},,\nB,{HYPHENATED},x\n")
    assert errors == [(3, None)]
    assert rows[0].uid == "A"


def test_a_quoted_cell_may_span_lines_and_rows_keep_their_first_line() -> None:
    rows, errors = parse(f'uid,contract_id,printed_number\nA,{HYPHENATED},"1\n2"\nB,{EMAID},\n')
    assert [(r.line, r.uid) for r in rows] == [(2, "A"), (4, "B")]
    assert errors == [(2, "printed_number")]  # a line break is not printable


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the CSV is empty"),
        (b"\n\n", "the CSV is empty"),
        (b"uid,contract,card_fee\n", "unknown column 'contract'"),
        (b"uid,uid,contract_id\n", "the column 'uid' is named twice"),
        (b"uid,,contract_id\n", "unknown column ''"),
        (b"uid,card_fee\n", "lacks the column 'contract_id'"),
        (b"04A1B2,PLAMPC000000011\n", "unknown column '04a1b2'"),
        (b'uid,contract_id\n"A,PLAMPC000000011\n', "line 2: not valid CSV"),
        ("uid,contract_id\nä,PLAMPC000000011\n".encode("latin-1"), "not UTF-8 (line 2, byte 17)"),
        (b"\xef\xbb\xbfuid,contract_id\n\xff", "not UTF-8 (line 2, byte 20)"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(data: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_token_csv(data)


def test_size_limits() -> None:
    rows = "".join(f"C{n},{EMAID.compact}\n" for n in range(3))
    assert len(parse_token_csv(f"uid,contract_id\n{rows}".encode(), max_rows=3).rows) == 3
    with pytest.raises(ValidationFailed, match="more than 2 rows"):
        parse_token_csv(f"uid,contract_id\n{rows}".encode(), max_rows=2)
    with pytest.raises(ValidationFailed, match="at most"):
        parse_token_csv(b"uid,contract_id\n" + b" " * MAX_BYTES)


def test_a_bad_contract_id_repeated_is_reported_on_each_line() -> None:
    parsed = parse_token_csv(b"uid,contract_id\nA,PL-AMP-X\nB,PL-AMP-X\n")
    assert [e.line for e in parsed.errors] == [2, 3]
    assert parsed.errors[0].message == parsed.errors[1].message
    assert isinstance(parsed.errors[0], CellError)
