"""GetConfiguration / ChangeConfiguration rules of the simulated key store."""

from __future__ import annotations

from ampyre.simulator.configuration import ConfigurationStore


def store() -> ConfigurationStore:
    return ConfigurationStore(
        connectors=2,
        heartbeat_interval=300,
        meter_interval=10,
        measurands=("Energy.Active.Import.Register", "Power.Active.Import"),
    )


def test_get_all_or_some_keys_with_unknown_ones_listed() -> None:
    config = store()
    everything = config.get_configuration(None)
    keys = {entry["key"]: entry for entry in everything["configurationKey"]}
    assert "unknownKey" not in everything
    assert keys["NumberOfConnectors"] == {
        "key": "NumberOfConnectors",
        "readonly": True,
        "value": "2",
    }
    assert keys["ConnectorPhaseRotation"]["value"] == "0.RST,1.RST,2.RST"
    assert {
        "HeartbeatInterval",
        "MeterValueSampleInterval",
        "MeterValuesSampledData",
        "AuthorizeRemoteTxRequests",
        "LocalAuthorizeOffline",
        "StopTransactionOnEVSideDisconnect",
        "ConnectionTimeOut",
    } <= keys.keys()
    some = config.get_configuration(["MeterValueSampleInterval", "Bogus"])
    assert some == {
        "configurationKey": [{"key": "MeterValueSampleInterval", "readonly": False, "value": "10"}],
        "unknownKey": ["Bogus"],
    }


def test_change_accepts_valid_values_and_refuses_the_rest() -> None:
    config = store()
    assert config.change("HeartbeatInterval", "60") == "Accepted"
    assert config.integer("HeartbeatInterval") == 60
    assert config.change("HeartbeatInterval", "-5") == "Rejected"
    assert config.change("HeartbeatInterval", "1.5") == "Rejected"
    assert config.change("NumberOfConnectors", "3") == "Rejected"
    assert config.change("Unheard", "1") == "NotSupported"
    assert config.change("AuthorizeRemoteTxRequests", "TRUE") == "Accepted"
    assert config.boolean("AuthorizeRemoteTxRequests") is True
    assert config.change("AuthorizeRemoteTxRequests", "yes") == "Rejected"


def test_sampled_data_accepts_supported_measurands_within_the_max_length() -> None:
    config = store()
    assert config.change("MeterValuesSampledData", "Energy.Active.Import.Register, SoC") == (
        "Accepted"
    )
    assert config.measurands("MeterValuesSampledData") == ("Energy.Active.Import.Register", "SoC")
    assert config.change("MeterValuesSampledData", "Frequency") == "Rejected"
    seven = ",".join(["Voltage"] * 7)
    assert config.change("MeterValuesSampledData", seven) == "Rejected"
    assert config.change("StopTxnAlignedData", "") == "Accepted"
