"""Remote starts with energy / time limits.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

Adds the limits a transaction inherits from an operator's remote start, and the table of
remote starts waiting for the station's StartTransaction.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("energy_limit_wh", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("duration_limit_s", sa.Integer(), nullable=True))
    op.create_table(
        "remote_starts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("id_tag", sa.String(36), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("energy_limit_wh", sa.Integer(), nullable=True),
        sa.Column("duration_limit_s", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_starts")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_remote_starts_station_id_id_tag", "remote_starts", ["station_id", "id_tag"])


def downgrade() -> None:
    op.drop_index("ix_remote_starts_station_id_id_tag", table_name="remote_starts")
    op.drop_table("remote_starts")
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("duration_limit_s")
        batch.drop_column("energy_limit_wh")
