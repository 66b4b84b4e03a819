"""Bad input from a charger never crashes the gateway or leaves half-written rows."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from ampyre.db.tables import message_log, transactions
from tests.e2e.conftest import PASSWORD, LiveServer
from tests.e2e.station_client import basic_auth, now_iso, station


async def raw(server: LiveServer, station_id: str = "CP-RAW"):  # type: ignore[no-untyped-def]
    await server.add_station(station_id)
    return connect(
        f"{server.ocpp}/{station_id}",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers=basic_auth(station_id, PASSWORD),
        compression=None,
        max_size=2**24,
    )


async def exchange(ws, frame: str) -> list[object]:  # type: ignore[no-untyped-def]
    await ws.send(frame)
    answer: list[object] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return answer


async def test_unknown_action_is_not_implemented(server: LiveServer) -> None:
    async with await raw(server) as ws:
        answer = await exchange(ws, '[2,"m1","FlyToTheMoon",{}]')
        assert answer[:3] == [4, "m1", "NotImplemented"]


async def test_known_action_from_the_wrong_side_is_not_supported(server: LiveServer) -> None:
    async with await raw(server) as ws:
        answer = await exchange(ws, '[2,"m1","RemoteStartTransaction",{"idTag":"A"}]')
        assert answer[:3] == [4, "m1", "NotSupported"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ('{"chargePointModel":"M"}', "OccurenceConstraintViolation"),
        ('{"chargePointVendor":5,"chargePointModel":"M"}', "TypeConstraintViolation"),
        (
            '{"chargePointVendor":"' + "V" * 21 + '","chargePointModel":"M"}',
            "PropertyConstraintViolation",
        ),
        (
            '{"chargePointVendor":"V","chargePointModel":"M","extra":1}',
            "OccurenceConstraintViolation",
        ),
        ("[1,2]", "FormationViolation"),
    ],
)
async def test_malformed_payloads_get_the_matching_violation(
    server: LiveServer, payload: str, code: str
) -> None:
    async with await raw(server) as ws:
        answer = await exchange(ws, f'[2,"m1","BootNotification",{payload}]')
        assert answer[0] == 4
        assert answer[2] == code


@pytest.mark.parametrize(
    "frame",
    [
        '[2,123,"Heartbeat",{}]',
        '[2,"' + "x" * 37 + '","Heartbeat",{}]',
        '[2,"","Heartbeat",{}]',
        "not json at all",
        '{"an":"object"}',
        '[9,"m",{}]',
        "[]",
        '[2,"m"]',
    ],
)
async def test_bad_frames_get_an_error_and_the_connection_stays_usable(
    server: LiveServer, frame: str
) -> None:
    async with await raw(server) as ws:
        answer = await exchange(ws, frame)
        assert answer[0] == 4
        assert answer[1] == "-1" or isinstance(answer[1], str)
        assert answer[2] in {"FormationViolation", "ProtocolError"}
        ok = await exchange(ws, '[2,"after","Heartbeat",{}]')
        assert ok[:2] == [3, "after"]


async def test_huge_frame_closes_the_connection_but_not_the_server(server: LiveServer) -> None:
    async with await raw(server) as ws:
        await ws.send('[2,"m1","DataTransfer",{"vendorId":"x","data":"' + "A" * 200_000 + '"}]')
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1009
    async with station(server.ocpp, "CP-RAW", PASSWORD) as cp:
        assert (await cp.boot())["status"] == "Accepted"


async def test_wrong_password_and_unknown_station_are_refused(server: LiveServer) -> None:
    await server.add_station("CP-PW")
    with pytest.raises(InvalidStatus) as wrong:
        async with connect(
            f"{server.ocpp}/CP-PW",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=basic_auth("CP-PW", "not-the-password-at-all"),
        ):
            pass
    assert wrong.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as missing:
        async with connect(f"{server.ocpp}/CP-PW", subprotocols=["ocpp1.6"]):  # type: ignore[list-item]
            pass
    assert missing.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as unknown:
        async with connect(
            f"{server.ocpp}/CP-NOBODY",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=basic_auth("CP-NOBODY", PASSWORD),
        ):
            pass
    assert unknown.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as impostor:
        async with connect(
            f"{server.ocpp}/CP-PW",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=basic_auth("CP-OTHER", PASSWORD),
        ):
            pass
    assert impostor.value.response.status_code == 401
    async with server.components.uow_factory() as uow:
        assert await uow.stations.get("CP-NOBODY") is None


async def test_invalid_station_id_in_the_path_is_refused(server: LiveServer) -> None:
    with pytest.raises(InvalidStatus) as bad:
        async with connect(f"{server.ocpp}/{'x' * 60}", subprotocols=["ocpp1.6"]):  # type: ignore[list-item]
            pass
    assert bad.value.response.status_code == 400


async def test_a_rejected_start_leaves_no_transaction_row(server: LiveServer) -> None:
    """A StartTransaction whose timestamp is not a time gets an error and writes nothing."""
    async with await raw(server) as ws:
        answer = await exchange(
            ws,
            json.dumps(
                [
                    2,
                    "s1",
                    "StartTransaction",
                    {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "yesterday"},
                ]
            ),
        )
        assert answer[0] == 4
        assert answer[2] == "PropertyConstraintViolation"
        answer = await exchange(
            ws,
            json.dumps(
                [
                    2,
                    "s2",
                    "StartTransaction",
                    {"connectorId": 0, "idTag": "T", "meterStart": 0, "timestamp": now_iso()},
                ]
            ),
        )
        assert answer[0] == 4
    async with server.components.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(transactions)) == 0


async def test_every_frame_is_in_the_message_log(server: LiveServer) -> None:
    async with await raw(server) as ws:
        await exchange(ws, '[2,"log-1","Heartbeat",{}]')
        await exchange(ws, "garbage")
    for _ in range(200):  # the message log is written in the background, within milliseconds
        async with server.components.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(message_log.c.message_id, message_log.c.request, message_log.c.response)
                )
            ).all()
        if len(rows) >= 2:
            break
        await asyncio.sleep(0.02)
    by_id = {row.message_id: row for row in rows}
    assert by_id["log-1"].request == '[2,"log-1","Heartbeat",{}]'
    assert by_id["log-1"].response.startswith('[3,"log-1"')
    assert any(row.request == "garbage" for row in rows)
