"""Settings go through one path: each numeric setting has one rule, applied to the environment and
to values given in code alike, and no rule lets a non-finite number through (``nan`` made every
block call a 500 through the body deadline; ``inf`` turned guards off)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from plivo_blocks.errors import ConfigurationError
from plivo_blocks.gateway.settings import NUMBERS, GatewaySettings
from plivo_blocks.serving import SERVER_NUMBERS, ServerSettings

CLI = str(Path(sys.executable).parent / "plivo-blocks")
NON_FINITE = ["nan", "inf", "-inf", "NaN", "Infinity"]


@pytest.mark.parametrize("raw", NON_FINITE)
@pytest.mark.parametrize("variable", [rule.env for rule in NUMBERS.values()])
def test_no_gateway_setting_takes_a_non_finite_number(variable: str, raw: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        GatewaySettings.from_env({variable: raw})
    assert variable in str(caught.value)


@pytest.mark.parametrize("raw", NON_FINITE)
@pytest.mark.parametrize("variable", [rule.env for rule in SERVER_NUMBERS.values()])
def test_no_server_setting_takes_a_non_finite_number(variable: str, raw: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ServerSettings.from_env({variable: raw})
    assert variable in str(caught.value)


@pytest.mark.parametrize("field", ["timeout", "body_timeout", "store_timeout", "max_queue_seconds"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0])
def test_settings_built_in_code_obey_the_same_rule(field: str, value: float) -> None:
    with pytest.raises(ConfigurationError) as caught:
        GatewaySettings(**{field: value})  # type: ignore[arg-type]
    assert NUMBERS[field].env in str(caught.value)


def test_server_settings_built_in_code_obey_the_same_rule() -> None:
    with pytest.raises(ConfigurationError, match="PLIVO_BLOCKS_HEADER_TIMEOUT"):
        ServerSettings(header_timeout=math.nan)
    with pytest.raises(ConfigurationError, match="PLIVO_BLOCKS_LOG_FORMAT"):
        ServerSettings(log_format="xml")


@pytest.mark.parametrize(
    "env", [{"PLIVO_BLOCKS_TIMEOUT": "inf"}, {"PLIVO_BLOCKS_BODY_TIMEOUT": "nan"}], ids=["timeout", "body"]
)
def test_serve_refuses_a_non_finite_setting_before_starting(env: dict[str, str], tmp_path: Path) -> None:
    finished = subprocess.run(
        [CLI, "serve", "--port", "0", "--workers", "2"],
        env={"PATH": "/usr/bin:/bin", "PLIVO_BLOCKS_STATE_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    (variable,) = env
    assert finished.stderr.startswith("error: ") and variable in finished.stderr
    assert "Traceback" not in finished.stderr + finished.stdout


def test_the_defaults_are_the_environments_defaults(tmp_path: Path) -> None:
    from_env = GatewaySettings.from_env({"PLIVO_BLOCKS_STATE_DIR": str(tmp_path)})
    assert from_env == GatewaySettings(state_dir=str(tmp_path))
    assert ServerSettings.from_env({}) == ServerSettings()
