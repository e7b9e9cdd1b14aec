"""Pools, views, context managers and closing."""

from __future__ import annotations

import httpx
import pytest

from plivo_blocks import AsyncClient, Client, ConfigurationError
from support.clients import FAKE_AUTH_ID, FAKE_AUTH_TOKEN
from support.upstream import RecordingUpstream, Reply


def test_a_view_uses_its_own_credentials_over_the_parents_pool(recording_upstream: RecordingUpstream) -> None:
    with Client(
        base_url=recording_upstream.url, timeout=7, max_retries=1
    ) as pool:  # no credentials of its own
        view = pool.with_credentials("MAVIEW00000000000001", "view-token")
        other = pool.with_credentials("MAVIEW00000000000002", "other-token")
        view.get_account_details()
        other.get_account_details()

        assert isinstance(view, Client)
        assert (view.base_url, view.timeout, view.max_retries) == (pool.base_url, pool.timeout, 1)
        assert view._http is pool._http is other._http

    first, second = recording_upstream.requests
    assert (first.raw_path, first.basic_auth) == (
        "/v1/Account/MAVIEW00000000000001/",
        ("MAVIEW00000000000001", "view-token"),
    )
    assert second.basic_auth == ("MAVIEW00000000000002", "other-token")


def test_closing_a_view_leaves_the_pool_open_and_closing_the_parent_closes_it(
    recording_upstream: RecordingUpstream,
) -> None:
    parent = Client(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url)
    with parent.with_credentials("MAVIEW00000000000001", "view-token") as view:
        view.get_account_details()
    parent.get_account_details()  # still usable

    parent.close()

    with pytest.raises(ConfigurationError, match="closed"):
        parent.get_account_details()
    with pytest.raises(ConfigurationError, match="closed"):
        view.get_account_details()
    assert len(recording_upstream.requests) == 2


def test_a_view_with_empty_credentials_fails_at_the_call(recording_upstream: RecordingUpstream) -> None:
    with (
        Client(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url) as client,
        pytest.raises(ConfigurationError, match="no Plivo credentials"),
    ):
        client.with_credentials("", "").get_account_details()

    assert recording_upstream.requests == []


def test_a_given_http_client_is_used_and_left_open(recording_upstream: RecordingUpstream) -> None:
    seen: list[httpx.Request] = []
    with httpx.Client(event_hooks={"request": [seen.append]}) as http:
        with Client(
            FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url, http_client=http
        ) as client:
            client.get_account_details()
        assert not http.is_closed
        assert [str(r.url) for r in seen] == [f"{recording_upstream.url}/v1/Account/{FAKE_AUTH_ID}/"]


def test_cookies_set_by_the_upstream_never_travel_with_later_requests(
    recording_upstream: RecordingUpstream,
) -> None:
    recording_upstream.enqueue(Reply(headers={"Set-Cookie": "session=tenant-a; Path=/"}))
    with Client(base_url=recording_upstream.url) as pool:
        pool.with_credentials("MATENANTA00000000001", "a").get_account_details()
        pool.with_credentials("MATENANTB00000000002", "b").get_account_details()

    assert "cookie" not in recording_upstream.last.headers


@pytest.mark.anyio
async def test_async_views_share_the_pool_and_aclose_closes_it(recording_upstream: RecordingUpstream) -> None:
    async with AsyncClient(base_url=recording_upstream.url) as pool:
        view = pool.with_credentials("MAVIEW00000000000001", "view-token")
        async with view:
            answer = await view.get_account_details()
        assert isinstance(view, AsyncClient) and view._http is pool._http
        assert not pool._http.is_closed
        await view.call("getAccountDetails")

    assert answer["message"] == "ok"
    assert [r.basic_auth for r in recording_upstream.requests] == [("MAVIEW00000000000001", "view-token")] * 2
    with pytest.raises(ConfigurationError, match="closed"):
        await view.get_account_details()


@pytest.mark.anyio
async def test_async_call_block_and_prepare(recording_upstream: RecordingUpstream) -> None:
    async with AsyncClient(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url) as client:
        answer = await client.call_block("getPricing", {"countryIso": "us"})
        prepared = client.prepare("getPricing", {"countryIso": "us"})

    assert answer["message"] == "ok"
    assert recording_upstream.last.query == {"country_iso": "US"}
    assert (prepared.method, prepared.path, prepared.query) == ("GET", "Pricing/", {"country_iso": "US"})
