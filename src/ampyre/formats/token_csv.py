"""The CSV file of charging tokens (RFID cards) an operator imports in bulk: bytes → rows.

The file is UTF-8, with or without a byte order mark, separated by commas or semicolons
(whichever the header line uses; spreadsheets set to a European locale write semicolons).
The first line names the columns, in any order and case:

=================  ========  ==========================================================
column             required  value
=================  ========  ==========================================================
``uid``            yes       the idTag the station reports (1-20 printable ASCII); for
                             ``vehicle`` the car's MAC address or "VID:" + MAC
``contract_id``    yes       the contract's eMAID, compact or hyphenated, check digit
                             optional (checked when present)
``kind``           no        ``rfid`` (default), ``app`` or ``vehicle``
``printed_number`` no        the number printed on the card (RFID only)
``expires_at``     no        ISO 8601 with a zone, e.g. ``2027-12-31T23:59:59Z``
``card_fee``       no        ``true``/``false`` (also yes/no, 1/0; RFID only); empty: the
                             plan decides
=================  ========  ==========================================================

Blank lines are skipped and cells are trimmed. Line numbers count from the header (line 1).

:func:`parse_token_csv` reads every line and checks every cell on its own; each problem
becomes a :class:`CellError` and parsing goes on, so one pass reports them all. Only a file
that cannot be read as a whole (not UTF-8, broken quoting, no usable header, too big) raises
``ValidationFailed``. What needs the database (does the contract exist, is the uid taken)
is checked by the import use case.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import ValidationFailed
from ampyre.domain.id_tags import validate_id_tag
from ampyre.domain.tokens import PRINTED_NUMBER_MAX, TokenKind, autocharge_uid

MAX_ROWS = 100_000
"""Data rows in one file; a larger batch is imported as several files."""
MAX_BYTES = 16 * 1024 * 1024
"""Size of one file (100 000 rows with every column filled take about 9 MB)."""
COLUMNS = ("uid", "contract_id", "kind", "printed_number", "expires_at", "card_fee")
REQUIRED_COLUMNS = ("uid", "contract_id")

T = TypeVar("T")

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


class _Reader(Protocol):
    """What :func:`csv.reader` returns (typeshed names the class ``_reader``)."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...
    def __next__(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class CellError:
    """A problem with one row: ``column`` names the cell, None means the row as a whole."""

    line: int
    column: str | None
    message: str


@dataclass(frozen=True, slots=True)
class TokenRow:
    """One data row. A value that is invalid is None here and has a :class:`CellError`;
    ``card_fee`` None also means "not given" (the plan decides)."""

    line: int
    uid: str | None
    contract_id: Emaid | None
    kind: TokenKind = TokenKind.RFID
    printed_number: str | None = None
    expires_at: datetime | None = None
    card_fee: bool | None = None


@dataclass(frozen=True, slots=True)
class TokenCsv:
    """Every data row, in file order, and every problem found in them, in line order."""

    rows: tuple[TokenRow, ...]
    errors: tuple[CellError, ...]


def parse_token_csv(data: bytes, *, max_rows: int = MAX_ROWS) -> TokenCsv:
    """Read a token CSV file (see the module docstring for its format)."""
    if len(data) > MAX_BYTES:
        raise ValidationFailed(f"the CSV must be at most {MAX_BYTES} bytes; split the file")
    text = _decoded(data)
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text), strict=True)
    rows: list[TokenRow] = []
    errors: list[CellError] = []
    try:
        records = _records(reader)
        parser = _RowParser(_header(next(records, None)))
        for line, cells in records:
            if len(rows) == max_rows:
                raise ValidationFailed(
                    f"the CSV has more than {max_rows} rows; split it into smaller files"
                )
            rows.append(parser.parse(line, cells, errors))
    except csv.Error as exc:
        raise ValidationFailed(f"line {reader.line_num}: not valid CSV ({exc})") from exc
    return TokenCsv(tuple(rows), tuple(errors))


def _decoded(data: bytes) -> str:
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        line = data.count(b"\n", 0, offset) + 1
        raise ValidationFailed(
            f"the CSV is not UTF-8 (line {line}, byte {offset + 1}); save it as UTF-8"
        ) from exc


def _delimiter(text: str) -> str:
    """ ";" when the header line has more semicolons than commas, else ","."""
    end = text.find("\n")
    first_line = text if end < 0 else text[:end]
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _records(reader: _Reader) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with the line each starts on (a quoted cell may span lines)."""
    line_num = reader.line_num
    for cells in reader:
        start, line_num = line_num + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells


def _header(record: tuple[int, list[str]] | None) -> tuple[str, ...]:
    if record is None:
        raise ValidationFailed("the CSV is empty; its first line names the columns")
    line, cells = record
    names = [cell.strip().lower() for cell in cells]
    while names and not names[-1]:  # a spreadsheet may end every line with a separator
        names.pop()
    columns = tuple(names)
    unknown = [column for column in columns if column not in COLUMNS]
    if unknown:
        raise ValidationFailed(
            f"line {line}: unknown column {unknown[0]!r}; the first line names the columns: "
            f"{', '.join(COLUMNS)} (uid and contract_id are required)"
        )
    twice = sorted({column for column in columns if columns.count(column) > 1})
    if twice:
        raise ValidationFailed(f"line {line}: the column {twice[0]!r} is named twice")
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise ValidationFailed(f"line {line}: the header lacks the column {missing[0]!r}")
    return columns


class _RowParser:
    """Turns the cells of data rows into :class:`TokenRow` s for one header.

    Contract ids repeat across a file (many cards per contract), so each distinct text is
    parsed once.
    """

    def __init__(self, header: tuple[str, ...]) -> None:
        self._header = header
        self._contracts: dict[str, Emaid | ValidationFailed] = {}

    def parse(self, line: int, cells: list[str], errors: list[CellError]) -> TokenRow:
        """The row on ``line``; its problems are appended to ``errors``."""
        header = self._header
        if len(cells) < len(header) or any(cell.strip() for cell in cells[len(header) :]):
            message = f"expected {len(header)} cells ({', '.join(header)}), got {len(cells)}"
            errors.append(CellError(line, None, message))
            return TokenRow(line, None, None)
        values = {column: cell.strip() for column, cell in zip(header, cells, strict=False)}

        def cell(column: str, parse: Callable[[str], T]) -> T | None:
            try:
                return parse(values.get(column, ""))
            except ValidationFailed as exc:
                errors.append(CellError(line, column, exc.message))
                return None

        kind = cell("kind", _kind) or TokenKind.RFID
        row = TokenRow(
            line=line,
            uid=cell("uid", lambda text: _uid(text, kind)),
            contract_id=cell("contract_id", self._contract_id),
            kind=kind,
            printed_number=cell("printed_number", _printed_number),
            expires_at=cell("expires_at", _expires_at),
            card_fee=cell("card_fee", _card_fee),
        )
        if kind is not TokenKind.RFID:
            if row.printed_number is not None:
                message = "only an RFID card has a printed number"
                errors.append(CellError(line, "printed_number", message))
            if row.card_fee:
                message = "a card fee is billed only for an RFID card"
                errors.append(CellError(line, "card_fee", message))
        return row

    def _contract_id(self, text: str) -> Emaid:
        if not text:
            raise ValidationFailed("a contract id (eMAID) is required")
        if text not in self._contracts:
            try:
                self._contracts[text] = Emaid.parse(text)
            except ValidationFailed as exc:
                self._contracts[text] = exc
        found = self._contracts[text]
        if isinstance(found, ValidationFailed):
            raise ValidationFailed(found.message)
        return found


def _kind(text: str) -> TokenKind | None:
    if not text:
        return None
    try:
        return TokenKind(text.lower())
    except ValueError:
        kinds = ", ".join(kind.value for kind in TokenKind)
        raise ValidationFailed(f"kind {text!r} is not one of {kinds}") from None


def _uid(text: str, kind: TokenKind) -> str:
    if not text:
        raise ValidationFailed("a uid is required")
    if kind is TokenKind.VEHICLE:
        return autocharge_uid(text)
    return validate_id_tag(text)


def _printed_number(text: str) -> str | None:
    if not text:
        return None
    if len(text) > PRINTED_NUMBER_MAX or not text.isprintable():
        raise ValidationFailed(
            f"a printed number must be 1-{PRINTED_NUMBER_MAX} printable characters"
        )
    return text


def _expires_at(text: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(
            f"{text!r} is not an ISO 8601 time with a zone, e.g. 2027-12-31T23:59:59Z"
        )
    return value


def _card_fee(text: str) -> bool | None:
    lowered = text.lower()
    if not lowered:
        return None
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValidationFailed(f"card_fee {text!r} is not true or false")
