"""The authorisation pipeline's decision and the record every attempt leaves (DOMAIN.md §5).

Every request to charge — OCPP Authorize, the idTag of StartTransaction and StopTransaction,
a remote start from the portal or the API — goes through the same steps, and the first step
that refuses decides the answer:

1. **token** — unknown → Invalid; blocked or lost → Blocked; expired → Expired
   (:meth:`~ampyre.domain.tokens.Token.authorise`);
2. **contract** — missing → Invalid; pending or not yet started → Blocked; suspended →
   Blocked; ended → Expired;
3. **customer** — anonymised or missing → Invalid; blocked → Blocked;
4. **payment readiness** — a subscriber is invoiced monthly and is ready; an ad hoc customer
   is charged on a saved method after each session, which needs their consent to automatic
   payments → Blocked without it;
5. **tariff** — a session must have a price: no tariff at the station for the contract's
   plan → Invalid (not checked when stopping);
6. **concurrency** — a token already in a session elsewhere → ConcurrentTx (only when a new
   session starts).

An accepted answer carries the earlier of the token's and the contract's expiry as
``expiryDate``, and the contract's eMAID as ``parentIdTag`` so the cards of one contract form
one group (OCPP 1.6 §3.5.2).

Operator tags without a contract (staff and service cards, :mod:`ampyre.domain.id_tags`)
skip steps 2-5: they are the operator's own and are not billed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ampyre.domain.contracts import Contract, ContractState
from ampyre.domain.customers import ConsentKind, Customer, CustomerProfile
from ampyre.domain.errors import ValidationFailed
from ampyre.domain.id_tags import Authorization, AuthorizationStatus
from ampyre.domain.plans import require_aware
from ampyre.domain.tokens import Token, TokenKind

REASON_MAX = 300


class AuthorizationTrigger(StrEnum):
    """What asked for the authorisation."""

    AUTHORIZE = "authorize"
    """OCPP Authorize (before a session, or to stop one at the station)."""
    START = "start"
    """The idTag of StartTransaction."""
    STOP = "stop"
    """The idTag of StopTransaction."""
    REMOTE_START = "remote_start"
    """A remote start from the portal, the app or the API (checked before it is sent)."""

    @property
    def starts_session(self) -> bool:
        """Whether a new session follows an Accepted answer (so ConcurrentTx applies)."""
        return self is not AuthorizationTrigger.STOP


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """A token with the contract and the customer it belongs to, as stored (either may be
    missing when data was deleted)."""

    token: Token
    contract: Contract | None
    customer: Customer | None


def authorise_holder(
    holder: TokenHolder,
    *,
    now: datetime,
    tariff_id: str | None,
    trigger: AuthorizationTrigger,
    in_session: bool,
) -> Authorization:
    """Steps 1-6 of the module docstring for a token of a contract.

    ``tariff_id`` is the tariff resolved for the station under the contract's plan (None:
    none applies); ``in_session`` whether the token is in a running session already.
    """
    require_aware(now, "the instant")
    token, contract, customer = holder.token, holder.contract, holder.customer
    answer = token.authorise(now)
    if not answer.accepted:
        return answer
    parent = token.contract_id.compact
    if contract is None:
        return Authorization(AuthorizationStatus.INVALID, f"contract {parent} does not exist")
    refused = _contract_refusal(contract, now)
    if refused is not None:
        return Authorization(refused[0], refused[1], contract.ends_at, parent)
    if customer is None or customer.anonymised_at is not None:
        return Authorization(AuthorizationStatus.INVALID, "the customer account is closed")
    if customer.blocked:
        return Authorization(
            AuthorizationStatus.BLOCKED,
            f"customer is blocked: {customer.blocked_reason}",
            None,
            parent,
        )
    expires_at = _earliest(token.expires_at, contract.ends_at)
    not_ready = payment_refusal(customer)
    if not_ready is not None:
        return Authorization(AuthorizationStatus.BLOCKED, not_ready, expires_at, parent)
    if trigger.starts_session:
        if tariff_id is None:
            return Authorization(
                AuthorizationStatus.INVALID,
                f"no tariff applies at this station for plan {contract.plan_id}",
                expires_at,
                parent,
            )
        if in_session:
            return Authorization(
                AuthorizationStatus.CONCURRENT_TX,
                "token is already in use in another session",
                expires_at,
                parent,
            )
    return Authorization(
        AuthorizationStatus.ACCEPTED,
        f"{token.kind.value} token of contract {parent}",
        expires_at,
        parent,
    )


def payment_refusal(customer: Customer) -> str | None:
    """Why ``customer`` cannot pay for a session now, or None when they can (step 4)."""
    if customer.profile is CustomerProfile.SUBSCRIBER:
        return None
    if not customer.consent(ConsentKind.AUTOMATIC_PAYMENTS):
        return "ad hoc customer has not consented to automatic payments"
    return None


def _contract_refusal(contract: Contract, now: datetime) -> tuple[AuthorizationStatus, str] | None:
    if contract.is_valid_at(now):
        return None
    if contract.has_ended(now):
        return AuthorizationStatus.EXPIRED, f"contract {contract.id.compact} has ended"
    if contract.state_at(now) is ContractState.SUSPENDED:
        return AuthorizationStatus.BLOCKED, f"contract {contract.id.compact} is suspended"
    return AuthorizationStatus.BLOCKED, f"contract {contract.id.compact} is not in force yet"


def _earliest(*instants: datetime | None) -> datetime | None:
    known = [i for i in instants if i is not None]
    return min(known) if known else None


@dataclass(frozen=True, slots=True)
class AuthorizationAttempt:
    """One line of the authorisation log: who (uid and, when known, token kind, contract
    and customer), where (station, connector), when, for what, and the answer with its
    reason. ``token_kind`` None: an operator tag or an unknown uid."""

    at: datetime
    trigger: AuthorizationTrigger
    uid: str
    status: AuthorizationStatus
    reason: str
    station_id: str | None = None
    connector_id: int | None = None
    token_kind: TokenKind | None = None
    contract_id: str | None = None
    customer_id: str | None = None
    tariff_id: str | None = None
    transaction_id: int | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        require_aware(self.at, "an authorisation's time")
        if not self.reason:
            raise ValidationFailed("an authorisation needs a reason")


def clip_reason(reason: str) -> str:
    """``reason`` cut to :data:`REASON_MAX` characters for the log (a blocked customer's
    reason is free text and may be long)."""
    return reason if len(reason) <= REASON_MAX else reason[: REASON_MAX - 1] + "…"
