"""The OpenAPI document is self-contained: every $ref points at one of its components."""

from __future__ import annotations

from typing import Any

import httpx


def refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(item) for item in node))
    return set()


async def test_every_reference_resolves(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    components = {f"#/components/schemas/{name}" for name in document["components"]["schemas"]}
    assert refs(document) - components == set()
    body = document["paths"]["/tariffs"]["post"]["requestBody"]["content"]["application/json"]
    element = body["schema"]["properties"]["tariff"]["properties"]["elements"]["items"]
    assert "components" in element["properties"]
