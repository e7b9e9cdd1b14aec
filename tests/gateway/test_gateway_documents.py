"""The documents the gateway serves: RapidAPI metadata, OpenAPI, the offline docs page, healthz."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from gateway_support import AUTH_TOKEN

from plivo_blocks.catalog import BLOCKS
from plivo_blocks.catalog.types import CUSTOM_DATATYPES, Select
from plivo_blocks.gateway import build_metadata, build_openapi

pytestmark = pytest.mark.anyio


async def test_metadata_describes_the_package_and_its_accounts(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/Plivo")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    meta = response.json()
    assert meta["package"] == "Plivo"
    for key in ("tagline", "description", "image", "repo", "keywords", "steps"):
        assert meta[key], key
    assert meta["accounts"] == {"domain": "plivo.com", "credentials": ["authId", "authToken"]}
    assert {d["name"] for d in meta["datatypes"]} == set(CUSTOM_DATATYPES)
    assert all(d["description"] and d["example"] for d in meta["datatypes"])


async def test_metadata_lists_every_block_with_every_argument(gateway: httpx.AsyncClient) -> None:
    meta = (await gateway.get("/api/Plivo")).json()
    assert [b["name"] for b in meta["blocks"]] == [b.name for b in BLOCKS]
    assert len(meta["blocks"]) == 68
    for block, listed in zip(BLOCKS, meta["blocks"], strict=True):
        assert listed["description"] == block.description
        credentials, own = listed["args"][:2], listed["args"][2:]
        assert [(a["name"], a["type"], a["required"]) for a in credentials] == [
            ("authId", "credentials", True),
            ("authToken", "credentials", True),
        ]
        assert [a["name"] for a in own] == [a.name for a in block.args]
        for arg, entry in zip(block.args, own, strict=True):
            assert entry["type"] == arg.datatype
            assert entry["required"] is arg.required
            assert isinstance(entry["info"], str)
            if isinstance(arg.type, Select):
                assert entry["options"] == list(arg.type.options)
            else:
                assert "options" not in entry
        assert [c["name"] for c in listed["callbacks"]] == ["error", "success"]
        assert [c["info"] for c in listed["callbacks"]] == ["Error", "Success"]


async def test_select_arguments_carry_their_options(gateway: httpx.AsyncClient) -> None:
    meta = (await gateway.get("/api/Plivo")).json()
    play_text = next(b for b in meta["blocks"] if b["name"] == "playText")
    voice = next(a for a in play_text["args"] if a["name"] == "voice")
    assert voice["type"] == "Select"
    assert voice["options"] == ["MAN", "WOMAN"]


async def test_metadata_is_the_generated_document(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/api/Plivo")).json() == build_metadata()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


async def test_openapi_covers_every_block(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] and doc["info"]["version"]
    assert {"/api/Plivo", "/healthz"} <= set(doc["paths"])
    for block in BLOCKS:
        operation = doc["paths"][f"/api/Plivo/{block.name}"]["post"]
        assert operation["operationId"] == block.name
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body["required"] == ["args"]
        schema = body["properties"]["args"]
        assert schema["type"] == "object"
        assert schema["required"] == ["authId", "authToken", *block.required]
        assert set(schema["properties"]) == {"authId", "authToken", "to", *(a.name for a in block.args)}
        for arg in block.args:
            described = dict(schema["properties"][arg.name])
            described.pop("description")
            assert described == arg.type.schema()
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"]
        assert operation["x-plivo-request"]["method"] == block.method
    assert len([p for p in doc["paths"] if p.startswith("/api/Plivo/")]) == 68


async def test_openapi_references_all_resolve(gateway: httpx.AsyncClient) -> None:
    doc = (await gateway.get("/openapi.json")).json()
    refs = _refs(doc)
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in doc["components"]["schemas"]
    error_codes = doc["components"]["schemas"]["ErrorDetail"]["properties"]["status_code"]["enum"]
    assert set(error_codes) == {
        "JSON_VALIDATION",
        "REQUIRED_FIELDS",
        "INVALID_FIELDS",
        "API_ERROR",
        "INTERNAL_PACKAGE_ERROR",
        "RATE_LIMITED",
        "IDEMPOTENCY_KEY_INVALID",
        "IDEMPOTENCY_KEY_REUSED",
        "IDEMPOTENCY_KEY_IN_USE",
        "IDEMPOTENCY_OUTCOME_UNKNOWN",
        "IDEMPOTENCY_STORE_UNAVAILABLE",
    }
    assert doc == build_openapi()


async def test_docs_page_lists_every_block_and_needs_no_network(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for block in BLOCKS:
        assert f'data-name="{block.name}"' in page
        for arg in block.args:
            assert f"<code>{arg.name}</code>" in page
    # Nothing is fetched from elsewhere: no external script, stylesheet, image, font or frame.
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"<link\b", page, re.IGNORECASE)
    assert not re.search(r"@import|url\(", page, re.IGNORECASE)
    assert "<script>" in page  # the inline filter / try-it script


async def test_documents_hold_no_credential_values(
    gateway: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLIVO_AUTH_TOKEN", AUTH_TOKEN)
    for path in ("/api/Plivo", "/openapi.json", "/docs"):
        text = (await gateway.get(path)).text
        assert AUTH_TOKEN not in text, path


async def test_healthz_is_cheap_json(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
