"""Refund ("cashback") requests.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ampyre.db.types import UtcDateTime

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "refund_requests",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False, comment="minor units"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, comment="the driver's words"),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("requested_by", sa.String(255), nullable=True),
        sa.Column(
            "due_by", UtcDateTime(), nullable=True, comment="paid back by then once approved"
        ),
        sa.Column("decided_by", sa.String(255), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("claimed_until", UtcDateTime(), nullable=True, comment="a payer is at work"),
        sa.Column("paid_at", UtcDateTime(), nullable=True),
        sa.Column("failure_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_refund_requests_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_requests")),
    )
    op.create_index("ix_refund_requests_transaction_id", "refund_requests", ["transaction_id"])
    op.create_index("ix_refund_requests_status_due_by", "refund_requests", ["status", "due_by"])


def downgrade() -> None:
    op.drop_index("ix_refund_requests_status_due_by", table_name="refund_requests")
    op.drop_index("ix_refund_requests_transaction_id", table_name="refund_requests")
    op.drop_table("refund_requests")
