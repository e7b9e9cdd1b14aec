"""XML bins (kind ``bin``, id = the bin's name): Plivo XML documents the sandbox hosts, owned by the
main account (the control API in :mod:`plivo_blocks.sandbox.routes.bins`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from plivo_blocks.sandbox.store import Document

BIN = "bin"


def bin_url(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/_sandbox/bins/{name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class XmlBin:
    KIND: ClassVar[str] = BIN
    STORED_AS: ClassVar[Mapping[str, str]] = {}

    id: str  # the bin's name
    owner: str
    xml: str
    created: str  # sandbox time, as format_time writes it
    updated: str

    def render(self, base: str) -> dict[str, Any]:
        """As the control API shows it, with its URL under ``base`` (the sandbox's public URL)."""
        return {
            "name": self.id,
            "url": bin_url(base, self.id),
            "bytes": len(self.xml.encode()),
            "xml": self.xml,
            "created": self.created,
            "updated": self.updated,
        }

    @classmethod
    def from_document(cls, doc: Document) -> XmlBin:
        data = doc.data
        return cls(
            id=doc.id,
            owner=doc.owner,
            xml=str(data.get("xml", "")),
            created=str(data.get("created") or ""),
            updated=str(data.get("updated") or data.get("created") or ""),
        )

    def to_data(self) -> dict[str, Any]:
        return {"xml": self.xml, "created": self.created, "updated": self.updated}
