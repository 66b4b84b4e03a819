"""OCTT 1.6 CSMS test cases (../shared/design/octt-1.6-csms-cases.txt) for the core scope:
boot, sessions, remote start/stop, reset, unlock, configuration, authorisation results,
offline transactions, trigger message, basic auth. Each test is named after its case id and
plays the charge point's part over a real WebSocket against a real server and database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from websockets.asyncio.client import connect

from ampyre.domain.id_tags import IdTag, TagStatus
from ampyre.domain.stations import RegistrationStatus
from ampyre.ocpp.rpc import CallErrorReceived
from tests.e2e.conftest import PASSWORD, LiveServer
from tests.e2e.station_client import TestStation, basic_auth, station

NOW = datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


async def ready(server: LiveServer, station_id: str = "CP-1", *tags: IdTag) -> None:
    await server.add_station(station_id)
    for tag in tags or (IdTag("TAG-OK"),):
        await server.add_tag(tag)


async def transaction(server: LiveServer, transaction_id: int) -> dict[str, Any]:
    response = await server.api.get(f"/transactions/{transaction_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def connector_status(server: LiveServer, station_id: str, connector_id: int) -> str:
    response = await server.api.get(f"/stations/{station_id}")
    assert response.status_code == 200, response.text
    for connector in response.json()["connectors"]:
        if connector["connector_id"] == connector_id:
            status: str = connector["status"]
            return status
    raise AssertionError(f"connector {connector_id} not listed")


async def command(
    server: LiveServer, path: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await server.api.post(path, json=body or {})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_TC_001_CSMS_cold_boot(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        boot = await cp.boot()
        assert boot["status"] == "Accepted"
        assert boot["interval"] > 0
        assert datetime.fromisoformat(boot["currentTime"].replace("Z", "+00:00")).tzinfo
        for connector in (0, 1, 2):
            await cp.status(connector, "Available")
        assert "currentTime" in await cp.call("Heartbeat", {})
        assert await connector_status(server, "CP-1", 2) == "Available"
    detail = (await server.api.get("/stations/CP-1")).json()
    assert detail["vendor"] == "TestVendor"
    assert detail["firmware_version"] == "1.0"


async def test_TC_001_CSMS_pending_station_may_only_boot(server: LiveServer) -> None:
    await server.add_station("CP-P", status=RegistrationStatus.PENDING)
    async with station(server.ocpp, "CP-P", PASSWORD) as cp:
        assert (await cp.boot())["status"] == "Pending"
        with pytest.raises(CallErrorReceived) as refused:
            await cp.call("Heartbeat", {})
        assert refused.value.code == "SecurityError"
        assert (await server.api.post("/stations/CP-P/approve")).status_code == 200
        assert (await cp.boot())["status"] == "Accepted"
        assert "currentTime" in await cp.call("Heartbeat", {})


async def regular_session(cp: TestStation, *, authorize_first: bool) -> int:
    if authorize_first:
        assert (await cp.call("Authorize", {"idTag": "TAG-OK"}))["idTagInfo"][
            "status"
        ] == "Accepted"
        await cp.status(1, "Preparing")
    else:
        await cp.status(1, "Preparing")
        assert (await cp.call("Authorize", {"idTag": "TAG-OK"}))["idTagInfo"][
            "status"
        ] == "Accepted"
    started = await cp.start("TAG-OK", meter_start=100)
    assert started["idTagInfo"]["status"] == "Accepted"
    await cp.status(1, "Charging")
    await cp.meter(started["transactionId"], 600)
    return int(started["transactionId"])


async def test_TC_003_CSMS_regular_charging_session_plugin_first(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        tx = await regular_session(cp, authorize_first=False)
        assert (await transaction(server, tx))["state"] == "Active"
        stopped = await cp.stop(tx, 1100, reason="Local", id_tag="TAG-OK")
        assert stopped["idTagInfo"]["status"] == "Accepted"
        await cp.status(1, "Finishing")
        await cp.status(1, "Available")
    body = await transaction(server, tx)
    assert (body["state"], body["energy_wh"], body["stop_reason"]) == ("Completed", 1000, "Local")


async def test_TC_004_1_CSMS_regular_charging_session_identification_first(
    server: LiveServer,
) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        tx = await regular_session(cp, authorize_first=True)
        await cp.stop(tx, 900)
    assert (await transaction(server, tx))["energy_wh"] == 800


async def test_TC_004_2_CSMS_identification_first_connection_timeout(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        assert (await cp.call("Authorize", {"idTag": "TAG-OK"}))["idTagInfo"][
            "status"
        ] == "Accepted"
        await cp.status(1, "Preparing")
        await cp.status(1, "Available")  # the driver never plugged in: ConnectionTimeOut
    assert (await server.api.get("/transactions", params={"station_id": "CP-1"})).json() == [] or (
        await server.api.get("/transactions", params={"station_id": "CP-1"})
    ).json()["items"] == []
    assert await connector_status(server, "CP-1", 1) == "Available"


async def test_TC_005_1_CSMS_ev_side_disconnected(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        tx = await regular_session(cp, authorize_first=True)
        await cp.status(1, "Finishing")
        await cp.stop(tx, 700, reason="EVDisconnected")
        await cp.status(1, "Available")
    body = await transaction(server, tx)
    assert (body["stop_reason"], body["state"]) == ("EVDisconnected", "Completed")


async def test_TC_007_CSMS_regular_start_with_cached_id(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        await cp.status(1, "Preparing")
        started = await cp.start("TAG-OK")  # authorised from the station's cache, no Authorize
        assert started["idTagInfo"]["status"] == "Accepted"
        await cp.stop(started["transactionId"], 10)


async def remote_start_flow(server: LiveServer, cp: TestStation, *, plugged_first: bool) -> int:
    if plugged_first:
        await cp.status(1, "Preparing")
    answer = await command(
        server, "/stations/CP-1/commands/remote-start", {"id_tag": "TAG-OK", "connector_id": 1}
    )
    assert answer["status"] == "Accepted"
    assert cp.calls[-1] == ("RemoteStartTransaction", {"idTag": "TAG-OK", "connectorId": 1})
    if not plugged_first:
        await cp.status(1, "Preparing")
    started = await cp.start("TAG-OK")
    await cp.status(1, "Charging")
    return int(started["transactionId"])


async def test_TC_010_CSMS_remote_start_cable_plugged_in_first(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        tx = await remote_start_flow(server, cp, plugged_first=True)
        assert (await transaction(server, tx))["state"] == "Active"


async def test_TC_011_1_CSMS_remote_start_first(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        tx = await remote_start_flow(server, cp, plugged_first=False)
        assert (await transaction(server, tx))["id_tag"] == "TAG-OK"


async def test_TC_011_2_CSMS_remote_start_time_out(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        answer = await command(server, "/stations/CP-1/commands/remote-start", {"id_tag": "TAG-OK"})
        assert answer["status"] == "Accepted"
        await cp.status(1, "Preparing")
        await cp.status(1, "Available")  # nobody plugged in before ConnectionTimeOut
    listed = (await server.api.get("/transactions", params={"station_id": "CP-1"})).json()
    assert listed == [] or listed.get("items") == []


async def test_TC_012_CSMS_remote_stop_charging_session(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        tx = await remote_start_flow(server, cp, plugged_first=True)
        answer = await command(server, f"/transactions/{tx}/stop")
        assert answer["status"] == "Accepted"
        assert cp.calls[-1] == ("RemoteStopTransaction", {"transactionId": tx})
        await cp.stop(tx, 500, reason="Remote")
        await cp.status(1, "Finishing")
    assert (await transaction(server, tx))["stop_reason"] == "Remote"


async def reset_flow(server: LiveServer, kind: str) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        tx = await regular_session(cp, authorize_first=True)
        answer = await command(server, "/stations/CP-1/commands/reset", {"type": kind})
        assert answer["status"] == "Accepted"
        assert cp.calls[-1] == ("Reset", {"type": kind})
        await cp.stop(tx, 650, reason=f"{kind}Reset")
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        assert (await cp.boot())["status"] == "Accepted"
        await cp.status(1, "Available")
    assert (await transaction(server, tx))["stop_reason"] == f"{kind}Reset"


async def test_TC_013_CSMS_hard_reset(server: LiveServer) -> None:
    await reset_flow(server, "Hard")


async def test_TC_014_CSMS_soft_reset(server: LiveServer) -> None:
    await reset_flow(server, "Soft")


async def unlock(server: LiveServer, answer: str, connector_id: int = 1) -> dict[str, Any]:
    async def reply(payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": answer}

    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD, {"UnlockConnector": reply}) as cp:
        await cp.boot()
        result = await command(
            server, "/stations/CP-1/commands/unlock", {"connector_id": connector_id}
        )
        assert cp.calls[-1] == ("UnlockConnector", {"connectorId": connector_id})
        return result


async def test_TC_017_1_CSMS_unlock_connector_no_session_not_fixed_cable(
    server: LiveServer,
) -> None:
    assert (await unlock(server, "Unlocked"))["status"] == "Unlocked"


async def test_TC_017_2_CSMS_unlock_connector_no_session_fixed_cable(server: LiveServer) -> None:
    assert (await unlock(server, "NotSupported"))["status"] == "NotSupported"


async def test_TC_018_1_CSMS_unlock_connector_with_charging_session(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        tx = await regular_session(cp, authorize_first=True)
        result = await command(server, "/stations/CP-1/commands/unlock", {"connector_id": 1})
        assert result["status"] == "Unlocked"
        await cp.stop(tx, 700, reason="UnlockCommand")
    assert (await transaction(server, tx))["stop_reason"] == "UnlockCommand"


async def test_TC_019_1_CSMS_retrieve_all_configuration_keys(server: LiveServer) -> None:
    keys = [
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
        {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
    ]

    async def reply(payload: dict[str, Any]) -> dict[str, Any]:
        return {"configurationKey": keys}

    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD, {"GetConfiguration": reply}) as cp:
        await cp.boot()
        response = await server.api.get("/stations/CP-1/commands/configuration")
        assert response.status_code == 200, response.text
        assert cp.calls[-1] == ("GetConfiguration", {})
        assert response.json()["response"]["configurationKey"] == keys


async def test_TC_019_2_CSMS_retrieve_specific_configuration_key(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        response = await server.api.get(
            "/stations/CP-1/commands/configuration", params={"key": "MeterValueSampleInterval"}
        )
        assert response.status_code == 200, response.text
        assert cp.calls[-1] == ("GetConfiguration", {"key": ["MeterValueSampleInterval"]})


async def change_configuration(server: LiveServer, answer: str) -> dict[str, Any]:
    async def reply(payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": answer}

    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD, {"ChangeConfiguration": reply}) as cp:
        await cp.boot()
        response = await server.api.put(
            "/stations/CP-1/commands/configuration",
            json={"key": "MeterValueSampleInterval", "value": "30"},
        )
        assert response.status_code == 200, response.text
        assert cp.calls[-1] == (
            "ChangeConfiguration",
            {"key": "MeterValueSampleInterval", "value": "30"},
        )
        result: dict[str, Any] = response.json()
        return result


async def test_TC_021_CSMS_change_set_configuration(server: LiveServer) -> None:
    assert (await change_configuration(server, "Accepted"))["status"] == "Accepted"


async def test_TC_040_1_CSMS_configuration_keys_not_supported(server: LiveServer) -> None:
    assert (await change_configuration(server, "NotSupported"))["status"] == "NotSupported"


async def test_TC_040_2_CSMS_configuration_keys_invalid_value(server: LiveServer) -> None:
    assert (await change_configuration(server, "Rejected"))["status"] == "Rejected"


async def authorize_status(server: LiveServer, tag: IdTag) -> str:
    await ready(server, "CP-1", tag)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        answer = await cp.call("Authorize", {"idTag": tag.id_tag})
        status: str = answer["idTagInfo"]["status"]
        return status


async def test_TC_023_1_CSMS_start_charging_session_authorize_invalid(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        answer = await cp.call("Authorize", {"idTag": "NOT-KNOWN"})
        assert answer["idTagInfo"]["status"] == "Invalid"


async def test_TC_023_2_CSMS_start_charging_session_authorize_expired(server: LiveServer) -> None:
    tag = IdTag("TAG-OLD", expires_at=NOW - timedelta(days=1))
    assert await authorize_status(server, tag) == "Expired"


async def test_TC_023_3_CSMS_start_charging_session_authorize_blocked(server: LiveServer) -> None:
    assert await authorize_status(server, IdTag("TAG-BLK", status=TagStatus.BLOCKED)) == "Blocked"


async def test_TC_024_CSMS_start_charging_session_lock_failure(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        await cp.call("Authorize", {"idTag": "TAG-OK"})
        await cp.status(1, "Faulted", error="ConnectorLockFailure")
    assert await connector_status(server, "CP-1", 1) == "Faulted"
    history = (await server.api.get("/stations/CP-1/status-history")).json()
    items = history if isinstance(history, list) else history["items"]
    assert any(entry["error_code"] == "ConnectorLockFailure" for entry in items)


async def test_TC_026_CSMS_remote_start_charging_session_rejected(server: LiveServer) -> None:
    async def reply(payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Rejected"}

    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD, {"RemoteStartTransaction": reply}) as cp:
        await cp.boot()
        answer = await command(
            server, "/stations/CP-1/commands/remote-start", {"id_tag": "TAG-OK", "connector_id": 1}
        )
        assert answer["status"] == "Rejected"


async def test_TC_028_CSMS_remote_stop_transaction_rejected(server: LiveServer) -> None:
    async def reply(payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Rejected"}

    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD, {"RemoteStopTransaction": reply}) as cp:
        await cp.boot()
        tx = await regular_session(cp, authorize_first=True)
        assert (await command(server, f"/transactions/{tx}/stop"))["status"] == "Rejected"
    assert (await transaction(server, tx))["state"] == "Active"


async def test_TC_030_CSMS_unlock_connector_unlock_failure(server: LiveServer) -> None:
    assert (await unlock(server, "UnlockFailed"))["status"] == "UnlockFailed"


async def test_TC_031_CSMS_unlock_connector_unknown_connector(server: LiveServer) -> None:
    assert (await unlock(server, "NotSupported", connector_id=9))["status"] == "NotSupported"


async def test_TC_032_1_CSMS_power_failure_boot_stops_transactions(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        tx = await regular_session(cp, authorize_first=True)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:  # power is back
        assert (await cp.boot())["status"] == "Accepted"
        await cp.stop(tx, 650, reason="PowerLoss")
        await cp.status(1, "Available")
    body = await transaction(server, tx)
    assert (body["state"], body["stop_reason"], body["meter_stop_wh"]) == (
        "Completed",
        "PowerLoss",
        650,
    )


async def test_TC_037_1_CSMS_offline_start_transaction_valid_id_tag(server: LiveServer) -> None:
    await ready(server)
    started_offline = NOW - timedelta(hours=2)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        started = await cp.start("TAG-OK", meter_start=0, timestamp=iso(started_offline))
        assert started["idTagInfo"]["status"] == "Accepted"
        await cp.status(1, "Charging")
    body = await transaction(server, started["transactionId"])
    assert body["started_at"].startswith(iso(started_offline)[:19])
    assert "started_offline" in body["flags"]


async def test_TC_037_3_CSMS_offline_start_transaction_invalid_id_tag(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        started = await cp.start("NOT-KNOWN", timestamp=iso(NOW - timedelta(minutes=30)))
        assert started["idTagInfo"]["status"] == "Invalid"
        # StopTransactionOnInvalidId = true: the station stops it at once
        await cp.stop(started["transactionId"], 0, reason="DeAuthorized")
    body = await transaction(server, started["transactionId"])
    assert body["stop_reason"] == "DeAuthorized"
    assert "not_authorized" in body["flags"]


async def test_TC_039_CSMS_offline_transaction(server: LiveServer) -> None:
    """A whole session happened offline; the queue is replayed, twice (lost answers)."""
    await ready(server)
    begin = NOW - timedelta(hours=3)
    end = begin + timedelta(minutes=45)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        first = await cp.start("TAG-OK", meter_start=5000, timestamp=iso(begin))
        again = await cp.start("TAG-OK", meter_start=5000, timestamp=iso(begin))
        assert first["transactionId"] == again["transactionId"]
        tx = first["transactionId"]
        assert "idTagInfo" in await cp.stop(tx, 12000, timestamp=iso(end), id_tag="TAG-OK")
        assert "idTagInfo" in await cp.stop(
            tx, 99999, timestamp=iso(end + timedelta(hours=1)), id_tag="TAG-OK"
        )
    body = await transaction(server, tx)
    assert (body["meter_stop_wh"], body["energy_wh"]) == (12000, 7000)
    assert body["stopped_at"].startswith(iso(end)[:19])


async def test_TC_054_CSMS_trigger_message(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        answer = await command(
            server,
            "/stations/CP-1/commands/trigger",
            {"message": "StatusNotification", "connector_id": 1},
        )
        assert answer["status"] == "Accepted"
        assert cp.calls[-1] == (
            "TriggerMessage",
            {"requestedMessage": "StatusNotification", "connectorId": 1},
        )
        await cp.status(1, "Available")


async def test_TC_055_CSMS_trigger_message_rejected(server: LiveServer) -> None:
    async def reply(payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Rejected"}

    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD, {"TriggerMessage": reply}) as cp:
        await cp.boot()
        answer = await command(
            server, "/stations/CP-1/commands/trigger", {"message": "MeterValues", "connector_id": 1}
        )
        assert answer["status"] == "Rejected"


async def test_TC_061_CSMS_clear_authorization_data_in_cache(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        assert (await command(server, "/stations/CP-1/commands/clear-cache"))[
            "status"
        ] == "Accepted"
        assert cp.calls[-1] == ("ClearCache", {})


async def test_TC_064_CSMS_data_transfer_to_a_central_system(server: LiveServer) -> None:
    await ready(server)
    async with station(server.ocpp, "CP-1", PASSWORD) as cp:
        await cp.boot()
        answer = await cp.call(
            "DataTransfer", {"vendorId": "com.example", "messageId": "x", "data": "hello"}
        )
        assert answer["status"] in {"UnknownVendorId", "UnknownMessageId", "Accepted", "Rejected"}
        sent = await command(
            server,
            "/stations/CP-1/commands/data-transfer",
            {"vendor_id": "com.example", "data": "ping"},
        )
        assert sent["response"] == {"status": "Accepted", "data": "pong"}


async def test_TC_085_CSMS_basic_authentication_valid_credentials(server: LiveServer) -> None:
    await ready(server)
    async with connect(
        f"{server.ocpp}/CP-1",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers=basic_auth("CP-1", PASSWORD),
    ) as ws:
        await ws.send(
            '[2,"b1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]'
        )
        assert '"Accepted"' in str(await asyncio.wait_for(ws.recv(), 5))


async def test_TC_088_CSMS_websocket_subprotocol_negotiation(server: LiveServer) -> None:
    await ready(server)
    async with connect(
        f"{server.ocpp}/CP-1",
        subprotocols=["ocpp2.1", "ocpp1.6", "ocpp1.5"],  # type: ignore[list-item]
        additional_headers=basic_auth("CP-1", PASSWORD),
    ) as ws:
        assert ws.subprotocol == "ocpp1.6"
    from websockets.exceptions import InvalidHandshake

    try:
        async with connect(
            f"{server.ocpp}/CP-1",
            subprotocols=["ocpp1.2"],  # type: ignore[list-item]
            additional_headers=basic_auth("CP-1", PASSWORD),
        ):
            raise AssertionError("an unsupported subprotocol must be refused")
    except InvalidHandshake:
        pass
