"""Payments, the money ledger, the payment log and the webhook inbox.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ampyre.db.types import BigId, UtcDateTime

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("authorized", sa.BigInteger(), nullable=False),
        sa.Column("captured", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(255), nullable=True, comment="the provider's id"),
        sa.Column("transaction_id", sa.Integer(), nullable=True, comment="the session it pays"),
        sa.Column("method", sa.String(255), nullable=True, comment="provider token of the card"),
        sa.Column("action_url", sa.Text(), nullable=True),
        sa.Column("authorization_expires_at", UtcDateTime(), nullable=True),
        sa.Column("failure_code", sa.String(64), nullable=True),
        sa.Column("failure_message", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_payments_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("provider", "reference", name="uq_payments_provider_reference"),
        sa.UniqueConstraint("transaction_id", name="uq_payments_transaction_id"),
    )
    op.create_index("ix_payments_customer_id", "payments", ["customer_id"])
    op.create_table(
        "ledger_entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column(
            "amount",
            sa.BigInteger(),
            nullable=False,
            comment="minor units, >= 0; the kind is the sign",
        ),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("payment_id", sa.String(40), nullable=True),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("key", name="uq_ledger_entries_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ledger_entries_customer_id", "ledger_entries", ["customer_id"])
    op.create_index("ix_ledger_entries_payment_id", "ledger_entries", ["payment_id"])
    op.create_table(
        "payment_log",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("payment_id", sa.String(40), nullable=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("operation", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_log")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_payment_log_payment_id", "payment_log", ["payment_id"])
    op.create_table(
        "webhook_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("provider", "event_id", name="uq_webhook_events_provider_event_id"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("webhook_events")
    op.drop_index("ix_payment_log_payment_id", table_name="payment_log")
    op.drop_table("payment_log")
    op.drop_index("ix_ledger_entries_payment_id", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_customer_id", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_index("ix_payments_customer_id", table_name="payments")
    op.drop_table("payments")
