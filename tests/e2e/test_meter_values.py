"""MeterValues as real stations send them: Wh or kWh registers, measurands, phases, contexts,
signed (OCMF) data kept byte-exact, and a register that goes backwards."""

from __future__ import annotations

from typing import Any

import pytest

from ampyre.domain.id_tags import IdTag
from ampyre.ocpp.rpc import CallErrorReceived
from tests.e2e.conftest import PASSWORD, LiveServer
from tests.e2e.station_client import now_iso, station

OCMF = (
    'OCMF|{"FV":"1.0","GI":"SEAL AG","GS":"1850006a","GV":"1.34","PG":"T9","MV":"Phoenix",'
    '"RD":[{"TM":"2026-11-21T10:11:12,000+0000 S","TX":"B","RV":"2935.6","RI":"1-b:1.8.0",'
    '"RU":"kWh","ST":"G"}]}|{"SA":"ECDSA-secp256r1-SHA256","SD":"3045022100...0221"}'
)


async def send(cp: Any, transaction_id: int, values: list[dict[str, Any]]) -> None:
    await cp.call(
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": transaction_id,
            "meterValue": [{"timestamp": now_iso(), "sampledValue": values}],
        },
    )


async def test_units_phases_contexts_and_signed_data_are_kept(server: LiveServer) -> None:
    await server.add_station("CP-M")
    await server.add_tag(IdTag("TAG"))
    async with station(server.ocpp, "CP-M", PASSWORD) as cp:
        await cp.boot()
        tx = (await cp.start("TAG", meter_start=2_935_600))["transactionId"]
        await send(
            cp,
            tx,
            [
                {
                    "value": "2936.1",
                    "unit": "kWh",
                    "context": "Sample.Clock",
                    "measurand": "Energy.Active.Import.Register",
                },
                {"value": "7.3", "unit": "A", "measurand": "Current.Import", "phase": "L2"},
                {"value": "231.4", "unit": "V", "measurand": "Voltage", "phase": "L2-N"},
                {"value": "81", "unit": "Percent", "measurand": "SoC", "location": "EV"},
                {"value": OCMF, "format": "SignedData", "context": "Sample.Clock"},
            ],
        )
        await cp.stop(tx, 2_936_400)
    detail = (await server.api.get(f"/transactions/{tx}")).json()
    values = [v for sample in detail["meter_values"] for v in sample["sampled_values"]]
    by_measurand = {(v["measurand"], v["format"], v["unit"]): v for v in values}
    register = by_measurand[("Energy.Active.Import.Register", "Raw", "kWh")]
    assert (register["value"], register["context"]) == ("2936.1", "Sample.Clock")
    assert by_measurand[("Current.Import", "Raw", "A")]["phase"] == "L2"
    assert by_measurand[("SoC", "Raw", "Percent")]["location"] == "EV"
    signed = by_measurand[("Energy.Active.Import.Register", "SignedData", None)]
    assert signed["value"] == OCMF
    assert signed["signed_data"] == OCMF
    assert detail["last_meter_wh"] == 2_936_100
    assert detail["energy_wh"] == 800


async def test_register_going_backwards_is_flagged(server: LiveServer) -> None:
    await server.add_station("CP-M")
    await server.add_tag(IdTag("TAG"))
    async with station(server.ocpp, "CP-M", PASSWORD) as cp:
        await cp.boot()
        tx = (await cp.start("TAG", meter_start=1000))["transactionId"]
        await cp.meter(tx, 5000)
        await cp.stop(tx, 4000)
    detail = (await server.api.get(f"/transactions/{tx}")).json()
    assert "register_went_backwards" in detail["flags"]


async def test_energy_register_in_a_power_unit_is_refused(server: LiveServer) -> None:
    await server.add_station("CP-M")
    await server.add_tag(IdTag("TAG"))
    async with station(server.ocpp, "CP-M", PASSWORD) as cp:
        await cp.boot()
        tx = (await cp.start("TAG"))["transactionId"]
        with pytest.raises(CallErrorReceived) as refused:
            await send(
                cp, tx, [{"value": "12", "unit": "W", "measurand": "Energy.Active.Import.Register"}]
            )
        assert refused.value.code == "PropertyConstraintViolation"
    detail = (await server.api.get(f"/transactions/{tx}")).json()
    assert detail["meter_values"] == []
