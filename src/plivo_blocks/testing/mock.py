"""``mock_plivo()``: Plivo in the test's process, as moto's ``mock_aws()`` is AWS.

::

    from plivo_blocks.testing import mock_plivo

    with mock_plivo(apps={"https://myapp.test": flask_app}) as sandbox:
        client = plivo.RestClient("MAXXXXXXXXXXXXXXXXXX", "any-token")   # any credentials
        client.messages.create(src=..., dst=..., text="hi")
        sandbox.advance(10)
        assert sandbox.messages(to="14155550123")[0]["message_state"] == "delivered"

While active, requests to Plivo's hosts from the official ``plivo`` SDK (``requests``),
``plivo_blocks.Client``/``AsyncClient`` and plain ``requests``/``httpx`` are answered by a fresh
sandbox running in this process (:mod:`.runner`; the hooks: :mod:`.requests_hook`,
:mod:`.httpx_hook`); nothing opens a port, and a Plivo host the sandbox does not serve raises
:class:`~.hosts.PlivoHostNotSimulated` instead of reaching the network. Leaving restores both
libraries and stops the sandbox. The object is also a decorator (sync or async functions; each call
a fresh activation) and an async context manager. One ``mock_plivo`` is active at a time.

Unknown ``MA…`` credentials become main accounts on first use
(:meth:`~plivo_blocks.sandbox.accounts.AccountDirectory.adopt`); the clock is ``manual`` unless
``clock=`` says otherwise; ``state=path`` keeps the sandbox in that SQLite file across activations;
``settings=`` (a ``SandboxSettings`` or a mapping such as ``{"message_hold_state": "sent"}``) sets
its behaviour knobs.
The controls (:class:`~.controls.SandboxControls`) are methods of the object itself.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import threading
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

import anyio.to_thread
import httpx

from plivo_blocks.sandbox import SandboxSettings, SandboxState
from plivo_blocks.testing.apps import AppFailures
from plivo_blocks.testing.controls import SandboxControls
from plivo_blocks.testing.httpx_hook import HttpxHook, SandboxTransport
from plivo_blocks.testing.options import ClockOption, SandboxOptions
from plivo_blocks.testing.runner import SandboxThread

__all__ = ["MockPlivo", "mock_plivo"]

P = ParamSpec("P")
R = TypeVar("R")

#: Where the in-process sandbox answers: Plivo's own API host (intercepted while active).
PLIVO_API_URL = "https://api.plivo.com"

_active_lock = threading.Lock()
_active: list[MockPlivo] = []  # at most one: the hooks are process-wide


class _Hooks:
    """The interceptions of one activation: httpx always, requests when it is installed."""

    def __init__(self, sandbox: SandboxThread) -> None:
        self.httpx = HttpxHook(sandbox)
        self.requests: Any = None
        if importlib.util.find_spec("requests") is not None:
            from plivo_blocks.testing.requests_hook import RequestsHook

            self.requests = RequestsHook(sandbox)

    def install(self) -> None:
        self.httpx.install()
        if self.requests is not None:
            self.requests.install()

    def uninstall(self) -> None:
        self.httpx.uninstall()
        if self.requests is not None:
            self.requests.uninstall()


class MockPlivo(SandboxControls):
    """One ``mock_plivo`` (module docstring): context manager, decorator and controls."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self._failures = AppFailures()
        self._sandbox: SandboxThread | None = None
        self._hooks: _Hooks | None = None
        self._client: httpx.Client | None = None

    def __repr__(self) -> str:
        return f"mock_plivo(active={self.active}, clock={self.options.clock.label!r})"

    # -- activation ---------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self._sandbox is not None

    def start(self) -> MockPlivo:
        with _active_lock:
            if _active:
                raise RuntimeError(
                    "mock_plivo is already active in this process (the interception is process-wide): "
                    "use the sandbox you have, or leave it first"
                )
            _active.append(self)
        try:
            self._failures.take()
            sandbox = SandboxThread(self.options.create_app(self._failures))
            sandbox.start()
            self._sandbox = sandbox
            self._hooks = _Hooks(sandbox)
            self._hooks.install()
            self._client = httpx.Client(
                base_url=PLIVO_API_URL,
                transport=SandboxTransport(sandbox),
                auth=(self.auth_id, self.auth_token),
                timeout=30,
            )
        except BaseException:
            self._shutdown()
            raise
        return self

    def stop(self) -> None:
        """Restore httpx and requests, stop the sandbox, and raise what the apps under test raised
        and no control has reported yet (:class:`~.apps.PlivoAppError`)."""
        self._shutdown()
        self._failures.raise_any()

    def _shutdown(self) -> None:
        hooks, sandbox, client = self._hooks, self._sandbox, self._client
        self._hooks = self._sandbox = self._client = None
        try:
            if hooks is not None:
                hooks.uninstall()
            if client is not None:
                client.close()
            if sandbox is not None and sandbox.running:
                sandbox.stop()
        finally:
            with _active_lock:
                if self in _active:
                    _active.remove(self)

    def __enter__(self) -> MockPlivo:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.stop()
            return
        self._shutdown()
        failures = self._failures.take()
        for failure in failures:  # the test failed already; say what the app did too
            exc.add_note(f"mock_plivo: the app under test also failed: {failure.describe()}")

    async def __aenter__(self) -> MockPlivo:
        return await anyio.to_thread.run_sync(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await anyio.to_thread.run_sync(self.__exit__, exc_type, exc, tb)

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        """Decorate ``func`` (sync or async): each call runs inside a fresh activation."""
        if inspect.iscoroutinefunction(func):
            coroutine_function: Callable[P, Awaitable[Any]] = func

            @functools.wraps(func)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                async with self:
                    return await coroutine_function(*args, **kwargs)

            return run_async  # type: ignore[return-value]  # same signature as func

        @functools.wraps(func)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with self:
                return func(*args, **kwargs)

        return run

    # -- what the controls need ---------------------------------------------------------------------

    def _state(self) -> SandboxState:
        if self._sandbox is None:
            raise RuntimeError("mock_plivo is not active: use it as `with mock_plivo() as sandbox:`")
        state: SandboxState = self._sandbox.app.state.sandbox
        return state

    def _control(self) -> httpx.Client:
        self._state()
        assert self._client is not None
        return self._client

    @property
    def url(self) -> str:
        return PLIVO_API_URL

    @property
    def auth_id(self) -> str:
        return self._state().main_auth_id

    @property
    def auth_token(self) -> str:
        return self._state().main_auth_token

    @property
    def state(self) -> SandboxState:
        """The running sandbox's parts (store, clock, voice engine, ...), for what no control covers."""
        return self._state()


@overload
def mock_plivo(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def mock_plivo(
    *,
    apps: Mapping[str, Any] | None = None,
    clock: ClockOption = "manual",
    state: str | None = None,
    auth_id: str | None = None,
    auth_token: str | None = None,
    settings: SandboxSettings | Mapping[str, Any] | None = None,
) -> MockPlivo: ...


def mock_plivo(
    func: Callable[P, R] | None = None,
    /,
    *,
    apps: Mapping[str, Any] | None = None,
    clock: ClockOption = "manual",
    state: str | None = None,
    auth_id: str | None = None,
    auth_token: str | None = None,
    settings: SandboxSettings | Mapping[str, Any] | None = None,
) -> MockPlivo | Callable[P, R]:
    """A :class:`MockPlivo` (module docstring); ``@mock_plivo`` bare decorates ``func`` directly."""
    mock = MockPlivo(
        SandboxOptions.of(
            apps=apps, clock=clock, state=state, auth_id=auth_id, auth_token=auth_token, settings=settings
        )
    )
    return mock(func) if func is not None else mock
