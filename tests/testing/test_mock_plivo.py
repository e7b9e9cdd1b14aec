"""``mock_plivo``: every client that speaks to Plivo reaches the in-process sandbox while it is
active, nothing else is intercepted, nothing leaks, and leaving restores everything."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import httpx
import plivo
import pytest
import requests
from plivo import exceptions as plivo_errors
from rent import rent_number
from stand_in import RecordingProxy
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

import plivo_blocks
from plivo_blocks.client.transport import AiohttpSender
from plivo_blocks.testing import (
    MockPlivo,
    PlivoHostNotSimulated,
    SandboxControlError,
    mock_plivo,
)
from support.live_server import LiveServer

ALICE = ("MAALICE0000000000001", "alice-token")
BOB = ("MABOB000000000000002", "bob-token")
CUSTOMER = "14155550123"


def _xml_url(xml: str) -> str:
    """An answer URL served by the sandbox itself (``/_sandbox/xml``) on Plivo's host."""
    return "https://api.plivo.com/_sandbox/xml?xml=" + quote(xml)


# -- the official SDK ------------------------------------------------------------------------------


def test_the_official_sdk_reaches_the_sandbox_with_any_credentials() -> None:
    made_before = plivo.RestClient(*ALICE)  # its requests.Session exists before the hook
    with mock_plivo() as sandbox:
        assert made_before.account.get().auth_id == ALICE[0]
        alice = plivo.RestClient(*ALICE)
        number = rent_number(alice)
        sent = alice.messages.create(src=number, dst=CUSTOMER, text="Your code is 1234")
        [message] = sandbox.messages()
        assert message["message_uuid"] == sent.message_uuid[0]
        assert (message["from_number"], message["to_number"], message["text"]) == (
            number,
            CUSTOMER,
            "Your code is 1234",
        )
        assert message["auth_id"] == ALICE[0]
        # The first token an id was used with is its token: a wrong one is refused, as on Plivo.
        with pytest.raises(plivo_errors.AuthenticationError):
            plivo.RestClient(ALICE[0], "wrong-token").account.get()
        # Accounts made this way are isolated from each other.
        assert plivo.RestClient(*BOB).messages.list().objects == []


def test_the_sdks_voice_requests_and_the_voice_hosts_reach_the_sandbox() -> None:
    with mock_plivo() as sandbox:
        alice = plivo.RestClient(*ALICE)
        number = rent_number(alice)
        made = alice.calls.create(
            from_=number, to_=CUSTOMER, answer_url=_xml_url("<Response><Wait length='60'/></Response>")
        )
        sandbox.advance(2)  # an unscripted phone answers after a short ring, as a person does
        [live] = sandbox.calls(live=True)
        assert live["request_uuid"] == made.request_uuid and live["status"] == "in-progress"
        # Older SDK versions (and the Java and Ruby SDKs) send call APIs to voice hosts.
        for host in ("voice.plivo.com", "voice-usw1.plivo.com", "api-voice.plivo.com"):
            answer = requests.get(
                f"https://{host}/v1/Account/{ALICE[0]}/Call/{live['call_uuid']}/?status=live", auth=ALICE
            )
            assert answer.status_code == 200 and answer.json()["call_uuid"] == live["call_uuid"]


# -- plivo_blocks' clients and plain httpx/requests -------------------------------------------------------


def test_plivo_blocks_client_and_plain_calls_reach_the_sandbox() -> None:
    with mock_plivo():
        with plivo_blocks.Client(*ALICE) as client:
            assert client.get_account_details()["auth_id"] == ALICE[0]
        assert (
            httpx.get(f"https://api.plivo.com/v1/Account/{ALICE[0]}/", auth=ALICE).json()["auth_id"]
            == ALICE[0]
        )
        with httpx.Client(base_url="https://api.plivo.com", auth=ALICE) as plain:
            assert plain.get(f"/v1/Account/{ALICE[0]}/Message/").json()["objects"] == []
        assert (
            requests.get(f"https://api.plivo.com/v1/Account/{ALICE[0]}/", auth=ALICE).json()["auth_id"]
            == ALICE[0]
        )


@pytest.mark.anyio
async def test_async_clients_reach_the_sandbox_from_the_tests_own_loop() -> None:
    async with mock_plivo() as sandbox:
        async with plivo_blocks.AsyncClient(*ALICE) as client:
            assert (await client.get_account_details())["auth_id"] == ALICE[0]
        async with httpx.AsyncClient(auth=ALICE) as plain:
            answer = await plain.get(f"https://api.plivo.com/v1/Account/{ALICE[0]}/")
        assert answer.json()["auth_id"] == ALICE[0]
        assert sandbox.auth_id != ALICE[0]  # the sandbox's own main account is another one


# -- what is not intercepted, and what never leaves -----------------------------------------------------


def test_plivo_hosts_the_sandbox_does_not_serve_fail_loudly_and_never_leave() -> None:
    with RecordingProxy() as proxy, mock_plivo():
        with pytest.raises(
            PlivoHostNotSimulated, match=re.escape("lookup.plivo.com is one of Plivo's hosts")
        ):
            requests.get("https://lookup.plivo.com/v1/Number/14155550123", proxies={"https": proxy.url})
        with pytest.raises(PlivoHostNotSimulated, match=re.escape("stats.plivo.com")):
            httpx.Client(proxy=proxy.url).get("https://stats.plivo.com/v1/Account/x/")
        with pytest.raises(PlivoHostNotSimulated, match=re.escape("GET https://lookup.plivo.com")):
            plivo.RestClient(*ALICE).lookup.get("14155550123")  # lookup host, through the SDK
    assert proxy.lines == []


def test_other_hosts_still_go_over_the_network() -> None:
    app = Starlette(routes=[Route("/hello", lambda request: PlainTextResponse("from the network"))])
    with LiveServer(app) as server, mock_plivo():
        assert httpx.get(f"{server.url}/hello").text == "from the network"
        assert requests.get(f"{server.url}/hello").text == "from the network"


def test_leaving_restores_requests_and_httpx() -> None:
    originals = (
        requests.Session.get_adapter,
        httpx.HTTPTransport.handle_request,
        httpx.AsyncHTTPTransport.handle_async_request,
        AiohttpSender.send,  # AsyncClient's own sender
    )
    url = f"https://api.plivo.com/v1/Account/{ALICE[0]}/"
    with RecordingProxy() as proxy:
        with mock_plivo():
            assert requests.Session.get_adapter is not originals[0]
            assert AiohttpSender.send is not originals[3]
            assert requests.get(url, auth=ALICE, proxies={"https": proxy.url}).status_code == 200
            assert httpx.Client(proxy=proxy.url).get(url, auth=ALICE).status_code == 200
            assert proxy.lines == []  # the sandbox answered: nothing went out
        assert (
            requests.Session.get_adapter,
            httpx.HTTPTransport.handle_request,
            httpx.AsyncHTTPTransport.handle_async_request,
            AiohttpSender.send,
        ) == originals
        # After it, the same requests go out to the network (here: the stand-in proxy, which forwards nothing).
        with pytest.raises(requests.exceptions.ProxyError):
            requests.get(url, auth=ALICE, proxies={"https": proxy.url})
        with pytest.raises(httpx.ProxyError):
            httpx.Client(proxy=proxy.url).get(url, auth=ALICE)
    assert [line.rsplit(" ", 1)[0] for line in proxy.lines] == ["CONNECT api.plivo.com:443"] * 2


# -- activations ----------------------------------------------------------------------------------------


def test_each_activation_is_fresh_and_a_state_file_keeps_the_sandbox(tmp_path: Path) -> None:
    with mock_plivo():
        rent_number(plivo.RestClient(*ALICE))
        assert len(plivo.RestClient(*ALICE).numbers.list().objects) == 1
    with mock_plivo():
        assert plivo.RestClient(*ALICE).numbers.list().objects == []

    db = tmp_path / "sandbox.db"
    with mock_plivo(state=str(db)) as first:
        number = rent_number(plivo.RestClient(*ALICE))
        main = (first.auth_id, first.auth_token)
    with mock_plivo(state=str(db)) as again:
        assert [n.number for n in plivo.RestClient(*ALICE).numbers.list()] == [number]
        assert (again.auth_id, again.auth_token) == main


def test_one_activation_at_a_time() -> None:
    with mock_plivo(), pytest.raises(RuntimeError, match="already active"):
        mock_plivo().start()
    with mock_plivo():  # the refused one left nothing behind
        pass


def test_controls_say_when_the_mock_is_not_active_and_never_show_the_token() -> None:
    mock = mock_plivo()
    with pytest.raises(RuntimeError, match="not active"):
        mock.messages()
    with mock as sandbox:
        assert sandbox.auth_token not in repr(sandbox) and sandbox.auth_token not in repr(sandbox.options)
        assert sandbox.url == "https://api.plivo.com"


def test_decorator_sync_and_bare() -> None:
    seen: list[str] = []

    @mock_plivo
    def bare() -> None:
        seen.append(plivo.RestClient(*ALICE).account.get().auth_id)

    mock = mock_plivo(clock="real")

    @mock
    def configured(text: str) -> str:
        assert mock.state.clock.spec.label == "real"
        return text * 2

    bare()
    assert configured("ab") == "abab"
    assert seen == [ALICE[0]]
    assert not mock.active


@pytest.mark.anyio
async def test_decorator_async() -> None:
    mock = mock_plivo()

    @mock
    async def run() -> str:
        async with plivo_blocks.AsyncClient(*ALICE) as client:
            return str((await client.get_account_details())["auth_id"])

    assert await run() == ALICE[0]
    assert not mock.active


def test_bad_options_are_named() -> None:
    with pytest.raises(ValueError, match="clock 'sometimes'"):
        mock_plivo(clock="sometimes")
    with pytest.raises(ValueError, match="settings: unknown setting 'ring_seconds'"):
        mock_plivo(settings={"ring_seconds": 5})
    with pytest.raises(ValueError, match="settings: message_hold_state must be one of queued, sent or null"):
        mock_plivo(settings={"message_hold_state": "delivered"})
    with pytest.raises(TypeError, match="apps must be a mapping"):
        mock_plivo(apps=["https://myapp.test"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"apps\['https://myapp.test'\] must be a WSGI app"):
        mock_plivo(apps={"https://myapp.test": 42}).start()
    with pytest.raises(ValueError, match=re.escape("app base 'myapp.test' must be an http")):
        mock_plivo(apps={"myapp.test": lambda environ, start: []}).start()


# -- the clock and the controls -----------------------------------------------------------------------------


def test_the_clock_is_manual_by_default(plivo_sandbox: MockPlivo) -> None:
    alice = plivo.RestClient(*ALICE)
    number = rent_number(alice)
    alice.calls.create(
        from_=number, to_=CUSTOMER, answer_url=_xml_url("<Response><Wait length='30'/></Response>")
    )
    plivo_sandbox.settle()
    [call] = plivo_sandbox.calls()
    assert call["live"] is True and call["status"] == "ringing"
    plivo_sandbox.advance(2)  # the unscripted phone's ring: the call is answered now
    assert plivo_sandbox.calls()[0]["status"] == "in-progress"
    plivo_sandbox.advance(29)
    assert plivo_sandbox.calls()[0]["live"] is True
    plivo_sandbox.advance(1)
    [ended] = plivo_sandbox.calls()
    assert ended["live"] is False and ended["call_duration"] == 30
    assert ended["hangup_cause_name"] == "End Of XML Instructions"


def test_reads_conferences_recordings_and_webhooks(plivo_sandbox: MockPlivo) -> None:
    alice = plivo.RestClient(*ALICE)
    number = rent_number(alice)
    record = _xml_url("<Response><Record maxLength='5' timeout='5'/></Response>")
    meet = _xml_url("<Response><Conference>standup</Conference></Response>")
    recorded = alice.calls.create(from_=number, to_=CUSTOMER, answer_url=record)
    alice.calls.create(from_=number, to_="14155550124", answer_url=meet)
    plivo_sandbox.advance(2 + 6)  # the phones' ring, then the 5 s recording
    [room] = plivo_sandbox.conferences()
    assert room["conference_name"] == "standup" and room["auth_id"] == ALICE[0] and len(room["members"]) == 1
    [recording] = plivo_sandbox.recordings()
    assert recording["auth_id"] == ALICE[0] and recording["recording_duration_ms"] == "5000.00000"
    [record_call] = [c for c in plivo_sandbox.calls(live=False) if c["request_uuid"] == recorded.request_uuid]
    assert plivo_sandbox.recordings(call_uuid=record_call["call_uuid"]) == [recording]
    answers = plivo_sandbox.webhooks(kind="answer", url="/_sandbox/xml")
    assert len(answers) == 2 and {w["status"] for w in answers} == {"delivered"}


def test_controls_name_what_is_wrong(plivo_sandbox: MockPlivo) -> None:
    with pytest.raises(
        TypeError, match="messages\\(\\) got an unknown filter 'sender'; its filters are direction"
    ):
        plivo_sandbox.messages(sender="14155550123")
    with pytest.raises(SandboxControlError, match="14155550100 is not a number rented in this sandbox"):
        plivo_sandbox.inbound_sms("14155550123", "14155550100", "hello?")
    with pytest.raises(SandboxControlError, match="HTTP 404"):
        plivo_sandbox.press("no-such-call", "1")


def test_list_reads_walk_every_page(plivo_sandbox: MockPlivo) -> None:
    alice = plivo.RestClient(*ALICE)
    number = rent_number(alice)
    destinations = [f"1415555{n:04d}" for n in range(25)]
    alice.messages.create(src=number, dst="<".join(destinations), text="hi all")
    assert sorted(m["to_number"] for m in plivo_sandbox.messages()) == destinations
    assert len(plivo_sandbox.messages(to=destinations[3])) == 1
    assert plivo_sandbox.messages(direction="inbound") == []
