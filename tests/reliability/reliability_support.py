"""Helpers shared by the reliability suite: outer time bounds, log capture, served processes.

Every wait here has a generous bound (``PATIENCE``): reaching it means the thing under test hung,
and the test fails saying so. Nothing asserts how fast anything was.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from plivo_blocks.catalog import Block
from plivo_blocks.catalog.examples import example_args

T = TypeVar("T")

#: Outer bound on one scenario. Far above any timeout or backoff configured in the suite.
PATIENCE = 20.0

AUTH_ID = "MARELIABILITYXXXXXXX"
#: Distinctive, so that a search for it in logs and bodies cannot match anything by chance.
AUTH_TOKEN = "rel-Sekr3t-token-9d2b7e4f1a"

CLI = str(Path(sys.executable).parent / "plivo-blocks")


def bounded(action: Callable[[], T], seconds: float = PATIENCE) -> T:
    """Run ``action`` in a worker thread; fail the test if it has not returned within ``seconds``."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = pool.submit(action)
    try:
        return future.result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        raise AssertionError(f"hung: no answer within {seconds} s") from None
    finally:
        pool.shutdown(wait=False)


# -- logs ---------------------------------------------------------------------------------------


class CapturedLogs(logging.Handler):
    """Every record of every logger, formatted with its arguments, extras and traceback; with
    ``formatter``, as that formatter writes it (e.g. the JSON lines of PLIVO_BLOCKS_LOG_FORMAT=json),
    the record's name first."""

    def __init__(self, formatter: logging.Formatter | None = None) -> None:
        super().__init__(level=logging.DEBUG)
        self.own_format = formatter is not None
        self.setFormatter(formatter or logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        if self.own_format:
            self.lines.append(f"{record.name} {text}")
            return
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_RECORD_KEYS}
        self.lines.append(f"{text} {extras!r}" if extras else text)


_STANDARD_RECORD_KEYS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


@contextmanager
def all_logs_at_debug(formatter: logging.Formatter | None = None) -> Iterator[CapturedLogs]:
    """Every logger (root and all named ones, propagating or not) at DEBUG into one capture;
    the previous levels, handlers and propagation are restored afterwards."""
    capture = CapturedLogs(formatter)
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        logger.addHandler(capture)
    try:
        yield capture
    finally:
        for logger, level, disabled in saved:
            logger.removeHandler(capture)
            logger.setLevel(level)
            logger.disabled = disabled


@contextmanager
def preserved_logging() -> Iterator[None]:
    """Undo what building a uvicorn config does to logging (``dictConfig``) when the test ends."""
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    saved = [(lg, lg.level, list(lg.handlers), lg.propagate, lg.disabled) for lg in loggers]
    try:
        yield
    finally:
        for logger, level, handlers, propagate, disabled in saved:
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate = propagate
            logger.disabled = disabled
        # Loggers that dictConfig created (e.g. "plivo_blocks", a placeholder until then): back to neutral.
        for created in list(logging.Logger.manager.loggerDict.values()):
            if isinstance(created, logging.Logger) and created not in loggers:
                created.handlers.clear()
                created.setLevel(logging.NOTSET)
                created.propagate = True


# -- processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServedProcess:
    """A ``plivo-blocks`` server started as its own process, on loopback."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """``kill -9``: no shutdown code runs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(PATIENCE)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(PATIENCE)
            except subprocess.TimeoutExpired:
                self.kill()


def start_cli(
    args: list[str], *, log_path: Path, env: dict[str, str] | None = None, ready_path: str = "/healthz"
) -> ServedProcess:
    """``plivo-blocks <args> --port <free>``, waiting until ``ready_path`` answers."""
    port = free_port()
    environment = {**os.environ, **(env or {})}
    log = log_path.open("wb")
    process = subprocess.Popen(
        [CLI, *args, "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=environment,
    )
    log.close()
    served = ServedProcess(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + PATIENCE
    while True:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}:\n{served.output()}")
        try:
            if httpx.get(served.url + ready_path, timeout=1).status_code < 500:
                return served
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            served.kill()
            raise AssertionError(f"the server did not come up:\n{served.output()}")
        time.sleep(0.05)


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def gateway_body(**args: Any) -> dict[str, Any]:
    return {"args": {"authId": AUTH_ID, "authToken": AUTH_TOKEN, **args}}


def plivo_queued(message_uuid: str = "0b4f8a7e-2c1d-4e5f-9a8b-7c6d5e4f3a2b") -> dict[str, Any]:
    """Plivo's answer to a sendMessage."""
    return {"api_id": "rel-api-id", "message": "message(s) queued", "message_uuid": [message_uuid]}


def loopback_args(block: Block) -> dict[str, Any]:
    """``example_args(block)`` with every example URL pointed at a closed loopback port, so that
    a sandbox acting on them (answer URLs, status callbacks, audio to play) never looks beyond
    this machine: its fetches are refused at once."""
    closed = f"http://127.0.0.1:{_CLOSED_PORT}"
    return {
        name: value.replace("https://example.com", closed) if isinstance(value, str) else value
        for name, value in example_args(block).items()
    }


_CLOSED_PORT = free_port()
