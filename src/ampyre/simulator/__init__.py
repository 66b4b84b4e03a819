"""Simulated OCPP 1.6J charge points for `ampyre simulate`, `ampyre demo`, tests and benchmarks.

Each station connects with HTTP Basic auth, boots, reports its connectors, heartbeats, runs
random RFID charging sessions with realistic meter values and obeys the CSMS's commands.
"""

from ampyre.simulator.config import SimulationOptions, StationCredentials
from ampyre.simulator.fleet import build_stations, run_simulation
from ampyre.simulator.report import SimulationReport
from ampyre.simulator.station import SimulatedStation

__all__ = [
    "SimulatedStation",
    "SimulationOptions",
    "SimulationReport",
    "StationCredentials",
    "build_stations",
    "run_simulation",
]
