"""Connectors, id tags and API tokens round-trip through their repositories."""

from __future__ import annotations

import pytest
from dbfactories import at, station

from ampyre.domain.errors import Conflict, NotFound
from ampyre.domain.id_tags import IdTag, TagStatus
from ampyre.domain.stations import (
    Connector,
    ConnectorFormat,
    ConnectorStandard,
    ConnectorStatus,
    PowerType,
)
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import ApiToken, Page, Role


async def test_connector_save_inserts_then_updates(uow: UnitOfWorkFactory) -> None:
    first = Connector("ST-1", 2, max_power_w=11_000, evse_id="PL*ACM*E1*2")
    second = Connector(
        "ST-1",
        2,
        standard=ConnectorStandard.TYPE2_COMBO,
        format=ConnectorFormat.CABLE,
        power_type=PowerType.DC,
        max_power_w=150_000,
        status=ConnectorStatus.FAULTED,
        error_code="GroundFailure",
        vendor_error_code="E42",
        info="relay",
        status_at=at(10),
    )
    async with uow() as tx:
        await tx.stations.add(station())
        await tx.connectors.save(first)
        await tx.connectors.save(Connector("ST-1", 1))
        await tx.commit()
    async with uow() as tx:
        assert await tx.connectors.get("ST-1", 2) == first
        await tx.connectors.save(second)
        await tx.commit()

    async with uow() as tx:
        listed = await tx.connectors.list_for_station("ST-1")
        missing = await tx.connectors.get("ST-1", 3)
    assert listed == [Connector("ST-1", 1), second]
    assert missing is None


async def test_connector_delete(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.stations.add(station())
        await tx.connectors.save(Connector("ST-1", 1))
        await tx.connectors.save(Connector("ST-1", 2))
        await tx.commit()
    async with uow() as tx:
        await tx.connectors.delete("ST-1", 1)
        await tx.commit()
    async with uow() as tx:
        remaining = await tx.connectors.list_for_station("ST-1")
    assert [connector.connector_id for connector in remaining] == [2]


async def test_id_tag_round_trip_update_delete(uow: UnitOfWorkFactory) -> None:
    tag = IdTag("CARD-1", expires_at=at(3600), parent_id_tag="FLEET-1", note="Anna's card")
    async with uow() as tx:
        await tx.id_tags.add(tag)
        with pytest.raises(Conflict):
            await tx.id_tags.add(IdTag("CARD-1"))
        await tx.commit()
    async with uow() as tx:
        assert await tx.id_tags.get("CARD-1") == tag
        blocked = IdTag("CARD-1", status=TagStatus.BLOCKED)
        await tx.id_tags.update(blocked)
        with pytest.raises(NotFound):
            await tx.id_tags.update(IdTag("CARD-404"))
        await tx.commit()
    async with uow() as tx:
        assert await tx.id_tags.get("CARD-1") == blocked
        await tx.id_tags.delete("CARD-1")
        await tx.commit()
    async with uow() as tx:
        assert await tx.id_tags.get("CARD-1") is None


async def test_id_tag_search_matches_tag_or_note_ignoring_case(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.id_tags.add(IdTag("AAA-1", note="fleet van"))
        await tx.id_tags.add(IdTag("BBB-2", note="Fleet_car"))
        await tx.id_tags.add(IdTag("fleet-3"))
        await tx.id_tags.add(IdTag("CCC-4", note="private"))
        await tx.commit()

    async with uow() as tx:
        fleet = await tx.id_tags.list(Page(), search="FLEET")
        underscore = await tx.id_tags.list(Page(), search="t_c")
        everything = await tx.id_tags.list(Page(limit=2, offset=1))

    assert [tag.id_tag for tag in fleet] == ["AAA-1", "BBB-2", "fleet-3"]
    assert [tag.id_tag for tag in underscore] == ["BBB-2"]
    assert [tag.id_tag for tag in everything] == ["BBB-2", "CCC-4"]


async def test_api_tokens_add_get_list_revoke(uow: UnitOfWorkFactory) -> None:
    token = ApiToken(None, "ci", Role.OPERATOR, "a" * 64, created_at=at(0))
    async with uow() as tx:
        first_id = await tx.api_tokens.add(token)
        second_id = await tx.api_tokens.add(
            ApiToken(None, "ro", Role.READONLY, "b" * 64, created_at=at(1), last_used_at=at(2))
        )
        with pytest.raises(Conflict):
            await tx.api_tokens.add(token)
        await tx.commit()
    assert second_id > first_id

    async with uow() as tx:
        assert await tx.api_tokens.revoke(first_id, at(10))
        assert not await tx.api_tokens.revoke(first_id, at(20))
        assert not await tx.api_tokens.revoke(999_999, at(20))
        await tx.commit()

    async with uow() as tx:
        loaded = await tx.api_tokens.get_by_hash("a" * 64)
        listed = await tx.api_tokens.list()
        unknown = await tx.api_tokens.get_by_hash("c" * 64)
    assert loaded == ApiToken(first_id, "ci", Role.OPERATOR, "a" * 64, at(0), revoked_at=at(10))
    assert [item.id for item in listed] == [first_id, second_id]
    assert listed[1].last_used_at == at(2)
    assert unknown is None
