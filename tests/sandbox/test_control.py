"""The control API: reset, what was sent, inbound SMS, final states, settings and injected faults."""

from __future__ import annotations

import httpx
import plivo
import pytest
from answer_server import settle
from hook_recorder import HookRecorder
from sandbox_server import Server

SRC = "14155550100"
DST = "14155550111"


def test_control_api_needs_the_main_account(sandbox: Server, main_sdk: plivo.RestClient) -> None:
    sub = main_sdk.subaccounts.create(name="not allowed")
    with sandbox.client() as anonymous:
        assert anonymous.get("/_sandbox/health").json() == {"status": "ok"}
        assert anonymous.post("/_sandbox/reset").status_code == 401
    with sandbox.client((sub.auth_id, sub.auth_token)) as as_sub:
        assert as_sub.get("/_sandbox/messages").status_code == 401


def test_reset_forgets_everything_but_the_main_account(sandbox: Server, main_sdk: plivo.RestClient) -> None:
    main_sdk.applications.create(app_name="gone soon")
    main_sdk.account.update(name="Changed")
    sub = main_sdk.subaccounts.create(name="gone soon")
    with sandbox.main_client() as control:
        control.post("/_sandbox/faults", json={"kind": "status", "status": 500, "path_prefix": "Nothing/"})
        control.patch("/_sandbox/settings", json={"message_hold_state": "queued"})
        assert control.post("/_sandbox/reset").status_code == 200
        assert control.get("/_sandbox/faults").json()["faults"] == []
        assert control.get("/_sandbox/settings").json()["settings"]["message_hold_state"] is None
    assert list(main_sdk.applications.list()) == []
    assert main_sdk.account.get().name == "Sandbox Account"
    with sandbox.client((sub.auth_id, sub.auth_token)) as as_sub:
        assert as_sub.get(f"/v1/Account/{sub.auth_id}/").status_code == 401


def test_list_what_was_sent(sandbox: Server, main_sdk: plivo.RestClient) -> None:
    main_sdk.messages.create(src=SRC, dst=DST, text="first", url="https://hooks.test/a")
    main_sdk.messages.create(src=SRC, dst="447700900123", text="second")
    with sandbox.main_client() as control:
        everything = control.get("/_sandbox/messages").json()
        assert [m["text"] for m in everything["objects"]] == ["second", "first"]
        assert everything["objects"][1]["url"] == "https://hooks.test/a"
        assert everything["objects"][1]["auth_id"] == sandbox.state.main_auth_id
        to_gb = control.get("/_sandbox/messages", params={"to": "447700900123"}).json()
        assert [m["text"] for m in to_gb["objects"]] == ["second"]
        assert control.get("/_sandbox/messages", params={"direction": "inbound"}).json()["objects"] == []
        assert control.get("/_sandbox/messages", params={"state": "nonsense"}).status_code == 400


def test_inbound_sms_reaches_the_numbers_application(
    sandbox: Server, main_sdk: plivo.RestClient, recorder: HookRecorder
) -> None:
    app_id = main_sdk.applications.create(
        app_name="sms", message_url="https://hooks.test/incoming", message_method="GET"
    ).app_id
    number = main_sdk.numbers.search(country_iso="US", services="sms").objects[0]["number"]
    main_sdk.numbers.buy(number, app_id=app_id)
    with sandbox.main_client() as control:
        answer = control.post(
            "/_sandbox/messages/inbound", json={"from": "447700900999", "to": number, "text": "hi!"}
        )
        assert answer.status_code == 201
        delivered = answer.json()
        assert delivered["delivered_to"] == "https://hooks.test/incoming"
        unknown = control.post(
            "/_sandbox/messages/inbound", json={"from": "447700900999", "to": "15550000000"}
        )
        assert unknown.status_code == 400
    settle(sandbox)
    [callback] = recorder.sent
    assert (callback.url, callback.method) == ("https://hooks.test/incoming", "GET")
    assert callback.params["From"] == "447700900999" and callback.params["To"] == number
    assert callback.params["Text"] == "hi!" and callback.params["MessageUUID"] == delivered["message_uuid"]
    inbound = main_sdk.messages.get(delivered["message_uuid"])
    assert inbound.message_direction == "inbound" and inbound.message_state == "received"
    assert [m.message_uuid for m in main_sdk.messages.list(message_direction="inbound")] == [
        delivered["message_uuid"]
    ]


def test_set_a_messages_final_state(
    sandbox: Server, main_sdk: plivo.RestClient, recorder: HookRecorder
) -> None:
    uuid = main_sdk.messages.create(src=SRC, dst=DST, text="doomed", url="https://hooks.test/s").message_uuid[
        0
    ]
    settle(sandbox)
    with sandbox.main_client() as control:
        failed = control.post(
            f"/_sandbox/messages/{uuid}/state", json={"state": "failed", "error_code": "50"}
        )
        assert failed.status_code == 202 and failed.json()["message_state"] == "failed"
        assert control.post(f"/_sandbox/messages/{uuid}/state", json={"state": "lost"}).status_code == 400
        missing = control.post("/_sandbox/messages/nope/state", json={"state": "delivered"})
        assert missing.status_code == 404
    message = main_sdk.messages.get(uuid)
    assert (message.message_state, message.error_code) == ("failed", "50")
    assert message.error_message == "Invalid Destination Number"
    settle(sandbox)
    last = recorder.sent[-1].params
    assert (last["Status"], last["ErrorCode"]) == ("failed", "50")


def test_settings_are_validated(sandbox: Server) -> None:
    with sandbox.main_client() as control:
        assert control.patch("/_sandbox/settings", json={"no_such_setting": 1}).status_code == 400
        assert control.patch("/_sandbox/settings", json={"message_sent_seconds": -1}).status_code == 400
        assert (
            control.patch("/_sandbox/settings", json={"message_hold_state": "delivered"}).status_code == 400
        )
        assert control.patch("/_sandbox/settings", json=[1]).status_code == 400
        ok = control.patch("/_sandbox/settings", json={"message_sent_seconds": 2})
        assert ok.json()["settings"]["message_sent_seconds"] == 2.0


def test_status_fault_fails_the_next_requests_only(sandbox: Server) -> None:
    base = f"/v1/Account/{sandbox.state.main_auth_id}/"
    with sandbox.main_client() as client:
        added = client.post("/_sandbox/faults", json={"kind": "status", "status": 503, "count": 2})
        assert added.status_code == 201 and added.json()["faults"][0]["count"] == 2
        assert client.get("/_sandbox/faults").status_code == 200  # the control API is never faulted
        first, second, third = (client.get(base) for _ in range(3))
        assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
        assert set(first.json()) == {"api_id", "error"}


def test_faults_can_target_a_method_and_path(sandbox: Server) -> None:
    base = f"/v1/Account/{sandbox.state.main_auth_id}/"
    with sandbox.main_client() as client:
        client.post(
            "/_sandbox/faults",
            json={"kind": "status", "status": 429, "methods": ["POST"], "path_prefix": "Message/"},
        )
        assert client.get(f"{base}Message/").status_code == 200
        assert client.post(f"{base}Application/", json={"app_name": "x"}).status_code == 201
        assert client.post(f"{base}Message/", json={"src": SRC, "dst": DST, "text": "x"}).status_code == 429
        assert client.post(f"{base}Message/", json={"src": SRC, "dst": DST, "text": "x"}).status_code == 202


def test_delay_fault_then_normal_answer(sandbox: Server) -> None:
    with sandbox.main_client() as client:
        client.post("/_sandbox/faults", json={"kind": "delay", "delay_seconds": 0.05})
        assert client.get(f"/v1/Account/{sandbox.state.main_auth_id}/").status_code == 200
        assert client.get("/_sandbox/faults").json()["faults"] == []


def test_drop_fault_closes_the_connection(sandbox: Server) -> None:
    with sandbox.main_client() as client:
        client.post("/_sandbox/faults", json={"kind": "drop"})
        with pytest.raises(httpx.HTTPError):
            client.get(f"/v1/Account/{sandbox.state.main_auth_id}/")
    with sandbox.main_client() as client:
        assert client.get(f"/v1/Account/{sandbox.state.main_auth_id}/").status_code == 200


def test_fault_requests_are_validated(sandbox: Server) -> None:
    with sandbox.main_client() as client:
        for bad in (
            {"kind": "explode"},
            {"kind": "status", "status": 200},
            {"kind": "delay"},
            {"kind": "drop", "count": 0},
        ):
            assert client.post("/_sandbox/faults", json=bad).status_code == 400, bad
        client.post("/_sandbox/faults", json={"kind": "status"})
        assert client.delete("/_sandbox/faults").status_code == 204
        assert client.get("/_sandbox/faults").json()["faults"] == []


def test_settings_refuse_an_unknown_call_hold_state(sandbox: Server) -> None:
    with sandbox.main_client() as api:
        refused = api.patch("/_sandbox/settings", json={"call_hold_state": "answered"})
        assert refused.status_code == 400 and "call_hold_state" in refused.json()["error"]
        assert api.patch("/_sandbox/settings", json={"call_hold_state": "ringing"}).status_code == 200
        assert api.get("/_sandbox/settings").json()["settings"]["call_hold_state"] == "ringing"
