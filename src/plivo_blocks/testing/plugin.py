"""The pytest plugin (registered through the ``pytest11`` entry point: installing plivo-blocks is enough).

Fixtures (function scope, a fresh sandbox for each test):

- ``plivo_sandbox``: ``mock_plivo`` active for the test; yields the :class:`~.mock.MockPlivo`
  (controls, ``url``, ``auth_id``, ``auth_token``).
- ``plivo_sandbox_server``: a :class:`~.server.SandboxServer` on a free loopback port, for code in
  other processes (``url``, ``auth_id``, ``auth_token`` and the same controls).
- ``plivo_sandbox_apps``: the apps both fixtures call in-process, ``{}`` unless a conftest overrides
  it (to build the app per test); the marker's apps are added to it.

Option ``--plivo-sandbox-clock`` (``manual``, the default; ``real``; ``scaled:N``) and the marker
``@pytest.mark.plivo_sandbox(apps={...}, clock=..., settings={...})`` (its clock wins over the option;
``settings`` are the sandbox's knobs, as ``PATCH /_sandbox/settings`` takes them). Both fixtures are
plain (sync) fixtures, so sync tests, anyio tests and pytest-asyncio tests use them alike: the sandbox
runs on its own event loop, never on the test's. What an app under test raised and no control
reported yet fails the test at teardown.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from plivo_blocks.testing.options import SandboxOptions

CLOCK_OPTION = "--plivo-sandbox-clock"
MARKER = "plivo_sandbox"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("plivo-sandbox", "plivo-blocks sandbox")
    group.addoption(
        CLOCK_OPTION,
        default="manual",
        metavar="CLOCK",
        help="clock of the plivo_sandbox fixtures: manual (default; time moves with advance()), real, scaled:N",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(apps=None, clock=None, settings=None): apps (base URL -> WSGI/ASGI app) the plivo_sandbox "
        "fixtures call in-process, the clock they run on, and sandbox settings",
    )
    clock = config.getoption(CLOCK_OPTION)
    if clock != "manual":  # the default needs no check (and the sandbox no import in every run)
        from plivo_blocks.testing.options import clock_spec

        try:
            clock_spec(clock)
        except ValueError as exc:
            raise pytest.UsageError(f"{CLOCK_OPTION}: {exc}") from None


def _options(request: pytest.FixtureRequest, apps: Mapping[str, Any]) -> SandboxOptions:
    from plivo_blocks.testing.options import SandboxOptions

    marker = request.node.get_closest_marker(MARKER)
    marked: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    if marker is not None and marker.args:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER} takes keywords only: apps=..., clock=..., settings=..."
        )
    unknown = sorted(set(marked) - {"apps", "clock", "settings"})
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER}: unknown keyword {unknown[0]!r} (it takes apps, clock and settings)"
        )
    clock = marked.get("clock") or request.config.getoption(CLOCK_OPTION)
    return SandboxOptions.of(
        apps={**apps, **(marked.get("apps") or {})}, clock=clock, settings=marked.get("settings")
    )


@pytest.fixture
def plivo_sandbox_apps() -> Mapping[str, Any]:
    """Apps for the sandbox fixtures to call in-process; override it to build them per test."""
    return {}


@pytest.fixture
def plivo_sandbox(request: pytest.FixtureRequest, plivo_sandbox_apps: Mapping[str, Any]) -> Iterator[Any]:
    """``mock_plivo`` active for this test (a :class:`plivo_blocks.testing.MockPlivo`)."""
    from plivo_blocks.testing.mock import MockPlivo

    with MockPlivo(_options(request, plivo_sandbox_apps)) as sandbox:
        yield sandbox


@pytest.fixture
def plivo_sandbox_server(
    request: pytest.FixtureRequest, plivo_sandbox_apps: Mapping[str, Any]
) -> Iterator[Any]:
    """A sandbox server on a free loopback port (a :class:`plivo_blocks.testing.SandboxServer`)."""
    from plivo_blocks.testing.server import SandboxServer

    with SandboxServer(_options(request, plivo_sandbox_apps)) as server:
        yield server
