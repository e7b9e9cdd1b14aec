"""``paginate`` walks every page of a list block lazily, following Plivo's ``meta``."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from plivo_blocks import APIError, AsyncClient, Client, ValidationError
from support.clients import FAKE_AUTH_ID, FAKE_AUTH_TOKEN, Twin
from support.upstream import RecordedRequest, RecordingUpstream, Reply, plivo_page

MESSAGES = [{"message_uuid": f"m-{i:03}", "message_direction": "outbound"} for i in range(45)]
PATH = f"/v1/Account/{FAKE_AUTH_ID}/Message/"


def offset_pages(request: RecordedRequest) -> Reply:
    """Plivo's offset paging over MESSAGES, honouring the request's limit and offset."""
    limit, offset = int(request.query["limit"]), int(request.query["offset"])
    return Reply(
        json=plivo_page(
            MESSAGES[offset : offset + limit], offset=offset, limit=limit, total_count=45, path=PATH
        )
    )


def test_every_object_of_every_page_in_order(twin: Twin) -> None:
    twin.upstream.respond_with(offset_pages)

    items = twin.collect(lambda c: c.paginate("getMessages", messageDirection="outbound"))

    assert items == MESSAGES
    requests = twin.upstream.requests
    assert [(r.method, r.raw_path) for r in requests] == [("GET", PATH)] * 3
    assert [r.query for r in requests] == [
        {"message_direction": "outbound", "limit": "20", "offset": str(offset)} for offset in (0, 20, 40)
    ]


def test_limit_sets_the_page_size_and_offset_the_start(twin: Twin) -> None:
    twin.upstream.respond_with(offset_pages)

    items = twin.collect(lambda c: c.paginate("get_messages", limit="7", offset=30))

    assert items == MESSAGES[30:]
    assert [r.query["offset"] for r in twin.upstream.requests] == ["30", "37", "44"]
    assert {r.query["limit"] for r in twin.upstream.requests} == {"7"}


def test_pages_are_fetched_lazily(recording_upstream: RecordingUpstream) -> None:
    recording_upstream.respond_with(offset_pages)

    with Client(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url) as client:
        walk = client.paginate("getMessages")
        assert recording_upstream.requests == []
        first = list(itertools.islice(walk, 21))

    assert first == MESSAGES[:21]
    assert len(recording_upstream.requests) == 2


@pytest.mark.anyio
async def test_async_for_walks_every_page(recording_upstream: RecordingUpstream) -> None:
    recording_upstream.respond_with(offset_pages)

    async with AsyncClient(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url) as client:
        items = [item async for item in client.paginate("getMessages", limit=20)]

    assert items == MESSAGES
    assert len(recording_upstream.requests) == 3


def test_a_cursor_in_meta_next_replaces_the_offset(twin: Twin) -> None:
    """Deployments that page by cursor put it in ``meta.next``; it must not travel with an offset."""

    def cursor_pages(request: RecordedRequest) -> Reply:
        start = int(request.query.get("cursor", "c0")[1:])
        chunk = MESSAGES[start : start + 20]
        following = start + 20
        meta = {
            "limit": 20,
            "offset": 0,  # a hybrid deployment keeps answering offset 0
            "next": f"{PATH}?limit=20&cursor=c{following}" if following < len(MESSAGES) else None,
        }
        return Reply(json={"api_id": "p", "meta": meta, "objects": chunk})

    twin.upstream.respond_with(cursor_pages)

    items = twin.collect(lambda c: c.paginate("getRecordings"))

    assert items == MESSAGES
    queries = [r.query for r in twin.upstream.requests]
    assert queries == [
        {"limit": "20", "offset": "0"},
        {"limit": "20", "cursor": "c20"},
        {"limit": "20", "cursor": "c40"},
    ]


def test_a_server_ignoring_the_paging_parameters_does_not_loop_forever(twin: Twin) -> None:
    first_page = plivo_page(MESSAGES[:20], offset=0, limit=20, total_count=45, path=PATH)
    twin.upstream.respond_with(lambda request: Reply(json=first_page))

    items = twin.collect(lambda c: c.paginate("getMessages"))

    assert items == MESSAGES[:20]
    assert len(twin.upstream.requests) == 2


def test_total_count_ends_the_walk_even_when_next_is_set(twin: Twin) -> None:
    # Plivo's own sample answer: 20 of a total of 20, and still a "next" link.
    page = plivo_page(MESSAGES[:20], offset=0, limit=20, total_count=20, path=PATH)
    page["meta"]["next"] = f"{PATH}?limit=20&offset=20"
    twin.upstream.enqueue(Reply(json=page))

    items = twin.collect(lambda c: c.paginate("getMessages"))

    assert items == MESSAGES[:20]
    assert len(twin.upstream.requests) == 1


def test_an_empty_page_ends_the_walk(twin: Twin) -> None:
    empty = plivo_page([], offset=0, limit=20, total_count=0, path=PATH)
    empty["meta"]["next"] = f"{PATH}?limit=20&offset=20"
    twin.upstream.enqueue(Reply(json=empty))

    assert twin.collect(lambda c: c.paginate("getEndpoints")) == []
    assert len(twin.upstream.requests) == 1


def test_without_meta_the_offset_steps_by_limit_until_a_short_page(twin: Twin) -> None:
    def no_meta(request: RecordedRequest) -> Reply:
        offset = int(request.query["offset"])
        return Reply(json={"api_id": "x", "objects": MESSAGES[offset : offset + 20]})

    twin.upstream.respond_with(no_meta)

    assert twin.collect(lambda c: c.paginate("getSubaccounts")) == MESSAGES
    assert [r.query["offset"] for r in twin.upstream.requests] == ["0", "20", "40"]


def test_a_page_without_objects_is_an_api_error(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(json={"api_id": "x", "error": "weird"}))

    with pytest.raises(APIError, match="not a page"):
        twin.collect(lambda c: c.paginate("getMessages"))


def test_errors_on_a_later_page_surface_during_iteration(twin: Twin) -> None:
    twin.upstream.enqueue(
        Reply(json=plivo_page(MESSAGES[:20], offset=0, limit=20, total_count=45, path=PATH)),
        Reply(status=401, json={"api_id": "x", "error": "Authentication failed"}),
    )
    seen: list[Any] = []

    def walk(client: Any) -> Any:
        async def consume_async() -> None:
            async for item in client.paginate("getMessages"):
                seen.append(item)

        if isinstance(client, AsyncClient):
            return consume_async()
        for item in client.paginate("getMessages"):
            seen.append(item)
        return None

    with pytest.raises(APIError, match="Authentication failed"):
        twin.run(walk)

    assert seen == MESSAGES[:20]


@pytest.mark.parametrize("block", ["getAccountDetails", "sendMessage", "getConferences"])
def test_a_block_that_does_not_return_pages_is_refused_at_once(
    recording_upstream: RecordingUpstream, block: str
) -> None:
    with (
        Client(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url) as client,
        pytest.raises(ValidationError, match=r"does not return pages; paginated blocks: .*getMessages"),
    ):
        client.paginate(block)
    async_client = AsyncClient(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url)
    with pytest.raises(ValidationError):
        async_client.paginate(block)

    assert recording_upstream.requests == []


@pytest.mark.parametrize("filters", [{"limit": 21}, {"limit": 0}, {"offset": -1}, {"messageDirection": "up"}])
def test_filters_are_validated_before_the_first_page(
    recording_upstream: RecordingUpstream, filters: Any
) -> None:
    with (
        Client(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url) as client,
        pytest.raises(ValidationError),
    ):
        client.paginate("getMessages", **filters)

    assert recording_upstream.requests == []


def test_a_next_link_that_goes_backwards_ends_the_walk(twin: Twin) -> None:
    def backwards(request: RecordedRequest) -> Reply:
        offset = int(request.query["offset"])
        page = plivo_page(MESSAGES[offset : offset + 20], offset=offset, limit=20, total_count=45, path=PATH)
        page["meta"]["next"] = f"{PATH}?limit=20&offset={20 if offset == 0 else 0}"
        return Reply(json=page)

    twin.upstream.respond_with(backwards)

    assert twin.collect(lambda c: c.paginate("getMessages")) == MESSAGES[:40]
    assert [r.query["offset"] for r in twin.upstream.requests] == ["0", "20"]
