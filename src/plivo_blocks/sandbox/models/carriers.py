"""Incoming carriers (kind ``carrier``, numeric ``carrier_id``): a name and the IPs its calls come
from. Numbers added with ``POST Number/`` belong to a carrier; removing the carrier deletes them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from plivo_blocks.sandbox.models.common import resource_uri
from plivo_blocks.sandbox.store import Document

CARRIER = "carrier"


@dataclass(frozen=True, slots=True, kw_only=True)
class Carrier:
    KIND: ClassVar[str] = CARRIER
    STORED_AS: ClassVar[Mapping[str, str]] = {}

    id: str
    owner: str
    name: str
    ip_set: str  # comma-separated IP addresses
    sms: bool = False
    voice: bool = True

    def render(self) -> dict[str, Any]:
        return {
            "carrier_id": self.id,
            "ip_set": self.ip_set,
            "name": self.name,
            "resource_uri": resource_uri(self.owner, f"IncomingCarrier/{self.id}/"),
            "sms": self.sms,
            "voice": self.voice,
        }

    @classmethod
    def from_document(cls, doc: Document) -> Carrier:
        data = doc.data
        return cls(
            id=doc.id,
            owner=doc.owner,
            name=str(data["name"]),
            ip_set=str(data["ip_set"]),
            sms=bool(data.get("sms", False)),
            voice=bool(data.get("voice", True)),
        )

    def to_data(self) -> dict[str, Any]:
        return {"name": self.name, "ip_set": self.ip_set, "sms": self.sms, "voice": self.voice}
