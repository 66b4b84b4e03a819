"""CSV parsing and the all-or-nothing station import."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from service_fakes import MemoryStore

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.locations import Address, GeoPoint, Location
from ampyre.domain.station_secrets import verify_password
from ampyre.services.access import Actor
from ampyre.services.clock import FixedClock
from ampyre.services.records import Role
from ampyre.services.station_import import (
    StationImportService,
    StationRow,
    hash_passwords,
    parse_station_csv,
)
from ampyre.services.stations_admin import NewStation, StationAdminService

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
ADMIN = Actor("test", Role.ADMIN)
PW = "0123456789abcdefXYZ"


def test_parse_with_header_in_any_column_order() -> None:
    text = f"\ufeffname,id,password\n Gate 1 , CP1 ,{PW}\n\n,CP2,{PW} \n"
    assert parse_station_csv(text) == [
        StationRow(2, "CP1", PW, None, "Gate 1"),
        StationRow(4, "CP2", PW + " ", None, None),
    ]


def test_parse_positional_rows_of_two_to_four_columns() -> None:
    text = f"CP1,{PW}\nCP2,{PW},L1\nCP3,{PW},,Gate\n"
    assert parse_station_csv(text) == [
        StationRow(1, "CP1", PW),
        StationRow(2, "CP2", PW, "L1"),
        StationRow(3, "CP3", PW, None, "Gate"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,secret\nCP1,x\n", "unknown CSV column 'secret'"),
        ("id,name\nCP1,x\n", "lacks the column 'password'"),
        ("id,password,id\n", "named twice"),
        (f"id,password\nCP1,{PW},extra\n", "line 2: expected 2 columns"),
        ("CP1\n", "line 1: expected 2-4 columns"),
        ('CP1,"unterminated\n', "not valid CSV"),
    ],
)
def test_parse_refuses_malformed_files(text: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        parse_station_csv(text)


def test_hash_passwords_keeps_order() -> None:
    passwords = [f"password-number-{i:04d}" for i in range(7)]
    hashes = hash_passwords(passwords)
    assert len(hashes) == 7
    assert all(verify_password(p, h) for p, h in zip(passwords, hashes, strict=True))
    assert hash_passwords([]) == []


@pytest.fixture
async def store() -> MemoryStore:
    store = MemoryStore()
    await StationAdminService(store, FixedClock(NOW)).do_create_station(
        ADMIN, NewStation("TAKEN", PW)
    )
    store.state.locations["L1"] = Location(
        "L1",
        "Depot",
        Address("Main 1", "Kraków", "30-001", "PL"),
        GeoPoint(Decimal(50), Decimal(19)),
        "Europe/Warsaw",
    )
    return store


BAD_FILE = (
    f"id,password,location_id\n"
    f"CP1,{PW},L1\n"
    f"bad id,{PW},\n"
    f"CP2,short,\n"
    f"CP1,{PW},\n"
    f"TAKEN,{PW},\n"
    f"CP3,{PW},L404\n"
    f"CP4,{PW},\n"
)


async def test_one_bad_row_means_nothing_is_written_and_every_error_is_reported(
    store: MemoryStore,
) -> None:
    service = StationImportService(store, FixedClock(NOW))
    report = await service.do_import_stations(ADMIN, parse_station_csv(BAD_FILE))
    assert report.rejected
    assert (report.rows, report.imported) == (7, 0)
    assert [(e.line, e.station_id) for e in report.errors] == [
        (3, "bad id"),
        (4, "CP2"),
        (5, "CP1"),
        (6, "TAKEN"),
        (7, "CP3"),
    ]
    messages = [e.message for e in report.errors]
    assert "16-40" in messages[1]
    assert "also on line 2" in messages[2]
    assert "already exists" in messages[3]
    assert "location L404 does not exist" in messages[4]
    assert set(store.state.stations) == {"TAKEN"}


async def test_skip_invalid_imports_the_good_rows(store: MemoryStore) -> None:
    service = StationImportService(store, FixedClock(NOW))
    report = await service.do_import_stations(ADMIN, parse_station_csv(BAD_FILE), skip_invalid=True)
    assert not report.rejected
    assert report.imported == 2
    assert len(report.errors) == 5
    assert set(store.state.stations) == {"TAKEN", "CP1", "CP4"}
    cp1 = store.state.stations["CP1"]
    assert cp1.location_id == "L1"
    assert cp1.created_at == NOW
    assert cp1.password_hash is not None
    assert verify_password(PW, cp1.password_hash)


async def test_a_clean_file_is_written_with_one_add_many(store: MemoryStore) -> None:
    rows = [StationRow(i + 1, f"CP{i:05d}", PW) for i in range(300)]
    service = StationImportService(store, FixedClock(NOW))
    commits = store.commits
    report = await service.do_import_stations(ADMIN, rows)
    assert (report.imported, report.errors) == (300, ())
    assert store.commits == commits + 1
    assert len(store.state.stations) == 301


async def test_rows_built_in_code_need_no_distinct_line_numbers(store: MemoryStore) -> None:
    rows = [StationRow(0, "CP1", PW), StationRow(0, "CP2", "short"), StationRow(0, "CP3", PW)]
    service = StationImportService(store, FixedClock(NOW))
    report = await service.do_import_stations(ADMIN, rows, skip_invalid=True)
    assert report.imported == 2
    assert [e.station_id for e in report.errors] == ["CP2"]
    assert set(store.state.stations) == {"TAKEN", "CP1", "CP3"}
