"""Running a fleet of simulated stations: `run_simulation`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from ampyre.simulator.behaviour import CardRack
from ampyre.simulator.clock import SimClock
from ampyre.simulator.config import SimulationOptions
from ampyre.simulator.connection import run_station
from ampyre.simulator.report import SimulationReport
from ampyre.simulator.station import SimulatedStation

logger = logging.getLogger("ampyre.simulator")


def station_rng(seed: int | None, station_id: str) -> random.Random:
    """Each station's own random stream: same seed and id → same behaviour, whatever the
    number of stations or the order they run in. Not used for anything secret."""
    if seed is None:
        return random.Random()  # noqa: S311 - simulation randomness, not cryptography
    return random.Random(f"{seed}:{station_id}")  # noqa: S311 - simulation randomness


def build_stations(
    options: SimulationOptions, *, clock: SimClock, report: SimulationReport
) -> list[SimulatedStation]:
    """The simulated stations of `options`, not yet connected, sharing one rack of cards."""
    cards = CardRack(options.id_tags)
    return [
        SimulatedStation(
            credentials,
            options,
            clock=clock,
            rng=station_rng(options.seed, credentials.station_id),
            report=report,
            cards=cards,
        )
        for credentials in options.station_credentials()
    ]


async def run_simulation(
    options: SimulationOptions, *, stop: asyncio.Event | None = None
) -> SimulationReport:
    """Run the stations of `options` until `duration` (real seconds) passes or `stop` is set.

    Stations connect at `connect_rate` per second. When the run ends, running transactions
    are stopped (reason Other) if `finish_sessions_on_stop`, then the sockets close. Cancelling
    the call closes everything without that courtesy.
    """
    stop = stop if stop is not None else asyncio.Event()
    clock = SimClock(options.speed)
    report = SimulationReport()
    stations = build_stations(options, clock=clock, report=report)
    report.stations = len(stations)
    logger.info("simulating %d stations against %s", len(stations), options.url)
    timer = asyncio.create_task(_stop_after(options.duration, stop))
    tasks: list[asyncio.Task[None]] = []
    try:
        for station in stations:
            if stop.is_set():
                break
            tasks.append(asyncio.create_task(run_station(station, stop)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0 / options.connect_rate)
        await stop.wait()
        await asyncio.gather(*tasks)
    finally:
        timer.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, timer, return_exceptions=True)
    return report


async def _stop_after(duration: float | None, stop: asyncio.Event) -> None:
    if duration is not None:
        await asyncio.sleep(duration)
        stop.set()
