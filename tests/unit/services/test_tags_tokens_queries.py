"""Id tags, API tokens and the read-only queries on the in-memory store."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from service_fakes import MemoryStore

from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ampyre.domain.id_tags import IdTag, TagStatus
from ampyre.domain.metering import MeterSample, SampledValue
from ampyre.domain.tokens import Token, TokenKind
from ampyre.domain.transactions import Transaction
from ampyre.services.access import Actor, Unauthenticated
from ampyre.services.api_tokens import ApiTokenService
from ampyre.services.clock import FixedClock
from ampyre.services.id_tags import IdTagService, IdTagUpdate
from ampyre.services.queries import QueryService
from ampyre.services.records import LoggedFrame, Page, Role, StoredSample, TransactionFilter

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
ADMIN = Actor("test", Role.ADMIN)


async def test_a_charging_token_uid_cannot_become_an_operator_tag() -> None:
    store = MemoryStore()
    contract = Emaid.new("PL", "AMP", "C00000001")
    store.state.tokens["CARD9"] = Token("CARD9", TokenKind.RFID, contract, NOW)
    with pytest.raises(Conflict, match=f"charging token of contract {contract.compact}"):
        await IdTagService(store).do_add_tag(ADMIN, IdTag("CARD9"))
    assert store.state.id_tags == {}


async def test_tags_add_update_clear_and_delete() -> None:
    store = MemoryStore()
    tags = IdTagService(store)
    await tags.do_add_tag(ADMIN, IdTag("CARD1", expires_at=NOW, parent_id_tag="FLEET"))
    with pytest.raises(Conflict):
        await tags.do_add_tag(ADMIN, IdTag("CARD1"))
    blocked = await tags.do_update_tag(ADMIN, "CARD1", IdTagUpdate(status=TagStatus.BLOCKED))
    assert (blocked.status, blocked.expires_at, blocked.parent_id_tag) == (
        TagStatus.BLOCKED,
        NOW,
        "FLEET",
    )
    cleared = await tags.do_update_tag(
        ADMIN, "CARD1", IdTagUpdate(expires_at=None, parent_id_tag=None)
    )
    assert (cleared.expires_at, cleared.parent_id_tag) == (None, None)
    assert store.state.id_tags["CARD1"].status is TagStatus.BLOCKED
    await tags.do_add_tag(ADMIN, IdTag("OTHER"))
    found = await tags.list_tags(ADMIN, Page(), search="card")
    assert [t.id_tag for t in found] == ["CARD1"]
    await tags.do_delete_tag(ADMIN, "CARD1")
    with pytest.raises(NotFound):
        await tags.get_tag(ADMIN, "CARD1")


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        (IdTag("CARD1", expires_at=datetime(2030, 1, 1)), "time zone"),  # noqa: DTZ001
        (IdTag("CARD1", parent_id_tag="CARD1"), "own parent"),
        (IdTag("CARD1", note="x" * 501), "note"),
    ],
)
async def test_tags_refuse_invalid_values(tag: IdTag, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        await IdTagService(MemoryStore()).do_add_tag(ADMIN, tag)


def test_id_tag_text_is_checked_by_the_domain() -> None:
    with pytest.raises(ValidationFailed, match="1-20"):
        IdTag("X" * 21)


async def test_token_secret_is_shown_once_and_only_its_sha256_is_stored() -> None:
    store = MemoryStore()
    tokens = ApiTokenService(store, FixedClock(NOW))
    token, secret = await tokens.do_create_token(None, " ci bot ", Role.SUPPORT_L1)
    assert secret.startswith("ampyre_")
    assert len(secret) >= 7 + 43
    assert token.id is not None
    assert token.name == "ci bot"
    stored = store.state.api_tokens[token.id]
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(stored)
    assert await tokens.check_token(secret) == Actor("token:ci bot", Role.SUPPORT_L1)


async def test_unknown_malformed_and_revoked_tokens_are_unauthenticated() -> None:
    store = MemoryStore()
    tokens = ApiTokenService(store, FixedClock(NOW))
    token, secret = await tokens.do_create_token(ADMIN, "ci", Role.ADMIN)
    for wrong in ("", "Bearer x", "ampyre_" + "A" * 43, secret + "x"):
        with pytest.raises(Unauthenticated):
            await tokens.check_token(wrong)
    assert token.id is not None
    revoked = await tokens.do_revoke_token(ADMIN, token.id)
    assert revoked.revoked_at == NOW
    assert (await tokens.do_revoke_token(ADMIN, token.id)).revoked_at == NOW
    with pytest.raises(Unauthenticated):
        await tokens.check_token(secret)
    with pytest.raises(NotFound):
        await tokens.do_revoke_token(ADMIN, 999)
    with pytest.raises(ValidationFailed):
        await tokens.do_create_token(ADMIN, " ", Role.ADMIN)


async def test_only_admins_create_tokens_but_the_cli_bootstrap_may() -> None:
    tokens = ApiTokenService(MemoryStore(), FixedClock(NOW))
    with pytest.raises(Forbidden):
        await tokens.do_create_token(Actor("op", Role.OPERATOR), "x", Role.ADMIN)
    token, _ = await tokens.do_create_token(None, "first admin", "admin")
    assert token.role is Role.ADMIN
    with pytest.raises(ValidationFailed, match="unknown role 'root'"):
        await tokens.do_create_token(None, "x", "root")


async def test_transaction_detail_carries_samples_and_energy() -> None:
    store = MemoryStore()
    transaction = Transaction(7, "CP1", 1, "TAG", 1_000, NOW, NOW, "k", last_meter_wh=1_500)
    store.state.transactions[7] = transaction
    sample = MeterSample(NOW, (SampledValue("1500", unit="Wh"),))
    store.state.samples.append(StoredSample("CP1", 1, 7, NOW, sample))
    store.state.samples.append(StoredSample("CP1", 1, 8, NOW, sample))
    detail = await QueryService(store).get_transaction(ADMIN, 7)
    assert detail.energy_wh == 500
    assert [s.sample for s in detail.samples] == [sample]
    with pytest.raises(NotFound):
        await QueryService(store).get_transaction(ADMIN, 8)


async def test_queries_refuse_backwards_or_naive_time_ranges() -> None:
    queries = QueryService(MemoryStore())
    with pytest.raises(ValidationFailed, match="after its end"):
        await queries.list_transactions(
            ADMIN, TransactionFilter(started_from=NOW, started_to=NOW - timedelta(1)), Page()
        )
    with pytest.raises(ValidationFailed, match="time zone"):
        await queries.message_log(ADMIN, Page(), since=datetime(2025, 1, 1))  # noqa: DTZ001


async def test_message_log_filters() -> None:
    store = MemoryStore()
    for minute, (station, action) in enumerate(
        [("CP1", "Heartbeat"), ("CP1", "BootNotification"), ("CP2", "Heartbeat")]
    ):
        at = NOW + timedelta(minutes=minute)
        store.state.frames.append(
            LoggedFrame(station, "in", str(minute), action, "[]", "[]", at, at, None)
        )
    frames = await QueryService(store).message_log(
        ADMIN, Page(), station_id="CP1", action="Heartbeat"
    )
    assert [(f.station_id, f.action) for f in frames] == [("CP1", "Heartbeat")]
