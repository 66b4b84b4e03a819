"""Contracts: subscribe a customer to a plan, change its state, read its history.

A new contract gets a fresh eMAID of this operator (country and provider id from the
configuration, a random 9-character instance); the state machine and its history are
:class:`ampyre.domain.contracts.Contract`'s. Contract ids are accepted as people write them:
hyphenated or compact, any case, with or without the check digit (a wrong check digit is
refused, it usually means a mistyped character).

Suspending or ending a contract withdraws its tokens' access: once the change is committed,
stations that may hold one of them in their authorisation cache are told to forget it
(``revoker``, best effort).
"""

from __future__ import annotations

import builtins
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from ampyre.domain.contracts import Contract, ContractState
from ampyre.domain.emaid import ALPHABET, Emaid
from ampyre.domain.errors import Conflict, NotFound
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.ports import AccessRevoker, Clock, UnitOfWork, UnitOfWorkFactory
from ampyre.services.records import ContractFilter, Page
from ampyre.services.revocation import revoke_best_effort

log = logging.getLogger(__name__)

INSTANCE_LENGTH = 9
ID_ATTEMPTS = 5
"""New ids tried before giving up (36^9 instances: a clash is already very unlikely)."""


@dataclass(frozen=True, slots=True)
class ContractService:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    emaid_country: str
    """ISO 3166-1 alpha-2 country of the eMAIDs this operator issues (the operator's)."""
    emaid_provider: str
    """The 3-character provider id of the eMAIDs this operator issues."""
    revoker: AccessRevoker | None = None

    async def do_subscribe(
        self,
        actor: Actor,
        customer_id: str,
        plan_id: str,
        *,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        activate: bool = True,
    ) -> Contract:
        """Sign ``customer_id`` up to ``plan_id`` from ``starts_at`` (default: now) until
        ``ends_at`` (default: open-ended).

        The customer must be neither blocked nor anonymised (``Conflict``, codes
        ``customer_blocked`` / ``customer_anonymised``) and the plan must be offered now to
        the customer's type (``plan_not_offered`` / ``plan_not_eligible``). With ``activate``
        the contract is put in force at once (its first event, by ``actor``); otherwise it
        stays pending until :meth:`do_activate`.
        """
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        now = self.clock.now()
        async with self.uow_factory() as uow:
            customer = await uow.customers.get(customer_id)
            if customer is None:
                raise NotFound(f"customer {customer_id} does not exist")
            if customer.anonymised_at is not None:
                raise Conflict(
                    f"customer {customer_id} was anonymised and cannot sign contracts",
                    code="customer_anonymised",
                )
            if customer.blocked:
                raise Conflict(
                    f"customer {customer_id} is blocked ({customer.blocked_reason}): "
                    "unblock the account before signing a contract",
                    code="customer_blocked",
                )
            plan = await uow.plans.get(plan_id)
            if plan is None:
                raise NotFound(f"plan {plan_id} does not exist")
            plan.check_subscription(customer.type, now)
            contract = await self._add_new(uow, customer_id, plan_id, starts_at or now, ends_at)
            if activate:
                contract = contract.activate(at=now, actor=actor.name)
                await uow.contracts.update(contract)
            await uow.commit()
        return contract

    async def get(self, actor: Actor, contract_id: str) -> Contract:
        """By eMAID, hyphenated or compact; ``ValidationFailed`` if it is not one."""
        check_permission(actor, Permission.CUSTOMERS_READ)
        emaid = Emaid.parse(contract_id)
        async with self.uow_factory() as uow:
            return await _get(uow, emaid)

    async def list(self, actor: Actor, flt: ContractFilter, page: Page) -> builtins.list[Contract]:
        """Oldest first."""
        check_permission(actor, Permission.CUSTOMERS_READ)
        async with self.uow_factory() as uow:
            return await uow.contracts.list(flt, page)

    async def do_activate(self, actor: Actor, contract_id: str, reason: str = "") -> Contract:
        """Put a pending contract in force, or a suspended one back in force."""
        return await self._change(actor, contract_id, ContractState.ACTIVE, reason)

    async def do_suspend(self, actor: Actor, contract_id: str, reason: str) -> Contract:
        """Take an active contract out of force for now; its tokens stop working."""
        return await self._change(actor, contract_id, ContractState.SUSPENDED, reason)

    async def do_end(self, actor: Actor, contract_id: str, reason: str) -> Contract:
        """End the contract for good (now, or at its end date if that is earlier)."""
        return await self._change(actor, contract_id, ContractState.ENDED, reason)

    async def _change(
        self, actor: Actor, contract_id: str, to: ContractState, reason: str
    ) -> Contract:
        """Apply one transition (``Conflict`` with code ``invalid_transition`` or
        ``contract_over`` if not allowed), then revoke the tokens if access was withdrawn."""
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        emaid = Emaid.parse(contract_id)
        async with self.uow_factory() as uow:
            current = await _get(uow, emaid, for_update=True)
            changed = current.transition(to, at=self.clock.now(), actor=actor.name, reason=reason)
            await uow.contracts.update(changed)
            revoker = None if to is ContractState.ACTIVE else self.revoker
            uids: builtins.list[str] = []
            if revoker is not None:
                uids = [t.uid for t in await uow.tokens.of_contracts([emaid.compact])]
            await uow.commit()
        await revoke_best_effort(revoker, uids)
        return changed

    async def _add_new(
        self,
        uow: UnitOfWork,
        customer_id: str,
        plan_id: str,
        starts_at: datetime,
        ends_at: datetime | None,
    ) -> Contract:
        """Store a pending contract under a fresh eMAID, trying another one on a clash."""
        attempt = 0
        while True:
            attempt += 1
            instance = "".join(secrets.choice(ALPHABET) for _ in range(INSTANCE_LENGTH))
            contract = Contract(
                id=Emaid.new(self.emaid_country, self.emaid_provider, instance),
                customer_id=customer_id,
                plan_id=plan_id,
                starts_at=starts_at,
                ends_at=ends_at,
            )
            try:
                await uow.contracts.add(contract)
            except Conflict:
                if attempt >= ID_ATTEMPTS:
                    raise
                log.warning("contract id %s is taken; trying another", contract.id)
            else:
                return contract


async def _get(uow: UnitOfWork, emaid: Emaid, *, for_update: bool = False) -> Contract:
    found = await uow.contracts.get(emaid.compact, for_update=for_update)
    if found is None:
        raise NotFound(f"contract {emaid} does not exist")
    return found
