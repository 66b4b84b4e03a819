"""Paying at the station: an ad hoc driver pays by card for one session, no registration.

The driver picks a connector (e.g. by scanning its QR code), enters a card and completes 3-D
Secure; Ampyre pre-authorises the amount configured for the driver's customer type, starts
the session once the card is authorised, stops it when its running cost reaches the
authorised amount less a margin, and captures the final rated cost when the session ends.

A :class:`PaidSession` follows those steps::

    awaiting_payment ──► starting ──► charging ──► ended ──► settled
           │                │             │
           └──► failed ◄────┘             └─────► (ended)      failed: the card was
                                                                declined, the payment
                                                                expired, or the station
                                                                did not start

It links the payment, the one-off token the session runs under (an app token of the ad hoc
customer's contract) and, once the station started it, the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from ampyre.domain.errors import Conflict


class PaidSessionState(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    """The driver has not finished entering the card (or 3-D Secure) yet."""
    STARTING = "starting"
    """The card is authorised; Ampyre asked the station to start."""
    CHARGING = "charging"
    """The station started the transaction."""
    ENDED = "ended"
    """The transaction ended; its cost is being captured."""
    SETTLED = "settled"
    """The final cost was captured (or the authorisation voided for a free session)."""
    FAILED = "failed"
    """No session: the payment failed or expired, or the station did not start."""


_S = PaidSessionState
_NEXT: Mapping[PaidSessionState, frozenset[PaidSessionState]] = {
    _S.AWAITING_PAYMENT: frozenset({_S.STARTING, _S.FAILED}),
    _S.STARTING: frozenset({_S.CHARGING, _S.FAILED}),
    _S.CHARGING: frozenset({_S.ENDED}),
    _S.ENDED: frozenset({_S.SETTLED}),
    _S.SETTLED: frozenset(),
    _S.FAILED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class PaidSession:
    """One paid-at-the-station session. ``token_uid`` is the one-off idTag the station
    starts it with; ``failure`` says why a failed one did not charge."""

    id: str
    customer_id: str
    station_id: str
    connector_id: int
    payment_id: str
    token_uid: str
    state: PaidSessionState
    created_at: datetime
    transaction_id: int | None = None
    failure: str | None = None

    def moved_to(
        self,
        state: PaidSessionState,
        *,
        transaction_id: int | None = None,
        failure: str | None = None,
    ) -> PaidSession:
        """The session in ``state``; ``Conflict`` for a step the diagram does not have."""
        if state not in _NEXT[self.state]:
            raise Conflict(
                f"a paid session that is {self.state.value} cannot become {state.value}",
                code="paid_session_state",
            )
        return replace(
            self,
            state=state,
            transaction_id=transaction_id if transaction_id is not None else self.transaction_id,
            failure=failure if state is PaidSessionState.FAILED else self.failure,
        )

    @property
    def open(self) -> bool:
        """Whether the session still needs Ampyre (not settled, not failed)."""
        return self.state not in (PaidSessionState.SETTLED, PaidSessionState.FAILED)
