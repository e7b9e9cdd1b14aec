"""Typed documents: the layer between the generic store (:mod:`plivo_blocks.sandbox.store`) and the
rest of the sandbox.

Every kind of document the sandbox keeps is a dataclass: :class:`~.accounts.AccountDocument`,
:class:`~.applications.Application`, :class:`~.endpoints.Endpoint`, :class:`~.carriers.Carrier`,
:class:`~.numbers.RentedNumber`, :class:`~.messages.Message` (and its
:class:`~.messages.MessageMedia`), :class:`~.bins.XmlBin`, the call detail record
(:class:`plivo_blocks.sandbox.voice.cdr.CallRecord`), the recording
(:class:`plivo_blocks.sandbox.voice.recordings.Recording`) and the webhook delivery
(:class:`plivo_blocks.sandbox.webhooks.delivery.Delivery`). Each has

- ``KIND``, its document kind in the store, and ``id`` and ``owner`` (the owning auth_id);
- explicit fields for what Plivo shows and for what only the sandbox knows (a message's text and
  callback URL, an endpoint's password, a number's application, ...): nothing is hidden by a naming
  convention, and secrets are ``field(repr=False)``, so no repr shows them;
- ``render(...)``: the JSON Plivo's API shows for it (for the sandbox's own kinds, what the control
  API shows), listing each field it shows;
- ``from_document(doc)`` and ``to_data()``: how it is read from and written to the store.

**Why dataclasses, not TypedDicts.** A TypedDict is a plain dict at run time: its repr would show an
auth token or a password, it cannot carry the behaviour that belongs to the kind (rendering, a
message's next state), and fields missing from documents written by earlier versions would need a
``.get(name, default)`` at every read. Frozen dataclasses give reprs that leave secrets out, one
place for each default (``from_document``), and changes that mypy checks
(``dataclasses.replace(number, alias="x")``). The delivery log's :class:`Delivery` stays mutable: the
outbox appends its attempts as they happen.

**Stored form.** The store stays generic (kind, id, owner, a JSON object). The JSON keeps the keys
earlier versions wrote, including the ``_``-prefixed keys of the fields Plivo does not show
(``_app_id``, ``_text``, ``_auth_token``, ...), so a database written before this layer opens as it
is, with no migration. Those keys are a storage detail known only to each kind's ``from_document`` /
``to_data`` and its ``STORED_AS`` (field name -> stored key, where they differ). Code elsewhere
filters and bulk-changes documents by field name through :func:`stored_fields`.

**Store access** (``owners`` as the store takes it: auth_ids, or ``ANY_OWNER``): :func:`load`,
:func:`load_all`, :func:`load_page`, :func:`insert`, :func:`save`, :func:`modify` and :func:`move` work
inside a transaction; :func:`fetch` and :func:`fetch_page` are their one-transaction async forms.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol, Self, TypeVar

from plivo_blocks.sandbox.store import Document, Filters, Owners, Store, Tx

__all__ = [
    "StoredDocument",
    "fetch",
    "fetch_page",
    "insert",
    "load",
    "load_all",
    "load_page",
    "modify",
    "move",
    "save",
    "stored_fields",
]


class StoredDocument(Protocol):
    """What every typed document offers (see the module docstring): a dataclass with these."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]
    KIND: ClassVar[str]
    #: Field name -> key in the stored JSON, for the fields whose key is not their name (and for the
    #: fields of a nested value stored flat, such as a delivery's callback URL).
    STORED_AS: ClassVar[Mapping[str, str]]

    @property
    def id(self) -> str: ...

    @property
    def owner(self) -> str: ...

    @classmethod
    def from_document(cls, doc: Document) -> Self: ...

    def to_data(self) -> dict[str, Any]: ...


D = TypeVar("D", bound=StoredDocument)


def stored_fields(cls: type[StoredDocument], fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` keyed by field names (with the store's ``__op`` suffixes and ``a|b``
    alternatives, or ``id``) keyed as in the stored JSON: the store's filters or bulk changes for
    ``cls``. ``ValueError`` names a field ``cls`` does not have."""
    known = {f.name for f in dataclasses.fields(cls)} | set(cls.STORED_AS)
    translated: dict[str, Any] = {}
    for key, value in fields.items():
        names, sep, op = key.partition("__")
        stored = []
        for name in names.split("|"):
            if name != "id" and name not in known:
                raise ValueError(f"{cls.__name__} has no field {name!r}")
            stored.append(cls.STORED_AS.get(name, name))
        translated["|".join(stored) + sep + op] = value
    return translated


def load(tx: Tx, cls: type[D], id: str, owners: Owners) -> D | None:
    doc = tx.get(cls.KIND, id, owners)
    return cls.from_document(doc) if doc is not None else None


def load_all(
    tx: Tx,
    cls: type[D],
    owners: Owners,
    filters: Filters | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = True,
) -> list[D]:
    """``filters`` as the store takes them (build them with :func:`stored_fields`)."""
    docs = tx.list(cls.KIND, owners, filters, limit, offset, newest_first)
    return [cls.from_document(doc) for doc in docs]


def load_page(
    tx: Tx, cls: type[D], owners: Owners, filters: Filters | None, limit: int, offset: int
) -> tuple[list[D], int]:
    docs, total = tx.page(cls.KIND, owners, filters, limit, offset)
    return [cls.from_document(doc) for doc in docs], total


def insert(tx: Tx, item: D) -> D:
    """Store a new document (:class:`~plivo_blocks.sandbox.store.Conflict` when its id is taken)."""
    tx.insert(item.KIND, item.id, item.owner, item.to_data())
    return item


def save(tx: Tx, item: D) -> bool:
    """Write ``item`` over its stored document (still its owner's); ``False`` when it is gone."""
    return tx.update(item.KIND, item.id, item.to_data(), [item.owner]) is not None


def modify(tx: Tx, cls: type[D], id: str, owners: Owners, change: Callable[[D], D]) -> D | None:
    """Read, change and write back one document in ``tx`` (``None`` when ``owners`` see no such
    document): the typed form of a partial update, as atomic as the transaction."""
    item = load(tx, cls, id, owners)
    if item is None:
        return None
    changed = change(item)
    save(tx, changed)
    return changed


def move(tx: Tx, item: D, owner: str) -> D:
    """``item`` handed to ``owner`` (a subaccount, or back to the main account)."""
    if owner == item.owner:
        return item
    tx.set_owner(item.KIND, item.id, owner)
    return dataclasses.replace(item, owner=owner)


async def fetch(store: Store, cls: type[D], id: str, owners: Owners) -> D | None:
    return await store.transaction(lambda tx: load(tx, cls, id, owners))


async def fetch_page(
    store: Store, cls: type[D], owners: Owners, filters: Filters | None, limit: int, offset: int
) -> tuple[list[D], int]:
    return await store.transaction(lambda tx: load_page(tx, cls, owners, filters, limit, offset))
