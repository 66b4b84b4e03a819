"""Bulk registration of stations from CSV (``id,password[,location_id,name]``).

All or nothing by default: every row is checked first, and if any row is invalid nothing is
written and the report lists each bad row with its line number. With ``skip_invalid`` the
valid rows are imported and the bad ones reported. Password hashing (about a millisecond each)
runs on worker threads, off the event loop, spread over the CPU cores.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from ampyre.domain.errors import Conflict, DomainError, ValidationFailed
from ampyre.domain.station_secrets import hash_password, validate_password
from ampyre.domain.stations import Station, validate_station_id
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from ampyre.services.stations_admin import validate_station_name

MAX_IMPORT_ROWS = 100_000
CSV_COLUMNS = ("id", "password", "location_id", "name")
_REQUIRED_COLUMNS = ("id", "password")
_ID_LOOKUP_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class StationRow:
    """One station to import; ``line`` is its 1-based line in the file, for the report."""

    line: int
    id: str
    password: str
    location_id: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    station_id: str
    message: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int
    imported: int
    errors: tuple[RowError, ...]
    skip_invalid: bool

    @property
    def rejected(self) -> bool:
        """True when bad rows stopped the import: nothing was written."""
        return bool(self.errors) and not self.skip_invalid


def parse_station_csv(text: str) -> list[StationRow]:
    """Rows of a station CSV; the header line (``id,password,...`` in any order) is optional.

    The first line is the header when any of its cells is a column name. Without a header
    the columns are positional: id, password, then optionally location_id
    and name. Blank lines are skipped; ids, locations and names are trimmed, passwords kept
    exactly. Raises ``ValidationFailed`` when the file's shape is wrong (unknown header
    column, wrong number of columns on a line, too many rows); bad values are left for the
    import to report row by row.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), strict=True)
    header: tuple[str, ...] | None = None
    first = True
    rows: list[StationRow] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if first and any(cell.strip().lower() in CSV_COLUMNS for cell in cells):
                header = _header_columns(cells)
                first = False
                continue
            first = False
            rows.append(_row(reader.line_num, header, cells))
            if len(rows) > MAX_IMPORT_ROWS:
                raise ValidationFailed(f"at most {MAX_IMPORT_ROWS} stations per import")
    except csv.Error as exc:
        raise ValidationFailed(f"line {reader.line_num}: not valid CSV ({exc})") from exc
    return rows


def _header_columns(cells: Sequence[str]) -> tuple[str, ...]:
    columns = tuple(cell.strip().lower() for cell in cells)
    unknown = [column for column in columns if column not in CSV_COLUMNS]
    if unknown:
        raise ValidationFailed(
            f"unknown CSV column {unknown[0]!r}; columns are {', '.join(CSV_COLUMNS)}"
        )
    if len(set(columns)) != len(columns):
        raise ValidationFailed("a CSV column is named twice in the header")
    missing = [column for column in _REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise ValidationFailed(f"the CSV header lacks the column {missing[0]!r}")
    return columns


def _row(line: int, header: tuple[str, ...] | None, cells: Sequence[str]) -> StationRow:
    if header is None:
        if not len(_REQUIRED_COLUMNS) <= len(cells) <= len(CSV_COLUMNS):
            raise ValidationFailed(
                f"line {line}: expected 2-4 columns (id,password[,location_id,name]), "
                f"got {len(cells)}"
            )
        columns = CSV_COLUMNS[: len(cells)]
    elif len(cells) != len(header):
        raise ValidationFailed(
            f"line {line}: expected {len(header)} columns ({','.join(header)}), got {len(cells)}"
        )
    else:
        columns = header
    values = dict(zip(columns, cells, strict=True))
    return StationRow(
        line=line,
        id=values["id"].strip(),
        password=values["password"],
        location_id=values.get("location_id", "").strip() or None,
        name=values.get("name", "").strip() or None,
    )


def hash_passwords(passwords: Sequence[str]) -> list[str]:
    """Hash every password, in order, on as many threads as there are CPUs (scrypt in
    hashlib releases the GIL)."""
    workers = max(1, min(os.cpu_count() or 1, len(passwords)))
    size = -(-len(passwords) // workers) if passwords else 1
    chunks = [passwords[start : start + size] for start in range(0, len(passwords), size)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hash") as pool:
        hashed = pool.map(lambda chunk: [hash_password(p) for p in chunk], chunks)
        return [digest for chunk in hashed for digest in chunk]


@dataclass(frozen=True, slots=True)
class StationImportService:
    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def do_import_stations(
        self, actor: Actor, rows: Iterable[StationRow], *, skip_invalid: bool = False
    ) -> ImportReport:
        """Register many stations at once, all Accepted, in one transaction.

        Rows are checked for a valid id and password (OCPP security profile 1), ids repeated
        in the file, ids already registered and locations that do not exist.
        """
        check_permission(actor, Permission.STATIONS_WRITE)
        all_rows = list(rows)
        if len(all_rows) > MAX_IMPORT_ROWS:
            raise ValidationFailed(f"at most {MAX_IMPORT_ROWS} stations per import")
        errors = dict(_value_errors(all_rows))
        async with self.uow_factory() as uow:
            errors.update(await _reference_errors(uow, _except(all_rows, errors)))
        good = [row for _, row in _except(all_rows, errors)]
        report = ImportReport(
            len(all_rows), 0, tuple(errors[index] for index in sorted(errors)), skip_invalid
        )
        if report.rejected or not good:
            return report
        hashes = await asyncio.to_thread(hash_passwords, [row.password for row in good])
        now = self.clock.now()
        stations = [
            Station(
                id=row.id,
                location_id=row.location_id,
                name=row.name,
                password_hash=digest,
                created_at=now,
            )
            for row, digest in zip(good, hashes, strict=True)
        ]
        async with self.uow_factory() as uow:
            taken = await _existing_ids(uow, [station.id for station in stations])
            if taken:
                raise Conflict(
                    f"station {sorted(taken)[0]} was registered while the import ran; "
                    "nothing was imported"
                )
            await uow.stations.add_many(stations)
            await uow.commit()
        return replace(report, imported=len(stations))


def _value_errors(rows: Sequence[StationRow]) -> Iterator[tuple[int, RowError]]:
    """Problems a row has on its own or with an earlier row, by row index."""
    first_line: dict[str, int] = {}
    for index, row in enumerate(rows):
        try:
            validate_station_id(row.id)
            validate_password(row.password)
            validate_station_name(row.name)
        except DomainError as exc:
            yield index, RowError(row.line, row.id, exc.message)
            continue
        if row.id in first_line:
            message = f"station id {row.id} is also on line {first_line[row.id]}"
            yield index, RowError(row.line, row.id, message)
        else:
            first_line[row.id] = row.line


async def _reference_errors(
    uow: UnitOfWork, rows: Sequence[tuple[int, StationRow]]
) -> dict[int, RowError]:
    """Rows whose id is registered already or whose location does not exist, by index."""
    taken = await _existing_ids(uow, [row.id for _, row in rows])
    missing_locations = set()
    for location_id in {row.location_id for _, row in rows if row.location_id is not None}:
        if await uow.locations.get(location_id) is None:
            missing_locations.add(location_id)
    errors = {}
    for index, row in rows:
        if row.id in taken:
            errors[index] = RowError(row.line, row.id, f"station {row.id} already exists")
        elif row.location_id in missing_locations:
            message = f"location {row.location_id} does not exist"
            errors[index] = RowError(row.line, row.id, message)
    return errors


async def _existing_ids(uow: UnitOfWork, station_ids: Sequence[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(station_ids), _ID_LOOKUP_CHUNK):
        taken |= await uow.stations.existing_ids(station_ids[start : start + _ID_LOOKUP_CHUNK])
    return taken


def _except(
    rows: Sequence[StationRow], errors: dict[int, RowError]
) -> list[tuple[int, StationRow]]:
    return [(index, row) for index, row in enumerate(rows) if index not in errors]
