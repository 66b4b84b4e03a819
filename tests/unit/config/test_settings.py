from pathlib import Path

import pytest
from pydantic import ValidationError

from ampyre.config import Settings, UnknownStationPolicy, load_settings


def test_defaults_are_the_embedded_sqlite_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AMPYRE_DATABASE_URL", "AMPYRE_CONFIG_FILE", "AMPYRE_OCPP_UNKNOWN_STATIONS"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url.startswith("sqlite")
    assert settings.ocpp_unknown_stations is UnknownStationPolicy.REJECT


def test_environment_beats_the_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "ampyre.toml"
    config.write_text('port = 9001\nocpp_unknown_stations = "pending"\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("AMPYRE_CONFIG_FILE", str(config))
    monkeypatch.setenv("AMPYRE_PORT", "9002")
    settings = load_settings()
    assert settings.port == 9002
    assert settings.ocpp_unknown_stations is UnknownStationPolicy.PENDING
    assert settings.host == "0.0.0.0"  # noqa: S104 - a value read back, not a bind


def test_missing_or_broken_config_file_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AMPYRE_CONFIG_FILE", str(tmp_path / "nope.toml"))
    with pytest.raises(FileNotFoundError):
        load_settings()
    broken = tmp_path / "broken.toml"
    broken.write_text("port = = 3")
    monkeypatch.setenv("AMPYRE_CONFIG_FILE", str(broken))
    with pytest.raises(ValueError, match="Invalid"):
        load_settings()


@pytest.mark.parametrize(
    "overrides",
    [
        {"database_url": "mysql://x"},
        {"ocpp_unknown_stations": "maybe"},
        {"ocpp_heartbeat_interval_s": 1},
    ],
)
def test_invalid_values_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(**overrides)  # type: ignore[arg-type]
