"""Payment provider accounts: settings, sealed secrets and their masked hints.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21

At most one account is active: a unique index over ``active`` limited to the active row
(a partial index, on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ampyre.db.types import UtcDateTime

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_providers",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column(
            "provider", sa.String(32), nullable=False, comment="adapter: sandbox, stripe, ..."
        ),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False, comment="non-secret fields, as entered"),
        sa.Column("secrets", sa.JSON(), nullable=False, comment="secret field -> sealed text"),
        sa.Column("secret_hints", sa.JSON(), nullable=False, comment="secret field -> masked hint"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("rotated_at", UtcDateTime(), nullable=True, comment="secrets last re-encrypted"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_providers")),
    )
    op.create_index(
        "uq_payment_providers_active",
        "payment_providers",
        ["active"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )


def downgrade() -> None:
    op.drop_index("uq_payment_providers_active", table_name="payment_providers")
    op.drop_table("payment_providers")
