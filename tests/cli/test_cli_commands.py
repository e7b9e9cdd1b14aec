"""``plivo-blocks blocks | describe | call`` and the help texts, through typer's CliRunner."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys

import pytest
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from plivo_blocks import __version__
from plivo_blocks.catalog import BLOCKS, Block
from plivo_blocks.cli import app
from support.upstream import RecordingUpstream, Reply, free_port

AUTH_ID = "MACLITESTXXXXXXXXXXX"
AUTH_TOKEN = "cli-secret-token-4d2b8e"
COMMANDS = [[], ["blocks"], ["describe"], ["call"], ["serve"], ["sandbox"], ["xml"], ["xml", "check"]]


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


def _describe_columns(output: str) -> tuple[str, str]:
    """The text of the argument table's two columns, each joined into one string (the second
    starts where its heading, ``details``, starts)."""
    lines = output.splitlines()
    header = next(
        i for i, line in enumerate(lines) if line.lstrip().startswith("argument") and "details" in line
    )
    offset = lines[header].index("details")
    end = next(i for i in range(header, len(lines)) if lines[i].startswith("Example:"))
    rows = [line for line in lines[header + 2 : end] if line.strip()]
    return " ".join(r[:offset] for r in rows), " ".join(r[offset:] for r in rows)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
def test_describe_is_readable_at_80_columns(runner: CliRunner, block: Block) -> None:
    result = runner.invoke(app, ["describe", block.name], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    too_wide = [line for line in out.splitlines() if len(line.rstrip()) > 80]
    assert not too_wide, too_wide
    # Wrapped, never cut: the only ellipses are those of the catalog's own texts.
    own = block.description + "".join(a.info + a.type.describe() for a in block.args)
    assert out.count("…") == own.count("…")
    if not block.args:
        assert "No arguments besides the credentials." in out
        return
    names, details = _describe_columns(out)
    squeezed = "".join(details.split())  # long words may be folded across lines
    for arg in block.args:
        assert arg.name in names.split()
        assert "".join(arg.type.describe().split()) in squeezed, arg.name
        assert "".join(arg.info.split()) in squeezed, arg.name  # each argument's description
    # The example is one command cut into lines that end in " \\".
    example = out[out.index("Example:") :].splitlines()[1:]
    assert example[0].startswith(f"plivo-blocks call {block.name}")
    assert all(line.endswith(" \\") for line in example[:-1])


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
    result = runner.invoke(app, ["call", "sendMessage", "src=a b c!", "limit=3"], env=plivo_env)
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


def _call_options() -> set[str]:
    command = typer.main.get_command(app)
    assert isinstance(command, TyperGroup)
    return {opt for param in command.commands["call"].params for opt in param.opts if opt.startswith("-")}


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, ["--auth-id", "PLIVO_AUTH_ID", "--auth-token", "PLIVO_AUTH_TOKEN"]),
        ({"PLIVO_AUTH_ID": AUTH_ID}, ["--auth-token", "PLIVO_AUTH_TOKEN"]),
        ({"PLIVO_AUTH_TOKEN": AUTH_TOKEN}, ["--auth-id", "PLIVO_AUTH_ID"]),
    ],
    ids=["none", "no-token", "no-id"],
)
def test_call_without_credentials_names_options_that_exist(
    runner: CliRunner, recording_upstream: RecordingUpstream, given: dict[str, str], missing: list[str]
) -> None:
    env = {"PLIVO_API_URL": recording_upstream.url, "PLIVO_AUTH_ID": "", "PLIVO_AUTH_TOKEN": "", **given}
    result = runner.invoke(app, ["call", "getAccountDetails"], env=env)
    assert result.exit_code == 2
    assert recording_upstream.requests == []
    named = re.findall(r"--[a-z][a-z-]*", result.stderr)
    assert named and set(named) <= _call_options(), result.stderr  # every option it names exists
    assert re.findall(r"--[a-z-]+|PLIVO_[A-Z_]+", result.stderr) == missing
    assert AUTH_TOKEN not in result.output


def test_call_takes_credentials_and_url_as_options(
    runner: CliRunner, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(Reply(json={"api_id": "a1", "auth_id": AUTH_ID}))
    # The options beat the environment, which points nowhere useful.
    env = {
        "PLIVO_API_URL": f"http://127.0.0.1:{free_port()}",
        "PLIVO_AUTH_ID": "MAENV",
        "PLIVO_AUTH_TOKEN": "env",
    }
    argv = ["call", "getAccountDetails", "--api-url", recording_upstream.url, "--auth-id", AUTH_ID]
    result = runner.invoke(app, [*argv, "--auth-token", AUTH_TOKEN], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"api_id": "a1", "auth_id": AUTH_ID}
    (seen,) = recording_upstream.requests
    assert seen.raw_path == f"/v1/Account/{AUTH_ID}/"
    assert seen.basic_auth == (AUTH_ID, AUTH_TOKEN)


def test_call_never_echoes_a_token_given_as_an_option(
    runner: CliRunner, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(Reply(status=401, json={"api_id": "x", "error": "Authentication failed"}))
    argv = ["call", "getAccountDetails", "--api-url", recording_upstream.url]
    result = runner.invoke(app, [*argv, "--auth-id", AUTH_ID, "--auth-token", AUTH_TOKEN], env={})
    assert result.exit_code == 1
    assert "HTTP 401" in result.stderr
    assert AUTH_TOKEN not in result.output


def test_call_help_never_shows_the_token_from_the_environment(runner: CliRunner) -> None:
    result = runner.invoke(app, ["call", "--help"], env={"PLIVO_AUTH_TOKEN": AUTH_TOKEN, "COLUMNS": "200"})
    assert result.exit_code == 0
    assert "PLIVO_AUTH_TOKEN" in result.stdout and "--auth-token" in result.stdout
    assert AUTH_TOKEN not in result.stdout


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com", "--api-url (or PLIVO_API_URL) must be an absolute http(s) URL"),
        ("http://user:pw@example.com", "--api-url (or PLIVO_API_URL) must not carry credentials"),
    ],
)
def test_call_refuses_a_bad_api_url(
    runner: CliRunner, plivo_env: dict[str, str], url: str, message: str
) -> None:
    result = runner.invoke(app, ["call", "getAccountDetails", "--api-url", url], env=plivo_env)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "pw" not in result.stderr
    named = re.findall(r"--[a-z][a-z-]*", result.stderr)
    assert set(named) <= _call_options(), result.stderr  # only options that exist
    assert "auth_id" not in result.stderr  # not the Python client's keyword arguments


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


@pytest.mark.parametrize("command", COMMANDS)
def test_help_everywhere(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Usage" in result.stdout


#: What typer prints for a parameter's Python type: ``<str>``, ``<bool>``, ``<int range>``,
#: ``<list[str]>`` (typer >= 0.2x), or click's TEXT, INTEGER, BOOLEAN (older versions).
TYPE_PLACEHOLDER = re.compile(
    r"<(?:str|bool|int|float|list|tuple|path|datetime|uuid|file|choice)\b[^>]*>|\b(?:TEXT|INTEGER|BOOLEAN|FLOAT)\b"
)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "plivo-blocks")
def test_help_shows_no_type_placeholders(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert not TYPE_PLACEHOLDER.findall(result.stdout), result.stdout


@pytest.mark.parametrize(
    ("command", "option", "metavar"),
    [
        ("call", "--api-url", "URL"),
        ("call", "--auth-id", "ID"),
        ("call", "--auth-token", "TOKEN"),
        ("call", "--json-args", "JSON"),
        ("serve", "--port", "PORT"),
        ("serve", "--workers", "N"),
        ("sandbox", "--db", "PATH"),
        ("sandbox", "--clock", "MODE"),
        ("serve", "--clock", "MODE"),
        ("blocks", "--group", "GROUP"),
    ],
)
def test_options_that_take_a_value_name_it(
    runner: CliRunner, command: str, option: str, metavar: str
) -> None:
    out = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"}).stdout
    (line,) = [line for line in out.splitlines() if re.match(rf"[^\w-]*{option}\s", line)]  # its row
    assert re.search(rf"\s{metavar}\s", line), line


def test_version(runner: CliRunner) -> None:
    for flag in ("--version", "-V"):
        result = runner.invoke(app, [flag])
        assert result.exit_code == 0
        assert result.stdout == f"plivo-blocks {__version__}\n"
    assert __version__ == importlib.metadata.version("plivo-blocks")


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
