"""Tariffs, their versions and assignments; charge detail records.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ampyre.db.types import BigId, ExactDecimal, UtcDateTime

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MONEY_COLUMNS = ("total", "energy", "time", "parking", "fixed")


def _created_at() -> sa.Column[object]:
    return sa.Column("created_at", UtcDateTime(), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    op.create_table(
        "tariffs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariffs")),
    )
    op.create_table(
        "tariff_versions",
        sa.Column("tariff_id", sa.String(36), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("valid_from", UtcDateTime(), nullable=True),
        sa.Column("valid_until", UtcDateTime(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False, comment="formats.tariff_document"),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["tariff_id"],
            ["tariffs.id"],
            name=op.f("fk_tariff_versions_tariff_id_tariffs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tariff_id", "number", name=op.f("pk_tariff_versions")),
    )
    op.create_table(
        "tariff_assignments",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tariff_id", sa.String(36), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("target", sa.String(64), nullable=False, comment="'' for the network"),
        sa.Column("plan_id", sa.String(64), nullable=False, comment="'' for everybody"),
        sa.Column("priority", sa.Integer(), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["tariff_id"], ["tariffs.id"], name=op.f("fk_tariff_assignments_tariff_id_tariffs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_assignments")),
        sa.UniqueConstraint("scope", "target", "plan_id", name="uq_tariff_assignments_scope"),
    )
    op.create_index("ix_tariff_assignments_tariff_id", "tariff_assignments", ["tariff_id"])
    money: list[sa.Column[object]] = [
        sa.Column(f"{name}_{side}_vat", ExactDecimal(18, 4), nullable=False)
        for name in _MONEY_COLUMNS
        for side in ("excl", "incl")
    ]
    op.create_table(
        "cdrs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False, comment="1 for the first CDR"),
        sa.Column("credit_reference_id", BigId, nullable=True),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("id_tag", sa.String(36), nullable=False),
        sa.Column("location_id", sa.String(64), nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("tariff_id", sa.String(36), nullable=True),
        sa.Column("tariff_version", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=False),
        sa.Column("energy_kwh", ExactDecimal(20, 6), nullable=False),
        sa.Column("charging_s", ExactDecimal(20, 6), nullable=False),
        sa.Column("parking_s", ExactDecimal(20, 6), nullable=False),
        *money,
        sa.Column("details", sa.JSON(), nullable=False, comment="lines, VAT totals, periods"),
        sa.Column("reason", sa.Text(), nullable=True, comment="why a credit CDR was issued"),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_cdrs_transaction_id_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["credit_reference_id"], ["cdrs.id"], name=op.f("fk_cdrs_credit_reference_id_cdrs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cdrs")),
        sa.UniqueConstraint("transaction_id", "sequence", name="uq_cdrs_transaction_id_sequence"),
        sa.UniqueConstraint("credit_reference_id", name="uq_cdrs_credit_reference_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_cdrs_station_id_ended_at", "cdrs", ["station_id", "ended_at"])
    op.create_index("ix_cdrs_ended_at", "cdrs", ["ended_at"])


def downgrade() -> None:
    op.drop_index("ix_cdrs_ended_at", table_name="cdrs")
    op.drop_index("ix_cdrs_station_id_ended_at", table_name="cdrs")
    op.drop_table("cdrs")
    op.drop_index("ix_tariff_assignments_tariff_id", table_name="tariff_assignments")
    op.drop_table("tariff_assignments")
    op.drop_table("tariff_versions")
    op.drop_table("tariffs")
