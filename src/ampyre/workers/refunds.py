"""Pays back approved refund requests in the background."""

from __future__ import annotations

from ampyre.services.refunds import RefundService
from ampyre.workers.periodic import PeriodicJobs

REFUND_PERIOD_S = 30.0
"""Well within the 20 minutes an automatically approved refund is paid back in."""


def schedule_refunds(
    jobs: PeriodicJobs, refunds: RefundService, *, period_s: float = REFUND_PERIOD_S
) -> None:
    """Every ``period_s``, pay back what is due (a failing run is logged and retried next
    period; a full batch is followed at once by the next one)."""

    async def pay_due() -> None:
        batch = 100
        while await refunds.do_pay_due(batch) >= batch:
            pass

    jobs.every(period_s, "refunds", pay_due)
