"""Contract request and response models."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from ampyre.api.schemas.common import ApiModel, UtcTime
from ampyre.domain.contracts import REASON_MAX, Contract, ContractEvent, ContractState


class ContractCreate(ApiModel):
    customer_id: str = Field(min_length=1, max_length=36)
    plan_id: str = Field(min_length=1, max_length=64, examples=["HOME-PLUS"])
    starts_at: AwareDatetime | None = Field(default=None, description="Now when omitted.")
    ends_at: AwareDatetime | None = Field(
        default=None, description="Exclusive; omitted: until ended."
    )
    activate: bool = Field(
        default=True, description="Put it in force at once; false leaves it pending."
    )


class ActivateModel(ApiModel):
    reason: str = Field(default="", max_length=REASON_MAX, examples=["invoice paid"])


class ReasonModel(ApiModel):
    reason: str = Field(min_length=1, max_length=REASON_MAX, examples=["unpaid invoices"])


class ContractEventOut(BaseModel):
    at: UtcTime
    from_state: ContractState
    to_state: ContractState
    reason: str
    actor: str = Field(description="Who made the change (the API token or user).")

    @classmethod
    def from_domain(cls, e: ContractEvent) -> ContractEventOut:
        return cls(
            at=e.at, from_state=e.from_state, to_state=e.to_state, reason=e.reason, actor=e.actor
        )


class ContractOut(BaseModel):
    id: str = Field(description="The eMAID, compact.", examples=["PLAMPC12345678X"])
    id_hyphenated: str = Field(examples=["PL-AMP-C12345678-X"])
    customer_id: str
    plan_id: str
    starts_at: UtcTime
    ends_at: UtcTime | None
    state: ContractState
    valid_now: bool = Field(description="Active now and within its dates: its tokens work.")
    history: list[ContractEventOut] = Field(description="Every state change, oldest first.")

    @classmethod
    def from_domain(cls, c: Contract, now: datetime) -> ContractOut:
        return cls(
            id=c.id.compact,
            id_hyphenated=str(c.id),
            customer_id=c.customer_id,
            plan_id=c.plan_id,
            starts_at=c.starts_at,
            ends_at=c.ends_at,
            state=c.state,
            valid_now=c.is_valid_at(now),
            history=[ContractEventOut.from_domain(e) for e in c.history],
        )
