"""Plans, contracts and their history, tokens, vehicles, bonus points, the authorisation log.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21

Transactions remember the contract (and its plan) their id tag belonged to at the start.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ampyre.db.types import BigId, ExactDecimal, UtcDateTime

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MONEY = ExactDecimal(18, 4)


def _created_at() -> sa.Column[object]:
    return sa.Column("created_at", UtcDateTime(), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("monthly_fee", _MONEY, nullable=False),
        sa.Column("card_fee", _MONEY, nullable=False),
        sa.Column("vat_percent", ExactDecimal(7, 4), nullable=True),
        sa.Column("valid_from", UtcDateTime(), nullable=False),
        sa.Column("valid_until", UtcDateTime(), nullable=True),
        sa.Column("bonus", sa.JSON(), nullable=True, comment="basis, points_per_unit, point_value"),
        sa.Column("eligible_customer_types", sa.JSON(), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False, comment="the last event's target"),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_contracts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_contracts_plan_id_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
    )
    op.create_index("ix_contracts_customer_id", "contracts", ["customer_id"])
    op.create_index("ix_contracts_plan_id", "contracts", ["plan_id"])
    op.create_table(
        "contract_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(32), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_events_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_events")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_contract_events_contract_id", "contract_events", ["contract_id"])
    op.create_table(
        "tokens",
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("contract_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("printed_number", sa.String(64), nullable=True),
        sa.Column("card_fee", sa.Boolean(), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_tokens_contract_id_contracts")
        ),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_tokens")),
    )
    op.create_index("ix_tokens_contract_id", "tokens", ["contract_id"])
    op.create_index("ix_tokens_printed_number", "tokens", ["printed_number"])
    op.create_table(
        "vehicles",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("make", sa.String(100), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("battery_kwh", ExactDecimal(8, 3), nullable=True),
        sa.Column("connector_standards", sa.JSON(), nullable=False),
        sa.Column("plate", sa.String(20), nullable=True),
        sa.Column(
            "token_uid", sa.String(36), nullable=True, comment="autocharge: the vehicle's own token"
        ),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_vehicles_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["token_uid"],
            ["tokens.uid"],
            name=op.f("fk_vehicles_token_uid_tokens"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
        sa.UniqueConstraint("token_uid", name="uq_vehicles_token_uid"),
    )
    op.create_index("ix_vehicles_customer_id", "vehicles", ["customer_id"])
    op.create_table(
        "bonus_entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(32), nullable=False),
        sa.Column("movement", sa.String(16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("value", _MONEY, nullable=True, comment="what a redemption took off, fixed then"),
        sa.Column(
            "unique_reference",
            sa.String(220),
            nullable=True,
            comment="movement:reference for earn/redeem (a session counts once); NULL for adjust",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_bonus_entries_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bonus_entries")),
        sa.UniqueConstraint(
            "contract_id",
            "unique_reference",
            name="uq_bonus_entries_contract_id_unique_reference",
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_bonus_entries_contract_id", "bonus_entries", ["contract_id"])
    op.create_table(
        "authorizations",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("station_id", sa.String(48), nullable=True),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("token_kind", sa.String(16), nullable=True, comment="NULL: an operator tag"),
        sa.Column("contract_id", sa.String(32), nullable=True),
        sa.Column("customer_id", sa.String(36), nullable=True),
        sa.Column("tariff_id", sa.String(36), nullable=True),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorizations")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_authorizations_at", "authorizations", ["at"])
    op.create_index("ix_authorizations_uid_at", "authorizations", ["uid", "at"])
    op.create_index("ix_authorizations_station_id_at", "authorizations", ["station_id", "at"])
    op.create_index("ix_authorizations_customer_id_at", "authorizations", ["customer_id", "at"])
    op.create_index("ix_authorizations_contract_id_at", "authorizations", ["contract_id", "at"])
    op.add_column("transactions", sa.Column("contract_id", sa.String(32), nullable=True))
    op.add_column("transactions", sa.Column("plan_id", sa.String(64), nullable=True))
    op.create_index("ix_transactions_contract_id", "transactions", ["contract_id"])


def downgrade() -> None:
    op.drop_index("ix_transactions_contract_id", table_name="transactions")
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("plan_id")
        batch.drop_column("contract_id")
    for table, indexes in (
        (
            "authorizations",
            (
                "ix_authorizations_contract_id_at",
                "ix_authorizations_customer_id_at",
                "ix_authorizations_station_id_at",
                "ix_authorizations_uid_at",
                "ix_authorizations_at",
            ),
        ),
        ("bonus_entries", ("ix_bonus_entries_contract_id",)),
        ("vehicles", ("ix_vehicles_customer_id",)),
        ("tokens", ("ix_tokens_printed_number", "ix_tokens_contract_id")),
        ("contract_events", ("ix_contract_events_contract_id",)),
        ("contracts", ("ix_contracts_plan_id", "ix_contracts_customer_id")),
        ("plans", ()),
    ):
        for index in indexes:
            op.drop_index(index, table_name=table)
        op.drop_table(table)
