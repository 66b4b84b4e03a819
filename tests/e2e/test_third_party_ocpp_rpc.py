"""A third-party OCPP client (npm ``ocpp-rpc``, strict schema validation both ways) runs
complete 1.6J sessions against ``ampyre serve``; REST then shows every transaction with its
meter values. Provisioning goes through the ``ampyre`` CLI, as an operator's script would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ampyre.db.engine import create_engine
from ampyre.db.testing import reset_database
from tests.e2e.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "tests" / "thirdparty" / "ocpp_rpc_sessions.js"
AMPYRE = [sys.executable, "-m", "ampyre"]
PASSWORD = "third-party-secret-42"
SESSIONS = 3


def ampyre(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*AMPYRE, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
async def clean_db(db_url: str, backend: str) -> str:
    if backend == "postgres":
        engine = create_engine(db_url)
        await reset_database(engine)
        await engine.dispose()
    return db_url


@pytest.fixture
def served(clean_db: str) -> Iterator[tuple[str, dict[str, str]]]:
    """``ampyre serve`` in its own process; yields its base URL and environment."""
    port = free_port()
    env = {**os.environ, "AMPYRE_DATABASE_URL": clean_db, "AMPYRE_PORT": str(port)}
    process = subprocess.Popen(
        [*AMPYRE, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "ampyre serve did not come up"
            time.sleep(0.1)
        yield base, env
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_ocpp_rpc_client_runs_complete_sessions(served: tuple[str, dict[str, str]]) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the third-party client test"
    base, env = served
    ampyre(env, "stations", "add", "TP-0001", "--password", PASSWORD)
    ampyre(env, "tags", "add", "TP-TAG-1")
    token = ampyre(env, "tokens", "create", "--role", "admin", "--name", "third-party-test")
    ws = base.replace("http://", "ws://") + "/ocpp"

    run = subprocess.run(
        [node, str(CLIENT), ws, "TP-0001", PASSWORD, "TP-TAG-1", str(SESSIONS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["boot"] == "Accepted"
    assert report["authorize"] == ["Accepted"] * SESSIONS
    assert len({t["transactionId"] for t in report["transactions"]}) == SESSIONS

    api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"})
    listed = api.get("/transactions", params={"station_id": "TP-0001"}).json()["items"]
    assert sorted(t["id"] for t in listed) == sorted(
        t["transactionId"] for t in report["transactions"]
    )
    for sent in report["transactions"]:
        detail = api.get(f"/transactions/{sent['transactionId']}").json()
        assert detail["state"] == "Completed"
        assert detail["stop_reason"] == "EVDisconnected"
        assert (detail["meter_start_wh"], detail["meter_stop_wh"]) == (
            sent["meterStart"],
            sent["meterStop"],
        )
        assert detail["energy_wh"] == sent["meterStop"] - sent["meterStart"]
        samples = detail["meter_values"]
        values = [v for sample in samples for v in sample["sampled_values"]]
        assert len(values) == 3 * 10 + 1  # three MeterValues of 10 values + transactionData
        measurands = {v["measurand"] for v in values}
        assert {
            "Energy.Active.Import.Register",
            "Power.Active.Import",
            "Current.Import",
            "Voltage",
        } <= measurands
        assert {v["phase"] for v in values} >= {"L1", "L2", "L3", "L1-N"}
    station = api.get("/stations/TP-0001").json()
    assert station["vendor"] == "ThirdParty"
    assert {c["connector_id"]: c["status"] for c in station["connectors"]} == {1: "Available"}


def test_ocpp_rpc_client_charges_with_a_contract_card(served: tuple[str, dict[str, str]]) -> None:
    """A customer's card under a fixed-term contract: the answers carry the contract's
    eMAID as parentIdTag and its end as expiryDate, and pass the client's strict schema
    validation."""
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the third-party client test"
    base, env = served
    ampyre(env, "stations", "add", "TP-0002", "--password", PASSWORD)
    token = ampyre(env, "tokens", "create", "--role", "admin", "--name", "third-party-test")
    api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"})

    def create(path: str, body: dict[str, object]) -> dict[str, str]:
        answer = api.post(path, json=body)
        assert answer.status_code == 201, answer.text
        created: dict[str, str] = answer.json()
        return created

    tariff = {
        "currency": "EUR",
        "elements": [{"components": [{"dimension": "ENERGY", "price": "0.39"}]}],
    }
    create("/tariffs", {"id": "TP-AC", "name": "AC", "tariff": tariff})
    create("/tariff-assignments", {"tariff_id": "TP-AC", "scope": "network"})
    create(
        "/plans",
        {
            "id": "TP-PLAN",
            "name": "Basic",
            "currency": "EUR",
            "monthly_fee": "0.00",
            "card_fee": "0.00",
            "valid_from": "2020-01-01T00:00:00Z",
        },
    )
    customer = create(
        "/customers",
        {"type": "private", "profile": "subscriber", "name": "Eva", "email": "eva@example.org"},
    )
    contract = create(
        "/contracts",
        {"customer_id": customer["id"], "plan_id": "TP-PLAN", "ends_at": "2099-12-31T23:00:00Z"},
    )
    create("/charging-tokens", {"kind": "rfid", "uid": "TP-CARD-7", "contract_id": contract["id"]})
    ws = base.replace("http://", "ws://") + "/ocpp"

    run = subprocess.run(
        [node, str(CLIENT), ws, "TP-0002", PASSWORD, "TP-CARD-7", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["authorize"] == ["Accepted"]
    assert report["authorizeInfo"] == [
        {
            "status": "Accepted",
            "parentIdTag": contract["id"],
            "expiryDate": "2099-12-31T23:00:00.000Z",
        }
    ]
    transaction = api.get(f"/transactions/{report['transactions'][0]['transactionId']}").json()
    assert transaction["contract_id"] == contract["id"]
    assert transaction["plan_id"] == "TP-PLAN"
