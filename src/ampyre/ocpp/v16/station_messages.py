"""Handlers for the CALLs an OCPP 1.6 station sends to Ampyre (OCPP 1.6 §4).

One ``StationMessages`` object exists per connection. It only translates between payloads and
the ``ChargePointService``; all decisions are made there or in the domain.
"""

from __future__ import annotations

import logging
from typing import Any

from ampyre.domain.errors import DomainError
from ampyre.domain.id_tags import Authorization
from ampyre.domain.metering import MeterSample, energy_wh
from ampyre.domain.stations import ConnectorStatus, RegistrationStatus, StatusReport
from ampyre.domain.transactions import StartRequest, StopReason
from ampyre.ocpp.rpc import ErrorKind, Handler, OcppError
from ampyre.ocpp.v16.convert import boot_info, format_time, id_tag_info, meter_samples, parse_time
from ampyre.services.charge_points import ChargePointService, StopRequest

log = logging.getLogger(__name__)

BOOT = "BootNotification"


class StationMessages:
    """The CSMS side of one OCPP 1.6 connection.

    ``accepted`` follows OCPP 1.6 §4.2.1: until a station is Accepted it may only send
    BootNotification; anything else is answered with a SecurityError CALLERROR.
    """

    def __init__(self, station_id: str, service: ChargePointService, *, accepted: bool) -> None:
        self.station_id = station_id
        self.accepted = accepted
        self._service = service

    def handlers(self) -> dict[str, Handler]:
        table: dict[str, Handler] = {
            "Authorize": self.authorize,
            "Heartbeat": self.heartbeat,
            "StatusNotification": self.status_notification,
            "StartTransaction": self.start_transaction,
            "StopTransaction": self.stop_transaction,
            "MeterValues": self.meter_values,
            "DataTransfer": self.data_transfer,
            "FirmwareStatusNotification": self.firmware_status,
            "DiagnosticsStatusNotification": self.diagnostics_status,
        }
        guarded: dict[str, Handler] = {
            action: self._only_when_accepted(handler) for action, handler in table.items()
        }
        guarded[BOOT] = self.boot_notification
        return guarded

    def _only_when_accepted(self, handler: Handler) -> Handler:
        async def guarded(payload: dict[str, Any]) -> dict[str, Any]:
            if not self.accepted:
                raise OcppError(
                    ErrorKind.SECURITY_ERROR,
                    "station is not accepted: send BootNotification and wait for Accepted",
                )
            try:
                return await handler(payload)
            except DomainError as exc:
                raise OcppError(ErrorKind.PROPERTY_CONSTRAINT_VIOLATION, exc.message) from exc

        return guarded

    async def boot_notification(self, payload: dict[str, Any]) -> dict[str, Any]:
        decision = await self._service.do_boot(self.station_id, boot_info(payload))
        self.accepted = decision.status is RegistrationStatus.ACCEPTED
        return {
            "status": decision.status.value,
            "currentTime": format_time(decision.current_time),
            "interval": decision.interval_s,
        }

    async def heartbeat(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"currentTime": format_time(self._service.clock.now())}

    async def status_notification(self, payload: dict[str, Any]) -> dict[str, Any]:
        timestamp = payload.get("timestamp")
        await self._service.do_status(
            StatusReport(
                station_id=self.station_id,
                connector_id=payload["connectorId"],
                status=ConnectorStatus(payload["status"]),
                error_code=payload["errorCode"],
                received_at=self._service.clock.now(),
                station_time=parse_time(timestamp, "timestamp") if timestamp else None,
                info=payload.get("info"),
                vendor_id=payload.get("vendorId"),
                vendor_error_code=payload.get("vendorErrorCode"),
            )
        )
        return {}

    async def authorize(self, payload: dict[str, Any]) -> dict[str, Any]:
        auth = await self._service.check_authorize(self.station_id, payload["idTag"])
        return {"idTagInfo": _tag_info(auth)}

    async def start_transaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        if payload["connectorId"] < 1:
            raise OcppError(
                ErrorKind.PROPERTY_CONSTRAINT_VIOLATION, "connectorId must be 1 or more"
            )
        outcome = await self._service.do_start_transaction(
            StartRequest(
                station_id=self.station_id,
                connector_id=payload["connectorId"],
                id_tag=payload["idTag"],
                meter_start_wh=payload["meterStart"],
                station_time=parse_time(payload["timestamp"], "timestamp"),
                received_at=self._service.clock.now(),
                reservation_id=payload.get("reservationId"),
            )
        )
        return {
            "transactionId": outcome.transaction_id,
            "idTagInfo": _tag_info(outcome.authorization),
        }

    async def stop_transaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        data = payload.get("transactionData") or []
        auth = await self._service.do_stop_transaction(
            StopRequest(
                station_id=self.station_id,
                transaction_id=payload["transactionId"],
                meter_stop_wh=payload["meterStop"],
                station_time=parse_time(payload["timestamp"], "timestamp"),
                received_at=self._service.clock.now(),
                reason=StopReason(payload.get("reason", "Local")),
                id_tag=payload.get("idTag"),
                transaction_data=meter_samples(data, "transactionData"),
            )
        )
        return {} if auth is None else {"idTagInfo": _tag_info(auth)}

    async def meter_values(self, payload: dict[str, Any]) -> dict[str, Any]:
        samples = meter_samples(payload["meterValue"], "meterValue")
        _check_energy_units(samples)
        await self._service.do_meter_values(
            self.station_id, payload["connectorId"], payload.get("transactionId"), samples
        )
        return {}

    async def data_transfer(self, payload: dict[str, Any]) -> dict[str, Any]:
        log.info(
            "DataTransfer from %s: vendor %s message %s",
            self.station_id,
            payload["vendorId"],
            payload.get("messageId"),
        )
        return {"status": "UnknownVendorId"}

    async def firmware_status(self, payload: dict[str, Any]) -> dict[str, Any]:
        log.info("firmware status of %s: %s", self.station_id, payload["status"])
        return {}

    async def diagnostics_status(self, payload: dict[str, Any]) -> dict[str, Any]:
        log.info("diagnostics status of %s: %s", self.station_id, payload["status"])
        return {}


def _tag_info(auth: Authorization) -> dict[str, Any]:
    return id_tag_info(auth.status.value, auth.expires_at, auth.parent_id_tag)


def _check_energy_units(samples: tuple[MeterSample, ...]) -> None:
    """Reject an energy register in a unit that is not energy (e.g. "W"): it cannot be billed."""
    for sample in samples:
        for value in sample.values:
            number = value.numeric()
            if value.measurand.startswith("Energy.Active.") and number is not None:
                try:
                    energy_wh(number, value.unit)
                except DomainError as exc:
                    raise OcppError(ErrorKind.PROPERTY_CONSTRAINT_VIOLATION, exc.message) from exc
