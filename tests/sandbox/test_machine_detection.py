"""Answering-machine detection on ``makeCall`` (``machine_detection``, ``machine_detection_time``,
``machine_detection_url``/``_method``), with the callee's phone script saying whether it is a
machine: synchronous and asynchronous, ``true`` and ``hangup``, on the manual clock."""

from __future__ import annotations

import plivo
import pytest
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from sandbox_server import Server

FROM, TO = "14155550100", "14155550111"


def call(client: plivo.RestClient, answers: AnswerServer, **amd: object) -> str:
    return str(
        client.calls.create(
            from_=FROM, to_=TO, answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup"), **amd
        ).request_uuid
    )


def machine(sandbox: Server, is_machine: bool = True) -> None:
    with sandbox.main_client() as control:
        control.put(f"/_sandbox/phones/{TO}", json={"machine": is_machine})


def test_synchronous_detection_hangs_up_a_machine_before_any_xml(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    machine(sandbox)
    call(main_sdk, answers, machine_detection="hangup", machine_detection_time=3000)
    settle(sandbox, 2.9)
    assert not answers.requests_to("/answer") and not answers.requests_to("/hangup")
    settle(sandbox, 0.1)
    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["Machine"] == "true" and hangup.params["HangupCauseName"] == "Normal Hangup"
    assert hangup.params["HangupSource"] == "Plivo" and hangup.params["Duration"] == "3"
    assert hangup.signed_by(sandbox.state.main_auth_token)
    assert not answers.requests_to("/answer")  # no XML is processed during the analysis


@pytest.mark.parametrize("is_machine", [True, False])
def test_synchronous_detection_with_true_tells_every_url_what_it_found(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer, is_machine: bool
) -> None:
    machine(sandbox, is_machine)
    answers.reply("/answer", "<Response><Speak>Hello</Speak></Response>")
    call(main_sdk, answers, machine_detection="true")
    settle(sandbox, 4.9)
    assert not answers.requests_to("/answer")
    settle(sandbox, 0.1)  # Plivo's default analysis time: 5000 ms
    (answer,) = answers.wait_for("/answer")
    expected = "true" if is_machine else "false"
    assert answer.params["Machine"] == expected and answer.params["Event"] == "StartApp"
    settle(sandbox, 1)
    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["Machine"] == expected
    assert hangup.params["HangupCauseName"] == "End Of XML Instructions" and hangup.params["Duration"] == "6"


def test_asynchronous_detection_reports_a_machine_to_its_url_while_the_xml_runs(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    machine(sandbox)
    answers.reply("/answer", "<Response><Wait length='30'/></Response>")
    request_uuid = call(
        main_sdk,
        answers,
        machine_detection="hangup",
        machine_detection_time=2000,
        machine_detection_url=answers.url("/amd"),
        machine_detection_method="GET",
    )
    settle(sandbox)
    (answer,) = answers.wait_for("/answer")  # the XML runs at once
    assert "Machine" not in answer.params
    settle(sandbox, 2)
    (detected,) = answers.wait_for("/amd")
    assert detected.method == "GET"
    assert {k: detected.params[k] for k in ("Event", "Machine", "IfMachine", "CallStatus", "Direction")} == {
        "Event": "MachineDetection",
        "Machine": "true",
        "IfMachine": "hangup",
        "CallStatus": "in-progress",
        "Direction": "outbound",
    }
    assert detected.params["CallUUID"] == answer.params["CallUUID"] == detected.params["ALegUUID"]
    assert detected.params["RequestUUID"] == request_uuid == detected.params["ALegRequestUUID"]
    assert (detected.params["From"], detected.params["To"]) == (FROM, TO)
    assert detected.signed_by(sandbox.state.main_auth_token)
    (hangup,) = answers.wait_for("/hangup")  # machine_detection=hangup: the call ends after the report
    assert hangup.params["Machine"] == "true" and hangup.params["Duration"] == "2"


def test_asynchronous_detection_of_a_person_or_with_true_lets_the_call_go_on(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", "<Response><Wait length='10'/></Response>")
    call(main_sdk, answers, machine_detection="true", machine_detection_url=answers.url("/amd"))
    settle(sandbox, 10)
    assert not answers.requests_to("/amd")  # an unscripted phone is a person: nothing to report
    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["Machine"] == "false" and hangup.params["Duration"] == "10"

    machine(sandbox)
    call(main_sdk, answers, machine_detection="true", machine_detection_url=answers.url("/amd"))
    settle(sandbox, 5)
    (detected,) = answers.wait_for("/amd")
    assert detected.params["IfMachine"] == "continue"
    settle(sandbox, 5)
    assert answers.wait_for("/hangup", 2)[1].params["HangupCauseName"] == "End Of XML Instructions"


@pytest.mark.parametrize(
    ("params", "complaint"),
    [
        ({"machine_detection": "maybe"}, "machine_detection"),
        ({"machine_detection": "true", "machine_detection_time": "1999"}, "machine_detection_time"),
        ({"machine_detection": "true", "machine_detection_time": "10001"}, "machine_detection_time"),
        ({"machine_detection": "true", "machine_detection_url": "ftp://x"}, "machine_detection_url"),
    ],
)
def test_machine_detection_parameters_are_validated(
    sandbox: Server, answers: AnswerServer, params: dict[str, str], complaint: str
) -> None:
    with sandbox.main_client() as client:
        answer = client.post(
            f"/v1/Account/{sandbox.state.main_auth_id}/Call/",
            data={"from": FROM, "to": TO, "answer_url": answers.url("/answer"), **params},
        )
    assert answer.status_code == 400 and complaint in answer.json()["error"]


def test_a_call_moved_or_advanced_during_the_analysis(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/moved", "<Response><Wait length='2'/></Response>")
    call(main_sdk, answers, machine_detection="true")
    settle(sandbox, 1)
    (moved_uuid,) = main_sdk.live_calls.list_ids().calls
    main_sdk.calls.transfer(moved_uuid, legs="aleg", aleg_url=answers.url("/moved"))
    settle(sandbox)
    (moved,) = answers.wait_for("/moved")
    assert moved.params["Event"] == "Transfer" and "Machine" not in moved.params
    settle(sandbox, 2)
    assert main_sdk.calls.get(moved_uuid).hangup_cause_name == "End Of XML Instructions"
    assert not answers.requests_to("/answer")

    answers.reply("/answer", "<Response/>")
    machine(sandbox)
    call(main_sdk, answers, machine_detection="true")
    settle(sandbox, 1)
    (advanced_uuid,) = main_sdk.live_calls.list_ids().calls
    with sandbox.main_client() as control:
        assert control.post(f"/_sandbox/calls/{advanced_uuid}/advance", json={}).status_code == 202
    settle(sandbox)
    (answer,) = answers.wait_for("/answer")  # the analysis ended early, with its result
    assert answer.params["Machine"] == "true" and answer.params["CallUUID"] == advanced_uuid
