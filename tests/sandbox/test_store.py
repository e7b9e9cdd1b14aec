"""The document store on its own: CRUD, filters, ownership, transactions, persistence, concurrency."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio
import pytest

from plivo_blocks.sandbox.store import ANY_OWNER, Conflict, Store, Tx


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


@pytest.mark.anyio
async def test_insert_get_update_delete(store: Store) -> None:
    doc = await store.insert("thing", "1", "MA1", {"name": "a", "_secret": "x"})
    assert doc.data == {"name": "a", "_secret": "x"}
    fetched = await store.get("thing", "1", ANY_OWNER)
    assert fetched is not None and fetched.data == {"name": "a", "_secret": "x"} and fetched.owner == "MA1"
    updated = await store.update("thing", "1", {"name": "b"}, ["MA1"])
    assert updated is not None and updated.data == {"name": "b", "_secret": "x"}
    assert await store.delete("thing", "1", ["MA1"]) is True
    assert await store.get("thing", "1", ANY_OWNER) is None
    assert await store.delete("thing", "1", ANY_OWNER) is False


@pytest.mark.anyio
async def test_duplicate_id_is_a_conflict_per_kind(store: Store) -> None:
    await store.insert("thing", "1", "MA1", {})
    await store.insert("other", "1", "MA1", {})  # same id, other kind: fine
    with pytest.raises(Conflict):
        await store.insert("thing", "1", "MA2", {})


@pytest.mark.anyio
async def test_owners_restrict_every_operation(store: Store) -> None:
    await store.insert("thing", "1", "SA1", {"n": 1})
    assert await store.get("thing", "1", ["SA2"]) is None
    assert await store.update("thing", "1", {"n": 2}, ["SA2"]) is None
    assert await store.delete("thing", "1", ["SA2"]) is False
    assert await store.list("thing", []) == []
    assert [d.id for d in await store.list("thing", ["SA1", "SA2"])] == ["1"]
    assert await store.count("thing", ["SA2"]) == 0 and await store.count("thing", ANY_OWNER) == 1
    assert await store.update_where("thing", {"n": 3}, ["SA2"]) == 0
    assert await store.delete_where("thing", ["SA2"]) == 0
    page, total = await store.page("thing", ["SA2"], None, 20, 0)
    assert page == [] and total == 0
    mine = await store.get("thing", "1", ["SA1"])
    assert mine is not None and mine.data == {"n": 1}


@pytest.mark.anyio
async def test_owners_is_required_and_never_a_bare_string(store: Store) -> None:
    """Tenant isolation never rests on a caller remembering ``owners``: leaving it out is an error,
    "any owner" is the explicit ANY_OWNER, and a lone auth_id string (not a list) is refused."""
    await store.insert("thing", "1", "SA1", {})
    with pytest.raises(TypeError):
        await store.get("thing", "1")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        await store.list("thing")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="ANY_OWNER"):
        await store.get("thing", "1", "SA1")
    assert repr(ANY_OWNER) == "ANY_OWNER"


@pytest.mark.anyio
async def test_lists_are_newest_first_with_limit_offset_and_count(store: Store) -> None:
    for i in range(5):
        await store.insert("thing", str(i), "MA1", {"i": i})
    assert [d.id for d in await store.list("thing", ANY_OWNER)] == ["4", "3", "2", "1", "0"]
    assert [d.id for d in await store.list("thing", ANY_OWNER, newest_first=False, limit=2)] == ["0", "1"]
    page, total = await store.page("thing", ANY_OWNER, None, 2, 2)
    assert [d.id for d in page] == ["2", "1"] and total == 5


@pytest.mark.anyio
async def test_filter_operators(store: Store) -> None:
    rows = [
        ("a", {"n": 1, "s": "14155550100", "flag": True, "opt": None}),
        ("b", {"n": 5, "s": "442071234567", "flag": False, "opt": "x"}),
        ("c", {"n": 9, "s": "14159990000", "flag": True}),
    ]
    for id_, data in rows:
        await store.insert("thing", id_, "MA1", data)

    async def ids(**filters: object) -> set[str]:
        return {d.id for d in await store.list("thing", ANY_OWNER, filters)}

    assert await ids(flag=True) == {"a", "c"}
    assert await ids(n__gt=1) == {"b", "c"}
    assert await ids(n__gte=5, n__lt=9) == {"b"}
    assert await ids(n__lte=1) == {"a"}
    assert await ids(s__startswith="1415") == {"a", "c"}
    assert await ids(s__contains="2071") == {"b"}
    assert await ids(opt=None) == {"a", "c"}
    assert await ids(opt__ne=None) == {"b"}
    assert await ids(n__ne=5) == {"a", "c"}
    assert await ids(n__in=[1, 9]) == {"a", "c"}
    assert await ids(id="b") == {"b"}
    assert await store.count("thing", ANY_OWNER, {"flag": True}) == 2
    with pytest.raises(ValueError):
        await store.list("thing", ANY_OWNER, {"n; DROP TABLE documents": 1})
    with pytest.raises(ValueError):
        await store.list("thing", ANY_OWNER, {"n__like": 1})


@pytest.mark.anyio
async def test_transaction_is_atomic(store: Store) -> None:
    def half_done(tx: Tx) -> None:
        tx.insert("thing", "1", "MA1", {})
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await store.transaction(half_done)
    assert await store.get("thing", "1", ANY_OWNER) is None


@pytest.mark.anyio
async def test_bulk_helpers(store: Store) -> None:
    for i in range(3):
        await store.insert("number", str(i), "SA1", {"app": "7" if i else None})
    assert await store.update_where("number", {"app": None}, ANY_OWNER, {"app": "7"}) == 2
    assert await store.count("number", ANY_OWNER, {"app": None}) == 3
    assert await store.reassign("number", "SA1", "MA1") == 3
    assert await store.count("number", ["MA1"]) == 3
    assert await store.delete_where("number", ["MA1"], {"id__in": ["0", "1"]}) == 2
    assert await store.count("number", ANY_OWNER) == 1


@pytest.mark.anyio
async def test_file_store_survives_reopening(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    first = Store(path)
    await first.insert("thing", "1", "MA1", {"v": "kept"})
    await first.set_meta("k", "v")
    first.close()
    second = Store(path)
    doc = await second.get("thing", "1", ANY_OWNER)
    assert doc is not None and doc.data == {"v": "kept"}
    assert await second.get_meta("k") == "v"
    second.close()


@pytest.mark.anyio
async def test_concurrent_writes_all_land(store: Store) -> None:
    async def write(i: int) -> None:
        await store.insert("thing", f"id{i}", "MA1", {"i": i})
        await store.update("thing", f"id{i}", {"done": True}, ["MA1"])

    async with anyio.create_task_group() as tg:
        for i in range(200):
            tg.start_soon(write, i)
    assert await store.count("thing", ANY_OWNER, {"done": True}) == 200


@pytest.mark.anyio
async def test_document_repr_names_fields_and_shows_no_values(store: Store) -> None:
    """The store does not know which fields are secrets: its repr shows none of the values."""
    doc = await store.insert("account", "SA1", "MA1", {"name": "visible-name", "password": "s3cr3t"})
    shown = repr(doc)
    assert "s3cr3t" not in shown and "visible-name" not in shown
    assert "'password'" in shown and "'name'" in shown and "'SA1'" in shown


@pytest.mark.anyio
async def test_concurrent_writes_share_a_commit_and_fail_alone(store: Store) -> None:
    """Writes queued in the same turn of the loop run in one transaction (a group commit), each in
    its own savepoint: the one that raises rolls back alone, its caller gets the exception, and
    the others commit."""

    def bad(tx: Tx) -> None:
        tx.insert("thing", "bad", "MA1", {})
        raise RuntimeError("boom")

    before = store.stats()
    results = await asyncio.gather(
        store.insert("thing", "a", "MA1", {"n": 1}),
        store.transaction(bad),
        store.insert("thing", "b", "MA1", {"n": 2}),
        store.insert("thing", "a", "MA1", {"n": 3}),  # a conflict with the first: fails alone
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == ["Document", "RuntimeError", "Document", "Conflict"]
    after = store.stats()
    assert after["commits"] - before["commits"] == 1 and after["writes"] - before["writes"] == 4
    assert sorted(d.id for d in await store.list("thing", ANY_OWNER)) == ["a", "b"]
    kept = await store.get("thing", "a", ANY_OWNER)
    assert kept is not None and kept.data == {"n": 1}


@pytest.mark.anyio
async def test_writes_in_a_group_run_in_the_order_they_were_queued(store: Store) -> None:
    await asyncio.gather(*(store.update_where("counter", {"last": i}, ANY_OWNER) for i in range(3)))
    await store.insert("counter", "c", "MA1", {"last": -1})
    await asyncio.gather(*(store.update("counter", "c", {"last": i}, ANY_OWNER) for i in range(5)))
    doc = await store.get("counter", "c", ANY_OWNER)
    assert doc is not None and doc.data == {"last": 4}


@pytest.mark.anyio
async def test_a_write_cancelled_before_its_group_ran_is_not_made(store: Store) -> None:
    task = asyncio.ensure_future(store.insert("thing", "cancelled", "MA1", {}))
    await asyncio.sleep(0)  # queued: its group runs in the next turn of the loop
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await store.insert("thing", "next", "MA1", {})
    assert [d.id for d in await store.list("thing", ANY_OWNER)] == ["next"]


@pytest.mark.anyio
async def test_watchers_hear_of_a_group_after_its_commit(store: Store) -> None:
    seen: list[int] = []
    store.watch("account", lambda: seen.append(store.run_sync(lambda tx: tx.count("account", ANY_OWNER))))
    await asyncio.gather(store.insert("account", "A", "A", {}), store.insert("account", "B", "B", {}))
    assert seen == [2]


@pytest.mark.anyio
async def test_a_closed_store_fails_queued_writes(store: Store) -> None:
    task = asyncio.ensure_future(store.insert("thing", "late", "MA1", {}))
    await asyncio.sleep(0)
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        await task
    with pytest.raises(RuntimeError, match="closed"):
        await store.insert("thing", "later", "MA1", {})
