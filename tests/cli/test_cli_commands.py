"""``plivo-blocks blocks | describe | call`` and the help texts, through typer's CliRunner."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from plivo_blocks.catalog import BLOCKS
from plivo_blocks.cli import app
from support.upstream import RecordingUpstream, Reply, free_port

AUTH_ID = "MACLITESTXXXXXXXXXXX"
AUTH_TOKEN = "cli-secret-token-4d2b8e"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def plivo_env(recording_upstream: RecordingUpstream) -> dict[str, str]:
    return {
        "PLIVO_API_URL": recording_upstream.url,
        "PLIVO_AUTH_ID": AUTH_ID,
        "PLIVO_AUTH_TOKEN": AUTH_TOKEN,
        "COLUMNS": "200",
    }


def test_blocks_json_lists_all_68(runner: CliRunner) -> None:
    result = runner.invoke(app, ["blocks", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == [b.name for b in BLOCKS]
    send = next(r for r in rows if r["name"] == "sendMessage")
    assert send == {
        "name": "sendMessage",
        "group": "Messages",
        "method": "POST",
        "path": "/v1/Account/{auth_id}/Message/",
        "required": ["src", "destination", "text"],
    }


def test_blocks_table_shows_every_block(runner: CliRunner) -> None:
    result = runner.invoke(app, ["blocks"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for block in BLOCKS:
        assert block.name in result.stdout
    assert "DELETE" in result.stdout and "/v1/Account/{auth_id}/Number/{number}/" in result.stdout


def test_blocks_group_filter(runner: CliRunner) -> None:
    result = runner.invoke(app, ["blocks", "--json", "--group", "messages"])
    assert result.exit_code == 0
    assert [r["name"] for r in json.loads(result.stdout)] == [
        "sendMessage",
        "getMessages",
        "getSingleMessage",
    ]
    result = runner.invoke(app, ["blocks", "--group", "Faxes"])
    assert result.exit_code == 2
    assert "Messages" in result.stderr  # lists the groups there are


def test_describe_shows_arguments_constraints_and_the_plivo_call(runner: CliRunner) -> None:
    result = runner.invoke(app, ["describe", "sendMessage"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "POST /v1/Account/{auth_id}/Message/" in out
    for name in ("src", "destination", "text", "type", "url", "method", "log"):
        assert name in out
    assert "dst" in out  # destination's Plivo parameter
    assert "an absolute http(s) URL" in out
    assert "plivo-blocks call sendMessage" in out


def test_describe_marks_path_arguments(runner: CliRunner) -> None:
    result = runner.invoke(app, ["describe", "--json", "muteMember"])
    described = json.loads(result.stdout)
    assert described["plivo"] == {
        "method": "POST",
        "path": "/v1/Account/{auth_id}/Conference/{conferenceName}/Member/{memberId}/Mute/",
        "fixed_params": {},
        "success_status": 202,
    }
    assert [(a["name"], a["in_path"], a["required"]) for a in described["args"]] == [
        ("conferenceName", True, True),
        ("memberId", True, True),
    ]


def test_describe_unknown_block_suggests(runner: CliRunner) -> None:
    result = runner.invoke(app, ["describe", "sendMesage"])
    assert result.exit_code == 2
    assert "sendMessage" in result.stderr
    assert "Traceback" not in result.output


def test_call_prints_plivos_answer(
    runner: CliRunner, plivo_env: dict[str, str], recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(Reply(status=202, json={"api_id": "m1", "message_uuid": ["u"]}))
    result = runner.invoke(
        app,
        ["call", "sendMessage", "src=+14155550100", "destination=14155550101", "text=hello there"],
        env=plivo_env,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"api_id": "m1", "message_uuid": ["u"]}
    (seen,) = recording_upstream.requests
    assert (seen.method, seen.raw_path) == ("POST", f"/v1/Account/{AUTH_ID}/Message/")
    assert seen.json == {"src": "14155550100", "dst": "14155550101", "text": "hello there"}
    assert seen.basic_auth == (AUTH_ID, AUTH_TOKEN)


def test_call_merges_json_args_with_pairs(
    runner: CliRunner, plivo_env: dict[str, str], recording_upstream: RecordingUpstream
) -> None:
    result = runner.invoke(
        app, ["call", "getMessages", "--json-args", '{"limit": 5, "offset": 10}', "offset=20"], env=plivo_env
    )
    assert result.exit_code == 0, result.output
    assert recording_upstream.last.query == {"limit": "5", "offset": "20"}


def test_call_validation_error_sends_nothing(
    runner: CliRunner, plivo_env: dict[str, str], recording_upstream: RecordingUpstream
) -> None:
    result = runner.invoke(app, ["call", "sendMessage", "src=abc", "limit=3"], env=plivo_env)
    assert result.exit_code == 2
    assert "src" in result.stderr and "destination: is required" in result.stderr and "limit" in result.stderr
    assert "Traceback" not in result.output
    assert recording_upstream.requests == []


def test_call_api_error_exits_1_with_plivos_message(
    runner: CliRunner, plivo_env: dict[str, str], recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(Reply(status=401, json={"api_id": "x1", "error": "Authentication failed"}))
    result = runner.invoke(app, ["call", "getAccountDetails"], env=plivo_env)
    assert result.exit_code == 1
    assert "HTTP 401" in result.stderr and "Authentication failed" in result.stderr and "x1" in result.stderr
    assert AUTH_TOKEN not in result.output
    assert "Traceback" not in result.output


def test_call_unreachable_upstream_exits_1(runner: CliRunner, plivo_env: dict[str, str]) -> None:
    env = {**plivo_env, "PLIVO_API_URL": f"http://127.0.0.1:{free_port()}"}
    result = runner.invoke(app, ["call", "getAccountDetails"], env=env)
    assert result.exit_code == 1
    assert "could not reach Plivo" in result.stderr
    assert AUTH_TOKEN not in result.output


def test_call_without_credentials_explains(runner: CliRunner, recording_upstream: RecordingUpstream) -> None:
    env = {"PLIVO_API_URL": recording_upstream.url, "PLIVO_AUTH_ID": "", "PLIVO_AUTH_TOKEN": ""}
    result = runner.invoke(app, ["call", "getAccountDetails"], env=env)
    assert result.exit_code == 2
    assert "PLIVO_AUTH_ID" in result.stderr
    assert recording_upstream.requests == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["call", "getMessages", "limit"], "key=value"),
        (["call", "getMessages", "--json-args", "{oops"], "not valid JSON"),
        (["call", "getMessages", "--json-args", "[1]"], "JSON object"),
        (["call", "nope"], "no block named"),
    ],
)
def test_call_usage_errors(
    runner: CliRunner, plivo_env: dict[str, str], argv: list[str], message: str
) -> None:
    result = runner.invoke(app, argv, env=plivo_env)
    assert result.exit_code == 2
    assert message in result.stderr


def test_serve_sandbox_refuses_several_workers(runner: CliRunner) -> None:
    result = runner.invoke(app, ["serve", "--sandbox", "--workers", "2"])
    assert result.exit_code == 2
    assert "single worker" in result.stderr


@pytest.mark.parametrize("command", [[], ["blocks"], ["describe"], ["call"], ["serve"], ["sandbox"]])
def test_help_everywhere(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_serve_help_documents_workers_and_settings(runner: CliRunner) -> None:
    out = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--workers" in out and "single worker" in out
    assert "PLIVO_BLOCKS_PROXY_SECRET" in out and "PLIVO_BLOCKS_MAX_BODY_BYTES" in out


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "plivo_blocks", "blocks", "--json", "--group", "Pricing"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert [r["name"] for r in json.loads(result.stdout)] == ["getPricing"]
