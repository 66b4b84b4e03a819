"""The ``ampyre`` command as operators' scripts use it (real subprocesses, real database)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

AMPYRE = [sys.executable, "-m", "ampyre"]


def ampyre(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AMPYRE, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "AMPYRE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


def test_serve_refuses_an_out_of_date_schema(env: dict[str, str]) -> None:
    done = ampyre(env, "serve", "--port", "1")
    assert done.returncode == 2
    assert "out of date" in done.stderr
    assert "ampyre db upgrade" in done.stderr


def test_provisioning_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    assert ampyre(env, "db", "upgrade").returncode == 0
    assert ampyre(env, "db", "status").returncode == 0
    added = ampyre(env, "stations", "add", "CP-CLI-1", "--password", "a-good-long-password")
    assert added.returncode == 0, added.stderr
    generated = ampyre(env, "stations", "add", "CP-CLI-2")
    assert "password: " in generated.stdout
    short = ampyre(env, "stations", "add", "CP-CLI-3", "--password", "short")
    assert short.returncode == 2
    assert "16-40 characters" in short.stderr
    duplicate = ampyre(env, "stations", "add", "CP-CLI-1", "--password", "a-good-long-password")
    assert duplicate.returncode == 2
    csv = tmp_path / "stations.csv"
    csv.write_text("id,password\nCP-CSV-1,first-good-password\nCP-CSV-2,second-good-password\n")
    imported = ampyre(env, "stations", "import", str(csv))
    assert "imported 2 of 2" in imported.stdout
    listed = ampyre(env, "stations", "list").stdout.splitlines()
    assert {line.split("\t")[0] for line in listed} == {
        "CP-CLI-1",
        "CP-CLI-2",
        "CP-CSV-1",
        "CP-CSV-2",
    }
    assert ampyre(env, "tags", "add", "CARD-1", "--expires", "2030-01-01T00:00:00Z").returncode == 0
    assert ampyre(env, "tags", "add", "CARD-2", "--blocked").returncode == 0
    bad_tag = ampyre(env, "tags", "add", "x" * 30)
    assert bad_tag.returncode == 2
    token = ampyre(env, "tokens", "create", "--role", "admin").stdout.strip()
    assert token.startswith("ampyre_")
    assert ampyre(env, "tokens", "create", "--role", "emperor").returncode == 2


def test_a_bad_csv_imports_nothing(env: dict[str, str], tmp_path: Path) -> None:
    assert ampyre(env, "db", "upgrade").returncode == 0
    csv = tmp_path / "stations.csv"
    csv.write_text("id,password\nCP-OK,a-good-long-password\nbad id,x\n")
    done = ampyre(env, "stations", "import", str(csv))
    assert done.returncode == 2
    assert "line 3" in done.stderr
    assert ampyre(env, "stations", "list").stdout == ""


def test_help_describes_every_command() -> None:
    done = subprocess.run([*AMPYRE, "--help"], capture_output=True, text=True, check=True)
    for command in ("serve", "demo", "simulate", "db", "stations", "tags", "tokens"):
        assert command in done.stdout
