"""The document store on its own: CRUD, filters, ownership, transactions, persistence, concurrency."""

from __future__ import annotations

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
