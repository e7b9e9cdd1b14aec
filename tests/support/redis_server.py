"""A real ``redis-server`` (Debian's package) on a free loopback port, for the tests.

It is started as a child process that writes every change to its append-only file before
answering (as a production Redis holding idempotency keys should), and can be killed, restarted on the same
port, paused (SIGSTOP: it accepts connections and never answers, like a Redis stuck in a long
command) and resumed. ``make test`` installs ``redis-server`` when it is missing; without it the
tests that need Redis fail, saying how to get it, and never skip.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from support.upstream import free_port

PATIENCE = 20.0


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise AssertionError(
            "redis-server is not installed: `make test` installs it (apt-get install -y redis-server); "
            "the idempotency and pacing tests need a real Redis"
        )
    return found


class RedisServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                # Keys must survive a restart, as in production (see the README): every write is on
                # disk before Redis answers it.
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.folder),
                "--protected-mode",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + PATIENCE
        while not self.ping():
            if self.process.poll() is not None:
                raise AssertionError(
                    f"redis-server exited: {(self.folder / 'redis.log').read_text()[-2000:]}"
                )
            if time.monotonic() > deadline:
                raise AssertionError("redis-server did not come up")
            time.sleep(0.02)
        return self

    def ping(self, timeout: float = 0.5) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *words: str) -> bytes:
        """One command, its raw reply (enough for FLUSHALL, DBSIZE, KEYS in tests)."""
        parts = [f"*{len(words)}\r\n".encode()]
        for word in words:
            data = word.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        with socket.create_connection(("127.0.0.1", self.port), timeout=PATIENCE) as conn:
            conn.sendall(b"".join(parts))
            time.sleep(0.01)
            return conn.recv(1 << 20)

    def kill(self) -> None:
        """SIGKILL: gone at once, connections reset, everything it held lost."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(PATIENCE)

    def restart(self) -> None:
        self.kill()
        self.start()

    def pause(self) -> None:
        """SIGSTOP: the kernel still accepts connections, nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            try:
                self.process.wait(PATIENCE)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
