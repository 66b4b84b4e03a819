"""Every payment provider adapter passes the same port contract (issue 5, done-when 5).

The built-in sandbox (over real HTTP) and Stripe (against recorded API responses) run the
same checks. A provider takes part through a ``<name>_contract`` fixture that returns a
:class:`payment_port_contract.Subject` (the provider and its :class:`Scenario`); add its name
to :data:`PROVIDERS` and make the fixture visible here (import it, as these are).
"""

from __future__ import annotations

import pytest
from payment_port_contract import CONTRACT, ContractCheck, Subject
from sandbox_scenario import sandbox_contract_fixture  # noqa: F401 - pytest finds the fixture
from sandbox_testkit import sandbox_receiver_fixture  # noqa: F401 - pytest finds the fixture
from stripe_testkit import (  # noqa: F401 - pytest finds the fixtures through these imports
    stripe_contract_fixture,
    stripe_provider_fixture,
    stripe_replay_fixture,
)

PROVIDERS = ["sandbox", "stripe"]


@pytest.fixture(params=PROVIDERS)
def subject(request: pytest.FixtureRequest) -> Subject:
    contract: Subject = request.getfixturevalue(f"{request.param}_contract")
    return contract


@pytest.mark.parametrize("check", CONTRACT, ids=lambda check: check.__name__)
async def test_payment_port_contract(subject: Subject, check: ContractCheck) -> None:
    await check(subject.provider, subject.scenario)
