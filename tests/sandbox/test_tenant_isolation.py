"""A subaccount can never read or change another account's documents, through any route.

One sandbox holds the main account's resources (application, endpoint, carrier, numbers, messages,
an ended call, a live call in a conference, a ringing call, a recording) and those of a sibling
subaccount. The attacker, another subaccount of the same main account, then tries every route of
the API (:data:`ROWS`: one row per route, and per target where a route names a resource):

- a route naming another account's resource is refused (400, 403 or 404);
- a list shows none of the other accounts' ids (and refuses to filter on another ``subaccount``);
- a route about the attacker's own things (its account, creating its own carrier) works;
- after every request, the other accounts' documents are exactly as they were, and their live
  calls, conference members and recordings too.

The table must name every route the sandbox serves under ``/v1/Account/{auth_id}/`` (a new route
fails :func:`test_the_table_covers_every_api_route` until it gets a row). The attacker's credentials
on another account's path are refused on every route.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import pytest
from hook_recorder import HookRecorder
from sandbox_server import MANUAL, Server, start_server
from starlette.routing import Route

from plivo_blocks.sandbox import create_app
from plivo_blocks.sandbox.store import ANY_OWNER, Tx

Expect = Literal["refused", "list", "own"]
ROOM = "main-room-7f3a"
API_PREFIX = "/v1/Account/{auth_id}/"


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # the route's path after /v1/Account/{auth_id}/
    expect: Expect
    params: dict[str, str] = field(default_factory=dict)
    query: str = ""
    live: bool = False  # {call_uuid} is the live call (not the ended one)


#: Every API route, with what the attacker sends; ``{name}`` in a route or a value is another
#: account's resource (the main account's, then the sibling's where it has one).
ROWS: list[Row] = [
    Row("GET", "", "own"),
    Row("POST", "", "own", {"name": "Attacker renamed"}),
    Row("POST", "Subaccount/", "refused", {"name": "x"}),
    Row("GET", "Subaccount/", "refused"),
    Row("GET", "Subaccount/{sub_id}/", "refused"),
    Row("POST", "Subaccount/{sub_id}/", "refused", {"name": "taken over"}),
    Row("DELETE", "Subaccount/{sub_id}/", "refused"),
    Row("POST", "Application/", "refused", {"app_name": "x", "subaccount": "{sub_id}"}),
    Row("GET", "Application/", "list"),
    Row("GET", "Application/", "refused", query="subaccount={sub_id}"),
    Row("GET", "Application/{app_id}/", "refused"),
    Row("POST", "Application/{app_id}/", "refused", {"answer_url": "https://evil.test/"}),
    Row("DELETE", "Application/{app_id}/", "refused"),
    Row(
        "POST",
        "Endpoint/",
        "refused",
        {"username": "eve", "password": "p", "alias": "E", "app_id": "{app_id}"},
    ),
    Row("GET", "Endpoint/", "list"),
    Row("GET", "Endpoint/{endpoint_id}/", "refused"),
    Row("POST", "Endpoint/{endpoint_id}/", "refused", {"password": "stolen"}),
    Row("DELETE", "Endpoint/{endpoint_id}/", "refused"),
    Row("POST", "IncomingCarrier/", "own", {"name": "Mine", "ip_set": "10.9.9.9"}),
    Row("GET", "IncomingCarrier/", "list"),
    Row("GET", "IncomingCarrier/{carrier_id}/", "refused"),
    Row("POST", "IncomingCarrier/{carrier_id}/", "refused", {"name": "renamed"}),
    Row("DELETE", "IncomingCarrier/{carrier_id}/", "refused"),
    Row("GET", "PhoneNumber/", "list", query="country_iso=US&limit=20"),
    Row("POST", "PhoneNumber/{number}/", "refused"),
    Row("GET", "Number/", "list"),
    Row("GET", "Number/", "refused", query="subaccount={sub_id}"),
    Row(
        "POST", "Number/", "refused", {"numbers": "33140000009", "carrier": "{carrier_id}", "region": "Paris"}
    ),
    Row("GET", "Number/{number}/", "refused"),
    Row("POST", "Number/{number}/", "refused", {"alias": "mine now", "app_id": "null"}),
    Row("DELETE", "Number/{number}/", "refused"),
    Row("POST", "Message/", "refused", {"src": "{number}", "dst": "14155550123", "text": "spoofed"}),
    Row("GET", "Message/", "list"),
    Row("GET", "Message/{message_uuid}/", "refused"),
    Row("GET", "Message/{message_uuid}/Media/", "refused"),
    Row("GET", "Pricing/", "own", query="country_iso=US"),
    Row(
        "POST",
        "Call/",
        "refused",
        {
            "from": "{number}",
            "to": "14155550124",
            "answer_url": "https://hooks.test/answer",
            "parent_call_uuid": "{live_call_uuid}",
            "error_if_parent_not_found": "true",
        },
    ),
    Row("GET", "Call/", "list"),
    Row("GET", "Call/", "list", query="status=live"),
    Row("GET", "Call/", "refused", query="subaccount={sub_id}"),
    Row("DELETE", "Call/", "own"),
    Row("GET", "Call/{call_uuid}/", "refused"),
    Row("GET", "Call/{call_uuid}/", "refused", query="status=live", live=True),
    Row(
        "POST",
        "Call/{call_uuid}/",
        "refused",
        {"legs": "aleg", "aleg_url": "https://evil.test/xml"},
        live=True,
    ),
    Row("DELETE", "Call/{call_uuid}/", "refused", live=True),
    Row("POST", "Call/{call_uuid}/Record/", "refused", live=True),
    Row("DELETE", "Call/{call_uuid}/Record/", "refused", live=True),
    Row("POST", "Call/{call_uuid}/Play/", "refused", {"urls": "https://example.com/a.mp3"}, live=True),
    Row("DELETE", "Call/{call_uuid}/Play/", "refused", live=True),
    Row("POST", "Call/{call_uuid}/Speak/", "refused", {"text": "hello"}, live=True),
    Row("DELETE", "Call/{call_uuid}/Speak/", "refused", live=True),
    Row("POST", "Call/{call_uuid}/DTMF/", "refused", {"digits": "1"}, live=True),
    Row("DELETE", "Request/{request_uuid}/", "refused"),
    Row("GET", "Recording/", "list"),
    Row("GET", "Recording/", "refused", query="subaccount={sub_id}"),
    Row("GET", "Recording/{recording_id}/", "refused"),
    Row("DELETE", "Recording/{recording_id}/", "refused"),
    Row("GET", "Conference/", "list"),
    Row("DELETE", "Conference/", "own"),
    Row("GET", "Conference/{conference_name}/", "refused"),
    Row("DELETE", "Conference/{conference_name}/", "refused"),
    Row("POST", "Conference/{conference_name}/Record/", "refused"),
    Row("DELETE", "Conference/{conference_name}/Record/", "refused"),
    Row("DELETE", "Conference/{conference_name}/Member/{member_id}/", "refused"),
    Row("POST", "Conference/{conference_name}/Member/{member_id}/Kick/", "refused"),
    Row("POST", "Conference/{conference_name}/Member/{member_id}/Mute/", "refused"),
    Row("DELETE", "Conference/{conference_name}/Member/{member_id}/Mute/", "refused"),
    Row("POST", "Conference/{conference_name}/Member/{member_id}/Deaf/", "refused"),
    Row("DELETE", "Conference/{conference_name}/Member/{member_id}/Deaf/", "refused"),
    Row(
        "POST",
        "Conference/{conference_name}/Member/{member_id}/Play/",
        "refused",
        {"url": "https://e.test/a.mp3"},
    ),
    Row("DELETE", "Conference/{conference_name}/Member/{member_id}/Play/", "refused"),
    Row("POST", "Conference/{conference_name}/Member/{member_id}/Speak/", "refused", {"text": "hi"}),
    Row("DELETE", "Conference/{conference_name}/Member/{member_id}/Speak/", "refused"),
]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass
class World:
    server: Server
    main_id: str
    attacker: tuple[str, str]
    sibling: tuple[str, str]
    #: The other accounts' resources: "main" and "sibling", each name -> id.
    foreign: dict[str, dict[str, str]]

    def client(self, auth: tuple[str, str]) -> httpx.Client:
        return self.server.client(auth)


def _ok(answer: httpx.Response) -> Any:
    assert answer.status_code < 300, (answer.request.method, answer.request.url, answer.text)
    return answer.json() if answer.content else None


def _build(server: Server) -> World:
    main = server.main_client()
    main_id = server.state.main_auth_id
    v = f"/v1/Account/{main_id}/"

    def advance(seconds: float) -> None:
        _ok(main.post("/_sandbox/clock/advance", json={"seconds": seconds, "timeout": 20}))

    _ok(main.patch("/_sandbox/settings", json={"calls_per_second": 0}))
    attacker = _ok(main.post(v + "Subaccount/", data={"name": "attacker", "enabled": "true"}))
    sibling = _ok(main.post(v + "Subaccount/", data={"name": "sibling", "enabled": "true"}))
    attacker_auth = (attacker["auth_id"], attacker["auth_token"])
    sibling_auth = (sibling["auth_id"], sibling["auth_token"])
    _ok(main.put("/_sandbox/bins/room", content=f"<Response><Conference>{ROOM}</Conference></Response>"))
    _ok(main.put("/_sandbox/bins/short", content="<Response><Speak>Hi</Speak></Response>"))
    app_id = _ok(
        main.post(v + "Application/", data={"app_name": "main app", "answer_url": "https://hooks.test/a"})
    )
    endpoint = _ok(
        main.post(v + "Endpoint/", data={"username": "mainuser", "password": "main-pw", "alias": "M"})
    )
    carrier = _ok(main.post(v + "IncomingCarrier/", data={"name": "Acme", "ip_set": "10.0.0.1"}))
    _ok(
        main.post(
            v + "Number/",
            data={"numbers": "33140000001", "carrier": carrier["carrier_id"], "region": "Paris"},
        )
    )
    found = _ok(main.get(v + "PhoneNumber/", params={"country_iso": "US", "type": "local", "limit": 3}))[
        "objects"
    ]
    main_number, attacker_number, sibling_number = (n["number"] for n in found)
    for number in found:
        _ok(main.post(v + f"PhoneNumber/{number['number']}/", data={}))
    _ok(main.post(v + f"Number/{attacker_number}/", data={"subaccount": attacker["auth_id"]}))
    _ok(main.post(v + f"Number/{sibling_number}/", data={"subaccount": sibling["auth_id"]}))
    message = _ok(main.post(v + "Message/", data={"src": main_number, "dst": "14155550101", "text": "main"}))

    with server.client(sibling_auth) as sib:
        s = f"/v1/Account/{sibling['auth_id']}/"
        sibling_app = _ok(sib.post(s + "Application/", data={"app_name": "sibling app"}))["app_id"]
        sibling_endpoint = _ok(
            sib.post(s + "Endpoint/", data={"username": "sib", "password": "sib-pw", "alias": "S"})
        )
        sibling_message = _ok(
            sib.post(s + "Message/", data={"src": sibling_number, "dst": "14155550102", "text": "s"})
        )

    base = server.url
    short = {"from": main_number, "to": "14155550177", "answer_url": f"{base}/_sandbox/bins/short"}
    _ok(main.post(v + "Call/", data=short))
    advance(30)
    ended_call = _ok(main.get(v + "Call/"))["objects"][0]["call_uuid"]
    _ok(
        main.post(
            v + "Call/", data={**short, "to": "14155550178", "answer_url": f"{base}/_sandbox/bins/room"}
        )
    )
    advance(5)
    live_call = _ok(main.get(v + "Call/", params={"status": "live"}))["calls"][0]
    _ok(main.post(v + f"Call/{live_call}/Record/", data={}))
    advance(2)
    _ok(main.delete(v + f"Call/{live_call}/Record/"))
    _ok(main.post(v + f"Call/{live_call}/Record/", data={}))  # and one still running
    recording = _ok(main.get(v + "Recording/"))["objects"][0]["recording_id"]
    member = _ok(main.get(v + f"Conference/{ROOM}/"))["members"][0]["member_id"]
    _ok(main.post("/_sandbox/calls/hold", json={"state": "ringing"}))
    ringing = _ok(main.post(v + "Call/", data={**short, "to": "14155550179"}))["request_uuid"]
    advance(1)

    return World(
        server=server,
        main_id=main_id,
        attacker=attacker_auth,
        sibling=sibling_auth,
        foreign={
            "main": {
                "sub_id": main_id,
                "app_id": app_id["app_id"],
                "endpoint_id": endpoint["endpoint_id"],
                "carrier_id": carrier["carrier_id"],
                "number": main_number,
                "message_uuid": message["message_uuid"][0],
                "call_uuid": ended_call,
                "live_call_uuid": live_call,
                "request_uuid": ringing,
                "recording_id": recording,
                "conference_name": ROOM,
                "member_id": member,
            },
            "sibling": {
                "sub_id": sibling["auth_id"],
                "app_id": sibling_app,
                "endpoint_id": sibling_endpoint["endpoint_id"],
                "number": sibling_number,
                "message_uuid": sibling_message["message_uuid"][0],
            },
        },
    )


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    recorder = HookRecorder()
    server = start_server(create_app(":memory:", clock=MANUAL, webhook_transport=recorder.transport()))
    try:
        yield _build(server)
    finally:
        server.stop()


def _cases() -> list[tuple[Row, str]]:
    cases = []
    for row in ROWS:
        names = set(_PLACEHOLDER.findall(row.route + row.query + json.dumps(row.params)))
        targets = [t for t in ("main", "sibling") if names] or ["-"]
        cases += [(row, target) for target in targets]
    return cases


def _fill(text: str, ids: dict[str, str]) -> str | None:
    try:
        return _PLACEHOLDER.sub(lambda m: ids[m.group(1)], text)
    except KeyError:
        return None  # this target has no such resource


def _state_of_others(world: World) -> dict[str, Any]:
    """Everything not the attacker's: documents, and live calls, conference members, recordings."""
    attacker = world.attacker[0]
    state = world.server.state

    def documents(tx: Tx) -> list[tuple[str, str, str, str]]:
        return [
            (doc.kind, doc.id, doc.owner, json.dumps(doc.data, sort_keys=True))
            for kind in tx.kinds()
            for doc in tx.list(kind, ANY_OWNER)
            # the attacker's own account document is owned by the main account
            if doc.owner != attacker and not (kind == "account" and doc.id == attacker)
        ]

    calls = sorted(
        (c.uuid, c.status, c.ended, c.conference, tuple(sorted(c.recordings)), len(c.log))
        for c in list(state.voice.calls.values())
        if c.owner != attacker
    )
    members = sorted(
        (room.name, m.member_id, m.muted, m.deaf, m.playing, m.speaking)
        for room in list(state.voice.bridge.rooms.values())
        for m in list(room.members.values())
    )
    return {"documents": sorted(state.store.run_sync(documents)), "calls": calls, "members": members}


@pytest.mark.parametrize(
    ("row", "target"), _cases(), ids=lambda v: v if isinstance(v, str) else f"{v.method} {v.route}?{v.query}"
)
def test_a_subaccount_cannot_reach_another_accounts_documents(world: World, row: Row, target: str) -> None:
    ids = world.foreign.get(target, {})
    if row.live and "live_call_uuid" in ids:
        ids = {**ids, "call_uuid": ids["live_call_uuid"]}
    route = _fill(row.route, ids)
    query = _fill(row.query, ids)
    params = {k: _fill(v, ids) for k, v in row.params.items()}
    if route is None or query is None or None in params.values():
        assert target == "sibling"  # the sibling has no such resource: the main account's row tries it
        return
    before = _state_of_others(world)
    path = f"/v1/Account/{world.attacker[0]}/{route}" + (f"?{query}" if query else "")
    with world.client(world.attacker) as attacker:
        answer = attacker.request(row.method, path, data=params or None)
    if row.expect == "refused":
        assert answer.status_code in (400, 403, 404), (answer.status_code, answer.text)
    else:
        assert answer.status_code < 300, answer.text
    if row.expect == "list":
        shown = answer.text
        leaked = [
            f"{t}.{name}"
            for t, others in world.foreign.items()
            for name, value in others.items()
            if name not in ("sub_id", "member_id") and value in shown  # member ids are small numbers
        ]
        assert leaked == []
    assert _state_of_others(world) == before


def test_the_table_covers_every_api_route(world: World) -> None:
    served = {
        (method, route.path.removeprefix(API_PREFIX))
        for route in world.server.app.routes
        if isinstance(route, Route) and route.path.startswith(API_PREFIX)
        for method in (route.methods or ()) - {"HEAD"}
    }
    assert served == {(row.method, row.route) for row in ROWS}


def test_the_world_is_what_the_table_needs(world: World) -> None:
    """The other accounts' resources exist and are theirs: the main account sees them all."""
    with world.server.main_client() as main:
        v = f"/v1/Account/{world.main_id}/"
        ids = world.foreign["main"]
        assert main.get(v + f"Application/{ids['app_id']}/").status_code == 200
        assert main.get(v + f"Call/{ids['live_call_uuid']}/", params={"status": "live"}).status_code == 200
        assert main.get(v + f"Conference/{ROOM}/").json()["members"][0]["member_id"] == ids["member_id"]
        assert main.get(v + f"Message/{world.foreign['sibling']['message_uuid']}/").status_code == 200
    assert world.server.state.voice.call_for_request(ids["request_uuid"], [world.main_id]) is not None


@pytest.mark.parametrize("victim", ["main", "sibling"])
def test_a_subaccount_cannot_act_on_another_accounts_path(world: World, victim: str) -> None:
    """The attacker's credentials on the main account's (or the sibling's) path: 401 on every route."""
    victim_id = world.main_id if victim == "main" else world.sibling[0]
    before = _state_of_others(world)
    with world.client(world.attacker) as attacker:
        for row in ROWS:
            route = _PLACEHOLDER.sub(lambda m: world.foreign["main"].get(m.group(1), "x"), row.route)
            answer = attacker.request(row.method, f"/v1/Account/{victim_id}/{route}", data=row.params or None)
            assert answer.status_code == 401, (row, answer.text)
    assert _state_of_others(world) == before
