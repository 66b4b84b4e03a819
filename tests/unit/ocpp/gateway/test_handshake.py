import base64

import pytest

from ampyre.ocpp.gateway.handshake import parse_basic_auth, station_id_from_path


def basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("path", "prefix", "expected"),
    [
        ("/ocpp/CP-1", "/ocpp", "CP-1"),
        ("/ocpp/CP-1/", "/ocpp", "CP-1"),
        ("/ocpp/site/CP 2", "/ocpp", "CP 2"),
        ("/ocpp/", "/ocpp", None),
        ("/other/CP-1", "/ocpp", None),
        ("/steve/websocket/CentralSystemService/CP-9", "/steve/websocket/", "CP-9"),
    ],
)
def test_station_id_is_the_last_path_segment(path: str, prefix: str, expected: str | None) -> None:
    assert station_id_from_path(path, prefix) == expected


def test_basic_credentials() -> None:
    creds = parse_basic_auth(basic("CP-1:secret:with:colons"))
    assert creds is not None
    assert (creds.username, creds.password) == ("CP-1", "secret:with:colons")


@pytest.mark.parametrize(
    "header", [None, "", "Bearer abc", "Basic", "Basic !!!notbase64", basic("no-colon")]
)
def test_garbled_basic_credentials_are_none(header: str | None) -> None:
    assert parse_basic_auth(header) is None
