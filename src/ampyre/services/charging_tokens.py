"""Charging tokens of contracts: RFID cards, app tokens, vehicle ids; CSV import of cards.

A token is what a station presents as the idTag (:mod:`ampyre.domain.tokens`). A uid names
at most one thing: a token of a contract or an operator's own id tag, so issuing checks both.
A new token goes to a contract that has not ended (a pending or suspended one is fine: cards
are often sent before the contract is in force, and a suspended contract refuses charging
by itself).

Blocking a token or reporting it lost takes effect at the next authorisation; once the change
is committed, the :class:`~ampyre.services.ports.AccessRevoker` (when there is one) makes the
stations that accepted the token forget their cached answer.
"""

from __future__ import annotations

import builtins
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from ampyre.domain.contracts import Contract
from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.tokens import Token, TokenKind, autocharge_uid
from ampyre.formats.token_csv import parse_token_csv
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.ports import AccessRevoker, Clock, UnitOfWork, UnitOfWorkFactory
from ampyre.services.records import Page, TokenFilter
from ampyre.services.revocation import revoke_best_effort
from ampyre.services.token_import import TokenImportReport, check_import

log = logging.getLogger(__name__)

APP_UID_PREFIX = "APP"
"""Generated app token uids: "APP" + 16 hex digits (19 characters, a valid OCPP idTag)."""
_APP_UID_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ChargingTokenService:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    revoker: AccessRevoker | None = None

    async def do_issue(
        self,
        actor: Actor,
        kind: TokenKind,
        contract_id: str,
        *,
        uid: str | None = None,
        printed_number: str | None = None,
        expires_at: datetime | None = None,
        card_fee: bool | None = None,
    ) -> Token:
        """Issue a token to the contract ``contract_id`` (eMAID, compact or hyphenated).

        ``uid`` is the card's chip id (RFID, required), the vehicle's MAC address or
        "VID:" + MAC (vehicle, required, stored as "VID:" + 12 hex digits), or for an app
        token left out to have one generated. ``card_fee`` None: an RFID card is billed the
        card fee when the contract's plan has one. ``Conflict`` when the uid is taken.
        """
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        now = self.clock.now()
        async with self.uow_factory() as uow:
            contract = await open_contract(uow, Emaid.parse(contract_id), now)
            token_uid = await self._new_uid(uow, kind, uid)
            if card_fee is None:
                card_fee = kind is TokenKind.RFID and await plan_bills_card_fee(uow, contract)
            token = Token(
                uid=token_uid,
                kind=kind,
                contract_id=contract.id,
                issued_at=now,
                expires_at=expires_at,
                printed_number=printed_number,
                card_fee=card_fee,
            )
            await uow.tokens.add_many([token])
            await uow.commit()
        return token

    async def get(self, actor: Actor, uid: str) -> Token:
        check_permission(actor, Permission.CUSTOMERS_READ)
        async with self.uow_factory() as uow:
            return await _get(uow, uid)

    async def list(self, actor: Actor, flt: TokenFilter, page: Page) -> builtins.list[Token]:
        """Oldest first; ``flt.contract_id`` may be hyphenated or lack its check digit."""
        check_permission(actor, Permission.CUSTOMERS_READ)
        if flt.contract_id is not None:
            flt = replace(flt, contract_id=Emaid.parse(flt.contract_id).compact)
        async with self.uow_factory() as uow:
            return await uow.tokens.list(flt, page)

    async def do_block(self, actor: Actor, uid: str, reason: str | None = None) -> Token:
        """Block an active token (it may be unblocked); stations forget it."""
        return await self._change(actor, uid, Token.block, "blocked", reason, revoke=True)

    async def do_unblock(self, actor: Actor, uid: str, reason: str | None = None) -> Token:
        return await self._change(actor, uid, Token.unblock, "unblocked", reason, revoke=False)

    async def do_report_lost(self, actor: Actor, uid: str, reason: str | None = None) -> Token:
        """Disable a token for good (lost or stolen); stations forget it."""
        return await self._change(
            actor, uid, Token.report_lost, "reported lost", reason, revoke=True
        )

    async def do_import(
        self, actor: Actor, data: bytes, *, dry_run: bool = False
    ) -> TokenImportReport:
        """Issue the tokens of a CSV file (:mod:`ampyre.formats.token_csv`), all or none.

        Every row is checked; if any is bad, the report lists the problems and nothing is
        written. ``dry_run`` checks only. A file that cannot be read at all, or has no data
        rows, raises ``ValidationFailed``.
        """
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        parsed = parse_token_csv(data)
        if not parsed.rows:
            raise ValidationFailed("the CSV has no rows below its header line")
        now = self.clock.now()
        rows = len(parsed.rows)
        async with self.uow_factory() as uow:
            checked = await check_import(uow, parsed, now)
            if checked.errors or dry_run:
                return checked.report(rows, imported=0, dry_run=dry_run)
            await uow.tokens.add_many(checked.tokens)
            await uow.commit()
        log.info("%s imported %d tokens", actor.name, len(checked.tokens))
        return checked.report(rows, imported=len(checked.tokens), dry_run=False)

    async def _change(
        self,
        actor: Actor,
        uid: str,
        change: Callable[[Token], Token],
        what: str,
        reason: str | None,
        *,
        revoke: bool,
    ) -> Token:
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        async with self.uow_factory() as uow:
            changed = change(await _get(uow, uid))
            await uow.tokens.update(changed)
            await uow.commit()
        log.info("token %s %s by %s%s", uid, what, actor.name, f": {reason}" if reason else "")
        if revoke:
            await revoke_best_effort(self.revoker, [uid])
        return changed

    async def _new_uid(self, uow: UnitOfWork, kind: TokenKind, uid: str | None) -> str:
        if kind is TokenKind.APP and uid is None:
            for _ in range(_APP_UID_ATTEMPTS):
                generated = APP_UID_PREFIX + secrets.token_hex(8).upper()
                if not await uow.tokens.existing_uids([generated]):
                    return generated
            raise Conflict("no free app token uid was found; try again", code="uid_taken")
        if uid is None:
            raise ValidationFailed(
                "a vehicle token needs the vehicle's MAC address as its uid"
                if kind is TokenKind.VEHICLE
                else "an RFID card needs its uid (the chip id stations report)"
            )
        new_uid = autocharge_uid(uid) if kind is TokenKind.VEHICLE else uid
        await require_free_uid(uow, new_uid)
        return new_uid


async def _get(uow: UnitOfWork, uid: str) -> Token:
    found = await uow.tokens.get(uid)
    if found is None:
        raise NotFound(f"token {uid} does not exist")
    return found


async def open_contract(uow: UnitOfWork, contract_id: Emaid, now: datetime) -> Contract:
    """The contract, which must exist (``NotFound``) and not have ended (``Conflict``)."""
    contract = await uow.contracts.get(contract_id.compact)
    if contract is None:
        raise NotFound(f"contract {contract_id} does not exist")
    if contract.has_ended(now):
        raise Conflict(
            f"contract {contract_id} has ended; it takes no new tokens", code="contract_ended"
        )
    return contract


async def require_free_uid(uow: UnitOfWork, uid: str) -> None:
    """``Conflict`` (code ``uid_taken``) when ``uid`` is a token or an operator id tag."""
    if not await uow.tokens.existing_uids([uid]):
        return
    token = await uow.tokens.get(uid)
    owner = "an operator id tag" if token is None else f"a token of contract {token.contract_id}"
    raise Conflict(f"uid {uid} is already in use: it is {owner}", code="uid_taken")


async def plan_bills_card_fee(uow: UnitOfWork, contract: Contract) -> bool:
    """Whether the contract's plan has a card fee (above zero) for a new RFID card."""
    plan = await uow.plans.get(contract.plan_id)
    return plan is not None and plan.card_fee > Decimal(0)
