"""``plivo-blocks xml check FILE|-``: the sandbox's XML validator from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from plivo_blocks.cli import app

GOOD = '<Response><Speak voice="Polly.Joanna">Hi</Speak><Wait length="2"/><Hangup/></Response>'
BAD = (
    '<Response><Speak voice="WOMAN" language="hi-IN">Hi</Speak><speak>x</speak><Wait length="0"/></Response>'
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_a_good_document_is_ok(runner: CliRunner, tmp_path: Path) -> None:
    document = tmp_path / "answer.xml"
    document.write_text(GOOD)
    result = runner.invoke(app, ["xml", "check", str(document)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "OK\n"


def test_each_problem_is_printed_and_the_status_is_1(runner: CliRunner, tmp_path: Path) -> None:
    document = tmp_path / "answer.xml"
    document.write_text(BAD)
    result = runner.invoke(app, ["xml", "check", str(document)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        "error: /Response/Speak[1]: <Speak> voice='WOMAN' does not speak language='hi-IN' (WOMAN speaks "
        "da-DK, nl-NL, en-AU, en-GB, en-US, fr-FR, fr-CA, de-DE, it-IT, pl-PL, pt-BR, ru-RU, es-ES, es-US, "
        "sv-SE; other languages need a Polly voice)",
        "error: /Response/speak[2]: unknown element <speak> (element names are case-sensitive: <Speak>)",
        "error: /Response/Wait[3]: <Wait> attribute length='0': must be an integer of at least 1",
    ]
    assert "3 problem(s): Plivo refuses this document" in result.stderr


def test_standard_input_and_warnings(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["xml", "check", "-"], input='<Response><Play Loop="2">https://a.test/a.mp3</Play></Response>'
    )
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "warning: /Response/Play[1]: <Play> attribute Loop is ignored: attribute names are case-sensitive "
        "(did you mean loop?)",
        "OK",
    ]
    broken = runner.invoke(app, ["xml", "check", "-"], input="<Response><Speak>")
    assert broken.exit_code == 1 and broken.stdout.startswith("error: not well-formed XML")


def test_usage_errors_are_status_2(runner: CliRunner, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["xml", "check", str(tmp_path / "nope.xml")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr and "nope.xml" in missing.stderr
    assert runner.invoke(app, ["xml", "check"]).exit_code == 2
