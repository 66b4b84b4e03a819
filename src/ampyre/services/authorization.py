"""The authorisation pipeline every charging request goes through, and its log.

OCPP Authorize, the idTag of StartTransaction / StopTransaction and remote starts from the
portal or the API all call :meth:`AuthorizationService.authorise` inside their own unit of
work; it gathers the token, its contract, the customer and the tariff that would price the
session, lets :func:`ampyre.domain.authorization.authorise_holder` decide (the steps are
listed there), and adds the attempt to the authorisation log, written with the caller's
commit. Uids that are not tokens of contracts are looked up among the operator's own tags
(:mod:`ampyre.domain.id_tags`).

When access is withdrawn (a token, customer or contract blocked), :class:`StationCacheRevoker`
clears the authorisation cache of the stations that accepted the token, so a cached Accepted
cannot outlive the change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ampyre.domain.authorization import (
    AuthorizationAttempt,
    AuthorizationTrigger,
    TokenHolder,
    authorise_holder,
    clip_reason,
)
from ampyre.domain.id_tags import Authorization, AuthorizationStatus, decide_authorization
from ampyre.domain.rating.assignment import resolve_assignment
from ampyre.domain.tokens import Token, TokenKind
from ampyre.services.errors import CommandFailed, CommandTimeout, StationNotConnected
from ampyre.services.ports import Clock, StationCommands, UnitOfWork, UnitOfWorkFactory
from ampyre.services.tariffs import pricing_context

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuthorizationDecision:
    """The answer and what the session inherits from it: for a token of a contract, the
    contract (compact eMAID), its plan and customer; None for an operator tag."""

    authorization: Authorization
    token_kind: TokenKind | None = None
    contract_id: str | None = None
    plan_id: str | None = None
    customer_id: str | None = None
    tariff_id: str | None = None

    @property
    def accepted(self) -> bool:
        return self.authorization.accepted


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """Who asks for what, at which station (None: not at a station) and connector."""

    uid: str
    trigger: AuthorizationTrigger
    station_id: str | None
    connector_id: int | None = None
    at: datetime | None = None
    """When the request was made (default: now); a late offline start is judged as of its
    own time."""


@dataclass(frozen=True, slots=True)
class AuthorizationService:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    operator_id: str | None = None

    async def authorise(
        self,
        uow: UnitOfWork,
        request: AuthorizationRequest,
        *,
        in_session: bool = False,
        transaction_id: int | None = None,
    ) -> AuthorizationDecision:
        """:meth:`decide` ``request`` and :meth:`record` it in ``uow`` (committed by the
        caller)."""
        decision = await self.decide(uow, request, in_session=in_session)
        await self.record(uow, request, decision, transaction_id=transaction_id)
        return decision

    async def decide(
        self, uow: UnitOfWork, request: AuthorizationRequest, *, in_session: bool = False
    ) -> AuthorizationDecision:
        """The answer to ``request``; ``in_session``: the uid is already in another running
        session (ConcurrentTx for a request that starts one). Reads only."""
        now = request.at or self.clock.now()
        token = await uow.tokens.get(request.uid)
        if token is not None:
            return await self._decide_token(uow, token, request, now, in_session)
        tag = await uow.id_tags.get(request.uid)
        if tag is None:
            return AuthorizationDecision(
                Authorization(AuthorizationStatus.INVALID, "unknown token")
            )
        answer = decide_authorization(
            tag,
            now=now,
            has_other_active_transaction=in_session and request.trigger.starts_session,
        )
        return AuthorizationDecision(
            Authorization(
                answer.status,
                f"operator tag: {answer.reason}",
                answer.expires_at,
                answer.parent_id_tag,
            )
        )

    async def record(
        self,
        uow: UnitOfWork,
        request: AuthorizationRequest,
        decision: AuthorizationDecision,
        *,
        transaction_id: int | None = None,
    ) -> None:
        """Add the attempt to the authorisation log (``transaction_id``: the session it
        started or stopped)."""
        await uow.authorizations.add(
            AuthorizationAttempt(
                at=request.at or self.clock.now(),
                trigger=request.trigger,
                uid=request.uid,
                status=decision.authorization.status,
                reason=clip_reason(decision.authorization.reason),
                station_id=request.station_id,
                connector_id=request.connector_id,
                token_kind=decision.token_kind,
                contract_id=decision.contract_id,
                customer_id=decision.customer_id,
                tariff_id=decision.tariff_id,
                transaction_id=transaction_id,
            )
        )

    async def _decide_token(
        self,
        uow: UnitOfWork,
        token: Token,
        request: AuthorizationRequest,
        now: datetime,
        in_session: bool,
    ) -> AuthorizationDecision:
        contract_id = token.contract_id.compact
        contract = await uow.contracts.get(contract_id)
        customer = await uow.customers.get(contract.customer_id) if contract else None
        tariff_id = None
        if contract is not None and request.trigger.starts_session:
            tariff_id = await self._tariff_for(uow, request.station_id, contract.plan_id)
        answer = authorise_holder(
            TokenHolder(token, contract, customer),
            now=now,
            tariff_id=tariff_id,
            trigger=request.trigger,
            in_session=in_session,
        )
        return AuthorizationDecision(
            answer,
            token_kind=token.kind,
            contract_id=contract_id,
            plan_id=contract.plan_id if contract else None,
            customer_id=contract.customer_id if contract else None,
            tariff_id=tariff_id,
        )

    async def _tariff_for(
        self, uow: UnitOfWork, station_id: str | None, plan_id: str
    ) -> str | None:
        """The tariff that would price a session at the station under ``plan_id``."""
        if station_id is None:
            return None
        facts = (await uow.usage.station_facts([station_id])).get(station_id)
        assignment = resolve_assignment(
            await uow.tariffs.assignments(),
            pricing_context(station_id, facts, operator_id=self.operator_id, plan_id=plan_id),
        )
        return None if assignment is None else assignment.tariff_id


@dataclass(frozen=True, slots=True)
class StationCacheRevoker:
    """``AccessRevoker``: sends ClearCache to every connected station that ever accepted one
    of the uids (OCPP 1.6 has no way to drop one entry from a station's cache).

    Local authorisation lists are not pushed by Ampyre, so there is nothing to update there;
    an offline station's cache is cleared when the operator asks again or the entry
    expires, and every online authorisation is answered by the current state.
    """

    uow_factory: UnitOfWorkFactory
    stations: StationCommands
    timeout_s: float

    async def revoke(self, uids: Sequence[str]) -> None:
        if not uids:
            return
        async with self.uow_factory() as uow:
            accepted_at = await uow.authorizations.stations_that_accepted(uids)
        targets = sorted(s for s in accepted_at if self.stations.is_connected(s))
        await asyncio.gather(*(self._clear(station_id) for station_id in targets))

    async def _clear(self, station_id: str) -> None:
        try:
            result = await self.stations.clear_cache(station_id, timeout=self.timeout_s)
        except (StationNotConnected, CommandTimeout, CommandFailed) as exc:
            log.warning("could not clear the authorisation cache of %s: %s", station_id, exc)
            return
        log.info("authorisation cache of %s cleared: %s", station_id, result.status)
