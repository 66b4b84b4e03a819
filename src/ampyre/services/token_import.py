"""Checks of a token CSV against the database, for the bulk import of RFID cards.

The file's cells were checked by :func:`ampyre.formats.token_csv.parse_token_csv`; this module
adds what needs the stored data: uids repeated in the file, uids already taken (by a token or
an operator id tag), contracts that do not exist or have ended, expiries already past, and
the card fee the plan decides when the file leaves it empty. Every row is checked and every
problem reported; the import writes nothing unless there is none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ampyre.domain.contracts import Contract
from ampyre.domain.errors import ValidationFailed
from ampyre.domain.tokens import Token, TokenKind
from ampyre.formats.token_csv import COLUMNS, CellError, TokenCsv, TokenRow
from ampyre.services.ports import UnitOfWork

MAX_REPORTED_ERRORS = 1000
"""Problems listed in a report; ``error_count`` still counts them all."""
_CONTRACT_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class TokenImportReport:
    """The outcome of an import. ``errors`` lists the first :data:`MAX_REPORTED_ERRORS`
    problems in line order; when there is any, nothing was imported."""

    rows: int
    imported: int
    errors: tuple[CellError, ...]
    error_count: int
    bad_rows: int
    dry_run: bool

    @property
    def rejected(self) -> bool:
        return self.error_count > 0


@dataclass(frozen=True, slots=True)
class CheckedImport:
    """The tokens a file holds, and every problem found (the tokens are only complete
    when there is none)."""

    tokens: tuple[Token, ...]
    errors: tuple[CellError, ...]

    def report(self, rows: int, *, imported: int, dry_run: bool) -> TokenImportReport:
        return TokenImportReport(
            rows=rows,
            imported=imported,
            errors=self.errors[:MAX_REPORTED_ERRORS],
            error_count=len(self.errors),
            bad_rows=len({error.line for error in self.errors}),
            dry_run=dry_run,
        )


async def check_import(uow: UnitOfWork, parsed: TokenCsv, now: datetime) -> CheckedImport:
    """Check ``parsed`` against the database at ``now`` and build the tokens of its rows
    (of the rows without a problem: all of them when the import can go ahead)."""
    rows = parsed.rows
    errors = list(parsed.errors)
    errors.extend(_repeated_uids(rows))
    taken = await uow.tokens.existing_uids([row.uid for row in rows if row.uid is not None])
    contracts = await _contracts(uow, rows)
    for row in rows:
        errors.extend(_reference_errors(row, taken, contracts, now))
    bad_lines = {error.line for error in errors}
    card_fees = await _plan_card_fees(uow, contracts.values())
    tokens: list[Token] = []
    for row in rows:
        if row.line in bad_lines or row.uid is None or row.contract_id is None:
            continue
        try:
            tokens.append(_token(row, row.uid, contracts[row.contract_id.compact], card_fees, now))
        except ValidationFailed as exc:
            errors.append(CellError(row.line, None, exc.message))
    errors.sort(key=_line_then_column)
    return CheckedImport(tuple(tokens), tuple(errors))


def _reference_errors(
    row: TokenRow, taken: set[str], contracts: dict[str, Contract], now: datetime
) -> list[CellError]:
    """The row's problems with what is stored, and with the time."""
    errors = []
    if row.uid is not None and row.uid in taken:
        errors.append(CellError(row.line, "uid", f"uid {row.uid} is already in use"))
    if row.contract_id is not None:
        contract = contracts.get(row.contract_id.compact)
        if contract is None:
            message = f"contract {row.contract_id} does not exist"
            errors.append(CellError(row.line, "contract_id", message))
        elif contract.has_ended(now):
            message = f"contract {row.contract_id} has ended"
            errors.append(CellError(row.line, "contract_id", message))
    if row.expires_at is not None and row.expires_at <= now:
        errors.append(CellError(row.line, "expires_at", "the expiry has already passed"))
    return errors


def _repeated_uids(rows: Sequence[TokenRow]) -> list[CellError]:
    first_line: dict[str, int] = {}
    errors = []
    for row in rows:
        if row.uid is None:
            continue
        if row.uid in first_line:
            message = f"uid {row.uid} is also on line {first_line[row.uid]}"
            errors.append(CellError(row.line, "uid", message))
        else:
            first_line[row.uid] = row.line
    return errors


async def _contracts(uow: UnitOfWork, rows: Sequence[TokenRow]) -> dict[str, Contract]:
    ids = sorted({row.contract_id.compact for row in rows if row.contract_id is not None})
    found: dict[str, Contract] = {}
    for start in range(0, len(ids), _CONTRACT_CHUNK):
        found.update(await uow.contracts.get_many(ids[start : start + _CONTRACT_CHUNK]))
    return found


async def _plan_card_fees(uow: UnitOfWork, contracts: Iterable[Contract]) -> set[str]:
    """The ids of the contracts' plans that bill a card fee."""
    with_fee: set[str] = set()
    for plan_id in sorted({contract.plan_id for contract in contracts}):
        plan = await uow.plans.get(plan_id)
        if plan is not None and plan.card_fee > 0:
            with_fee.add(plan_id)
    return with_fee


def _token(
    row: TokenRow, uid: str, contract: Contract, card_fees: set[str], now: datetime
) -> Token:
    card_fee = row.card_fee
    if card_fee is None:
        card_fee = row.kind is TokenKind.RFID and contract.plan_id in card_fees
    return Token(
        uid=uid,
        kind=row.kind,
        contract_id=contract.id,
        issued_at=now,
        expires_at=row.expires_at,
        printed_number=row.printed_number,
        card_fee=card_fee,
    )


def _line_then_column(error: CellError) -> tuple[int, int]:
    return error.line, -1 if error.column is None else COLUMNS.index(error.column)
