"""The Makefile, by dry runs (``make -n``, nothing executed) against a stand-in virtualenv:
``make run`` and ``make test`` install again only when pyproject.toml changed, and ``make test``
installs Chromium only when it is missing. File times are set explicitly, not waited for."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = REPO / "pyproject.toml"


def _dry_run(target: str, venv: Path, chromium: Path | None = None, redis: Path | None = None) -> str:
    variables = [f"VENV={venv}", f"REDIS_SERVER={redis or '/bin/sh'}"]
    if chromium is not None:
        variables.append(f"CHROMIUM={chromium}")
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-C", str(REPO), target, *variables],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _venv(tmp_path: Path, *, stamps: str | None) -> Path:
    """A virtualenv as make sees it: ``bin/python``, and install stamps that are ``"fresh"``
    (newer than pyproject.toml), ``"stale"`` (older) or absent (``None``: a new virtualenv)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    if stamps is not None:
        built = PYPROJECT.stat().st_mtime + (100 if stamps == "fresh" else -100)
        for stamp in (".installed-run", ".installed-dev"):
            (venv / stamp).touch()
            os.utime(venv / stamp, (built, built))
    return venv


@pytest.mark.parametrize("target", ["run", "test"])
def test_nothing_is_reinstalled_when_pyproject_did_not_change(tmp_path: Path, target: str) -> None:
    commands = _dry_run(target, _venv(tmp_path, stamps="fresh"), chromium=Path("/bin/sh"))
    assert "pip install" not in commands
    assert ("plivo-blocks serve --sandbox" if target == "run" else "pytest") in commands


@pytest.mark.parametrize("stamps", ["stale", None], ids=["pyproject-changed", "new-venv"])
@pytest.mark.parametrize(("target", "extra"), [("run", "-e ."), ("test", "-e '.[dev]'")])
def test_installs_when_pyproject_changed_or_the_venv_is_new(
    tmp_path: Path, target: str, extra: str, stamps: str | None
) -> None:
    commands = _dry_run(target, _venv(tmp_path, stamps=stamps), chromium=Path("/bin/sh"))
    assert f"pip install --quiet {extra}" in commands


def test_make_test_installs_chromium_only_when_it_is_missing(tmp_path: Path) -> None:
    venv = _venv(tmp_path, stamps="fresh")
    present = tmp_path / "chromium"
    present.touch()
    assert "apt-get" not in _dry_run("test", venv, chromium=present)
    missing = _dry_run("test", venv, chromium=tmp_path / "absent" / "chromium")
    assert "apt-get install -y -qq chromium" in missing
    # Installed before pytest runs.
    assert missing.index("apt-get install") < missing.index("bin/pytest")


def test_make_test_installs_redis_server_only_when_it_is_missing(tmp_path: Path) -> None:
    venv = _venv(tmp_path, stamps="fresh")
    present = tmp_path / "redis-server"
    present.touch()
    assert "apt-get" not in _dry_run("test", venv, chromium=Path("/bin/sh"), redis=present)
    missing = _dry_run("test", venv, chromium=Path("/bin/sh"), redis=tmp_path / "absent" / "redis-server")
    assert "apt-get install -y -qq redis-server" in missing
    assert missing.index("apt-get install") < missing.index("bin/pytest")


def test_make_test_runs_the_suite_in_parallel_then_the_wallclock_tests_alone(tmp_path: Path) -> None:
    commands = _dry_run("test", _venv(tmp_path, stamps="fresh"), chromium=Path("/bin/sh"))
    parallel = commands.index('bin/pytest -n auto -m "not wallclock"')
    alone = commands.index("bin/pytest -m wallclock")
    # The timed tests run after the rest, not beside it: between them, every test runs once.
    assert parallel < alone
