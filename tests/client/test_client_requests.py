"""What leaves the client: method, path, query, JSON body and Basic auth, over real HTTP on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from plivo_blocks import Client, UnknownBlockError, ValidationError, __version__
from plivo_blocks.catalog import PlivoRequest
from support.clients import FAKE_AUTH_ID, FAKE_AUTH_TOKEN, Twin
from support.upstream import RecordingUpstream, Reply, empty_reply

ACCOUNT = f"/v1/Account/{FAKE_AUTH_ID}/"
CALL_UUID = "eba53b9e-8fbd-45c1-9444-696d2172fbc8"


def test_post_sends_a_json_body_with_plivo_names_and_json_types(twin: Twin) -> None:
    answer = twin.run(
        lambda c: c.call(
            "sendMessage",
            src="+14155551234",
            destination=["14155550001", "+14155550002"],
            text="héllo <world>",
            log="false",
        )
    )

    request = twin.upstream.last
    assert (request.method, request.raw_path, request.raw_query) == ("POST", ACCOUNT + "Message/", "")
    assert request.json == {
        "src": "14155551234",
        "dst": "14155550001<14155550002",
        "text": "héllo <world>",
        "log": False,
    }
    assert request.headers["content-type"] == "application/json"
    assert request.basic_auth == (FAKE_AUTH_ID, FAKE_AUTH_TOKEN)
    assert request.headers["user-agent"] == f"plivo-blocks/{__version__}"
    assert answer["message"] == "ok" and "api_id" in answer


def test_strings_become_integers_and_booleans_and_renamed_params_travel_under_plivo_names(twin: Twin) -> None:
    twin.run(
        lambda c: c.call(
            "makeCall",
            callFrom="14155551234",
            callTo="14155550001<sip:john1234@phone.plivo.com",
            answerUrl="https://example.com/answer",
            timeLimit="120",
            machineDetectionTime="5000",
            sendOnPreanswer="true",
            answerMethod="get",
        )
    )

    assert twin.upstream.last.json == {
        "from": "14155551234",
        "to": "14155550001<sip:john1234@phone.plivo.com",
        "answer_url": "https://example.com/answer",
        "time_limit": 120,
        "machine_detection_time": 5000,
        "send_on_preanswer": True,
        "answer_method": "GET",
    }


@pytest.mark.parametrize("block", ["sendMessage", "getAccountDetails"])
def test_both_clients_send_the_same_headers(twin: Twin, block: str) -> None:
    """Whichever HTTP library sends (httpx for Client, aiohttp for AsyncClient), Plivo sees the
    same header names and values: no compression asked for, our User-Agent, JSON accepted."""
    twin.run(
        lambda c: c.call(
            block,
            **(
                {"src": "14155550100", "destination": "14155550101", "text": "hi"}
                if block == "sendMessage"
                else {}
            ),
        )
    )

    headers = dict(twin.upstream.last.headers)
    port = twin.upstream.url.rsplit(":", 1)[1]
    expected = {
        "host": f"127.0.0.1:{port}",
        "accept": "application/json",
        "user-agent": f"plivo-blocks/{__version__}",
        "authorization": headers["authorization"],
    }
    if block == "sendMessage":
        expected |= {"content-type": "application/json", "content-length": headers["content-length"]}
    assert headers == expected
    assert twin.upstream.last.basic_auth == (FAKE_AUTH_ID, FAKE_AUTH_TOKEN)


def test_get_parameters_travel_in_the_query_string_and_no_body(twin: Twin) -> None:
    twin.run(
        lambda c: c.call(
            "getRentedNumbers", numberStartsWith="1415", services=["sms", "voice"], limit="5", offset=10
        )
    )

    request = twin.upstream.last
    assert (request.method, request.raw_path) == ("GET", ACCOUNT + "Number/")
    assert request.query == {
        "number_startswith": "1415",
        "services": "voice,sms",
        "limit": "5",
        "offset": "10",
    }
    assert request.body == b""


def test_delete_parameters_travel_in_the_path_and_an_empty_answer_is_an_empty_dict(twin: Twin) -> None:
    twin.upstream.enqueue(empty_reply(204))

    answer = twin.run(lambda c: c.call("unrentNumber", number="+14155551234"))

    request = twin.upstream.last
    assert (request.method, request.raw_path, request.body) == (
        "DELETE",
        ACCOUNT + "Number/14155551234/",
        b"",
    )
    assert answer == {}


def test_a_path_parameter_is_percent_encoded_and_cannot_leave_its_segment(twin: Twin) -> None:
    twin.upstream.enqueue(empty_reply(204))

    twin.run(lambda c: c.hangup_member(conference_name="My Conf/../x", member_id="all"))

    request = twin.upstream.last
    assert request.method == "DELETE"
    assert request.raw_path == ACCOUNT + "Conference/My%20Conf%2F..%2Fx/Member/all/"
    # Decoded, the name is back, still between the Conference/ and /Member/ segments.
    assert request.path == ACCOUNT + "Conference/My Conf/../x/Member/all/"


def test_a_path_parameter_of_only_dots_cannot_climb(twin: Twin) -> None:
    twin.run(lambda c: c.get_single_conference(conference_name=".."))

    assert twin.upstream.last.raw_path == ACCOUNT + "Conference/%2E%2E/"


@pytest.mark.parametrize(
    ("block", "args", "path"),
    [
        ("getLiveCalls", {}, "Call/"),
        ("getSingleLiveCallDetails", {"callUuid": CALL_UUID}, f"Call/{CALL_UUID}/"),
    ],
)
def test_live_call_blocks_ask_for_status_live(
    twin: Twin, block: str, args: dict[str, Any], path: str
) -> None:
    twin.run(lambda c: c.call_block(block, args))

    request = twin.upstream.last
    assert (request.method, request.raw_path, request.query) == ("GET", ACCOUNT + path, {"status": "live"})


def test_account_level_block_goes_to_the_account_root(twin: Twin) -> None:
    twin.run(lambda c: c.get_account_details())

    assert (twin.upstream.last.method, twin.upstream.last.raw_path) == ("GET", ACCOUNT)


def test_post_without_arguments_sends_an_empty_json_object(twin: Twin) -> None:
    twin.run(lambda c: c.kick_member(conference_name="room", member_id="12"))

    request = twin.upstream.last
    assert (request.method, request.raw_path) == ("POST", ACCOUNT + "Conference/room/Member/12/Kick/")
    assert request.json == {}


@pytest.mark.parametrize("name", ["sendMessage", "send_message", "Plivo.sendMessage"])
def test_a_block_is_found_by_catalog_snake_or_prefixed_name(twin: Twin, name: str) -> None:
    twin.run(lambda c: c.call(name, src="14155551234", destination="14155550001", text="hi"))

    assert twin.upstream.last.raw_path == ACCOUNT + "Message/"


def test_typed_method_sends_exactly_what_call_sends(twin: Twin) -> None:
    twin.run(
        lambda c: c.make_call(
            call_from="14155551234",
            call_to=["14155550001", "14155550002"],
            answer_url="https://example.com/a",
            hangup_on_ring=0,
            error_if_parent_not_found=True,
        )
    )
    twin.run(
        lambda c: c.call(
            "makeCall",
            callFrom="14155551234",
            callTo="14155550001<14155550002",
            answerUrl="https://example.com/a",
            hangupOnRing="0",
            errorIfParentNotFound="true",
        )
    )

    typed, by_name = twin.upstream.requests
    assert typed.json == by_name.json
    assert typed.json["hangup_on_ring"] == 0 and typed.json["error_if_parent_not_found"] is True
    assert (typed.method, typed.raw_path) == (by_name.method, by_name.raw_path)


def test_unset_optional_parameters_of_a_typed_method_are_not_sent(twin: Twin) -> None:
    twin.run(lambda c: c.play_text(call_uuid=CALL_UUID, text="hello", voice="woman"))

    assert twin.upstream.last.json == {"text": "hello", "voice": "WOMAN"}


@pytest.mark.parametrize(
    ("block", "args", "missing", "invalid"),
    [
        ("sendMessage", {"src": "14155551234", "text": "hi"}, ["destination"], {}),
        (
            "makeCall",
            {"callFrom": "1415", "callTo": "1", "answerUrl": "ftp://x"},
            [],
            ["callTo", "answerUrl"],
        ),
        ("getMessages", {"limit": "50"}, [], ["limit"]),
        (
            "sendMessage",
            {"src": "14155551234", "destination": "1415555", "text": "x", "txt": "y"},
            [],
            ["txt"],
        ),
    ],
)
def test_refused_arguments_raise_validation_error_and_send_nothing(
    twin: Twin, block: str, args: dict[str, Any], missing: list[str], invalid: list[str]
) -> None:
    with pytest.raises(ValidationError) as caught:
        twin.run(lambda c: c.call_block(block, args))

    assert caught.value.missing == missing
    assert sorted(caught.value.invalid) == sorted(invalid)
    assert twin.upstream.requests == []


def test_a_typed_method_validates_too(twin: Twin) -> None:
    with pytest.raises(ValidationError) as caught:
        twin.run(lambda c: c.record_call(call_uuid=CALL_UUID, file_format="ogg", time_limit="-1"))

    assert set(caught.value.invalid) == {"fileFormat", "timeLimit"}
    assert twin.upstream.requests == []


def test_an_unknown_block_sends_nothing(twin: Twin) -> None:
    with pytest.raises(UnknownBlockError):
        twin.run(lambda c: c.call("sendSmoke", text="x"))

    assert twin.upstream.requests == []


def test_validation_comes_before_the_credentials_check(recording_upstream: RecordingUpstream) -> None:
    with (
        Client(base_url=recording_upstream.url, auth_id="", auth_token="") as client,
        pytest.raises(ValidationError),
    ):
        client.call("sendMessage", src="14155551234")

    assert recording_upstream.requests == []


def test_prepare_shows_the_request_without_sending_it(recording_upstream: RecordingUpstream) -> None:
    with Client(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url) as client:
        prepared = client.prepare("getSingleLiveCallDetails", {"callUuid": "a b"})

    assert prepared == PlivoRequest("GET", "Call/a%20b/", {"status": "live"}, None)
    assert prepared.url_path(FAKE_AUTH_ID) == ACCOUNT + "Call/a%20b/"
    assert recording_upstream.requests == []


def test_a_base_url_with_a_path_prefix_keeps_it(twin: Twin) -> None:
    twin.run(lambda c: c.get_account_details(), base_url=twin.upstream.url + "/plivo/")

    assert twin.upstream.last.raw_path == "/plivo" + ACCOUNT


def test_the_auth_id_is_encoded_into_its_path_segment(twin: Twin) -> None:
    twin.run(lambda c: c.get_account_details(), auth_id="MA/../X")

    request = twin.upstream.last
    assert request.raw_path == "/v1/Account/MA%2F..%2FX/"
    assert request.basic_auth == ("MA/../X", FAKE_AUTH_TOKEN)


def test_answers_are_parsed_json_objects(twin: Twin) -> None:
    body = {"api_id": "a1", "message_uuid": ["m1", "m2"], "message": "message(s) queued"}
    twin.upstream.enqueue(Reply(status=202, json=body))

    answer = twin.run(lambda c: c.send_message(src="14155551234", destination="14155550001", text="x"))

    assert answer == body
