from datetime import UTC, datetime, timedelta

import pytest

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.id_tags import AuthorizationStatus, IdTag, TagStatus, decide_authorization

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tag", "busy", "expected"),
    [
        (None, False, AuthorizationStatus.INVALID),
        (IdTag("A"), False, AuthorizationStatus.ACCEPTED),
        (IdTag("A", status=TagStatus.BLOCKED), False, AuthorizationStatus.BLOCKED),
        (IdTag("A", expires_at=NOW - timedelta(seconds=1)), False, AuthorizationStatus.EXPIRED),
        (IdTag("A", expires_at=NOW + timedelta(days=1)), False, AuthorizationStatus.ACCEPTED),
        (IdTag("A"), True, AuthorizationStatus.CONCURRENT_TX),
        (IdTag("A", status=TagStatus.BLOCKED), True, AuthorizationStatus.BLOCKED),
    ],
)
def test_authorization_decision(
    tag: IdTag | None, busy: bool, expected: AuthorizationStatus
) -> None:
    result = decide_authorization(tag, now=NOW, has_other_active_transaction=busy)
    assert result.status is expected
    assert result.reason


def test_parent_and_expiry_are_returned() -> None:
    expiry = NOW + timedelta(days=3)
    result = decide_authorization(IdTag("A", expires_at=expiry, parent_id_tag="FLEET"), now=NOW)
    assert (result.expires_at, result.parent_id_tag) == (expiry, "FLEET")


@pytest.mark.parametrize("bad", ["", "x" * 21, "with space", "ünïcode"])
def test_id_tag_format(bad: str) -> None:
    with pytest.raises(ValidationFailed):
        IdTag(bad)
