"""/contracts/{contract_id}/bonus: a contract's bonus points, redeeming and adjusting them.

Only the bonus routes live here; the contracts themselves are in ``routers/contracts.py``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.bonus import AdjustRequest, BonusLedgerOut, RedeemRequest, RedemptionOut
from ampyre.api.schemas.common import error_responses
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P

router = APIRouter(prefix="/contracts", tags=["contracts"])

ContractParam = Annotated[
    str,
    Path(
        max_length=20,
        description="The contract's eMAID, compact or hyphenated (PLAMPC000000428 or "
        "PL-AMP-C00000042-8); an invalid one is a 422.",
    ),
]
Reader = Annotated[Actor, acting(P.CUSTOMERS_READ)]
Writer = Annotated[Actor, acting(P.CUSTOMERS_WRITE)]


@router.get(
    "/{contract_id}/bonus",
    summary="A contract's bonus points: balance, its value and every movement",
    responses=error_responses(404, 422),
)
async def get_bonus(
    contract_id: ContractParam, services: Services, actor: Reader
) -> BonusLedgerOut:
    return BonusLedgerOut.from_domain(await services.bonus.ledger(actor, contract_id))


@router.post(
    "/{contract_id}/bonus/redeem",
    summary="Pay (part of) a session with bonus points",
    responses=error_responses(404, 409, 422),
)
async def redeem(
    contract_id: ContractParam, body: RedeemRequest, services: Services, actor: Writer
) -> RedemptionOut:
    """Spends as many points as fit the session's total including VAT (never more than it
    costs), once per session. 409 when the session is not one of the contract's
    (`session_not_under_contract`), has no CDR yet (`session_not_rated`), was redeemed
    already (`already_recorded`), the plan has no bonus rule (`no_bonus_rule`) or not even
    one point fits (`nothing_to_redeem`)."""
    redemption = await services.bonus.do_redeem(actor, contract_id, body.transaction_id)
    return RedemptionOut.from_domain(redemption)


@router.post(
    "/{contract_id}/bonus/adjust",
    summary="Add or take away bonus points by hand, with a reason",
    responses=error_responses(404, 409, 422),
)
async def adjust(
    contract_id: ContractParam, body: AdjustRequest, services: Services, actor: Writer
) -> BonusLedgerOut:
    """The balance never goes below zero: a larger deduction is a 409
    (`insufficient_points`). Who made the change is recorded with it."""
    statement = await services.bonus.do_adjust(actor, contract_id, body.points, body.reason)
    return BonusLedgerOut.from_domain(statement)
