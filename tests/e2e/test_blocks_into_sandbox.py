"""All 68 blocks, through the gateway, over real HTTP on loopback, into the sandbox — the way
``plivo-blocks serve --sandbox`` runs them — asserting the state each one leaves behind.

One scenario walks a newcomer's whole account: account and subaccounts, applications,
endpoints, numbers, incoming carriers, pricing, messages, then voice (calls answered by a
local web app with Plivo XML, a conference and its members, recordings), then clean-up. The
last test checks that every block of the catalog was run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plivo_blocks.catalog import BLOCKS
from plivo_blocks.sandbox.clock import ClockMode, ClockSpec
from plivo_blocks.serving import build_sandbox_stack
from support.live_server import LiveServer

CALLED: set[str] = set()


class BlockFailed(AssertionError):
    def __init__(self, name: str, error: dict[str, Any]) -> None:
        super().__init__(f"{name} failed: {error}")
        self.error = error


@dataclass
class AnswerApp:
    """The customer's web app: answers Plivo's requests with XML per path, and records them."""

    xml: dict[str, str] = field(default_factory=dict)
    received: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    def app(self) -> Starlette:
        async def answer(request: Request) -> Response:
            params = dict(request.query_params)
            params.update(parse_qsl((await request.body()).decode()))
            self.received.append((request.url.path, params))
            body = self.xml.get(request.url.path, "<Response></Response>")
            return Response(body, media_type="application/xml")

        return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])

    def requests_to(self, path: str) -> list[dict[str, str]]:
        return [params for seen, params in self.received if seen == path]


@dataclass
class Stack:
    url: str
    auth_id: str
    auth_token: str
    answers: AnswerApp
    http: httpx.Client

    def call(self, name: str, /, credentials: tuple[str, str] | None = None, **args: Any) -> Any:
        """Run a block through the gateway; answer ``contextWrites.to`` or raise BlockFailed."""
        auth_id, auth_token = credentials or (self.auth_id, self.auth_token)
        CALLED.add(name)
        response = self.http.post(
            f"{self.url}/api/Plivo/{name}",
            json={"args": {"authId": auth_id, "authToken": auth_token, **args}},
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        if answer["callback"] != "success":
            raise BlockFailed(name, answer["contextWrites"]["to"])
        return answer["contextWrites"]["to"]

    def fails(self, name: str, /, **args: Any) -> dict[str, Any]:
        with pytest.raises(BlockFailed) as caught:
            self.call(name, **args)
        return caught.value.error

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(
            method, f"{self.url}/_sandbox/{path}", auth=(self.auth_id, self.auth_token), **kwargs
        )
        assert response.status_code < 300, response.text
        return response.json() if response.content else None


MANUAL = ClockSpec(ClockMode.MANUAL)

#: How far the sandbox clock moves between two looks (and how far at most, in all).
STEP_SECONDS = 0.5
WITHIN_SECONDS = 60.0


def eventually(stack: Stack, probe: Callable[[], Any], what: str) -> Any:
    """Move the sandbox's (manual) clock in small steps, each run to idleness, until ``probe``
    answers something truthy: deterministic, whatever the machine's load."""
    for _ in range(int(WITHIN_SECONDS / STEP_SECONDS) + 1):
        result = probe()
        if result:
            return result
        stack.control("POST", "clock/advance", json={"seconds": STEP_SECONDS})
    raise AssertionError(f"{what}: not within {WITHIN_SECONDS:g} s of sandbox time")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    answers = AnswerApp()
    port_holder = LiveServer(answers.app())
    with port_holder as answer_server:
        answers.url = answer_server.url
        db = str(tmp_path_factory.mktemp("sandbox") / "sandbox.db")
        # The gateway must know its own URL before it is served: reserve a port first.
        from support.upstream import free_port

        port = free_port()
        sandbox_stack = build_sandbox_stack(f"http://127.0.0.1:{port}", db, MANUAL)
        with (
            LiveServer(sandbox_stack.app, port=port) as served,
            httpx.Client(timeout=15) as http,
        ):
            assert served.url == sandbox_stack.url
            yield Stack(served.url, sandbox_stack.auth_id, sandbox_stack.auth_token, answers, http)


# -- account and subaccounts --------------------------------------------------------------------


def test_account(stack: Stack) -> None:
    account = stack.call("getAccountDetails")
    assert account["auth_id"] == stack.auth_id
    stack.call("updateAccount", name="Acme Telecom", city="Lyon", address="1 rue de la Paix")
    account = stack.call("getAccountDetails")
    assert (account["name"], account["city"], account["address"]) == (
        "Acme Telecom",
        "Lyon",
        "1 rue de la Paix",
    )


def test_subaccounts(stack: Stack) -> None:
    created = stack.call("createSubaccount", name="team-a", enabled="true")
    sub_id = created["auth_id"]
    assert sub_id.startswith("SA") and len(sub_id) == 20
    stack.call("updateSubaccount", subauthId=sub_id, name="team-a-renamed", enabled="false")
    single = stack.call("getSingleSubaccount", subauthId=sub_id)
    assert single["name"] == "team-a-renamed" and single["enabled"] is False
    listing = stack.call("getSubaccounts", limit="20", offset="0")
    assert sub_id in [s["auth_id"] for s in listing["objects"]]
    # The subaccount acts for itself only.
    sub = (sub_id, created["auth_token"])
    assert stack.call("getAccountDetails", credentials=sub)["auth_id"] == sub_id
    stack.call("deleteSubaccount", subauthId=sub_id)
    assert stack.fails("getSingleSubaccount", subauthId=sub_id)["status"] == 404
    assert stack.fails("getAccountDetails", credentials=sub)["status"] == 401


# -- applications, endpoints, numbers, carriers, pricing ---------------------------------------


@pytest.fixture(scope="module")
def app_id(stack: Stack) -> str:
    created = stack.call(
        "createApplication",
        appName="e2e-app",
        answerUrl=f"{stack.answers.url}/conf",
        messageUrl=f"{stack.answers.url}/sms",
        defaultNumberApp="true",
    )
    return str(created["app_id"])


def test_applications(stack: Stack, app_id: str) -> None:
    assert app_id.isdigit()
    stack.call("updateApplication", appId=app_id, hangupUrl=f"{stack.answers.url}/hangup", answerMethod="GET")
    single = stack.call("getSingleApplication", appId=app_id)
    assert single["app_name"] == "e2e-app"
    assert single["hangup_url"] == f"{stack.answers.url}/hangup" and single["answer_method"] == "GET"
    assert single["default_app"] is True or single.get("default_number_app") is True
    listing = stack.call("getApplications", limit="5")
    assert app_id in [a["app_id"] for a in listing["objects"]]
    other = stack.call("createApplication", appName="short-lived", answerUrl="https://example.com/a")[
        "app_id"
    ]
    stack.call("deleteApplication", appId=other)
    assert stack.fails("getSingleApplication", appId=other)["status"] == 404


def test_endpoints(stack: Stack, app_id: str) -> None:
    created = stack.call(
        "createEndpoint", username="frontdesk", password="s3cret-Pass", alias="Front", appId=app_id
    )
    endpoint_id = str(created["endpoint_id"])
    single = stack.call("getSingleEndpoint", endpointId=endpoint_id)
    assert single["username"].startswith("frontdesk")
    assert single["sip_uri"] == f"sip:{single['username']}@phone.plivo.com"
    assert single["application"].endswith(f"/Application/{app_id}/")
    stack.call("updateEndpoint", endpointId=endpoint_id, alias="Reception")
    assert stack.call("getSingleEndpoint", endpointId=endpoint_id)["alias"] == "Reception"
    assert endpoint_id in [e["endpoint_id"] for e in stack.call("getEndpoints")["objects"]]
    stack.call("deleteEndpoint", endpointId=endpoint_id)
    assert stack.fails("getSingleEndpoint", endpointId=endpoint_id)["status"] == 404


@pytest.fixture(scope="module")
def rented(stack: Stack, app_id: str) -> str:
    found = stack.call("searchNewNumbers", countryIso="US", type="local", services="voice,sms", limit="3")
    assert 0 < len(found["objects"]) <= 3
    number = str(found["objects"][0]["number"])
    bought = stack.call("buyNumber", number=number)
    assert bought["numbers"][0]["number"] == number
    return number


def test_numbers(stack: Stack, rented: str, app_id: str) -> None:
    single = stack.call("getRentedNumber", number=rented)
    assert single["number"] == rented
    assert single["application"].endswith(f"/Application/{app_id}/")  # the default number app
    stack.call("updateNumber", number=rented, alias="main-line")
    assert stack.call("getRentedNumber", number=rented)["alias"] == "main-line"
    listing = stack.call("getRentedNumbers", numberStartsWith=rented[:4], alias="main-line")
    assert [n["number"] for n in listing["objects"]] == [rented]
    # Bought numbers leave the inventory.
    again = stack.call("searchNewNumbers", countryIso="US", pattern=rented[1:], limit="20")
    assert rented not in [n["number"] for n in again["objects"]]


def test_incoming_carriers_and_own_numbers(stack: Stack) -> None:
    carrier = stack.call("addIncomingCarrier", name="my-carrier", ipSet="10.0.0.1,10.0.0.2")
    carrier_id = str(carrier["carrier_id"])
    stack.call("updateIncomingCarrier", carrierId=carrier_id, ipSet="10.0.0.3")
    single = stack.call("getSingleIncomingCarrier", carrierId=carrier_id)
    assert single["name"] == "my-carrier" and single["ip_set"] == "10.0.0.3"
    assert carrier_id in [c["carrier_id"] for c in stack.call("listIncomingCarriers", name="my-")["objects"]]
    stack.call("addOwnCarrierNumber", numbers="18554675486,18554675487", carrier=carrier_id, region="Texas")
    own = stack.call("getRentedNumber", number="18554675486")
    assert own["region"] == "Texas"
    stack.call("removeIncomingCarrier", carrierId=carrier_id)
    assert stack.fails("getSingleIncomingCarrier", carrierId=carrier_id)["status"] == 404
    # Removing a carrier deletes its numbers.
    assert stack.fails("getRentedNumber", number="18554675486")["status"] == 404


def test_pricing(stack: Stack) -> None:
    pricing = stack.call("getPricing", countryIso="GB")
    assert pricing["country_iso"] == "GB"
    assert float(pricing["message"]["outbound"]["rate"]) > 0
    assert stack.fails("getPricing", countryIso="US", bogus="1")["status_code"] == "INVALID_FIELDS"


# -- messages -----------------------------------------------------------------------------------


def test_messages(stack: Stack, rented: str) -> None:
    sent = stack.call(
        "sendMessage",
        src=rented,
        destination="14155550101<14155550102",
        text="Hello",
        url=f"{stack.answers.url}/dlr",
    )
    assert len(sent["message_uuid"]) == 2
    first = sent["message_uuid"][0]
    single = eventually(
        stack,
        lambda: (
            (m := stack.call("getSingleMessage", messageUuid=first))["message_state"] == "delivered" and m
        ),
        "delivery",
    )
    assert single["to_number"] == "14155550101" and single["from_number"] == rented
    statuses = eventually(
        stack,
        lambda: (
            [p["Status"] for p in stack.answers.requests_to("/dlr") if p["MessageUUID"] == first][-3:]
            == ["queued", "sent", "delivered"]
        ),
        "status callbacks",
    )
    assert statuses
    # A US long code sends one message per second, as on Plivo: the second is delivered a second later.
    listing = eventually(
        stack,
        lambda: (
            (
                found := stack.call(
                    "getMessages", messageDirection="outbound", messageState="delivered", limit="20"
                )
            )
            and set(sent["message_uuid"]) <= {m["message_uuid"] for m in found["objects"]}
            and found
        ),
        "both delivered",
    )
    assert listing["meta"]["total_count"] >= 2


# -- voice --------------------------------------------------------------------------------------


def _live(stack: Stack) -> list[str]:
    return list(stack.call("getLiveCalls").get("calls", []))


def _members(stack: Stack, room: str) -> dict[str, dict[str, Any]]:
    conference = stack.call("getSingleConference", conferenceName=room)
    return {m["call_uuid"]: m for m in conference["members"]}


def _members_if_any(stack: Stack, room: str) -> dict[str, dict[str, Any]]:
    return _members(stack, room) if room in stack.call("getConferences")["conferences"] else {}


def test_voice(stack: Stack, rented: str) -> None:
    room = "Sales Room"
    stack.answers.xml["/conf"] = f"<Response><Conference>{room}</Conference></Response>"
    stack.answers.xml["/other"] = "<Response><Conference>Other Room</Conference></Response>"
    fired = stack.call(
        "makeCall",
        callFrom=rented,
        callTo="14155550201<14155550202",
        answerUrl=f"{stack.answers.url}/conf",
        hangupUrl=f"{stack.answers.url}/hangup",
    )
    assert fired["message"].startswith("call")
    calls = eventually(stack, lambda: len(live := _live(stack)) == 2 and live, "two live calls")
    first, second = calls
    ringing = stack.call("getSingleLiveCallDetails", callUuid=first)
    assert ringing["call_uuid"] == first and ringing["call_status"] == "ringing"

    def answered() -> dict[str, Any] | None:
        # An unscripted phone answers after a short ring (the call_ring_seconds setting).
        live: dict[str, Any] = stack.call("getSingleLiveCallDetails", callUuid=first)
        return live if live["call_status"] == "in-progress" else None

    eventually(stack, answered, "the first call answered")

    eventually(stack, lambda: stack.call("getConferences")["conferences"] == [room], "the room")
    members = eventually(stack, lambda: len(m := _members(stack, room)) == 2 and m, "two members")
    member = members[first]["member_id"]
    stack.call("muteMember", conferenceName=room, memberId=member)
    stack.call("makeMemberDeaf", conferenceName=room, memberId=member)
    assert (_members(stack, room)[first]["muted"], _members(stack, room)[first]["deaf"]) == (True, True)
    stack.call("unmuteMember", conferenceName=room, memberId=member)
    stack.call("enableHearingForMember", conferenceName=room, memberId=member)
    assert (_members(stack, room)[first]["muted"], _members(stack, room)[first]["deaf"]) == (False, False)
    stack.call("playSoundToMember", conferenceName=room, memberId=member, url="https://example.com/a.mp3")
    stack.call("stopPlayingSoundToMember", conferenceName=room, memberId=member)
    stack.call("playTextToMember", conferenceName=room, memberId=member, text="Welcome", voice="MAN")
    stack.call("stopPlayingTextToMember", conferenceName=room, memberId=member)

    stack.call("startRecordingConference", conferenceName=room, fileFormat="wav")
    stack.call("stopRecordingConference", conferenceName=room)
    stack.call("recordCall", callUuid=first, fileFormat="mp3", timeLimit="60")
    stack.call("stopCallRecording", callUuid=first)
    recordings = eventually(stack, lambda: stack.call("getRecordings")["objects"], "recordings")
    assert {r["recording_format"] for r in recordings} >= {"wav", "mp3"}
    by_call = stack.call("getRecordings", callUuid=first)["objects"]
    assert by_call and all(r["call_uuid"] == first for r in by_call)
    recording = by_call[0]
    assert (
        stack.call("getSingleRecording", recordingId=recording["recording_id"])["recording_id"]
        == recording["recording_id"]
    )
    audio = stack.http.get(recording["recording_url"])
    assert audio.status_code == 200 and len(audio.content) > 0
    stack.call("deleteRecording", recordingId=recording["recording_id"])
    assert stack.fails("getSingleRecording", recordingId=recording["recording_id"])["status"] == 404

    stack.call("playMusicFile", callUuid=first, urls="https://example.com/hold.mp3", loop="false")
    stack.call("stopPlayingMusicFile", callUuid=first)
    stack.call("playText", callUuid=first, text="Please hold", voice="WOMAN", language="en-US")
    stack.call("stopPlayingText", callUuid=first)
    stack.call("sendDigits", callUuid=first, digits="1234#")

    # Transfer the second call to another room: the web app is asked for new XML.
    stack.call("transferCall", callUuid=second, legs="aleg", alegUrl=f"{stack.answers.url}/other")
    eventually(
        stack,
        lambda: any(p.get("CallUUID") == second for p in stack.answers.requests_to("/other")),
        "transfer",
    )
    eventually(stack, lambda: "Other Room" in stack.call("getConferences")["conferences"], "the second room")

    # Kicking the first call's member ends its call; the first room ends with its last member.
    stack.call("kickMember", conferenceName=room, memberId=member)
    eventually(stack, lambda: first not in _live(stack), "the kicked call to end")
    eventually(
        stack, lambda: room not in stack.call("getConferences")["conferences"], "the first room to end"
    )

    other_members = _members(stack, "Other Room")
    stack.call("hangupMember", conferenceName="Other Room", memberId=other_members[second]["member_id"])
    eventually(stack, lambda: not _live(stack), "no live calls")

    cdr = stack.call("getSingleCallDetails", callUuid=first)
    assert cdr["call_uuid"] == first and cdr["bill_duration"] >= 0 and cdr["end_time"]
    history = stack.call("getCallsDetails", callDirection="outbound", limit="20")
    assert {first, second} <= {c["call_uuid"] for c in history["objects"]}
    assert eventually(
        stack,
        lambda: {p.get("CallUUID") for p in stack.answers.requests_to("/hangup")} >= {first, second},
        "hangup_url",
    )
    assert stack.fails("playText", callUuid=first, text="too late")["status"] == 404


def test_hangups(stack: Stack, rented: str) -> None:
    stack.answers.xml["/conf"] = "<Response><Conference>Bulk Room</Conference></Response>"
    stack.call("makeCall", callFrom=rented, callTo="14155550301", answerUrl=f"{stack.answers.url}/conf")
    (one,) = eventually(stack, lambda: _live(stack), "a live call")
    stack.call("hangupSingleCall", callUuid=one)
    eventually(stack, lambda: not _live(stack), "the call to end")

    stack.call(
        "makeCall", callFrom=rented, callTo="14155550302<14155550303", answerUrl=f"{stack.answers.url}/conf"
    )
    # Live is not enough: a call joins the room only once its answer_url has answered.
    eventually(stack, lambda: len(_members_if_any(stack, "Bulk Room")) == 2, "two members")
    stack.call("hangupSingleConference", conferenceName="Bulk Room")
    eventually(stack, lambda: not _live(stack), "the conference's calls to end")

    stack.call("makeCall", callFrom=rented, callTo="14155550304", answerUrl=f"{stack.answers.url}/conf")
    eventually(stack, lambda: _members_if_any(stack, "Bulk Room"), "a member")
    stack.call("hangupConferences")
    eventually(stack, lambda: not stack.call("getConferences")["conferences"], "no conference")

    stack.call(
        "makeCall", callFrom=rented, callTo="14155550305<14155550306", answerUrl=f"{stack.answers.url}/conf"
    )
    eventually(stack, lambda: len(_live(stack)) == 2, "two live calls")
    stack.call("hangupCalls")
    eventually(stack, lambda: not _live(stack), "no live calls")

    # A call held ringing can be cancelled by its request_uuid, and then is never answered.
    stack.control("PATCH", "settings", json={"call_hold_state": "ringing"})
    try:
        fired = stack.call(
            "makeCall", callFrom=rented, callTo="14155550307", answerUrl=f"{stack.answers.url}/conf"
        )
        request_uuid = fired["request_uuid"]
        request_uuid = request_uuid[0] if isinstance(request_uuid, list) else request_uuid
        stack.call("hangupCallRequest", requestUuid=request_uuid)
        assert stack.fails("hangupCallRequest", requestUuid=request_uuid)["status"] == 404
    finally:
        stack.control("PATCH", "settings", json={"call_hold_state": None})
    assert not _live(stack)


def test_clean_up(stack: Stack, rented: str, app_id: str) -> None:
    stack.call("unrentNumber", number=rented)
    assert stack.fails("getRentedNumber", number=rented)["status"] == 404


def test_every_block_was_run() -> None:
    assert {b.name for b in BLOCKS} - CALLED == set()
