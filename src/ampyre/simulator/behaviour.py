"""Random driver behaviour: when cars arrive, how long they stay, how sessions end."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from ampyre.simulator.meter import StationKind, Vehicle, random_vehicle

LOCAL_STOP_SHARE = 0.6


@dataclass(frozen=True)
class DriverPlan:
    """One driver's visit.

    `stay_s` is the simulated time between StartTransaction and the end of the session;
    `stop_reason` is how it ends when nobody interrupts it: `Local` (the driver presents the
    card again, StopTransaction carries the idTag) or `EVDisconnected` (the cable is pulled).
    """

    id_tag: str
    vehicle: Vehicle
    stay_s: float
    stop_reason: str


def next_arrival_delay(rng: random.Random, mean_idle_s: float) -> float:
    """Simulated seconds until the next car arrives at a free connector (Poisson arrivals)."""
    return rng.expovariate(1.0 / mean_idle_s)


def plan_visit(
    rng: random.Random,
    id_tag: str,
    kind: StationKind,
    stay_range_s: tuple[float, float] | None = None,
) -> DriverPlan:
    """A visit: DC drivers stay 15-60 min, AC drivers 30 min to 4 h, unless `stay_range_s`."""
    if stay_range_s is None:
        stay_range_s = (15 * 60, 60 * 60) if kind is StationKind.DC else (30 * 60, 4 * 3600)
    stay_s = rng.uniform(*stay_range_s)
    reason = "Local" if rng.random() < LOCAL_STOP_SHARE else "EVDisconnected"
    return DriverPlan(id_tag=id_tag, vehicle=random_vehicle(rng), stay_s=stay_s, stop_reason=reason)


def unplug_delay(rng: random.Random) -> float:
    """Simulated seconds between a stopped transaction and the cable being removed."""
    return rng.uniform(20.0, 120.0)


class CardRack:
    """The drivers' cards of a fleet. A card charges at one place at a time, as a real card
    in a real wallet does, so no station presents a card that is in a session elsewhere
    (Ampyre would rightly answer ConcurrentTx)."""

    def __init__(self, id_tags: Sequence[str]) -> None:
        self._free = list(dict.fromkeys(id_tags))

    def take(self, rng: random.Random) -> str | None:
        """A free card, picked at random; None when every card is in use."""
        if not self._free:
            return None
        return self._free.pop(rng.randrange(len(self._free)))

    def give_back(self, id_tag: str) -> None:
        self._free.append(id_tag)
