"""The fleet's card rack: a card is at one station at a time, and comes back."""

from __future__ import annotations

import random

from ampyre.simulator.behaviour import CardRack


def test_a_card_is_never_handed_out_twice_until_given_back() -> None:
    rng = random.Random(7)
    rack = CardRack(["A", "B", "C", "A"])
    taken = [rack.take(rng) for _ in range(3)]
    assert sorted(t for t in taken if t is not None) == ["A", "B", "C"]
    assert rack.take(rng) is None
    rack.give_back("B")
    assert rack.take(rng) == "B"
    assert rack.take(rng) is None


def test_an_empty_rack_hands_out_nothing() -> None:
    assert CardRack([]).take(random.Random(1)) is None
