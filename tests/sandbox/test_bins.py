"""XML bins (``/_sandbox/bins/{name}``): stored after Plivo's validation, served as application/xml to
GET and POST without auth, removed, kept across restarts, and served to a real call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import plivo
from answer_server import settle
from sandbox_server import MANUAL, Server
from starlette.applications import Starlette

from plivo_blocks.sandbox import create_app

GREETING = '<Response><Speak>Hello from a bin</Speak><Wait length="30"/></Response>'


def test_a_bin_is_stored_served_replaced_and_deleted(sandbox: Server) -> None:
    with sandbox.main_client() as control:
        made = control.put("/_sandbox/bins/greeting", content=GREETING)
        assert made.status_code == 201, made.text
        assert made.json()["url"] == f"{sandbox.url}/_sandbox/bins/greeting"
        for method in ("GET", "POST"):  # as Plivo fetches an answer_url, and with no credentials
            served = httpx.request(method, f"{sandbox.url}/_sandbox/bins/greeting")
            assert served.status_code == 200
            assert served.headers["content-type"].startswith("application/xml")
            assert served.headers["x-content-type-options"] == "nosniff"
            assert served.text == GREETING
        replaced = control.put("/_sandbox/bins/greeting", content="<Response><Hangup/></Response>")
        assert replaced.status_code == 200
        assert httpx.get(f"{sandbox.url}/_sandbox/bins/greeting").text == "<Response><Hangup/></Response>"
        (listed,) = control.get("/_sandbox/bins").json()["bins"]
        assert listed["name"] == "greeting" and listed["xml"] == "<Response><Hangup/></Response>"
        assert control.delete("/_sandbox/bins/greeting").status_code == 204
        assert control.delete("/_sandbox/bins/greeting").status_code == 404
    gone = httpx.get(f"{sandbox.url}/_sandbox/bins/greeting")
    assert gone.status_code == 404 and "no bin named 'greeting'" in gone.json()["error"]


def test_invalid_xml_is_refused_with_the_parsers_reason_and_nothing_is_stored(sandbox: Server) -> None:
    with sandbox.main_client() as control:
        for document, reason in (
            ("<Response><Speek>Hi</Speek></Response>", "Speek"),
            ("<Response><Speak>Hi</Response>", "well-formed"),
            ("<Speak>Hi</Speak>", "Response"),
            ("", "body must be the bin's Plivo XML"),
        ):
            refused = control.put("/_sandbox/bins/broken", content=document)
            assert refused.status_code == 400, document
            assert reason.lower() in refused.json()["error"].lower(), refused.json()
        assert control.get("/_sandbox/bins").json()["bins"] == []


def test_bin_names_follow_the_rule_and_changes_need_the_main_account(sandbox: Server) -> None:
    with sandbox.main_client() as control:
        bad = control.put("/_sandbox/bins/has space", content=GREETING)
        assert bad.status_code == 400 and "bin name" in bad.json()["error"]
        assert control.put("/_sandbox/bins/" + "x" * 65, content=GREETING).status_code == 400
    anonymous = httpx.put(f"{sandbox.url}/_sandbox/bins/greeting", content=GREETING)
    assert anonymous.status_code == 401
    assert httpx.delete(f"{sandbox.url}/_sandbox/bins/greeting").status_code == 401
    assert httpx.get(f"{sandbox.url}/_sandbox/bins").status_code == 401


def test_bins_survive_a_restart(serve: Callable[[Starlette], Server], tmp_path: Path) -> None:
    database = str(tmp_path / "sandbox.db")
    first = serve(create_app(database, clock=MANUAL))
    with first.main_client() as control:
        assert control.put("/_sandbox/bins/kept", content=GREETING).status_code == 201
    first.stop()
    second = serve(create_app(database, clock=MANUAL))
    assert httpx.get(f"{second.url}/_sandbox/bins/kept").text == GREETING


def test_a_call_runs_the_xml_of_its_bin(sandbox: Server, main_sdk: plivo.RestClient) -> None:
    with sandbox.main_client() as control:
        control.put("/_sandbox/bins/greeting", content=GREETING)
        main_sdk.calls.create(
            from_="14155550100", to_="14155550101", answer_url=f"{sandbox.url}/_sandbox/bins/greeting"
        )
        settle(sandbox, 3)  # the Speak takes 2 s, then the Wait starts
        (call,) = control.get("/_sandbox/calls").json()["objects"]
        log = control.get(f"/_sandbox/calls/{call['call_uuid']}").json()["log"]
    spoken = [entry for entry in log if entry["event"] == "speak"]
    assert spoken and spoken[0]["text"] == "Hello from a bin"
    assert any(entry["event"] == "wait" for entry in log)
    assert call["live"] is True and call["activity"] == "waiting"
