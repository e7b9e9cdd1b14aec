"""The sandbox's state: a generic document store on SQLite.

Every resource is a *document* in one table, so a new resource kind needs no schema work::

    documents(seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- insertion order; lists are newest first
              kind TEXT, id TEXT,                      -- e.g. ("message", "<uuid>"); unique together
              owner TEXT,                              -- auth_id of the owning account (MA… or SA…)
              created REAL,                            -- epoch seconds
              data TEXT)                               -- the resource as a JSON object
    meta(key TEXT PRIMARY KEY, value TEXT)             -- sandbox-wide values (main credentials, …)

The store is generic: ``data`` is whatever the typed documents above it write
(:mod:`plivo_blocks.sandbox.models.base`: each kind's ``to_data`` and ``from_document``); it does
not know which fields a client may see, nor which are secrets, so a :class:`Document`'s repr names
its fields and shows no values.

Time: ``created`` is sandbox time, from the ``now`` function the store is given (the sandbox
clock's); ``tx.now()`` is that moment as a UTC datetime.

Watching: ``store.watch(kind, callback)`` calls ``callback()`` after every committed transaction
that wrote a document of ``kind`` (caches use it to stay true).

Concurrency: one connection, used on the event loop (SQLite in WAL mode for file databases). A
statement on a local file takes microseconds, far less than handing it to a worker thread (a
thread hop and the GIL's hand-over cost ~50 µs, several times the work), so the store runs its
work on the loop itself:

- reads (``get``, ``list``, ``count``, ``page``, ``get_meta``) run at once, each a consistent
  snapshot of what was committed;
- each write (``transaction`` and the other mirrors) is *group-committed*: it waits for the next
  turn of the event loop, where every write queued meanwhile runs, in the order it was queued, in
  one SQLite transaction, each write in a savepoint of its own (a write that raises rolls back
  alone and its caller gets the exception; the others commit). Callers resume only after the
  ``COMMIT``, so an answered request's writes are committed.

For several steps that must be atomic use :meth:`Store.transaction` with a *synchronous* function
of a :class:`Tx`::

    def move(tx: Tx) -> int:
        return tx.reassign("number", from_owner=sub_id, to_owner=main_id)

    moved = await store.transaction(move)

A lock still guards the connection, for work that runs outside the loop (:meth:`Store.run_sync`:
start-up code, other threads); nothing on the loop waits for it but them.

Durability: file databases run ``journal_mode=WAL`` with ``synchronous=NORMAL``. A ``COMMIT``
has handed the transaction to the operating system (the WAL file) before any caller resumes, so
it survives the sandbox process being killed (``kill -9``) at any moment; it is made durable on the
disk itself (fsync) at the next WAL checkpoint, so a power loss or an OS crash may lose the last
moments' writes (never the database's integrity).

Async API (all methods of :class:`Tx` are mirrored):

- ``insert(kind, id, owner, data) -> Document`` (raises :class:`Conflict` when ``(kind, id)`` exists)
- ``get(kind, id, owners) -> Document | None``
- ``update(kind, id, changes, owners) -> Document | None`` (shallow merge into ``data``)
- ``delete(kind, id, owners) -> bool``
- ``list(kind, owners, filters=None, limit=None, offset=0, newest_first=True) -> list[Document]``
- ``count(kind, owners, filters=None) -> int``
- ``page(kind, owners, filters, limit, offset) -> (list[Document], total)`` (one consistent read)
- ``update_where(kind, changes, owners, filters=None) -> int``, ``delete_where(kind, owners,
  filters=None) -> int``, ``reassign(kind, from_owner, to_owner) -> int``
- ``get_meta(key) -> str | None``, ``set_meta(key, value)``, ``clear()`` (drops every document)

``owners`` is required by every read and write: a sequence of auth_ids the document's owner must
be in (this is how subaccount isolation is enforced: an API request passes the owners its account
may see), or :data:`ANY_OWNER`, which the control API and the sandbox's background parts pass
explicitly (so every place that reaches across accounts says so, and grep finds it). A single
``str`` is refused (it would read as a sequence of one-letter owners). ``filters`` maps ``field`` or ``field__op`` to a
value, ``field`` being a top-level key of ``data`` (or ``id`` for the document id); ops:
``eq`` (default; ``None`` matches null or missing), ``ne``, ``gt``, ``gte``, ``lt``, ``lte``,
``startswith``, ``contains`` (case-insensitive), ``in`` (a sequence). ``a|b__op`` matches when
any of the fields ``a``, ``b`` matches (``{"from_number|to_number__contains": "555"}``).
"""

from __future__ import annotations

import asyncio
import builtins
import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

T = TypeVar("T")

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPS = {"eq", "ne", "gt", "gte", "lt", "lte", "startswith", "contains", "in"}
_COMPARISONS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    owner TEXT NOT NULL,
    created REAL NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX IF NOT EXISTS documents_by_owner ON documents (kind, owner, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Conflict(Exception):
    """A document of that kind and id already exists."""


@dataclass(frozen=True, slots=True, repr=False)
class Document:
    kind: str
    id: str
    owner: str
    seq: int
    created: float
    data: dict[str, Any]

    def __repr__(self) -> str:
        # Some fields hold secrets (auth tokens, endpoint passwords): name the fields, show no values.
        return (
            f"Document(kind={self.kind!r}, id={self.id!r}, owner={self.owner!r}, seq={self.seq}, "
            f"fields={sorted(self.data)!r})"
        )


class AnyOwner:
    """The type of :data:`ANY_OWNER`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ANY_OWNER"


#: ``owners`` that matches the documents of every account: for the control API and background work.
ANY_OWNER: Final = AnyOwner()

#: Whose documents an operation may touch: these auth_ids, or :data:`ANY_OWNER`.
Owners = Sequence[str] | AnyOwner
Filters = Mapping[str, Any]
Documents = list[Document]


def _where(
    kind: str, owners: Owners, filters: Filters | None, id_: str | None = None
) -> tuple[str, list[Any]]:
    clauses = ["kind = ?"]
    args: list[Any] = [kind]
    if id_ is not None:
        clauses.append("id = ?")
        args.append(id_)
    if isinstance(owners, str):
        raise TypeError(f"owners must be a sequence of auth_ids or ANY_OWNER, not the string {owners!r}")
    if not isinstance(owners, AnyOwner):
        if not owners:
            clauses.append("0")
        else:
            clauses.append(f"owner IN ({', '.join('?' for _ in owners)})")
            args.extend(owners)
    for key, value in (filters or {}).items():
        names, _, op = key.partition("__")
        op = op or "eq"
        if op not in _OPS or not all(_FIELD.match(name) for name in names.split("|")):
            raise ValueError(f"bad filter {key!r}")
        alternatives = [_clause(name, op, value) for name in names.split("|")]
        clauses.append(
            alternatives[0][0]
            if len(alternatives) == 1
            else "(" + " OR ".join(clause for clause, _ in alternatives) + ")"
        )
        for _, values in alternatives:
            args.extend(values)
    return " AND ".join(clauses), args


def _clause(name: str, op: str, value: Any) -> tuple[str, list[Any]]:
    """The SQL condition on one field, and its arguments."""
    column = "id" if name == "id" else f"json_extract(data, '$.{name}')"
    if isinstance(value, bool):
        value = int(value)
    if op == "eq":
        return (f"{column} IS NULL", []) if value is None else (f"{column} = ?", [value])
    if op == "ne":
        if value is None:
            return f"{column} IS NOT NULL", []
        return f"({column} IS NULL OR {column} != ?)", [value]
    if op in _COMPARISONS:
        return f"{column} {_COMPARISONS[op]} ?", [value]
    if op == "startswith":
        return f"substr({column}, 1, length(?)) = ?", [str(value), str(value)]
    if op == "contains":
        return f"instr(lower({column}), lower(?)) > 0", [str(value)]
    items = list(value)  # in
    if not items:
        return "0", []
    return f"{column} IN ({', '.join('?' for _ in items)})", items


def _row(row: tuple[Any, ...]) -> Document:
    seq, kind, id_, owner, created, data = row
    return Document(kind=kind, id=id_, owner=owner, seq=seq, created=created, data=json.loads(data))


_COLUMNS = "seq, kind, id, owner, created, data"


class Tx:
    """Synchronous operations inside one transaction (see the module docstring)."""

    def __init__(self, connection: sqlite3.Connection, now: Callable[[], float]) -> None:
        self._db = connection
        self._now = now
        #: Kinds this transaction wrote ("*" after clear()); the store tells watchers after commit.
        self.touched: set[str] = set()

    def now(self) -> datetime:
        """Sandbox time, as a UTC datetime."""
        return datetime.fromtimestamp(self._now(), UTC)

    def epoch(self) -> float:
        """Sandbox time in epoch seconds, exactly as the clock's timers see it (``now()`` is rounded
        to the microsecond)."""
        return self._now()

    def insert(self, kind: str, id: str, owner: str, data: Mapping[str, Any]) -> Document:
        created = self._now()
        self.touched.add(kind)
        try:
            cursor = self._db.execute(
                "INSERT INTO documents (kind, id, owner, created, data) VALUES (?, ?, ?, ?, ?)",
                (kind, id, owner, created, json.dumps(dict(data))),
            )
        except sqlite3.IntegrityError:
            raise Conflict(f"{kind} {id} already exists") from None
        return Document(kind, id, owner, int(cursor.lastrowid or 0), created, dict(data))

    def get(self, kind: str, id: str, owners: Owners) -> Document | None:
        where, args = _where(kind, owners, None, id)
        row = self._db.execute(f"SELECT {_COLUMNS} FROM documents WHERE {where}", args).fetchone()
        return _row(row) if row else None

    def update(self, kind: str, id: str, changes: Mapping[str, Any], owners: Owners) -> Document | None:
        current = self.get(kind, id, owners)
        if current is None:
            return None
        data = {**current.data, **changes}
        self.touched.add(kind)
        self._db.execute("UPDATE documents SET data = ? WHERE seq = ?", (json.dumps(data), current.seq))
        return Document(current.kind, current.id, current.owner, current.seq, current.created, data)

    def set_owner(self, kind: str, id: str, owner: str) -> bool:
        self.touched.add(kind)
        cursor = self._db.execute(
            "UPDATE documents SET owner = ? WHERE kind = ? AND id = ?", (owner, kind, id)
        )
        return cursor.rowcount > 0

    def delete(self, kind: str, id: str, owners: Owners) -> bool:
        where, args = _where(kind, owners, None, id)
        self.touched.add(kind)
        return self._db.execute(f"DELETE FROM documents WHERE {where}", args).rowcount > 0

    def list(
        self,
        kind: str,
        owners: Owners,
        filters: Filters | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = True,
    ) -> Documents:
        where, args = _where(kind, owners, filters)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT {_COLUMNS} FROM documents WHERE {where} ORDER BY seq {order} LIMIT ? OFFSET ?"
        rows = self._db.execute(sql, [*args, -1 if limit is None else limit, offset]).fetchall()
        return [_row(r) for r in rows]

    def count(self, kind: str, owners: Owners, filters: Filters | None = None) -> int:
        where, args = _where(kind, owners, filters)
        return int(self._db.execute(f"SELECT count(*) FROM documents WHERE {where}", args).fetchone()[0])

    def page(
        self, kind: str, owners: Owners, filters: Filters | None, limit: int, offset: int
    ) -> tuple[Documents, int]:
        return self.list(kind, owners, filters, limit, offset), self.count(kind, owners, filters)

    def update_where(
        self,
        kind: str,
        changes: Mapping[str, Any],
        owners: Owners,
        filters: Filters | None = None,
    ) -> int:
        docs = self.list(kind, owners, filters)
        self.touched.add(kind)
        for doc in docs:
            self._db.execute(
                "UPDATE documents SET data = ? WHERE seq = ?", (json.dumps({**doc.data, **changes}), doc.seq)
            )
        return len(docs)

    def delete_where(self, kind: str, owners: Owners, filters: Filters | None = None) -> int:
        where, args = _where(kind, owners, filters)
        self.touched.add(kind)
        return self._db.execute(f"DELETE FROM documents WHERE {where}", args).rowcount

    def reassign(self, kind: str, from_owner: str, to_owner: str) -> int:
        self.touched.add(kind)
        cursor = self._db.execute(
            "UPDATE documents SET owner = ? WHERE kind = ? AND owner = ?", (to_owner, kind, from_owner)
        )
        return cursor.rowcount

    def kinds(self) -> builtins.list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT kind FROM documents ORDER BY kind")]

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def delete_meta(self, key: str) -> None:
        self._db.execute("DELETE FROM meta WHERE key = ?", (key,))

    def clear(self, keep_meta: Iterable[str] = ()) -> None:
        """Drop every document (and every meta value not in ``keep_meta``)."""
        self.touched.add("*")
        self._db.execute("DELETE FROM documents")
        keep = list(keep_meta)
        if keep:
            self._db.execute(f"DELETE FROM meta WHERE key NOT IN ({', '.join('?' for _ in keep)})", keep)
        else:
            self._db.execute("DELETE FROM meta")


class _Write:
    """A queued write: the function to run in the next group commit, and its caller's future."""

    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[Tx], Any], future: asyncio.Future[Any]) -> None:
        self.fn = fn
        self.future = future


class Store:
    """SQLite-backed document store; ``path`` is a file or ``":memory:"``."""

    def __init__(self, path: str = ":memory:", *, now: Callable[[], float] = time.time) -> None:
        self.path = path
        self._now = now
        self._watchers: dict[str, list[Callable[[], None]]] = {}
        self._lock = threading.Lock()
        # isolation_level=None: transactions are begun and ended explicitly.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._closed = False
        #: Writes waiting for the next group commit, and the loop that will run it.
        self._queued: list[_Write] = []
        self._queue_loop: asyncio.AbstractEventLoop | None = None
        #: Group commits so far, and the writes they held (``stats()``).
        self._commits = 0
        self._grouped = 0

    # -- running work ----------------------------------------------------------------------

    def run_sync(self, fn: Callable[[Tx], T]) -> T:
        """Run ``fn`` in one transaction on the calling thread, now (start-up code, other threads)."""
        with self._lock:
            self._check_open()
            self._db.execute("BEGIN IMMEDIATE")
            tx = Tx(self._db, self._now)
            try:
                result = fn(tx)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        self._notify(tx.touched)
        return result

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the sandbox store is closed")

    def _read(self, fn: Callable[[Tx], T]) -> T:
        """Run the read-only ``fn`` now, outside any transaction (each statement sees what was
        committed; nothing else runs on the connection meanwhile, so several agree)."""
        with self._lock:
            self._check_open()
            return fn(Tx(self._db, self._now))

    def watch(self, kind: str, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after each commit that wrote a document of ``kind``."""
        self._watchers.setdefault(kind, []).append(callback)

    def _notify(self, touched: set[str]) -> None:
        for kind, callbacks in self._watchers.items():
            if kind in touched or "*" in touched:
                for callback in callbacks:
                    callback()

    async def transaction(self, fn: Callable[[Tx], T]) -> T:
        """Run the synchronous ``fn`` atomically in the next group commit; answers once committed."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on asyncio (trio): no loop to group on
            return self.run_sync(fn)
        if self._queued and loop is not self._queue_loop:  # another loop's group is pending
            return self.run_sync(fn)
        self._check_open()
        future: asyncio.Future[T] = loop.create_future()
        if not self._queued:
            self._queue_loop = loop
            loop.call_soon(self._group_commit)
        self._queued.append(_Write(fn, future))
        # A caller cancelled while it waits drops its write (the group skips it); once the group
        # has run, the write is committed whatever happens to the caller.
        return await future

    def _group_commit(self) -> None:
        """Run every queued write in one transaction, each in its own savepoint; then resolve
        the callers' futures (after the COMMIT)."""
        writes = [w for w in self._queued if not w.future.done()]
        self._queued = []
        self._queue_loop = None
        if not writes:
            return
        with self._lock:
            try:
                outcomes, touched = self._run_group(writes)
            except BaseException as exc:  # the group failed as a whole (closed store, disk full, …)
                if not self._closed and self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                for write in writes:
                    if not write.future.done():
                        write.future.set_exception(exc)
                return
        self._notify(touched)
        for future, result, error in outcomes:
            if future.done():  # cancelled meanwhile (its write is committed all the same)
                continue
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

    def _run_group(
        self, writes: builtins.list[_Write]
    ) -> tuple[builtins.list[tuple[asyncio.Future[Any], Any, BaseException | None]], set[str]]:
        """The group's transaction (the lock held): each write's outcome, and the kinds written."""
        self._check_open()
        outcomes: builtins.list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        touched: set[str] = set()
        alone = len(writes) == 1  # no savepoint needed: its failure rolls the transaction back
        self._db.execute("BEGIN IMMEDIATE")
        for write in writes:
            if not alone:
                self._db.execute("SAVEPOINT write")
            tx = Tx(self._db, self._now)
            try:
                result = write.fn(tx)
            except Exception as exc:  # handed to its caller, who awaits it
                self._db.execute("ROLLBACK" if alone else "ROLLBACK TO write")
                if not alone:
                    self._db.execute("RELEASE write")
                outcomes.append((write.future, None, exc))
                continue
            if not alone:
                self._db.execute("RELEASE write")
            touched |= tx.touched
            outcomes.append((write.future, result, None))
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        self._commits += 1
        self._grouped += len(writes)
        return outcomes, touched

    def stats(self) -> dict[str, int]:
        """Group commits so far and the writes they held (their ratio: writes per commit)."""
        return {"commits": self._commits, "writes": self._grouped}

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    # -- async mirrors of Tx ---------------------------------------------------------------

    async def insert(self, kind: str, id: str, owner: str, data: Mapping[str, Any]) -> Document:
        return await self.transaction(lambda tx: tx.insert(kind, id, owner, data))

    async def get(self, kind: str, id: str, owners: Owners) -> Document | None:
        return self._read(lambda tx: tx.get(kind, id, owners))

    async def update(self, kind: str, id: str, changes: Mapping[str, Any], owners: Owners) -> Document | None:
        return await self.transaction(lambda tx: tx.update(kind, id, changes, owners))

    async def delete(self, kind: str, id: str, owners: Owners) -> bool:
        return await self.transaction(lambda tx: tx.delete(kind, id, owners))

    async def list(
        self,
        kind: str,
        owners: Owners,
        filters: Filters | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = True,
    ) -> Documents:
        return self._read(lambda tx: tx.list(kind, owners, filters, limit, offset, newest_first))

    async def count(self, kind: str, owners: Owners, filters: Filters | None = None) -> int:
        return self._read(lambda tx: tx.count(kind, owners, filters))

    async def page(
        self, kind: str, owners: Owners, filters: Filters | None, limit: int, offset: int
    ) -> tuple[Documents, int]:
        return self._read(lambda tx: tx.page(kind, owners, filters, limit, offset))

    async def update_where(
        self,
        kind: str,
        changes: Mapping[str, Any],
        owners: Owners,
        filters: Filters | None = None,
    ) -> int:
        return await self.transaction(lambda tx: tx.update_where(kind, changes, owners, filters))

    async def delete_where(self, kind: str, owners: Owners, filters: Filters | None = None) -> int:
        return await self.transaction(lambda tx: tx.delete_where(kind, owners, filters))

    async def reassign(self, kind: str, from_owner: str, to_owner: str) -> int:
        return await self.transaction(lambda tx: tx.reassign(kind, from_owner, to_owner))

    async def get_meta(self, key: str) -> str | None:
        return self._read(lambda tx: tx.get_meta(key))

    async def set_meta(self, key: str, value: str) -> None:
        await self.transaction(lambda tx: tx.set_meta(key, value))
