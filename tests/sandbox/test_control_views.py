"""What the control API shows the inspector (and tests): one shape for live and ended calls, a
call's timeline, legs and recordings, transfers and conference member actions; the webhook log by
``ref``, one delivery and its redelivery; message search and a message's detail; every account's
resources with no secret in them."""

from __future__ import annotations

from typing import Any

import httpx
import plivo
import pytest
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from hook_recorder import HOOKS, HookRecorder
from sandbox_server import Server

FROM = "14155550100"
WAIT_XML = '<Response><Speak>One moment</Speak><Wait length="600"/></Response>'


def _call(main_sdk: plivo.RestClient, answers: AnswerServer, to: str = "14155550111", **extra: Any) -> str:
    request_uuid = main_sdk.calls.create(
        from_=FROM, to_=to, answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup"), **extra
    ).request_uuid
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params.get("RequestUUID") == request_uuid)
    return answer.params["CallUUID"]


def test_live_and_ended_calls_have_one_shape(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", WAIT_XML)
    ended_uuid = _call(main_sdk, answers)
    settle(sandbox, 1)
    main_sdk.calls.delete(ended_uuid)
    live_uuid = _call(main_sdk, answers, to="14155550122")
    settle(sandbox, 2)
    with sandbox.main_client() as control:
        shown = {c["call_uuid"]: c for c in control.get("/_sandbox/calls").json()["objects"]}
        only_live = control.get("/_sandbox/calls", params={"live": "true"}).json()["objects"]
        only_ended = control.get("/_sandbox/calls", params={"live": "false"}).json()["objects"]
    live, ended = shown[live_uuid], shown[ended_uuid]
    assert set(live) == set(ended)
    assert [c["call_uuid"] for c in only_live] == [live_uuid]
    assert [c["call_uuid"] for c in only_ended] == [ended_uuid]
    assert live["live"] is True and live["status"] == "in-progress" and live["activity"] == "waiting"
    assert live["end_time"] is None and live["clock_seconds"] == 2.0
    assert ended["live"] is False and ended["status"] == "completed" and ended["activity"] == "ended"
    assert ended["hangup_cause_name"] == "Normal Hangup" and ended["end_time"]
    assert ended["waiting_for_digits"] is False and ended["recordings"] == []


def test_a_calls_timeline_puts_each_fetch_before_the_xml_it_loaded(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", WAIT_XML)
    call_uuid = _call(main_sdk, answers)
    settle(sandbox, 3)
    with sandbox.main_client() as control:
        assert control.post(f"/_sandbox/calls/{call_uuid}/hangup", json={}).status_code == 202
        settle(sandbox)
        detail = control.get(f"/_sandbox/calls/{call_uuid}").json()
    kinds = [e["event"] if e["type"] == "step" else f"request:{e['kind']}" for e in detail["timeline"]]
    assert kinds.index("request:answer") == kinds.index("answer_xml") - 1
    assert kinds.index("speak") < kinds.index("wait") < kinds.index("hangup") < kinds.index("request:hangup")
    fetch = next(e for e in detail["timeline"] if e["type"] == "request" and e["kind"] == "answer")
    assert fetch["url"] == answers.url("/answer") and fetch["params"]["CallUUID"] == call_uuid
    assert fetch["tries"][0]["status"] == 200 and fetch["tries"][0]["response_excerpt"] == WAIT_XML
    times = [e["time"] for e in detail["timeline"]]
    assert times == sorted(times)
    wait = next(e for e in detail["timeline"] if e.get("event") == "wait")
    hangup = next(e for e in detail["timeline"] if e.get("event") == "hangup")
    assert round(hangup["time"] - wait["time"], 3) == 2.0  # the Speak took 1 s, 3 s had passed
    assert detail["live"] is False and detail["legs"] == [] and detail["recorded"] == []


def test_legs_and_recordings_of_a_call(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", WAIT_XML)
    parent = _call(main_sdk, answers)
    child = _call(main_sdk, answers, to="14155550122", parent_call_uuid=parent)
    settle(sandbox, 2)
    recording = main_sdk.calls.record(parent, time_limit=60)
    settle(sandbox, 4)
    main_sdk.calls.record_stop(parent)
    settle(sandbox)
    with sandbox.main_client() as control:
        detail = control.get(f"/_sandbox/calls/{parent}").json()
        child_detail = control.get(f"/_sandbox/calls/{child}").json()
    assert [leg["call_uuid"] for leg in detail["legs"]] == [child]
    assert [leg["call_uuid"] for leg in child_detail["legs"]] == [parent]
    (recorded,) = detail["recorded"]
    assert (
        recorded["recording_id"] == recording.recording_id
        and recorded["recording_duration_ms"] == "4000.00000"
    )


def test_transfer_moves_a_live_call_to_new_xml(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", WAIT_XML)
    answers.reply("/next", "<Response><Speak>Moved</Speak><Hangup/></Response>")
    call_uuid = _call(main_sdk, answers)
    settle(sandbox, 2)
    with sandbox.main_client() as control:
        bad = control.post(f"/_sandbox/calls/{call_uuid}/transfer", json={"url": "ftp://x"})
        assert bad.status_code == 400 and "http" in bad.json()["error"]
        moved = control.post(f"/_sandbox/calls/{call_uuid}/transfer", json={"url": answers.url("/next")})
        assert moved.status_code == 202, moved.text
        settle(sandbox, 2)
        (fetched,) = answers.requests_to("/next")
        ended = control.get(f"/_sandbox/calls/{call_uuid}").json()
        gone = control.post(f"/_sandbox/calls/{call_uuid}/transfer", json={"url": answers.url("/next")})
    assert fetched.params["CallUUID"] == call_uuid
    assert ended["live"] is False and any(e["event"] == "transferred" for e in ended["log"])
    assert gone.status_code == 404


@pytest.mark.usefixtures("unpaced_calls")  # three calls at once, past Plivo's 2 per second
def test_conference_members_are_muted_deafened_kicked_and_hung_up(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", "<Response><Conference>standup</Conference></Response>")
    calls = [_call(main_sdk, answers, to=to) for to in ("14155550111", "14155550122", "14155550133")]
    settle(sandbox)
    with sandbox.main_client() as control:
        (room,) = control.get("/_sandbox/conferences").json()["conferences"]
        members = {m["call_uuid"]: m["member_id"] for m in room["members"]}
        base = f"/_sandbox/conferences/{room['conference_uuid']}/members"

        def act(call_uuid: str, action: str) -> httpx.Response:
            return control.post(f"{base}/{members[call_uuid]}/{action}")

        assert act(calls[0], "mute").status_code == 202
        assert act(calls[1], "deaf").status_code == 202
        shown = {
            m["call_uuid"]: m
            for m in control.get("/_sandbox/conferences").json()["conferences"][0]["members"]
        }
        assert (shown[calls[0]]["muted"], shown[calls[0]]["deaf"]) == (True, False)
        assert (shown[calls[1]]["muted"], shown[calls[1]]["deaf"]) == (False, True)
        assert act(calls[0], "unmute").status_code == 202 and act(calls[1], "undeaf").status_code == 202
        shown = {
            m["call_uuid"]: m
            for m in control.get("/_sandbox/conferences").json()["conferences"][0]["members"]
        }
        assert not any(m["muted"] or m["deaf"] for m in shown.values())
        assert act(calls[0], "kick").status_code == 202
        assert act(calls[1], "hangup").status_code == 202
        assert act(calls[2], "shout").status_code == 404
        settle(sandbox)
        left = control.get("/_sandbox/conferences").json()["conferences"][0]["members"]
        ended = {c["call_uuid"]: c["live"] for c in control.get("/_sandbox/calls").json()["objects"]}
    assert [m["call_uuid"] for m in left] == [calls[2]]
    assert ended == {calls[0]: False, calls[1]: False, calls[2]: True}


def test_the_webhook_log_by_ref_one_delivery_and_a_redelivery(
    sandbox: Server, main_sdk: plivo.RestClient, recorder: HookRecorder, sms_src: str
) -> None:
    first, second = (
        main_sdk.messages.create(src=sms_src, dst=dst, text="hi", url=f"{HOOKS}/status").message_uuid[0]
        for dst in ("14155550111", "14155550122")
    )
    settle(sandbox, 3)  # queued, sent 1 s later, delivered 2 s after that
    with sandbox.main_client() as control:
        mine = control.get("/_sandbox/webhooks", params={"ref": first}).json()["objects"]
        assert [d["params"]["Status"] for d in reversed(mine)] == ["queued", "sent", "delivered"]
        assert all(d["ref"] == first for d in mine)
        one = control.get(f"/_sandbox/webhooks/{mine[0]['delivery_id']}").json()
        assert one["delivery_id"] == mine[0]["delivery_id"] and one["tries"][0]["status"] == 200
        assert control.get("/_sandbox/webhooks/nope").status_code == 404
        sent_before = len(recorder.sent)
        again = control.post(f"/_sandbox/webhooks/{mine[0]['delivery_id']}/redeliver")
        assert again.status_code == 202
        settle(sandbox)
        redelivered = control.get(f"/_sandbox/webhooks/{again.json()['delivery_id']}").json()
        assert control.post("/_sandbox/webhooks/nope/redeliver").status_code == 404
    assert len(recorder.sent) == sent_before + 1
    assert recorder.sent[-1].params == mine[0]["params"]
    assert redelivered["status"] == "delivered" and redelivered["ref"] == first
    assert second != first


def test_messages_are_searched_by_number_and_text_and_shown_with_their_timeline(
    sandbox: Server, main_sdk: plivo.RestClient, sms_src: str
) -> None:
    with sandbox.main_client() as control:
        timings = {"message_queued_seconds": 1, "message_sent_seconds": 1}
        assert control.patch("/_sandbox/settings", json=timings).status_code == 200
    main_sdk.messages.create(src=sms_src, dst="14155550111", text="Your code is 4242")
    (emoji,) = main_sdk.messages.create(src=FROM, dst="447700900123", text="Ça va? 😀" * 10).message_uuid
    with sandbox.main_client() as control:
        by_text = control.get("/_sandbox/messages", params={"q": "CODE IS"}).json()["objects"]
        by_number = control.get("/_sandbox/messages", params={"q": "+4477009"}).json()["objects"]
        assert [m["text"] for m in by_text] == ["Your code is 4242"]
        assert [m["message_uuid"] for m in by_number] == [emoji]
        queued = control.get(f"/_sandbox/messages/{emoji}").json()
        settle(sandbox, 1)
        sent = control.get(f"/_sandbox/messages/{emoji}").json()
        settle(sandbox, 1)
        delivered = control.get(f"/_sandbox/messages/{emoji}").json()
        assert control.get("/_sandbox/messages/nope").status_code == 404
    assert queued["encoding"] == "UCS-2" and queued["segments"] == queued["units"] == 2
    assert [s["state"] for s in queued["timeline"]] == ["queued"]
    assert [s["state"] for s in sent["timeline"]] == ["queued", "sent"]
    assert [s["state"] for s in delivered["timeline"]] == ["queued", "sent", "delivered"]
    assert delivered["timeline"][-1]["time"] == delivered["message_updated_time"]


def test_resources_show_every_account_without_a_secret(sandbox: Server, main_sdk: plivo.RestClient) -> None:
    sub = main_sdk.subaccounts.create("team", enabled=True)
    endpoint = main_sdk.endpoints.create(username="desk", password="endpoint-secret-1", alias="Desk")
    app = main_sdk.applications.create(app_name="inbox", message_url=f"{HOOKS}/sms")
    with sandbox.main_client() as control:
        answer = control.get("/_sandbox/resources")
    assert answer.status_code == 200
    body = answer.json()
    text = answer.text
    assert sub.auth_token not in text and sandbox.state.main_auth_token not in text
    assert "endpoint-secret-1" not in text and "password" not in text
    assert {a["auth_id"] for a in body["accounts"]} == {sandbox.state.main_auth_id, sub.auth_id}
    assert next(a for a in body["accounts"] if a["auth_id"] == sub.auth_id)["parent_auth_id"] == (
        sandbox.state.main_auth_id
    )
    assert [e["endpoint_id"] for e in body["endpoints"]] == [endpoint.endpoint_id]
    assert [a["app_id"] for a in body["applications"]] == [app.app_id]
