"""Tokens that start charging under a contract, and the bonus points ledger (DOMAIN.md §5).

A token is what a station presents as the OCPP idTag: an RFID card's uid, an app token (a
session started from the portal or app, no physical card) or a vehicle identifier for
"autocharge" (the car starts charging when plugged in). Every token belongs to one contract.

The token's own answer to an authorisation (:meth:`Token.authorise`) is one step of the
authorisation pipeline; the contract, the customer and payment readiness are checked by the
others. Bonus points are kept per contract in an append-only :class:`BonusLedger`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict, ValidationFailed
from ampyre.domain.id_tags import Authorization, AuthorizationStatus, validate_id_tag
from ampyre.domain.plans import Plan, require_aware

PRINTED_NUMBER_MAX = 64
"""OCPI 2.2.1 Token.visual_number is a string(64)."""
REFERENCE_MAX = 200

AUTOCHARGE_PREFIX = "VID:"
"""The AutoCharge convention (ABB / Fastned, used by many DC stations): the idTag is "VID:"
followed by the vehicle's MAC address (EVCCID) as 12 hex digits, e.g. "VID:92D50A693F80"."""

_MAC = re.compile(r"[0-9A-F]{2}([:-]?)[0-9A-F]{2}(?:\1[0-9A-F]{2}){4}")


class TokenKind(StrEnum):
    RFID = "rfid"
    """A card; ``uid`` is its chip id as the station reports it."""
    APP = "app"
    """A token for sessions started from the portal, the app or the API (no card)."""
    VEHICLE = "vehicle"
    """A vehicle identifier for autocharge, e.g. "VID:" + MAC (:func:`autocharge_uid`)."""


class TokenStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    """Disabled by the operator or because the customer is blocked; may be unblocked."""
    EXPIRED = "expired"
    """No longer valid (set explicitly; a passed ``expires_at`` has the same effect)."""
    LOST = "lost"
    """Reported lost or stolen: disabled for good, a new card replaces it."""


@dataclass(frozen=True, slots=True)
class Token:
    """A token of a contract.

    ``uid`` is the OCPP 1.6 idTag (CiString20: 1-20 printable ASCII characters).
    ``printed_number`` is the number printed on a card (OCPI visual_number), RFID only.
    ``card_fee`` records that the plan's card fee is to be billed for this card.
    """

    uid: str
    kind: TokenKind
    contract_id: Emaid
    issued_at: datetime
    status: TokenStatus = TokenStatus.ACTIVE
    expires_at: datetime | None = None
    printed_number: str | None = None
    card_fee: bool = False

    def __post_init__(self) -> None:
        validate_id_tag(self.uid)
        require_aware(self.issued_at, "a token's issue time")
        if self.expires_at is not None:
            require_aware(self.expires_at, "a token's expiry")
            if self.expires_at <= self.issued_at:
                raise ValidationFailed("a token must expire after it is issued")
        if self.kind is not TokenKind.RFID:
            if self.printed_number is not None:
                raise ValidationFailed("only an RFID card has a printed number")
            if self.card_fee:
                raise ValidationFailed("a card fee is billed only for an RFID card")
        if self.printed_number is not None and not (
            0 < len(self.printed_number) <= PRINTED_NUMBER_MAX
            and self.printed_number.isprintable()
            and self.printed_number.strip() == self.printed_number
        ):
            raise ValidationFailed(
                f"a printed number must be 1-{PRINTED_NUMBER_MAX} printable characters"
            )

    def authorise(self, now: datetime) -> Authorization:
        """The token's own answer at ``now`` (OCPP 1.6 §7.2 AuthorizationStatus).

        Blocked → Blocked; lost → Blocked (a lost card is deliberately disabled, which is
        what Blocked tells the station); expired status or ``expires_at`` ≤ now → Expired;
        active → Accepted. The expiry goes back to the station as idTagInfo.expiryDate, and
        the contract's compact eMAID as parentIdTag, so all tokens of a contract form one
        group (one card may stop a session another card of the contract started, §3.5.2).
        Unknown uids (Invalid) and tokens already in a session (ConcurrentTx) are decided
        by the pipeline, which knows about them.
        """
        require_aware(now, "the instant")
        parent = self.contract_id.compact
        if self.status is TokenStatus.BLOCKED:
            return Authorization(
                AuthorizationStatus.BLOCKED, "token is blocked", self.expires_at, parent
            )
        if self.status is TokenStatus.LOST:
            return Authorization(
                AuthorizationStatus.BLOCKED, "token was reported lost", self.expires_at, parent
            )
        if self.status is TokenStatus.EXPIRED or (
            self.expires_at is not None and self.expires_at <= now
        ):
            return Authorization(
                AuthorizationStatus.EXPIRED, "token has expired", self.expires_at, parent
            )
        return Authorization(AuthorizationStatus.ACCEPTED, "ok", self.expires_at, parent)

    def block(self) -> Token:
        if self.status is not TokenStatus.ACTIVE:
            raise Conflict(
                f"token {self.uid} is {self.status.value}; only an active token can be blocked",
                code="token_not_active",
            )
        return replace(self, status=TokenStatus.BLOCKED)

    def unblock(self) -> Token:
        if self.status is not TokenStatus.BLOCKED:
            raise Conflict(f"token {self.uid} is not blocked", code="token_not_blocked")
        return replace(self, status=TokenStatus.ACTIVE)

    def expire(self) -> Token:
        """Retire the token (e.g. its vehicle was removed): active or blocked → expired;
        an expired or lost one is returned as it is (lost is final)."""
        if self.status in (TokenStatus.ACTIVE, TokenStatus.BLOCKED):
            return replace(self, status=TokenStatus.EXPIRED)
        return self

    def report_lost(self) -> Token:
        """Disable the token for good (a lost token never becomes active again)."""
        if self.status is TokenStatus.LOST:
            raise Conflict(f"token {self.uid} is already reported lost", code="token_lost")
        return replace(self, status=TokenStatus.LOST)


def autocharge_uid(mac: str) -> str:
    """The autocharge idTag of a vehicle MAC address ("92:d5:0a:69:3f:80", "92-D5-...",
    "92D50A693F80" or already "VID:92D50A693F80") → "VID:92D50A693F80"."""
    text = mac.strip().upper()
    if text.startswith(AUTOCHARGE_PREFIX):
        text = text[len(AUTOCHARGE_PREFIX) :]
    if not _MAC.fullmatch(text):
        raise ValidationFailed(f"{mac!r} is not a MAC address (12 hex digits)")
    return AUTOCHARGE_PREFIX + text.replace(":", "").replace("-", "")


class BonusMovement(StrEnum):
    EARN = "earn"
    """Points earned by a paid session (reference: the session)."""
    REDEEM = "redeem"
    """Points spent towards a session (reference: the session or invoice)."""
    ADJUST = "adjust"
    """A correction by the operator, up or down (reference: the reason)."""


@dataclass(frozen=True, slots=True)
class BonusEntry:
    """One movement: ``points`` is signed (earn > 0, redeem < 0, adjust either way).

    ``value`` is what a redemption took off the session, in the plan's currency, fixed when
    it was made (an invoice must not change when the plan's point value does later); None
    for other movements.
    """

    movement: BonusMovement
    points: int
    at: datetime
    reference: str
    actor: str = "system"
    value: Decimal | None = None

    def __post_init__(self) -> None:
        require_aware(self.at, "a bonus entry's time")
        if self.points == 0:
            raise ValidationFailed("a bonus entry moves at least one point")
        if self.movement is BonusMovement.EARN and self.points < 0:
            raise ValidationFailed("earned points are positive")
        if self.movement is BonusMovement.REDEEM and self.points > 0:
            raise ValidationFailed("redeemed points are entered as a negative number")
        for label, text in (("reference", self.reference), ("actor", self.actor)):
            if not text.strip() or len(text) > REFERENCE_MAX:
                raise ValidationFailed(f"a bonus entry's {label} must be 1-{REFERENCE_MAX} chars")
        if (self.value is not None) != (self.movement is BonusMovement.REDEEM):
            raise ValidationFailed("a redemption, and only a redemption, has a value")
        if self.value is not None and (not self.value.is_finite() or self.value < 0):
            raise ValidationFailed("a redemption's value is an amount >= 0")


@dataclass(frozen=True, slots=True)
class BonusLedger:
    """The bonus points of one contract: an append-only list of movements, in the order
    they were recorded.

    The balance is the sum of the entries and is never negative: a redemption or a
    downward adjustment larger than the balance is refused. A session earns or redeems at
    most once (a second entry of the same movement and reference is refused), so a retried
    request cannot count twice.
    """

    entries: tuple[BonusEntry, ...] = ()

    def __post_init__(self) -> None:
        running = 0
        seen: set[tuple[BonusMovement, str]] = set()
        for entry in self.entries:
            running += entry.points
            if running < 0:
                raise ValidationFailed("a bonus ledger's balance is never negative")
            if entry.movement is not BonusMovement.ADJUST:
                key = (entry.movement, entry.reference)
                if key in seen:
                    raise ValidationFailed(
                        f"{entry.reference!r} appears twice as {entry.movement.value}"
                    )
                seen.add(key)

    @property
    def balance(self) -> int:
        return sum(entry.points for entry in self.entries)

    def earn(
        self,
        plan: Plan,
        *,
        energy_kwh: Decimal,
        amount: Decimal,
        currency: str,
        at: datetime,
        reference: str,
    ) -> BonusLedger:
        """The ledger after a paid session under ``plan``: ``energy_kwh`` delivered,
        ``amount`` paid (incl. VAT, in ``currency``). Points by :meth:`BonusRule.points_for`
        (rounded down to whole points); a plan without a rule, or a session earning 0 points,
        leaves the ledger as it is."""
        if plan.bonus is None:
            return self
        if currency != plan.currency:
            raise ValidationFailed(
                f"plan {plan.id} counts bonus points in {plan.currency}, not {currency}"
            )
        points = plan.bonus.points_for(energy_kwh=energy_kwh, amount=amount)
        if points == 0:
            return self
        return self._append(BonusEntry(BonusMovement.EARN, points, at, reference))

    def redeem(
        self, points: int, *, value: Decimal, at: datetime, reference: str, actor: str = "system"
    ) -> BonusLedger:
        """The ledger after spending ``points`` (> 0) worth ``value``; ``Conflict`` if the
        balance is short."""
        if points <= 0:
            raise ValidationFailed("redeem at least one point")
        if points > self.balance:
            raise Conflict(
                f"cannot redeem {points} points: the balance is {self.balance}",
                code="insufficient_points",
            )
        return self._append(BonusEntry(BonusMovement.REDEEM, -points, at, reference, actor, value))

    def adjust(self, points: int, *, at: datetime, reason: str, actor: str) -> BonusLedger:
        """The ledger after a manual correction of ``points`` (non-zero, either sign)."""
        if self.balance + points < 0:
            raise Conflict(
                f"an adjustment of {points} would take the balance of {self.balance} below zero",
                code="insufficient_points",
            )
        return self._append(BonusEntry(BonusMovement.ADJUST, points, at, reason, actor))

    def _append(self, entry: BonusEntry) -> BonusLedger:
        if entry.movement is not BonusMovement.ADJUST and any(
            e.movement is entry.movement and e.reference == entry.reference for e in self.entries
        ):
            raise Conflict(
                f"{entry.reference!r} has already been recorded as {entry.movement.value}",
                code="already_recorded",
            )
        return BonusLedger((*self.entries, entry))
