"""Settings from ``AMPYRE_*`` environment variables, an optional TOML file, then defaults.

The embedded default is a SQLite file in the working directory, so ``ampyre serve`` needs no
other service. Precedence (highest first): environment, the file named by
``AMPYRE_CONFIG_FILE`` (TOML, keys as below without the prefix), defaults.
"""

from __future__ import annotations

import os
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class UnknownStationPolicy(StrEnum):
    """What happens when a station that is not registered connects (OCPP.md "Transport")."""

    REJECT = "reject"
    """Refuse the WebSocket handshake (HTTP 401)."""
    PENDING = "pending"
    """Register it as Pending; it gets BootNotification Pending until an operator approves."""
    ACCEPT = "accept"
    """Register and accept it (for test labs only)."""


class Environment(StrEnum):
    """What the installation is for; production refuses test-only parts (the sandbox
    payment provider)."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AMPYRE_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///ampyre.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///file.db or postgresql+asyncpg://...",
    )
    host: str = "127.0.0.1"
    port: int = 8180
    ocpp_path_prefix: str = Field(
        default="/ocpp", description="URL path before the station id: ws://host:port/ocpp/{id}"
    )
    ocpp_unknown_stations: UnknownStationPolicy = UnknownStationPolicy.REJECT
    ocpp_require_auth: bool = Field(
        default=True, description="Require HTTP Basic auth (security profile 1) from stations"
    )
    ocpp_heartbeat_interval_s: int = Field(default=300, ge=10, le=86_400)
    ocpp_pending_retry_interval_s: int = Field(default=60, ge=5, le=86_400)
    ocpp_call_timeout_s: float = Field(default=30.0, gt=0, le=600)
    ocpp_command_timeout_s: float = Field(
        default=30.0, gt=0, le=600, description="How long a REST command waits for the station"
    )
    ocpp_offline_after_s: int = Field(
        default=900, ge=30, description="A station with no frame for this long counts offline"
    )
    ocpp_ws_ping_interval_s: float | None = Field(default=60.0)
    ocpp_max_frame_bytes: int = Field(default=65_536, ge=4_096, le=16_777_216)
    ocpp_validate_schemas: bool = True
    stuck_transaction_grace_s: int = Field(
        default=600,
        ge=0,
        description="After a reboot, open transactions the station does not stop within this "
        "time are closed by Ampyre and flagged",
    )
    message_log_retention_days: int = Field(default=90, ge=1)
    operator_id: str | None = Field(
        default=None,
        max_length=64,
        description="This network's operator id, for tariffs assigned to an operator",
    )
    operator_country: str = Field(
        default="PL",
        pattern=r"^[A-Z]{2}$",
        description="The operator's country (ISO 3166-1): decides domestic vs foreign customers",
    )
    emsp_party_id: str = Field(
        default="AMP",
        pattern=r"^[A-Z0-9]{3}$",
        description="The 3-character provider id in the contract ids (eMAIDs) Ampyre issues",
    )
    default_currency: str = Field(
        default="EUR",
        pattern=r"^[A-Z]{3}$",
        description="Currency of a (free) CDR for a session no tariff applies to",
    )
    cdr_sweep_period_s: float = Field(
        default=30.0, gt=0, description="How often completed sessions without a CDR are rated"
    )
    log_level: str = "INFO"
    environment: Environment = Field(
        default=Environment.DEVELOPMENT,
        description="development or production (refuses test-only payment providers)",
    )
    secret_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated keys (`ampyre secrets generate-key`) that encrypt stored "
        "secrets such as payment provider keys: the first encrypts, all decrypt",
    )
    sandbox_psp_enabled: bool = Field(
        default=True,
        description="Serve the built-in sandbox payment provider (test mode, no real money) at "
        "/sandbox-psp; never in production",
    )
    sandbox_psp_database_url: str | None = Field(
        default=None,
        description="The sandbox provider's own storage (default: a file beside a SQLite "
        "database, or in the temporary directory)",
    )
    sandbox_psp_webhook_duplicate_rate: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of sandbox webhooks delivered twice (a real provider does that too)",
    )
    sandbox_psp_webhook_max_delay_s: float = Field(
        default=2.0, ge=0, description="Sandbox webhooks are delayed up to this, so some overtake"
    )

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("AMPYRE_DATABASE_URL must be a sqlite or postgresql URL")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("AMPYRE_CONFIG_FILE")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and config file), with explicit overrides on top."""
    config_file = os.environ.get("AMPYRE_CONFIG_FILE")
    if config_file and not Path(config_file).is_file():
        raise FileNotFoundError(f"AMPYRE_CONFIG_FILE {config_file} does not exist")
    if config_file:
        with Path(config_file).open("rb") as handle:
            tomllib.load(handle)  # fail early with a clear TOML syntax error
    return Settings(**overrides)
