"""Call records and recordings outlive the sandbox process; calls cut by a stop are closed at the next start."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from sandbox_server import Server
from starlette.applications import Starlette

from plivo_blocks.sandbox import create_app

FROM, TO = "14155550100", "14155550111"


def test_records_survive_a_restart_and_cut_calls_are_closed(
    tmp_path: Path, serve: Callable[[Starlette], Server], answers: AnswerServer
) -> None:
    database = str(tmp_path / "voice.db")
    answers.reply("/done", "<Response><Hangup/></Response>")
    answers.reply("/waiting", f'<Response><GetDigits timeout="60" action="{answers.url("/x")}"/></Response>')
    first = serve(create_app(database))
    base = f"/v1/Account/{first.state.main_auth_id}/"
    with first.main_client() as api:
        api.post(
            base + "Call/", json={"from": FROM, "to": TO, "answer_url": answers.url("/done")}
        ).raise_for_status()
        api.post(base + "Call/", json={"from": FROM, "to": TO, "answer_url": answers.url("/waiting")})
        (waiting,) = answers.wait_for("/waiting")
        cut = waiting.params["CallUUID"]
        settle(first)
        recording = api.post(base + f"Call/{cut}/Record/", json={}).json()
        api.delete(base + f"Call/{cut}/Record/").raise_for_status()
        (finished,) = api.get(base + "Call/").json()["objects"]
    first.stop()

    second = serve(create_app(database))
    with second.main_client() as api:
        assert api.get(base + f"Call/{finished['call_uuid']}/").json()["hangup_cause_name"] == "Normal Hangup"
        closed = api.get(base + f"Call/{cut}/").json()
        assert closed["hangup_cause_name"] == "Internal Error" and closed["end_time"]
        assert api.get(base + "Call/", params={"status": "live"}).json()["calls"] == []
        assert api.get(base + f"Recording/{recording['recording_id']}/").json()["call_uuid"] == cut
        assert api.get(recording["url"].replace(first.url, second.url)).status_code == 200
        ended = api.get("/_sandbox/calls", params={"live": "false"}).json()["objects"]
        assert {c["call_uuid"] for c in ended} == {finished["call_uuid"], cut}
