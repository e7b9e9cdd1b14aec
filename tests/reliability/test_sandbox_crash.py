"""The sandbox survives ``kill -9`` in the middle of a burst of writes.

``plivo-blocks sandbox --db <file>`` runs as its own process; threads write to it as fast as
they can (``sendMessage`` and ``createApplication`` through its REST API) and note every write
it acknowledged. Once enough writes were acknowledged, with writes still in flight, the process
gets SIGKILL (no shutdown code runs). Then: the database passes ``PRAGMA integrity_check``, and
after a restart on the same file every acknowledged write is there, exactly once. Two rounds, so
the second crash hits a database that already recovered from one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from reliability_support import AUTH_ID, AUTH_TOKEN, PATIENCE, ServedProcess, start_cli

WRITERS = 6
#: Acknowledged writes per round before the kill; the writers keep going until it lands.
ACKNOWLEDGED_BEFORE_KILL = 120
ENV = {"PLIVO_SANDBOX_AUTH_ID": AUTH_ID, "PLIVO_SANDBOX_AUTH_TOKEN": AUTH_TOKEN}


@dataclass
class Acknowledged:
    messages: set[str] = field(default_factory=set)
    applications: set[str] = field(default_factory=set)
    cut_off: int = 0  # writers whose request failed because the server died under it
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)

    def total(self) -> int:
        return len(self.messages) + len(self.applications)


def _writer(url: str, number: int, round_: int, acknowledged: Acknowledged, stop: threading.Event) -> None:
    base = f"/v1/Account/{AUTH_ID}/"
    with httpx.Client(base_url=url, auth=(AUTH_ID, AUTH_TOKEN), timeout=PATIENCE) as client:
        sequence = 0
        while not stop.is_set() and sequence < 5000:  # bounded even if the kill never came
            sequence += 1
            try:
                if sequence % 3:
                    body = {
                        "src": "14155550100",
                        "dst": "14155550101",
                        "text": f"r{round_} w{number} #{sequence}",
                    }
                    response = client.post(base + "Message/", json=body)
                    if response.status_code == 202:
                        (uuid,) = response.json()["message_uuid"]
                        with acknowledged.lock:
                            acknowledged.messages.add(uuid)
                else:
                    body = {
                        "app_name": f"crash-r{round_}-w{number}-{sequence}",
                        "answer_url": "http://127.0.0.1:9/a",
                    }
                    response = client.post(base + "Application/", json=body)
                    if response.status_code == 201:
                        with acknowledged.lock:
                            acknowledged.applications.add(response.json()["app_id"])
                assert response.status_code in (201, 202), response.text
            except httpx.TransportError:
                with acknowledged.lock:
                    acknowledged.cut_off += 1
                return  # the server is gone: this write was not acknowledged
            if acknowledged.total() >= ACKNOWLEDGED_BEFORE_KILL:
                acknowledged.enough.set()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "crash.db"


def _start(database: Path, log: Path) -> ServedProcess:
    return start_cli(
        ["sandbox", "--db", str(database), "--log-level", "warning"],
        log_path=log,
        env=ENV,
        ready_path="/_sandbox/health",
    )


def _integrity(database: Path) -> str:
    connection = sqlite3.connect(database)
    try:
        (result,) = connection.execute("PRAGMA integrity_check").fetchone()
        return str(result)
    finally:
        connection.close()


def _all_message_uuids(client: httpx.Client) -> list[str]:
    uuids: list[str] = []
    offset = 0
    while True:
        page = client.get("/_sandbox/messages", params={"limit": 20, "offset": offset}).json()
        uuids += [m["message_uuid"] for m in page["objects"]]
        offset += 20
        if offset >= page["meta"]["total_count"]:
            return uuids


def test_acknowledged_writes_survive_kill_9(database: Path, tmp_path: Path) -> None:
    rounds: list[Acknowledged] = []
    for round_ in range(2):
        server = _start(database, tmp_path / f"sandbox-{round_}.log")
        acknowledged = Acknowledged()
        stop = threading.Event()
        writers = [
            threading.Thread(target=_writer, args=(server.url, n, round_, acknowledged, stop), daemon=True)
            for n in range(WRITERS)
        ]
        try:
            for thread in writers:
                thread.start()
            assert acknowledged.enough.wait(PATIENCE * 3), "the burst never reached its target"
            server.kill()  # SIGKILL, mid-burst: the writers are still sending
        finally:
            stop.set()
            server.kill()
            for thread in writers:
                thread.join(PATIENCE)
        assert acknowledged.total() >= ACKNOWLEDGED_BEFORE_KILL
        assert acknowledged.cut_off >= 1, "the kill did not land mid-burst"
        assert _integrity(database) == "ok"
        rounds.append(acknowledged)

    server = _start(database, tmp_path / "sandbox-after.log")
    try:
        with httpx.Client(base_url=server.url, auth=(AUTH_ID, AUTH_TOKEN), timeout=PATIENCE) as client:
            stored = _all_message_uuids(client)
            assert len(stored) == len(set(stored)), "a message is stored twice"
            every_acknowledged = set().union(*(r.messages for r in rounds))
            assert every_acknowledged <= set(stored), "an acknowledged message was lost"
            # In-flight, unacknowledged writes may or may not have landed: at most one per writer per round.
            assert len(stored) - len(every_acknowledged) <= WRITERS * len(rounds)
            print(
                f"kill -9 x{len(rounds)}: acknowledged {[r.total() for r in rounds]} writes, "
                f"{len(every_acknowledged)} messages, {len(stored)} stored, writers cut off {[r.cut_off for r in rounds]}"
            )
            for acknowledged in rounds:
                for app_id in acknowledged.applications:
                    response = client.get(f"/v1/Account/{AUTH_ID}/Application/{app_id}/")
                    assert response.status_code == 200, f"acknowledged application {app_id} was lost"
                    assert response.json()["app_id"] == app_id
            # The main account (the stored demo credentials' home) survived too.
            assert client.get(f"/v1/Account/{AUTH_ID}/").status_code == 200
    finally:
        server.stop()
    assert _integrity(database) == "ok"
