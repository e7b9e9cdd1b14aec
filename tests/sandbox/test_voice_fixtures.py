"""Every voice answer (calls, live calls, conferences, recordings) has the fields and value formats of
Plivo's real answer in ``tests/data/plivo-fixtures``, compared with the same rules as the non-voice
resources (:mod:`test_fixture_fidelity`).

Two documented differences: call detail records also carry ``hangup_cause_name``,
``hangup_cause_code`` and ``hangup_source`` (as Plivo's current CDRs do; the 2017 samples predate
them), and recording ids are UUIDs (the issue asks for them; the samples' ids are anonymised into
non-hex text).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from sandbox_server import Server
from test_fixture_fidelity import FIXTURES, compare_items, compare_object, load

CDR_ADDITIONS = {"hangup_cause_name", "hangup_cause_code", "hangup_source"}
ANONYMISED_IDS = {"recording_id"}
SAMPLE_UUID = "00000000-0000-4000-8000-000000000000"

VOICE = sorted(
    p.stem
    for p in FIXTURES.glob("*.json")
    if p.stem.startswith(("call", "liveCall", "conference", "recording"))
)


def expected_status(name: str) -> int:
    if name == "callCreateResponse":
        return 201
    if name.endswith(("CreateResponse", "UpdateResponse")):
        return 202
    return 200


def without(body: Any, fields: set[str]) -> Any:
    if isinstance(body, dict):
        return {k: without(v, fields) for k, v in body.items() if k not in fields}
    if isinstance(body, list):
        return [without(v, fields) for v in body]
    return body


def with_uuid_ids(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: SAMPLE_UUID if k in ANONYMISED_IDS else with_uuid_ids(v) for k, v in body.items()}
    if isinstance(body, list):
        return [with_uuid_ids(v) for v in body]
    return body


def voice_answers(sandbox: Server, answers: AnswerServer) -> dict[str, tuple[int, dict[str, Any]]]:
    """Drive every voice endpoint once; status and body per fixture name."""
    collected: dict[str, tuple[int, dict[str, Any]]] = {}
    base = f"/v1/Account/{sandbox.state.main_auth_id}/"
    answers.reply(
        "/answer", "<Response><Speak>Welcome</Speak><Conference>My Conf Room</Conference></Response>"
    )
    with sandbox.main_client() as api:

        def call(name: str | None, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
            response = api.request(method, base + path, **kwargs)
            body = response.json() if response.content else {}
            if name:
                collected[name] = (response.status_code, body)
            return body

        fired = call(
            "callCreateResponse",
            "POST",
            "Call/",
            json={"from": "919879879876", "to": "919999999999", "answer_url": answers.url("/answer")},
        )
        call(
            None,
            "POST",
            "Call/",
            json={"from": "919879879876", "to": "14155550111", "answer_url": answers.url("/answer")},
        )
        (answer,) = answers.wait_for(
            "/answer", where=lambda r: r.params["RequestUUID"] == fired["request_uuid"]
        )
        call_uuid = answer.params["CallUUID"]
        settle(sandbox, 1)  # "Welcome", then the conference

        call("liveCallListGetResponse", "GET", "Call/", params={"status": "live"})
        call("liveCallGetResponse", "GET", f"Call/{call_uuid}/", params={"status": "live"})
        call(
            "liveCallPlayCreateResponse",
            "POST",
            f"Call/{call_uuid}/Play/",
            json={"urls": "https://x.test/a.mp3"},
        )
        call("liveCallSpeakCreateResponse", "POST", f"Call/{call_uuid}/Speak/", json={"text": "Hello"})
        call("liveCallDtmfCreateResponse", "POST", f"Call/{call_uuid}/DTMF/", json={"digits": "123"})
        call("liveCallRecordCreateResponse", "POST", f"Call/{call_uuid}/Record/", json={})
        call(None, "DELETE", f"Call/{call_uuid}/Record/")

        room = "Conference/My%20Conf%20Room/"
        call("conferenceListResponse", "GET", "Conference/")
        details = call("conferenceGetResponse", "GET", room)
        member = details["members"][0]["member_id"]
        call("conferenceMemberMuteCreateResponse", "POST", f"{room}Member/{member}/Mute/")
        call("conferenceMemberDeafCreateResponse", "POST", f"{room}Member/{member}/Deaf/")
        call(
            "conferenceMemberPlayCreateResponse",
            "POST",
            f"{room}Member/all/Play/",
            json={"url": "https://x.test/b.mp3"},
        )
        call(
            "conferenceMemberSpeakCreateResponse", "POST", f"{room}Member/all/Speak/", json={"text": "Hi all"}
        )
        recording = call("conferenceRecordCreateResponse", "POST", f"{room}Record/", json={})
        call(None, "DELETE", f"{room}Record/")
        for _ in range(3):  # more than a page of recordings, the newest of a conference like the sample's
            call(None, "POST", f"{room}Record/", json={})
            call(None, "DELETE", f"{room}Record/")
        call("recordingGetResponse", "GET", f"Recording/{recording['recording_id']}/")
        call("conferenceMemberKickCreateResponse", "POST", f"{room}Member/{member}/Kick/")

        settle(sandbox)
        live = call(None, "GET", "Call/", params={"status": "live"})["calls"]
        call(
            "callUpdateResponse",
            "POST",
            f"Call/{live[0]}/",
            json={"legs": "aleg", "aleg_url": answers.url("/end")},
        )
        settle(sandbox)
        call("callGetResponse", "GET", f"Call/{call_uuid}/")
        call("callListResponse", "GET", "Call/")
        call(None, "POST", room + "Record/", json={})  # a room no longer there: no recording
        call("recordingListResponse", "GET", "Recording/", params={"limit": 3})
    return collected


@pytest.fixture
def voice(sandbox: Server, answers: AnswerServer) -> dict[str, tuple[int, dict[str, Any]]]:
    return voice_answers(sandbox, answers)


def test_every_voice_sample_is_covered(voice: dict[str, tuple[int, dict[str, Any]]]) -> None:
    assert len(VOICE) == 20
    assert sorted(voice) == VOICE
    problems: list[str] = []
    for name in VOICE:
        status, body = voice[name]
        if status != expected_status(name):
            problems.append(f"{name}: status {status}, expected {expected_status(name)}")
        sample = with_uuid_ids(load(name))
        answer = without(body, CDR_ADDITIONS) if name.startswith("call") else body
        if "objects" in sample:
            compare_object(
                {k: v for k, v in sample.items() if k != "objects"},
                {k: v for k, v in answer.items() if k != "objects"},
                name,
                problems,
                exact=True,
            )
            compare_items(sample["objects"], answer.get("objects", []), f"{name}.objects", problems)
        else:
            compare_object(sample, answer, name, problems, exact=True)
    assert not problems, "\n".join(problems)


def test_cdrs_carry_the_hangup_details_plivo_adds(voice: dict[str, tuple[int, dict[str, Any]]]) -> None:
    _, record = voice["callGetResponse"]
    assert set(record) & CDR_ADDITIONS == CDR_ADDITIONS
    assert record["hangup_cause_name"] == "Normal Hangup" and record["hangup_source"] == "API Request"
    assert re.fullmatch(r"[0-9a-f-]{36}", voice["recordingGetResponse"][1]["recording_id"])
