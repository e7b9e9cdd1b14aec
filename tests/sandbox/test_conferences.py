"""Conference rules: who leaves when, what a leaving member's call does next, member selection, errors."""

from __future__ import annotations

from collections.abc import Callable

import plivo
import pytest
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from plivo import exceptions as plivo_errors
from sandbox_server import Server

FROM = "14155550100"


def conference_path(sandbox: Server, suffix: str = "") -> str:
    return f"/v1/Account/{sandbox.state.main_auth_id}/Conference/{suffix}"


def dial(
    sandbox: Server, client: plivo.RestClient, answers: AnswerServer, to: str, answer: str = "/answer"
) -> str:
    request_uuid = client.calls.create(
        from_=FROM, to_=to, answer_url=answers.url(answer), hangup_url=answers.url("/hangup")
    ).request_uuid
    (received,) = answers.wait_for(answer, where=lambda r: r.params.get("RequestUUID") == request_uuid)
    settle(sandbox)
    return received.params["CallUUID"]


def members(client: plivo.RestClient, room: str) -> dict[str, str]:
    """call_uuid -> member_id"""
    return {m.call_uuid: m.member_id for m in client.conferences.get(room).members}


def test_a_moderator_leaving_ends_the_room_and_the_others_go_to_their_action(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/host", '<Response><Conference endConferenceOnExit="true">board</Conference></Response>')
    answers.reply(
        "/guest",
        f'<Response><Conference action="{answers.url("/left")}">board</Conference><Speak>not reached</Speak></Response>',
    )
    answers.reply("/left", "<Response><Speak>The meeting has ended</Speak></Response>")
    host = dial(sandbox, main_sdk, answers, "14155550111", "/host")
    guest = dial(sandbox, main_sdk, answers, "14155550122", "/guest")
    guest_id = members(main_sdk, "board")[guest]
    main_sdk.calls.hangup(host)
    settle(sandbox)
    (left,) = answers.wait_for("/left")
    assert left.params["ConferenceName"] == "board" and left.params["ConferenceMemberID"] == guest_id
    assert left.params["CallUUID"] == guest and left.params["ConferenceUUID"]
    settle(sandbox, 2)
    assert main_sdk.calls.get(guest).hangup_cause_name == "End Of XML Instructions"
    assert main_sdk.conferences.list().conferences == []


def test_a_full_room_is_skipped_and_an_advanced_member_goes_on(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/answer",
        f'<Response><Conference maxMembers="1">solo</Conference><Redirect>{answers.url("/next")}</Redirect></Response>',
    )
    answers.reply("/next", '<Response><Wait length="2"/></Response>')
    first = dial(sandbox, main_sdk, answers, "14155550111")
    second = dial(sandbox, main_sdk, answers, "14155550122")
    assert list(members(main_sdk, "solo")) == [first]
    settle(sandbox)
    assert answers.wait_for("/next")[0].params["CallUUID"] == second
    with sandbox.main_client() as control:
        assert control.post(f"/_sandbox/calls/{first}/advance", json={}).status_code == 202
    settle(sandbox, 2)
    assert {r.params["CallUUID"] for r in answers.wait_for("/next", 2)} == {first, second}
    assert main_sdk.conferences.list().conferences == []


def test_member_operations_select_all_lists_and_single_ids(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", '<Response><Conference muted="true">ops</Conference></Response>')
    calls = [dial(sandbox, main_sdk, answers, to) for to in ("14155550111", "14155550122", "14155550133")]
    ids = members(main_sdk, "ops")
    assert all(m.muted for m in main_sdk.conferences.get("ops").members)  # joined muted
    main_sdk.conferences.member_mute_stop("ops", f"{ids[calls[0]]},{ids[calls[1]]}")
    muted = {m.call_uuid: m.muted for m in main_sdk.conferences.get("ops").members}
    assert muted == {calls[0]: False, calls[1]: False, calls[2]: True}
    main_sdk.conferences.member_deaf("ops", "all")
    assert all(m.deaf for m in main_sdk.conferences.get("ops").members)
    main_sdk.conferences.member_deaf_stop("ops", ids[calls[2]])
    assert [m.call_uuid for m in main_sdk.conferences.get("ops").members if not m.deaf] == [calls[2]]
    main_sdk.conferences.member_play_stop("ops", "all")
    main_sdk.conferences.member_speak_stop("ops", "all")

    main_sdk.conferences.member_hangup("ops", ids[calls[0]])
    settle(sandbox)
    assert set(members(main_sdk, "ops")) == {calls[1], calls[2]}
    assert main_sdk.calls.get(calls[0]).hangup_source == "API Request"

    with sandbox.main_client() as client:
        assert client.delete(conference_path(sandbox)).status_code == 204
    settle(sandbox)
    assert main_sdk.live_calls.list_ids().calls == []


def test_unknown_rooms_members_and_bad_ids(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.conferences.get("nowhere")
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.conferences.hangup("nowhere")
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.conferences.record("nowhere")
    answers.reply("/answer", "<Response><Conference>real</Conference></Response>")
    call_uuid = dial(sandbox, main_sdk, answers, "14155550111")
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.conferences.member_mute("real", "99999")
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.conferences.member_kick("real", "99998,99999")
    with sandbox.main_client() as client:
        answer = client.post(conference_path(sandbox, "real/Member/abc/Mute/"))
        assert answer.status_code == 400 and set(answer.json()) == {"api_id", "error"}
        answer = client.post(conference_path(sandbox, "real/Member/all/Play/"), json={})
        assert answer.status_code == 400 and "url" in answer.json()["error"]
        answer = client.post(conference_path(sandbox, "real/Member/all/Speak/"), json={})
        assert answer.status_code == 400 and "text" in answer.json()["error"]
    main_sdk.calls.hangup(call_uuid)


def test_rooms_are_named_per_account(
    sandbox: Server,
    main_sdk: plivo.RestClient,
    sdk: Callable[[str, str], plivo.RestClient],
    answers: AnswerServer,
) -> None:
    answers.reply("/answer", "<Response><Conference>shared-name</Conference></Response>")
    sub_account = main_sdk.subaccounts.create("team", enabled=True)
    sub = sdk(sub_account.auth_id, sub_account.auth_token)
    mine = dial(sandbox, main_sdk, answers, "14155550111")
    theirs = dial(sandbox, sub, answers, "14155550122")
    assert list(members(main_sdk, "shared-name")) == [mine]
    assert list(members(sub, "shared-name")) == [theirs]
    with sandbox.main_client() as control:
        rooms = control.get("/_sandbox/conferences").json()["conferences"]
    assert sorted(r["auth_id"] for r in rooms) == sorted([sandbox.state.main_auth_id, sub_account.auth_id])
