"""A queue of completed transactions waiting to be rated into CDRs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

Finding unrated transactions by an anti-join of transactions and CDRs read every completed
transaction on each call (slow with millions of sessions); the queue holds only the waiting
ones. Completed transactions that have no CDR yet are queued by the upgrade.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ampyre.db.types import UtcDateTime

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rating_queue",
        sa.Column("transaction_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("enqueued_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_rating_queue_transaction_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_rating_queue")),
    )
    op.create_index("ix_rating_queue_enqueued_at", "rating_queue", ["enqueued_at"])
    op.execute(
        "INSERT INTO rating_queue (transaction_id, enqueued_at) "
        "SELECT t.id, coalesce(t.stop_received_at, t.started_at) FROM transactions t "
        "WHERE t.state = 'Completed' "
        "AND NOT EXISTS (SELECT 1 FROM cdrs c WHERE c.transaction_id = t.id)"
    )


def downgrade() -> None:
    op.drop_index("ix_rating_queue_enqueued_at", table_name="rating_queue")
    op.drop_table("rating_queue")
