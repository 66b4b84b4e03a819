"""One charging session on a connector, as an OCPP 1.6 charge point reports it.

Preparing → [Authorize] → StartTransaction → Charging (MeterValues with Transaction.Begin, then
Sample.Periodic every MeterValueSampleInterval) → [SuspendedEV when the car is full] →
StopTransaction (meterStop, reason, transactionData with Transaction.Begin/End) → Finishing →
Available. Transaction-related messages are delivered reliably (retried after a reconnect);
the others are best effort.
"""

from __future__ import annotations

import logging
import random
from typing import Any, Protocol

from ampyre.simulator import messages
from ampyre.simulator.behaviour import unplug_delay
from ampyre.simulator.clock import SimClock, utc_timestamp
from ampyre.simulator.configuration import ConfigurationStore
from ampyre.simulator.connector import ChargingSession, Connector
from ampyre.simulator.report import SimulationReport

logger = logging.getLogger("ampyre.simulator")

REGISTER = "Energy.Active.Import.Register"
# Stop reasons after which the cable is still plugged in (status Finishing until the driver
# removes it); after the others the connector is free at once (cable pulled, unlocked, reboot).
DRIVER_UNPLUGS_AFTER = frozenset({"Local", "Remote", "DeAuthorized"})


class StationContext(Protocol):
    """What a session needs from its station."""

    station_id: str
    clock: SimClock
    config: ConfigurationStore
    report: SimulationReport
    rng: random.Random

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None: ...

    async def call_reliably(
        self, action: str, payload: dict[str, Any]
    ) -> dict[str, Any] | None: ...

    def set_status(self, connector: Connector, status: str) -> None: ...


async def run_session(
    station: StationContext, connector: Connector, session: ChargingSession
) -> None:
    """Drive `session` on `connector` to its end; always frees the connector afterwards."""
    try:
        station.set_status(connector, "Preparing")
        if await _authorized(station, session):
            await _transaction(station, connector, session)
        else:
            station.report.sessions_refused += 1
    finally:
        connector.session = None
        if connector.unavailable_scheduled:
            connector.operative = False
            connector.unavailable_scheduled = False
        station.set_status(connector, connector.idle_status())


async def _authorized(station: StationContext, session: ChargingSession) -> bool:
    if session.remote and not station.config.boolean("AuthorizeRemoteTxRequests"):
        return True
    answer = await station.call("Authorize", {"idTag": session.id_tag})
    return answer is not None and answer["idTagInfo"]["status"] == "Accepted"


async def _transaction(
    station: StationContext, connector: Connector, session: ChargingSession
) -> None:
    first = session.meter.reading()
    begin = messages.sampled_values(first, [REGISTER], "Transaction.Begin")
    begin_time = utc_timestamp()
    meter_start = first.energy_wh
    answer = await station.call_reliably(
        "StartTransaction",
        messages.start_transaction(connector.connector_id, session.id_tag, meter_start),
    )
    if answer is None:
        station.report.sessions_refused += 1
        return
    session.transaction_id = int(answer["transactionId"])
    station.report.sessions_started += 1
    accepted = answer["idTagInfo"]["status"] == "Accepted"
    if not accepted and station.config.boolean("StopTransactionOnInvalidId"):
        session.request_stop("DeAuthorized")
    else:
        station.set_status(connector, "Charging")
        await station.call_reliably(
            "MeterValues",
            messages.meter_values(
                connector.connector_id, session.transaction_id, begin, begin_time
            ),
        )
        await _charge(station, connector, session)
    await _stop(
        station, connector, session, session.transaction_id, (begin, begin_time, meter_start)
    )


async def _charge(station: StationContext, connector: Connector, session: ChargingSession) -> None:
    clock = station.clock
    started = last_step = last_sample = clock.elapsed()
    while session.stop_reason is None:
        interval = station.config.integer("MeterValueSampleInterval")
        remaining = started + session.plan.stay_s - clock.elapsed()
        wait = min(remaining, last_sample + interval - clock.elapsed()) if interval else remaining
        await clock.wait_for(session.wake, wait)
        session.wake.clear()
        now = clock.elapsed()
        session.meter.advance(now - last_step)
        last_step = now
        if session.stop_reason is not None:
            break
        if now - started >= session.plan.stay_s:
            session.request_stop(session.plan.stop_reason)
            break
        if interval and now - last_sample >= interval:
            last_sample = now
            await send_meter_values(station, connector, session, "Sample.Periodic")
        if session.meter.vehicle_full and connector.status == "Charging":
            station.set_status(connector, "SuspendedEV")
    session.meter.advance(clock.elapsed() - last_step)


async def send_meter_values(
    station: StationContext, connector: Connector, session: ChargingSession, context: str
) -> None:
    """MeterValues with the configured MeterValuesSampledData of the running transaction."""
    samples = messages.sampled_values(
        session.meter.reading(), station.config.measurands("MeterValuesSampledData"), context
    )
    payload = messages.meter_values(connector.connector_id, session.transaction_id, samples)
    if context == "Trigger":
        await station.call("MeterValues", payload)
    else:
        await station.call_reliably("MeterValues", payload)


async def _stop(
    station: StationContext,
    connector: Connector,
    session: ChargingSession,
    transaction_id: int,
    start: tuple[list[dict[str, Any]], str, int],
) -> None:
    begin, begin_time, meter_start = start
    reason = session.stop_reason or "Other"
    reading = session.meter.reading()
    end = messages.sampled_values(
        reading, station.config.measurands("StopTxnSampledData") or [REGISTER], "Transaction.End"
    )
    end_time = utc_timestamp()
    transaction_data = [
        {"timestamp": begin_time, "sampledValue": begin},
        {"timestamp": end_time, "sampledValue": end},
    ]
    id_tag = session.id_tag if reason in {"Local", "Remote", "DeAuthorized"} else None
    await station.call_reliably(
        "StopTransaction",
        messages.stop_transaction(
            transaction_id, reading.energy_wh, reason, id_tag, transaction_data
        ),
    )
    station.report.sessions_completed += 1
    station.report.energy_delivered_wh += reading.energy_wh - meter_start
    logger.debug(
        "%s connector %d: transaction %d stopped (%s, %d Wh)",
        station.station_id,
        connector.connector_id,
        transaction_id,
        reason,
        reading.energy_wh - meter_start,
    )
    if reason in DRIVER_UNPLUGS_AFTER:
        station.set_status(connector, "Finishing")
        session.wake.clear()
        # A Reset or the end of the simulation cuts the wait for the driver short.
        await station.clock.wait_for(session.wake, unplug_delay(station.rng))
