"""``ampyre tariffs import|list|show|assign|assignments|unassign|rate`` on a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

AMPYRE = [sys.executable, "-m", "ampyre"]
VECTORS = Path(__file__).parents[1] / "data" / "ocpi-tariffs"

NATIVE = {
    "currency": "EUR",
    "parking_grace_s": 1800,
    "elements": [
        {"components": [{"dimension": "FLAT", "price": "0.50", "vat_percent": "19"}]},
        {"components": [{"dimension": "ENERGY", "price": 0.39, "vat_percent": 19}]},
        {
            "components": [
                {
                    "dimension": "PARKING_TIME",
                    "price": "0.10",
                    "vat_percent": "19",
                    "time_unit": "minute",
                    "step_size": 60,
                }
            ]
        },
    ],
}


def ampyre(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AMPYRE, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "AMPYRE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    assert ampyre(env, "db", "upgrade").returncode == 0
    return env


def test_import_assign_and_export(env: dict[str, str], tmp_path: Path) -> None:
    native = tmp_path / "native.json"
    native.write_text(json.dumps(NATIVE))
    created = ampyre(env, "tariffs", "import", str(native), "--id", "DE-AC", "--name", "AC")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "tariff DE-AC created (EUR)"
    ocpi = ampyre(env, "tariffs", "import", "--ocpi", str(VECTORS / "complex" / "tariff.json"))
    assert ocpi.returncode == 0, ocpi.stderr

    listed = ampyre(env, "tariffs", "list").stdout.splitlines()
    assert listed == ["14\tEUR\t1\t14", "DE-AC\tEUR\t1\tAC"]

    shown = json.loads(ampyre(env, "tariffs", "show", "DE-AC").stdout)
    energy = shown["versions"][0]["tariff"]["elements"][1]["components"][0]
    assert (energy["price"], energy["vat_percent"]) == ("0.39", "19")

    exported = json.loads(ampyre(env, "tariffs", "show", "DE-AC", "--ocpi").stdout)
    grace = exported["elements"][0]
    assert grace["restrictions"] == {"max_duration": 1800}
    parking = exported["elements"][-1]["price_components"][0]
    assert (parking["type"], parking["price"]) == ("PARKING_TIME", 6)

    assigned = ampyre(env, "tariffs", "assign", "DE-AC", "--scope", "network")
    assert assigned.returncode == 0, assigned.stderr
    again = ampyre(env, "tariffs", "assign", "14", "--scope", "network")
    assert again.returncode == 2
    assert "already has a tariff" in again.stderr
    rows = ampyre(env, "tariffs", "assignments").stdout.splitlines()
    assert len(rows) == 1
    assert rows[0].split("\t")[1:] == ["DE-AC", "network", "-", "-", "100"]
    assert ampyre(env, "tariffs", "unassign", rows[0].split("\t")[0]).returncode == 0
    assert ampyre(env, "tariffs", "assignments").stdout == ""
    assert ampyre(env, "tariffs", "rate").stdout.strip() == "0 CDRs written"


def test_refused_input_writes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                **NATIVE,
                "elements": [
                    {
                        "components": [{"dimension": "ENERGY", "price": "0.3"}],
                        "restrictions": {"reservation": "RESERVATION"},
                    }
                ],
            }
        )
    )
    refused = ampyre(env, "tariffs", "import", str(bad), "--id", "X")
    assert refused.returncode == 2
    assert "reservation" in refused.stderr
    no_id = ampyre(env, "tariffs", "import", str(tmp_path / "missing.json"))
    assert no_id.returncode == 2
    assert ampyre(env, "tariffs", "list").stdout == ""
