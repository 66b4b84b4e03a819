"""Shared constants and helpers of the API tests (imported by name: not a conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ampyre.services.records import Role

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
"""The tests' fixed clock time."""


@dataclass(frozen=True)
class Tokens:
    """A bearer secret per role, created through the CLI bootstrap path."""

    secrets: dict[Role, str]

    def headers(self, role: Role = Role.ADMIN) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets[role]}"}
