"""Storage adapters: SQLAlchemy Core tables, repositories, unit of work, batched telemetry
writes and Alembic migrations, on SQLite (embedded) and PostgreSQL (production).
"""
