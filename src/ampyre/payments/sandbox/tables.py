"""The sandbox PSP's own storage, separate from Ampyre's database like a real provider's.

Created with ``metadata.create_all`` when the sandbox starts (no migrations: it is test-mode
data that may be thrown away). Times are Unix seconds, as the sandbox's API shows them.
Cards are kept as brand, last four digits, expiry and the test card's behaviour key
(:mod:`.cards`), never the number.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

account = sa.Table(
    "sandbox_account",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("api_key", sa.String(128), nullable=False),
    sa.Column("webhook_secret", sa.String(128), nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
)

customers = sa.Table(
    "sandbox_customers",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("external_id", sa.String(200), nullable=False, unique=True),
    sa.Column("email", sa.String(320)),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
)

methods = sa.Table(
    "sandbox_methods",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("customer_id", sa.String(64)),
    sa.Column("card_key", sa.String(64), nullable=False),
    sa.Column("brand", sa.String(32), nullable=False),
    sa.Column("last4", sa.String(4), nullable=False),
    sa.Column("exp_month", sa.Integer, nullable=False),
    sa.Column("exp_year", sa.Integer, nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("detached", sa.BigInteger),
)

setups = sa.Table(
    "sandbox_setups",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("customer_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("return_url", sa.String(2000), nullable=False),
    sa.Column("action_token", sa.String(64), nullable=False, unique=True),
    sa.Column("method_id", sa.String(64)),
    sa.Column("failure_code", sa.String(64)),
    sa.Column("failure_message", sa.String(500)),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("updated", sa.BigInteger, nullable=False),
)

payments = sa.Table(
    "sandbox_payments",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("customer_id", sa.String(64)),
    sa.Column("method_id", sa.String(64)),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("capture_method", sa.String(16), nullable=False),
    sa.Column("off_session", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("amount_authorized", sa.BigInteger, nullable=False),
    sa.Column("amount_captured", sa.BigInteger, nullable=False),
    sa.Column("amount_refunded", sa.BigInteger, nullable=False),
    sa.Column("description", sa.String(500), nullable=False),
    sa.Column("metadata", sa.Text, nullable=False),
    sa.Column("return_url", sa.String(2000)),
    sa.Column("action_token", sa.String(64), unique=True),
    sa.Column("authorized_at", sa.BigInteger),
    sa.Column("expires_at", sa.BigInteger),
    sa.Column("failure_code", sa.String(64)),
    sa.Column("failure_message", sa.String(500)),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("updated", sa.BigInteger, nullable=False),
    sa.Index("sandbox_payments_due", "status", "expires_at"),
)

refunds = sa.Table(
    "sandbox_refunds",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("payment_id", sa.String(64), nullable=False, index=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
)

events = sa.Table(
    "sandbox_events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("delivered_at", sa.BigInteger),
    sa.Column("last_error", sa.String(500)),
)
"""Every state change; ``body`` is the exact JSON delivered (the same bytes every time)."""

idempotency_keys = sa.Table(
    "sandbox_idempotency_keys",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
)
