"""The relational schema (SQLAlchemy Core), the single source the migrations must match.

Conventions:
- Every datetime column is :class:`UtcDateTime` (aware UTC in and out, on both databases).
- Enumerations are stored as their string values (no database enum types), so adding a value
  never needs a migration.
- Constraint and index names follow ``NAMING_CONVENTION`` so Alembic batch mode can find them
  on SQLite.
- High-volume tables (status history, meter values, message log, connection events) carry no
  foreign keys: they are written in batches and must never fail because a station was deleted
  while its frames were in flight.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ampyre.db.types import BigId, ExactDecimal, UtcDateTime

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

STATION_ID = sa.String(48)
"""OCPP 1.6 charge point identity (CiString48)."""
ID_TAG = sa.String(36)
"""Id tokens: CiString20 in OCPP 1.6, up to 36 characters in OCPP 2.0.1."""
LOCATION_ID = sa.String(64)
COORDINATE = sa.Numeric(10, 7)
"""WGS 84 degrees with 7 decimals (OCPI 2.2.1 GeoLocation), exact as Decimal."""


def _created_at() -> sa.Column[datetime]:
    return sa.Column("created_at", UtcDateTime(), nullable=False, server_default=sa.func.now())


locations = sa.Table(
    "locations",
    metadata,
    sa.Column("id", LOCATION_ID, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("street", sa.String(255), nullable=False),
    sa.Column("city", sa.String(100), nullable=False),
    sa.Column("postal_code", sa.String(20), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("latitude", COORDINATE, nullable=False),
    sa.Column("longitude", COORDINATE, nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("opening_hours", sa.JSON(), nullable=False),
    sa.Column("contact_phone", sa.String(64), nullable=True),
    sa.Column("contact_email", sa.String(255), nullable=True),
    sa.Column("contact_website", sa.String(255), nullable=True),
    sa.Column("points_of_interest", sa.JSON(), nullable=False),
    sa.Column("public", sa.Boolean(), nullable=False),
    _created_at(),
)

stations = sa.Table(
    "stations",
    metadata,
    sa.Column("id", STATION_ID, primary_key=True),
    sa.Column("location_id", LOCATION_ID, sa.ForeignKey("locations.id"), nullable=True),
    sa.Column("name", sa.String(255), nullable=True),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("registration_status", sa.String(16), nullable=False),
    sa.Column("vendor", sa.String(64), nullable=True),
    sa.Column("model", sa.String(64), nullable=True),
    sa.Column("serial_number", sa.String(64), nullable=True),
    sa.Column("firmware_version", sa.String(64), nullable=True),
    sa.Column("ocpp_version", sa.String(16), nullable=True),
    sa.Column("max_power_w", sa.Integer(), nullable=True),
    sa.Column("groups", sa.JSON(), nullable=False),
    sa.Column("last_boot_at", UtcDateTime(), nullable=True),
    sa.Column("last_seen_at", UtcDateTime(), nullable=True),
    sa.Column("connected", sa.Boolean(), nullable=False),
    _created_at(),
    sa.Index("ix_stations_location_id", "location_id"),
)

connectors = sa.Table(
    "connectors",
    metadata,
    sa.Column(
        "station_id",
        STATION_ID,
        sa.ForeignKey("stations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("connector_id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("standard", sa.String(32), nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("power_type", sa.String(16), nullable=False),
    sa.Column("max_power_w", sa.Integer(), nullable=True),
    sa.Column("evse_id", sa.String(48), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error_code", sa.Text(), nullable=False),
    sa.Column("vendor_error_code", sa.Text(), nullable=True),
    sa.Column("info", sa.Text(), nullable=True),
    sa.Column("status_at", UtcDateTime(), nullable=True),
)

connector_status_history = sa.Table(
    "connector_status_history",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("station_id", STATION_ID, nullable=False),
    sa.Column("connector_id", sa.Integer(), nullable=False, comment="0 = the station itself"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error_code", sa.Text(), nullable=False),
    sa.Column("info", sa.Text(), nullable=True),
    sa.Column("vendor_id", sa.Text(), nullable=True),
    sa.Column("vendor_error_code", sa.Text(), nullable=True),
    sa.Column("station_time", UtcDateTime(), nullable=True),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Index("ix_connector_status_history_station_id_received_at", "station_id", "received_at"),
)

id_tags = sa.Table(
    "id_tags",
    metadata,
    sa.Column("id_tag", ID_TAG, primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=True),
    sa.Column("parent_id_tag", ID_TAG, nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    _created_at(),
)

transactions = sa.Table(
    "transactions",
    metadata,
    # The OCPP transactionId: a 32-bit integer, never reused (AUTOINCREMENT on SQLite,
    # a serial sequence on PostgreSQL).
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("station_id", STATION_ID, nullable=False),
    sa.Column("connector_id", sa.Integer(), nullable=False),
    sa.Column("id_tag", ID_TAG, nullable=False),
    sa.Column("auth_status", sa.String(16), nullable=False),
    sa.Column("reservation_id", sa.Integer(), nullable=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("meter_start_wh", sa.BigInteger(), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("start_received_at", UtcDateTime(), nullable=False),
    sa.Column("start_key", sa.String(64), nullable=False),
    sa.Column("last_meter_wh", sa.BigInteger(), nullable=True),
    sa.Column("last_meter_at", UtcDateTime(), nullable=True),
    sa.Column("meter_stop_wh", sa.BigInteger(), nullable=True),
    sa.Column("stopped_at", UtcDateTime(), nullable=True),
    sa.Column("stop_received_at", UtcDateTime(), nullable=True),
    sa.Column("stop_reason", sa.String(32), nullable=True),
    sa.Column("stop_id_tag", ID_TAG, nullable=True),
    sa.Column("flags", sa.JSON(), nullable=False),
    sa.Column("energy_limit_wh", sa.Integer(), nullable=True),
    sa.Column("duration_limit_s", sa.Integer(), nullable=True),
    # The contract the id tag belonged to at the start and its plan (a contract never
    # changes plan), so rating applies the plan's special prices; NULL for operator tags.
    sa.Column("contract_id", sa.String(32), nullable=True),
    sa.Column("plan_id", sa.String(64), nullable=True),
    sa.UniqueConstraint("start_key", name="uq_transactions_start_key"),
    sa.Index("ix_transactions_station_id_state", "station_id", "state"),
    sa.Index("ix_transactions_id_tag_state", "id_tag", "state"),
    sa.Index("ix_transactions_started_at", "started_at"),
    sa.Index("ix_transactions_contract_id", "contract_id"),
    sqlite_autoincrement=True,
)

remote_starts = sa.Table(
    "remote_starts",
    metadata,
    # Remote starts waiting for (or claimed by) the station's StartTransaction.
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("station_id", STATION_ID, nullable=False),
    sa.Column("id_tag", ID_TAG, nullable=False),
    sa.Column("connector_id", sa.Integer(), nullable=True),
    sa.Column("energy_limit_wh", sa.Integer(), nullable=True),
    sa.Column("duration_limit_s", sa.Integer(), nullable=True),
    sa.Column("requested_by", sa.String(200), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("transaction_id", sa.Integer(), nullable=True),
    sa.Index("ix_remote_starts_station_id_id_tag", "station_id", "id_tag"),
    sqlite_autoincrement=True,
)

meter_values = sa.Table(
    "meter_values",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("transaction_id", sa.Integer(), nullable=True),
    sa.Column("station_id", STATION_ID, nullable=False),
    sa.Column("connector_id", sa.Integer(), nullable=False),
    sa.Column("timestamp", UtcDateTime(), nullable=False, comment="the station's clock"),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("measurand", sa.Text(), nullable=False),
    sa.Column("phase", sa.Text(), nullable=True),
    sa.Column("unit", sa.Text(), nullable=True),
    sa.Column("context", sa.Text(), nullable=False),
    sa.Column("location", sa.Text(), nullable=True),
    sa.Column("format", sa.Text(), nullable=False),
    sa.Column("value", sa.Text(), nullable=False, comment="exactly as received"),
    sa.Column("signed_data", sa.Text(), nullable=True, comment="byte-exact"),
    sa.Column(
        "energy_wh",
        sa.BigInteger(),
        nullable=True,
        comment="import register reading of the sample in Wh (one value per sample)",
    ),
    sa.Index("ix_meter_values_transaction_id", "transaction_id"),
)

message_log = sa.Table(
    "message_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("station_id", STATION_ID, nullable=False),
    sa.Column("direction", sa.String(3), nullable=False),
    sa.Column("message_id", sa.Text(), nullable=True),
    sa.Column("action", sa.Text(), nullable=True),
    sa.Column("request", sa.Text(), nullable=True),
    sa.Column("response", sa.Text(), nullable=True),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("answered_at", UtcDateTime(), nullable=True),
    sa.Column("error_code", sa.Text(), nullable=True),
    sa.Index("ix_message_log_station_id_requested_at", "station_id", "requested_at"),
    sa.Index("ix_message_log_requested_at", "requested_at"),
)

connection_events = sa.Table(
    "connection_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("station_id", STATION_ID, nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("detail", sa.Text(), nullable=True),
    sa.Index("ix_connection_events_station_id_at", "station_id", "at"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
    sa.Column("last_used_at", UtcDateTime(), nullable=True),
    sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
)

TARIFF_ID = sa.String(36)
"""OCPI 2.2.1 Tariff.id (CiString36)."""
MONEY = ExactDecimal(18, 4)
"""A rounded amount in a currency's major unit (up to 4 minor digits, e.g. CLF)."""
VOLUME = ExactDecimal(20, 6)
"""kWh or seconds, exact to a millionth (energy is kept in mWh while rating)."""

tariffs = sa.Table(
    "tariffs",
    metadata,
    sa.Column("id", TARIFF_ID, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    _created_at(),
)

tariff_versions = sa.Table(
    "tariff_versions",
    metadata,
    # Versions are never changed once a session may have used them; a price change is a
    # new version with its own validity.
    sa.Column(
        "tariff_id",
        TARIFF_ID,
        sa.ForeignKey("tariffs.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("valid_from", UtcDateTime(), nullable=True),
    sa.Column("valid_until", UtcDateTime(), nullable=True),
    sa.Column("document", sa.JSON(), nullable=False, comment="formats.tariff_document"),
    _created_at(),
)

tariff_assignments = sa.Table(
    "tariff_assignments",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("tariff_id", TARIFF_ID, sa.ForeignKey("tariffs.id"), nullable=False),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("target", sa.String(64), nullable=False, comment="'' for the network"),
    sa.Column("plan_id", sa.String(64), nullable=False, comment="'' for everybody"),
    sa.Column("priority", sa.Integer(), nullable=False),
    _created_at(),
    sa.UniqueConstraint("scope", "target", "plan_id", name="uq_tariff_assignments_scope"),
    sa.Index("ix_tariff_assignments_tariff_id", "tariff_id"),
)

cdrs = sa.Table(
    "cdrs",
    metadata,
    # Charge detail records are immutable: a correction is a credit CDR (negative amounts)
    # referencing the original, and possibly a new CDR with the next sequence number.
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("transaction_id", sa.Integer(), sa.ForeignKey("transactions.id"), nullable=False),
    sa.Column("sequence", sa.Integer(), nullable=False, comment="1 for the first CDR"),
    sa.Column("credit_reference_id", BigId, sa.ForeignKey("cdrs.id"), nullable=True),
    sa.Column("station_id", STATION_ID, nullable=False),
    sa.Column("connector_id", sa.Integer(), nullable=False),
    sa.Column("id_tag", ID_TAG, nullable=False),
    sa.Column("location_id", LOCATION_ID, nullable=True),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("tariff_id", TARIFF_ID, nullable=True),
    sa.Column("tariff_version", sa.Integer(), nullable=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("ended_at", UtcDateTime(), nullable=False),
    sa.Column("energy_kwh", VOLUME, nullable=False),
    sa.Column("charging_s", VOLUME, nullable=False),
    sa.Column("parking_s", VOLUME, nullable=False),
    sa.Column("total_excl_vat", MONEY, nullable=False),
    sa.Column("total_incl_vat", MONEY, nullable=False),
    sa.Column("energy_excl_vat", MONEY, nullable=False),
    sa.Column("energy_incl_vat", MONEY, nullable=False),
    sa.Column("time_excl_vat", MONEY, nullable=False),
    sa.Column("time_incl_vat", MONEY, nullable=False),
    sa.Column("parking_excl_vat", MONEY, nullable=False),
    sa.Column("parking_incl_vat", MONEY, nullable=False),
    sa.Column("fixed_excl_vat", MONEY, nullable=False),
    sa.Column("fixed_incl_vat", MONEY, nullable=False),
    sa.Column("details", sa.JSON(), nullable=False, comment="lines, VAT totals, periods"),
    sa.Column("reason", sa.Text(), nullable=True, comment="why a credit CDR was issued"),
    _created_at(),
    sa.UniqueConstraint("transaction_id", "sequence", name="uq_cdrs_transaction_id_sequence"),
    sa.UniqueConstraint("credit_reference_id", name="uq_cdrs_credit_reference_id"),
    sa.Index("ix_cdrs_station_id_ended_at", "station_id", "ended_at"),
    sa.Index("ix_cdrs_ended_at", "ended_at"),
    sqlite_autoincrement=True,
)

rating_queue = sa.Table(
    "rating_queue",
    metadata,
    # Completed transactions waiting for their CDR: written in the same database transaction
    # that completes them, deleted in the one that stores the CDR. Raters take rows with
    # SKIP LOCKED (PostgreSQL), so they share the work and never block the transactions table.
    sa.Column(
        "transaction_id",
        sa.Integer(),
        sa.ForeignKey("transactions.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("enqueued_at", UtcDateTime(), nullable=False),
    sa.Index("ix_rating_queue_enqueued_at", "enqueued_at"),
)

CUSTOMER_ID = sa.String(36)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", CUSTOMER_ID, primary_key=True),
    sa.Column("type", sa.String(24), nullable=False),
    sa.Column("profile", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("phone", sa.String(30), nullable=True),
    sa.Column("address", sa.JSON(), nullable=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("vat_country", sa.String(2), nullable=True),
    sa.Column("vat_id", sa.String(40), nullable=True),
    sa.Column("blocked_reason", sa.Text(), nullable=True),
    sa.Column("blocked_at", UtcDateTime(), nullable=True),
    sa.Column("anonymised_at", UtcDateTime(), nullable=True),
    sa.Column("notes", sa.Text(), nullable=True),
    _created_at(),
    sa.Index("ix_customers_email", "email"),
    sa.Index("ix_customers_vat_id", "vat_id"),
)

customer_consents = sa.Table(
    "customer_consents",
    metadata,
    # Append-only: the latest row of a kind is what holds.
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column(
        "customer_id",
        CUSTOMER_ID,
        sa.ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("given", sa.Boolean(), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Index("ix_customer_consents_customer_id", "customer_id"),
    sqlite_autoincrement=True,
)

PLAN_ID = sa.String(64)
CONTRACT_ID = sa.String(32)
"""A contract's eMAID in its compact form (e.g. "PLAMPC000000427", at most 18 characters)."""

plans = sa.Table(
    "plans",
    metadata,
    # A plan's special prices are rows of tariff_assignments with its plan_id, so rating reads
    # one table for every price.
    sa.Column("id", PLAN_ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("monthly_fee", MONEY, nullable=False),
    sa.Column("card_fee", MONEY, nullable=False),
    sa.Column("vat_percent", ExactDecimal(7, 4), nullable=True),
    sa.Column("valid_from", UtcDateTime(), nullable=False),
    sa.Column("valid_until", UtcDateTime(), nullable=True),
    sa.Column("bonus", sa.JSON(), nullable=True, comment="basis, points_per_unit, point_value"),
    sa.Column("eligible_customer_types", sa.JSON(), nullable=False),
    _created_at(),
)

contracts = sa.Table(
    "contracts",
    metadata,
    sa.Column("id", CONTRACT_ID, primary_key=True),
    sa.Column("customer_id", CUSTOMER_ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("plan_id", PLAN_ID, sa.ForeignKey("plans.id"), nullable=False),
    sa.Column("starts_at", UtcDateTime(), nullable=False),
    sa.Column("ends_at", UtcDateTime(), nullable=True),
    sa.Column("state", sa.String(16), nullable=False, comment="the last event's target"),
    _created_at(),
    sa.Index("ix_contracts_customer_id", "customer_id"),
    sa.Index("ix_contracts_plan_id", "plan_id"),
)

contract_events = sa.Table(
    "contract_events",
    metadata,
    # Append-only history of state changes; its order is the id order.
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column(
        "contract_id",
        CONTRACT_ID,
        sa.ForeignKey("contracts.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("from_state", sa.String(16), nullable=False),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Index("ix_contract_events_contract_id", "contract_id"),
    sqlite_autoincrement=True,
)

tokens = sa.Table(
    "tokens",
    metadata,
    # Tokens of contracts (RFID cards, app tokens, vehicle ids). Operator tags without a
    # contract (staff and service cards) stay in id_tags; a uid is in at most one of the two.
    sa.Column("uid", ID_TAG, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("contract_id", CONTRACT_ID, sa.ForeignKey("contracts.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=True),
    sa.Column("printed_number", sa.String(64), nullable=True),
    sa.Column("card_fee", sa.Boolean(), nullable=False),
    _created_at(),
    sa.Index("ix_tokens_contract_id", "contract_id"),
    sa.Index("ix_tokens_printed_number", "printed_number"),
)

vehicles = sa.Table(
    "vehicles",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "customer_id",
        CUSTOMER_ID,
        sa.ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("make", sa.String(100), nullable=False),
    sa.Column("model", sa.String(100), nullable=False),
    sa.Column("battery_kwh", ExactDecimal(8, 3), nullable=True),
    sa.Column("connector_standards", sa.JSON(), nullable=False),
    sa.Column("plate", sa.String(20), nullable=True),
    sa.Column(
        "token_uid",
        ID_TAG,
        sa.ForeignKey("tokens.uid", ondelete="SET NULL"),
        nullable=True,
        comment="autocharge: the vehicle's own token",
    ),
    _created_at(),
    sa.Index("ix_vehicles_customer_id", "customer_id"),
    sa.UniqueConstraint("token_uid", name="uq_vehicles_token_uid"),
)

bonus_entries = sa.Table(
    "bonus_entries",
    metadata,
    # Append-only ledger of bonus points per contract; the balance is the sum of points.
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column(
        "contract_id",
        CONTRACT_ID,
        sa.ForeignKey("contracts.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("movement", sa.String(16), nullable=False),
    sa.Column("points", sa.Integer(), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("reference", sa.String(200), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("value", MONEY, nullable=True, comment="what a redemption took off, fixed then"),
    sa.Column(
        "unique_reference",
        sa.String(220),
        nullable=True,
        comment="movement:reference for earn/redeem (a session counts once); NULL for adjust",
    ),
    sa.Index("ix_bonus_entries_contract_id", "contract_id"),
    sa.UniqueConstraint(
        "contract_id", "unique_reference", name="uq_bonus_entries_contract_id_unique_reference"
    ),
    sqlite_autoincrement=True,
)

authorizations = sa.Table(
    "authorizations",
    metadata,
    # Every authorisation attempt (OCPP Authorize, the idTag of Start/Stop, remote starts).
    # High volume and kept after tokens, contracts or stations are deleted: no foreign keys.
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("trigger", sa.String(16), nullable=False),
    sa.Column("station_id", STATION_ID, nullable=True),
    sa.Column("connector_id", sa.Integer(), nullable=True),
    sa.Column("uid", ID_TAG, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(300), nullable=False),
    sa.Column("token_kind", sa.String(16), nullable=True, comment="NULL: an operator tag"),
    sa.Column("contract_id", CONTRACT_ID, nullable=True),
    sa.Column("customer_id", CUSTOMER_ID, nullable=True),
    sa.Column("tariff_id", TARIFF_ID, nullable=True),
    sa.Column("transaction_id", sa.Integer(), nullable=True),
    sa.Index("ix_authorizations_at", "at"),
    sa.Index("ix_authorizations_uid_at", "uid", "at"),
    sa.Index("ix_authorizations_station_id_at", "station_id", "at"),
    sa.Index("ix_authorizations_customer_id_at", "customer_id", "at"),
    sa.Index("ix_authorizations_contract_id_at", "contract_id", "at"),
    sqlite_autoincrement=True,
)

payment_providers = sa.Table(
    "payment_providers",
    metadata,
    # Payment provider accounts an operator connected. Secret fields are only stored sealed
    # (Fernet tokens, key from AMPYRE_SECRET_KEYS), never in clear text.
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("provider", sa.String(32), nullable=False, comment="adapter: sandbox, stripe, ..."),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("settings", sa.JSON(), nullable=False, comment="non-secret fields, as entered"),
    sa.Column("secrets", sa.JSON(), nullable=False, comment="secret field -> sealed text"),
    sa.Column("secret_hints", sa.JSON(), nullable=False, comment="secret field -> masked hint"),
    sa.Column("active", sa.Boolean(), nullable=False),
    _created_at(),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("rotated_at", UtcDateTime(), nullable=True, comment="secrets last re-encrypted"),
    sa.Index(
        "uq_payment_providers_active",
        "active",
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    ),
)

PAYMENT_ID = sa.String(40)
MINOR = sa.BigInteger()
"""Money at a provider: integer minor units (cents), with a currency column beside it."""

payments = sa.Table(
    "payments",
    metadata,
    # Payments at a provider as Ampyre tracks them; they only move forward (domain.payments).
    sa.Column("id", PAYMENT_ID, primary_key=True),
    sa.Column("customer_id", CUSTOMER_ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("purpose", sa.String(16), nullable=False),
    sa.Column("state", sa.String(24), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("authorized", MINOR, nullable=False),
    sa.Column("captured", MINOR, nullable=False),
    sa.Column("refunded", MINOR, nullable=False),
    sa.Column("reference", sa.String(255), nullable=True, comment="the provider's id"),
    sa.Column("transaction_id", sa.Integer(), nullable=True, comment="the session it pays"),
    sa.Column("method", sa.String(255), nullable=True, comment="provider token of the card"),
    sa.Column("action_url", sa.Text(), nullable=True),
    sa.Column("authorization_expires_at", UtcDateTime(), nullable=True),
    sa.Column("failure_code", sa.String(64), nullable=True),
    sa.Column("failure_message", sa.Text(), nullable=True),
    _created_at(),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("provider", "reference", name="uq_payments_provider_reference"),
    sa.UniqueConstraint("transaction_id", name="uq_payments_transaction_id"),
    sa.Index("ix_payments_customer_id", "customer_id"),
)

ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    # Append-only: every money movement once, under a key naming the movement itself.
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("amount", MINOR, nullable=False, comment="minor units, >= 0; the kind is the sign"),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("customer_id", CUSTOMER_ID, nullable=False),
    sa.Column("payment_id", PAYMENT_ID, nullable=True),
    sa.Column("transaction_id", sa.Integer(), nullable=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.UniqueConstraint("key", name="uq_ledger_entries_key"),
    sa.Index("ix_ledger_entries_customer_id", "customer_id"),
    sa.Index("ix_ledger_entries_payment_id", "payment_id"),
    sqlite_autoincrement=True,
)

payment_log = sa.Table(
    "payment_log",
    metadata,
    # Every request, answer and webhook of every payment, without secrets.
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("payment_id", PAYMENT_ID, nullable=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("operation", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),
    sa.Column("idempotency_key", sa.String(200), nullable=True),
    sa.Column("payload", sa.JSON(), nullable=False),
    sa.Index("ix_payment_log_payment_id", "payment_id"),
    sqlite_autoincrement=True,
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    # Webhooks received, stored in the transaction that applies them: a duplicate is refused.
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("event_id", sa.String(255), nullable=False),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("provider", "event_id", name="uq_webhook_events_provider_event_id"),
    sqlite_autoincrement=True,
)

refund_requests = sa.Table(
    "refund_requests",
    metadata,
    # Drivers' refund ("cashback") requests for a session, approved by rules or by support,
    # then paid back through the session's payment (domain.refunds).
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("transaction_id", sa.Integer(), nullable=False),
    sa.Column("payment_id", PAYMENT_ID, sa.ForeignKey("payments.id"), nullable=False),
    sa.Column("customer_id", CUSTOMER_ID, nullable=False),
    sa.Column("amount", MINOR, nullable=False, comment="minor units"),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False, comment="the driver's words"),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("automatic", sa.Boolean(), nullable=False),
    sa.Column("decision_reason", sa.Text(), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("requested_by", sa.String(255), nullable=True),
    sa.Column("due_by", UtcDateTime(), nullable=True, comment="paid back by then once approved"),
    sa.Column("decided_by", sa.String(255), nullable=True),
    sa.Column("decided_at", UtcDateTime(), nullable=True),
    sa.Column("claimed_until", UtcDateTime(), nullable=True, comment="a payer is at work"),
    sa.Column("paid_at", UtcDateTime(), nullable=True),
    sa.Column("failure_message", sa.Text(), nullable=True),
    sa.Index("ix_refund_requests_transaction_id", "transaction_id"),
    sa.Index("ix_refund_requests_status_due_by", "status", "due_by"),
)
