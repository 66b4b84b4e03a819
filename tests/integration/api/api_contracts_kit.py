"""Plans, customers and contracts made through the API, for the tests of charging tokens,
vehicles and the token import (imported by name: not a conftest)."""

from __future__ import annotations

from typing import Any

import httpx


async def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_plan(
    client: httpx.AsyncClient, headers: dict[str, str], plan_id: str, card_fee: str
) -> None:
    body = {
        "id": plan_id,
        "name": plan_id,
        "currency": "PLN",
        "monthly_fee": "29.90",
        "card_fee": card_fee,
    }
    await created(await client.post("/plans", json=body, headers=headers))


async def add_customer(
    client: httpx.AsyncClient, headers: dict[str, str], name: str = "Jan Kowalski"
) -> str:
    body = {"type": "private", "profile": "ad_hoc", "name": name}
    customer = await created(await client.post("/customers", json=body, headers=headers))
    customer_id: str = customer["id"]
    return customer_id


async def add_contract(
    client: httpx.AsyncClient, headers: dict[str, str], customer_id: str, plan_id: str
) -> dict[str, Any]:
    """An active contract; its ``id`` is the compact eMAID, ``id_hyphenated`` the other form."""
    body = {"customer_id": customer_id, "plan_id": plan_id}
    return await created(await client.post("/contracts", json=body, headers=headers))


async def end_contract(
    client: httpx.AsyncClient, headers: dict[str, str], contract_id: str
) -> None:
    ended = await client.post(
        f"/contracts/{contract_id}/end", json={"reason": "cancelled"}, headers=headers
    )
    assert ended.status_code == 200, ended.text
