import pytest

from ampyre.ocpp.rpc import ErrorKind, OcppError, OcppVersion, choose_subprotocol, error_code

V16 = OcppVersion.V16
V201 = OcppVersion.V201
BOTH = [V16, V201]


@pytest.mark.parametrize(
    ("offered", "supported", "chosen"),
    [
        (["ocpp1.6"], BOTH, V16),
        (["ocpp2.0.1"], BOTH, V201),
        (["ocpp1.6", "ocpp2.0.1"], BOTH, V201),
        (["ocpp2.0.1", "ocpp1.6"], BOTH, V201),
        (["ocpp2.0.1", "ocpp1.6"], [V16], V16),
        (["ocpp2.1", " ocpp1.6 "], BOTH, V16),
        (["ocpp1.5"], BOTH, None),
        (["OCPP1.6"], BOTH, None),
        ([], BOTH, None),
        (["ocpp2.0.1"], [V16], None),
    ],
)
def test_choose_subprotocol_picks_the_newest_offered_and_supported(
    offered: list[str], supported: list[OcppVersion], chosen: OcppVersion | None
) -> None:
    assert choose_subprotocol(offered, supported) is chosen


@pytest.mark.parametrize(
    ("kind", "v16", "v201"),
    [
        (ErrorKind.NOT_IMPLEMENTED, "NotImplemented", "NotImplemented"),
        (ErrorKind.NOT_SUPPORTED, "NotSupported", "NotSupported"),
        (ErrorKind.INTERNAL_ERROR, "InternalError", "InternalError"),
        (ErrorKind.PROTOCOL_ERROR, "ProtocolError", "ProtocolError"),
        (ErrorKind.SECURITY_ERROR, "SecurityError", "SecurityError"),
        (ErrorKind.FORMAT_VIOLATION, "FormationViolation", "FormatViolation"),
        (
            ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
            "PropertyConstraintViolation",
            "PropertyConstraintViolation",
        ),
        (
            ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
            "OccurenceConstraintViolation",
            "OccurrenceConstraintViolation",
        ),
        (ErrorKind.TYPE_CONSTRAINT_VIOLATION, "TypeConstraintViolation", "TypeConstraintViolation"),
        (ErrorKind.GENERIC_ERROR, "GenericError", "GenericError"),
        (ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED, "ProtocolError", "MessageTypeNotSupported"),
        (ErrorKind.RPC_FRAMEWORK_ERROR, "FormationViolation", "RpcFrameworkError"),
    ],
)
def test_error_codes_are_spelt_per_version(kind: ErrorKind, v16: str, v201: str) -> None:
    assert error_code(kind, V16) == v16
    assert error_code(kind, V201) == v201


def test_1_6_codes_are_all_from_the_1_6_list() -> None:
    spec_16 = {
        "NotImplemented", "NotSupported", "InternalError", "ProtocolError", "SecurityError",
        "FormationViolation", "PropertyConstraintViolation", "OccurenceConstraintViolation",
        "TypeConstraintViolation", "GenericError",
    }  # fmt: skip
    assert {error_code(kind, V16) for kind in ErrorKind} == spec_16


def test_ocpp_error_defaults_details_to_an_empty_object() -> None:
    error = OcppError(ErrorKind.GENERIC_ERROR, "busy")
    assert error.details == {}
    assert error.description == "busy"
    assert error.kind is ErrorKind.GENERIC_ERROR
