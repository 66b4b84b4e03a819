"""Transaction and meter value response models."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import UtcTime
from ampyre.domain.metering import SampledValue
from ampyre.domain.transactions import StopReason, Transaction, TransactionFlag, TransactionState
from ampyre.services.queries import TransactionDetail
from ampyre.services.records import StoredSample


class TransactionOut(BaseModel):
    id: int = Field(description="The OCPP transactionId.")
    station_id: str
    connector_id: int
    id_tag: str
    state: TransactionState
    auth_status: str = Field(description="How the id tag was authorised at start.")
    reservation_id: int | None
    meter_start_wh: int
    meter_stop_wh: int | None
    last_meter_wh: int | None = Field(description="Newest import register reading, Wh.")
    last_meter_at: UtcTime | None
    energy_wh: int = Field(description="Energy delivered so far (or in total), Wh.")
    started_at: UtcTime = Field(description="Start time by the station's clock.")
    start_received_at: UtcTime = Field(description="When Ampyre received the start.")
    stopped_at: UtcTime | None
    stop_received_at: UtcTime | None
    stop_reason: StopReason | None
    stop_id_tag: str | None
    flags: list[TransactionFlag] = Field(description="Reasons for an operator to review it.")
    energy_limit_wh: int | None = Field(
        default=None, description="Energy limit set by an operator's remote start, Wh."
    )
    duration_limit_s: int | None = Field(
        default=None, description="Time limit set by an operator's remote start, seconds."
    )
    contract_id: str | None = Field(
        default=None,
        description="The contract (eMAID) whose token started the session; null: operator tag.",
    )
    plan_id: str | None = Field(
        default=None, description="The contract's plan, whose special prices rate the session."
    )

    @classmethod
    def from_domain(cls, transaction: Transaction) -> TransactionOut:
        return cls.model_validate(_transaction_fields(transaction))


def _transaction_fields(t: Transaction) -> dict[str, object]:
    return {
        "id": t.id,
        "station_id": t.station_id,
        "connector_id": t.connector_id,
        "id_tag": t.id_tag,
        "state": t.state,
        "auth_status": t.auth_status,
        "reservation_id": t.reservation_id,
        "meter_start_wh": t.meter_start_wh,
        "meter_stop_wh": t.meter_stop_wh,
        "last_meter_wh": t.last_meter_wh,
        "last_meter_at": t.last_meter_at,
        "energy_wh": t.energy_wh,
        "started_at": t.started_at,
        "start_received_at": t.start_received_at,
        "stopped_at": t.stopped_at,
        "stop_received_at": t.stop_received_at,
        "stop_reason": t.stop_reason,
        "stop_id_tag": t.stop_id_tag,
        "flags": sorted(t.flags),
        "energy_limit_wh": t.energy_limit_wh,
        "duration_limit_s": t.duration_limit_s,
        "contract_id": t.contract_id,
        "plan_id": t.plan_id,
    }


class SampledValueOut(BaseModel):
    """One measurement exactly as the station sent it (OCPP 1.6 §7.43 SampledValue)."""

    value: str = Field(description="The value as received (for signed data: the payload).")
    measurand: str = Field(examples=["Energy.Active.Import.Register"])
    unit: str | None = Field(examples=["Wh"])
    phase: str | None
    context: str = Field(examples=["Sample.Periodic"])
    location: str | None
    format: str = Field(examples=["Raw"])
    signed_data: str | None = Field(description="Signed meter data, byte-exact.")

    @classmethod
    def from_domain(cls, value: SampledValue) -> SampledValueOut:
        return cls(
            value=value.value,
            measurand=value.measurand,
            unit=value.unit,
            phase=value.phase,
            context=value.context,
            location=value.location,
            format=value.format,
            signed_data=value.signed_data,
        )


class MeterSampleOut(BaseModel):
    timestamp: UtcTime = Field(description="When the station took the sample (its clock).")
    received_at: UtcTime
    connector_id: int
    sampled_values: list[SampledValueOut]

    @classmethod
    def from_domain(cls, stored: StoredSample) -> MeterSampleOut:
        return cls(
            timestamp=stored.sample.timestamp,
            received_at=stored.received_at,
            connector_id=stored.connector_id,
            sampled_values=[SampledValueOut.from_domain(v) for v in stored.sample.values],
        )


class TransactionDetailOut(TransactionOut):
    meter_values: list[MeterSampleOut] = Field(description="Every sample, oldest first.")

    @classmethod
    def from_detail(cls, detail: TransactionDetail) -> TransactionDetailOut:
        fields = _transaction_fields(detail.transaction)
        fields["meter_values"] = [MeterSampleOut.from_domain(s) for s in detail.samples]
        return cls.model_validate(fields)
