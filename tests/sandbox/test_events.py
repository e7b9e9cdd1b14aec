"""What happens in the sandbox, as events: one per API request and control change (never a query
string or a credential), console lines, and ``GET /_sandbox/events`` (server-sent, resumable,
ended by closing the bus)."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import plivo
import pytest
from answer_server import settle
from hook_recorder import HOOKS
from sandbox_server import Server

from plivo_blocks.sandbox.console import format_line, scrub_urls
from plivo_blocks.sandbox.events import EventBus, SandboxEvent


def _events(sandbox: Server, after: int = 0) -> list[SandboxEvent]:
    return [e for e in list(sandbox.state.events.recent) if e.id > after]


def _last_id(sandbox: Server) -> int:
    recent = list(sandbox.state.events.recent)
    return recent[-1].id if recent else 0


def test_each_api_request_and_control_change_is_one_event_without_secrets(sandbox: Server) -> None:
    state = sandbox.state
    start = _last_id(sandbox)
    with sandbox.main_client() as control:
        control.get(f"/v1/Account/{state.main_auth_id}/", params={"secret": "query-secret"})
        control.get("/_sandbox/settings")  # a read of the control API: no event
        control.patch("/_sandbox/settings", json={"message_sent_seconds": 2})
        httpx.get(f"{sandbox.url}/_sandbox/xml", params={"xml": "<Response/>"})  # served XML: no event
    httpx.get(f"{sandbox.url}/v1/Account/{state.main_auth_id}/", auth=(state.main_auth_id, "wrong-token"))
    events = _events(sandbox, start)
    assert [(e.kind, e.data["method"], e.data["status"]) for e in events] == [
        ("api", "GET", 200),
        ("control", "PATCH", 200),
        ("api", "GET", 401),
    ]
    assert events[0].summary.startswith(f"GET /v1/Account/{state.main_auth_id}/ -> 200 (")
    assert events[0].auth_id == state.main_auth_id and events[1].summary.startswith(
        "PATCH /_sandbox/settings"
    )
    dumped = json.dumps([e.as_dict() for e in events])
    assert (
        "query-secret" not in dumped and state.main_auth_token not in dumped and "wrong-token" not in dumped
    )


def test_console_lines_are_one_line_with_sandbox_time_and_urls_scrubbed() -> None:
    event = SandboxEvent(
        7,
        "webhook",
        "answer POST https://user:pass@app.example/answer?token=abc -> HTTP 200\n(delivered, 1 try)",
        at=1_700_000_000.25,
    )
    assert format_line(event) == (
        "22:13:20.250 webhook  answer POST https://app.example/answer?… -> HTTP 200 (delivered, 1 try)"
    )
    assert (
        scrub_urls("GET http://127.0.0.1:9000/x and http://h/y#rt=5")
        == "GET http://127.0.0.1:9000/x and http://h/y#rt=5"
    )


def test_message_and_webhook_events_follow_a_message(
    sandbox: Server, main_sdk: plivo.RestClient, sms_src: str
) -> None:
    start = _last_id(sandbox)
    (uuid,) = main_sdk.messages.create(
        src=sms_src, dst="14155550111", text="hi", url=f"{HOOKS}/status"
    ).message_uuid
    settle(sandbox, 3)  # queued, sent 1 s later, delivered 2 s after that
    about = [
        (e.kind, e.data.get("state") or e.data.get("status"))
        for e in _events(sandbox, start)
        if e.ref == uuid
    ]
    assert about[0] == ("message", "queued")
    assert ("message", "delivered") in about and ("webhook", "delivered") in about


def _read_events(response: httpx.Response, count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    event_id = None
    for line in response.iter_lines():
        if line.startswith("id: "):
            event_id = int(line[4:])
        elif line.startswith("data: "):
            data = json.loads(line[6:])
            assert data["id"] == event_id
            found.append(data)
            if len(found) == count:
                return found
    raise AssertionError(f"the stream ended after {found}")


def test_the_event_stream_is_live_and_resumes_from_the_last_event_id(
    sandbox: Server, main_sdk: plivo.RestClient, sms_src: str
) -> None:
    start = _last_id(sandbox)
    with sandbox.main_client() as control:
        with control.stream("GET", "/_sandbox/events", params={"after": start}) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            main_sdk.messages.create(src=sms_src, dst="14155550111", text="live")
            first, second = _read_events(stream, 2)
        # The message is queued while the request is handled; the request's event comes once answered.
        by_kind = {event["kind"]: event for event in (first, second)}
        assert by_kind["api"]["summary"].startswith("POST /v1/Account/")
        assert by_kind["message"]["data"]["state"] == "queued"
        headers = {"Last-Event-ID": str(first["id"])}  # what a browser sends when it reconnects
        with control.stream("GET", "/_sandbox/events", headers=headers) as resumed:
            (replayed,) = _read_events(resumed, 1)
        assert replayed == second
        assert control.get("/_sandbox/events", params={"after": "x"}).status_code == 400
    assert httpx.get(f"{sandbox.url}/_sandbox/events").status_code == 401


@pytest.mark.anyio
async def test_subscriptions_beat_while_idle_and_end_when_the_bus_closes() -> None:
    bus = EventBus(lambda: 0.0)
    bus.publish("clock", "before")
    seen: list[SandboxEvent | None] = []

    async def follow() -> None:
        async for item in bus.subscribe(heartbeat=0.01):
            seen.append(item)
            if len(seen) == 3:
                bus.close()

    with anyio.fail_after(5):
        await follow()
    assert seen[0] is not None and seen[0].summary == "before"
    assert seen[1:] == [None, None]
    with anyio.fail_after(5):
        assert [item async for item in bus.subscribe()] == [bus.recent[0]]  # closed: recent only


def test_each_step_of_a_call_is_an_event_with_its_own_console_line(
    sandbox: Server, main_sdk: plivo.RestClient
) -> None:
    from urllib.parse import quote

    xml = '<Response><Speak>Hello</Speak><Wait length="2"/></Response>'
    start = _last_id(sandbox)
    main_sdk.calls.create(
        from_="14155550100", to_="14155550111", answer_url=f"{sandbox.url}/_sandbox/xml?xml={quote(xml)}"
    )
    settle(sandbox, 3)
    calls = [e for e in _events(sandbox, start) if e.kind == "call"]
    steps = [e.data.get("step") for e in calls]
    assert steps[:3] == ["ringing", "answered", "answer_xml"] and "speak" in steps and "wait" in steps
    assert calls[-1].summary.startswith("call outbound 14155550100 -> 14155550111: End Of XML")
    (speak,) = [e for e in calls if e.data.get("step") == "speak"]
    assert format_line(speak).endswith(f"call {speak.ref[:8]} speak text=Hello voice=WOMAN language=en-US")
