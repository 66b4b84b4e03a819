"""Kinds of customer (DOMAIN.md §5; seed 002): they decide the documents and the VAT rules."""

from __future__ import annotations

from enum import StrEnum


class CustomerType(StrEnum):
    PRIVATE = "private"
    """A person: a receipt (service confirmation) after ad hoc sessions."""
    BUSINESS_DOMESTIC = "business_domestic"
    """A company in the operator's country: VAT invoices, bank transfer."""
    BUSINESS_FOREIGN = "business_foreign"
    """A company in another EU country with a VAT id: reverse-charge invoices."""
    MUNICIPAL = "municipal"
    """A public body: VAT invoices, bank transfer."""

    @property
    def is_business(self) -> bool:
        return self is not CustomerType.PRIVATE
