"""Options of a simulation run (what `ampyre simulate` and `ampyre demo` pass in)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StationCredentials:
    """Identity of one simulated charge point.

    `password` is the HTTP Basic auth password (OCPP security profile 1); None connects without an
    Authorization header (profile 0).
    """

    station_id: str
    password: str | None = None


@dataclass(frozen=True)
class SimulationOptions:
    """Everything a simulation run needs.

    Durations named `*_time`, `meter_interval` and `heartbeat_interval` are *simulated* seconds:
    every wait of the simulator is divided by `speed`. `duration`, `connect_rate` and
    `call_timeout` are real (wall clock) values.

    Station ids are `f"{id_prefix}-{n:05d}"` for n = 1..stations, all with `password`, unless
    `credentials` lists them explicitly (then `stations`, `id_prefix` and `password` are unused).

    `mean_idle_time` is the mean simulated time a free connector waits for the next car;
    `session_duration` the (min, max) simulated seconds a visit lasts (None: realistic, AC
    30 min to 4 h, DC 15 to 60 min). Without `id_tags` the stations start no RFID sessions of
    their own; they still obey remote starts from the CSMS. `dc_share` is the fraction of
    stations that are 50 kW DC chargers (model "SimCharger DC50", SoC reported); the others are
    22 kW AC ("SimCharger 22").
    """

    url: str
    stations: int = 1
    id_prefix: str = "SIM"
    password: str | None = None
    id_tags: tuple[str, ...] = ()
    connectors_per_station: int = 2
    speed: float = 1.0
    duration: float | None = None
    seed: int | None = None
    meter_interval: float = 10.0
    heartbeat_interval: float = 300.0
    credentials: tuple[StationCredentials, ...] = ()
    mean_idle_time: float = 1800.0
    session_duration: tuple[float, float] | None = None
    dc_share: float = 0.2
    connect_rate: float = 100.0
    call_timeout: float = 30.0
    max_backoff: float = 60.0
    finish_sessions_on_stop: bool = True

    def __post_init__(self) -> None:
        if not self.url.startswith(("ws://", "wss://")):
            raise ValueError(f"url must start with ws:// or wss://, got {self.url!r}")
        if self.stations < 0:
            raise ValueError("stations must be >= 0")
        if not 1 <= self.connectors_per_station <= 16:
            raise ValueError("connectors_per_station must be between 1 and 16")
        positive = {
            "speed": self.speed,
            "meter_interval": self.meter_interval,
            "heartbeat_interval": self.heartbeat_interval,
            "mean_idle_time": self.mean_idle_time,
            "connect_rate": self.connect_rate,
            "call_timeout": self.call_timeout,
            "max_backoff": self.max_backoff,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"{name} must be > 0, got {value}")
        if self.duration is not None and self.duration < 0:
            raise ValueError("duration must be >= 0 or None")
        if self.session_duration is not None and not (
            0 < self.session_duration[0] <= self.session_duration[1]
        ):
            raise ValueError("session_duration must be (min, max) with 0 < min <= max")
        if not 0.0 <= self.dc_share <= 1.0:
            raise ValueError("dc_share must be between 0 and 1")
        for tag in self.id_tags:
            if not 0 < len(tag) <= 20:
                raise ValueError(f"id tag {tag!r} must have 1 to 20 characters (OCPP 1.6 idToken)")

    def station_credentials(self) -> tuple[StationCredentials, ...]:
        """The stations to simulate, in order."""
        if self.credentials:
            return self.credentials
        return tuple(
            StationCredentials(f"{self.id_prefix}-{n:05d}", self.password)
            for n in range(1, self.stations + 1)
        )
