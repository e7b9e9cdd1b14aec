"""What the official SDKs send that Plivo accepts, the sandbox accepts too.

Each case was found by running the SDKs against the sandbox (tests/compat runs the Node SDK whole);
here each is pinned with the exact request the SDK makes, so it holds without Node:

- Node ``accounts.get()`` / ``accounts.update()``: ``/v1/Account/{auth_id}//`` (a doubled slash).
- Node, any request without parameters: a JSON body of ``""`` (axios's encoding of "nothing"), on
  GET (``subaccounts.get``, ``subaccounts.list()``, ``messages.get``) and DELETE (``numbers.unrent``).
- Node ``getLiveCall`` / ``getQueuedCall``: ``Call/{uuid}?status=...`` without the trailing slash.
- Python ``queued_calls.get`` and Node ``getQueuedCall``: ``GET Call/{uuid}/?status=queued``.
- Both SDKs: path parameters repeated in DELETE bodies (``{"call_uuid": ...}``).

And the APIs the sandbox does not simulate are refused by name through the Python SDK.
"""

from __future__ import annotations

import json
import urllib.parse

import plivo
import plivo.resources.lookup
import pytest
from plivo import exceptions as plivo_errors
from sandbox_server import Server

from plivo_blocks.sandbox.voice.causes import QUEUED

NODE_HEADERS = {"Content-Type": "application/json", "User-Agent": "plivo-node/4.79.0 (Node: v20.20.2)"}
EMPTY_JSON = b'""'  # what axios sends for the Node SDK's "no parameters"


def conference_answer(sandbox: Server, room: str) -> str:
    xml = f"<Response><Conference>{room}</Conference></Response>"
    return f"{sandbox.url}/_sandbox/xml?xml={urllib.parse.quote(xml)}"


def live_call(main_sdk: plivo.RestClient, sandbox: Server, to: str) -> str:
    number = main_sdk.numbers.search("US", services=["voice"])[0].number
    main_sdk.numbers.buy(number)
    main_sdk.calls.create(from_=number, to_=to, answer_url=conference_answer(sandbox, "tolerance"))
    with sandbox.main_client() as control:
        assert control.post("/_sandbox/calls/settle").status_code == 200
    (uuid,) = main_sdk.live_calls.list_ids().calls
    return str(uuid)


def test_account_path_with_a_doubled_slash(sandbox: Server) -> None:
    account = f"/v1/Account/{sandbox.state.main_auth_id}//"
    with sandbox.main_client() as node:
        got = node.get(account, headers=NODE_HEADERS)
        assert got.status_code == 200 and got.json()["auth_id"] == sandbox.state.main_auth_id
        changed = node.post(account, headers=NODE_HEADERS, content=json.dumps({"city": "Paris"}))
        assert changed.status_code == 202 and changed.json()["message"] == "changed"
        assert node.get(account).json()["city"] == "Paris"
        # Anywhere in the path, as many as there are.
        apps = node.get(f"/v1/Account/{sandbox.state.main_auth_id}///Application//")
        assert apps.status_code == 200 and apps.json()["meta"]["total_count"] == 0


def test_empty_json_string_body_is_no_parameters(sandbox: Server, main_sdk: plivo.RestClient) -> None:
    sub = main_sdk.subaccounts.create(name="Stark").auth_id
    number = main_sdk.numbers.search("US")[0].number
    main_sdk.numbers.buy(number)
    (message,) = main_sdk.messages.create(src=number, dst="14155550101", text="hi").message_uuid
    base = f"/v1/Account/{sandbox.state.main_auth_id}/"
    with sandbox.main_client() as node:
        got = node.request("GET", base + f"Subaccount/{sub}/", headers=NODE_HEADERS, content=EMPTY_JSON)
        assert got.status_code == 200 and got.json()["name"] == "Stark"
        listed = node.request("GET", base + "Subaccount/", headers=NODE_HEADERS, content=EMPTY_JSON)
        assert listed.status_code == 200 and [s["auth_id"] for s in listed.json()["objects"]] == [sub]
        read = node.request("GET", base + f"Message/{message}/", headers=NODE_HEADERS, content=EMPTY_JSON)
        assert read.status_code == 200 and read.json()["message_uuid"] == message
        unrented = node.request(
            "DELETE", base + f"Number/{number}/", headers=NODE_HEADERS, content=EMPTY_JSON
        )
        assert unrented.status_code == 204
        assert node.get(base + f"Number/{number}/").status_code == 404
        # null is the same "nothing"; other non-objects are still refused.
        assert (
            node.request("GET", base + "Subaccount/", headers=NODE_HEADERS, content=b"null").status_code
            == 200
        )
        refused = node.request("POST", base, headers=NODE_HEADERS, content=b'"city"')
        assert (
            refused.status_code == 400 and refused.json()["error"] == "the request body must be a JSON object"
        )


def test_live_call_path_without_trailing_slash(sandbox: Server, main_sdk: plivo.RestClient) -> None:
    uuid = live_call(main_sdk, sandbox, "14155550171")
    with sandbox.main_client() as node:
        got = node.get(
            f"/v1/Account/{sandbox.state.main_auth_id}/Call/{uuid}?status=live", headers=NODE_HEADERS
        )
    assert got.status_code == 200 and got.json()["call_uuid"] == uuid


def test_path_parameters_repeated_in_delete_bodies(sandbox: Server, main_sdk: plivo.RestClient) -> None:
    uuid = live_call(main_sdk, sandbox, "14155550172")
    with sandbox.main_client() as python_sdk:
        stopped = python_sdk.request(
            "DELETE",
            f"/v1/Account/{sandbox.state.main_auth_id}/Call/{uuid}/Speak/",
            json={"call_uuid": uuid},
        )
    assert stopped.status_code == 204


def test_queued_call_read_as_both_sdks_read_it(sandbox: Server, main_sdk: plivo.RestClient) -> None:
    uuid = live_call(main_sdk, sandbox, "14155550173")
    # An answered call is live, not queued: not found (the sandbox used to refuse status=queued: 400).
    with pytest.raises(plivo_errors.ResourceNotFoundError, match="call not found"):
        main_sdk.queued_calls.get(uuid)
    with pytest.raises(plivo_errors.ResourceNotFoundError, match="call not found"):
        main_sdk.calls.queued_call_get(uuid)
    assert main_sdk.queued_calls.list_ids().calls == []
    # A call still waiting in the queue is shown as Plivo shows it.
    call = sandbox.state.voice.calls[uuid]
    call.status = QUEUED
    queued = main_sdk.queued_calls.get(uuid)
    assert (queued.call_uuid, queued.call_status, queued.to) == (uuid, "queued", "14155550173")
    assert queued.request_uuid == call.request_uuid and "session_start" not in queued.__dict__
    assert main_sdk.queued_calls.list_ids().calls == [uuid]
    assert main_sdk.calls.queued_call_list_ids().calls == [uuid]


@pytest.mark.parametrize(
    ("reach", "api"),
    [
        (lambda sdk: sdk.powerpacks.list(), "Powerpacks"),
        (lambda sdk: sdk.media.list(), "the Media API (MMS media uploads)"),
        (lambda sdk: sdk.brand.list(), "10DLC brands and campaigns"),
        (lambda sdk: sdk.end_users.list(), "regulatory compliance"),
        (lambda sdk: sdk.phone_number_compliance.list(), "phone number compliance"),
        (lambda sdk: sdk.masking_sessions.list_masking_session(), "number masking sessions"),
        (lambda sdk: sdk.calls.get_all_streams("7a1c5b4e-0000-4000-8000-000000000001"), "audio streams"),
    ],
)
def test_unsimulated_apis_are_refused_by_name(main_sdk: plivo.RestClient, reach: object, api: str) -> None:
    assert callable(reach)
    with pytest.raises(plivo_errors.ResourceNotFoundError) as refused:
        reach(main_sdk)
    assert str(refused.value).startswith(f"the plivo-blocks sandbox does not simulate {api}")


def test_lookup_and_message_media_are_refused_by_name(
    sandbox: Server, main_sdk: plivo.RestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plivo.resources.lookup, "LOOKUP_API_ENDPOINT", f"{sandbox.url}/v1/Number")
    with pytest.raises(plivo_errors.ResourceNotFoundError, match="does not simulate the Lookup API"):
        main_sdk.lookup.get("14155550100")
    number = main_sdk.numbers.search("US")[0].number
    main_sdk.numbers.buy(number)
    (uuid,) = main_sdk.messages.create(src=number, dst="14155550101", text="hi").message_uuid
    with pytest.raises(plivo_errors.ResourceNotFoundError, match="does not simulate MMS media of messages"):
        main_sdk.messages.get(uuid).listMedia()


def test_unknown_paths_still_answer_not_found(sandbox: Server) -> None:
    with sandbox.main_client() as client:
        answer = client.get(f"/v1/Account/{sandbox.state.main_auth_id}/Nonsense/")
    assert answer.status_code == 404
    assert answer.json()["error"] == f"/v1/Account/{sandbox.state.main_auth_id}/Nonsense/ not found"
