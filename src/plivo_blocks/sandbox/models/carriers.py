"""Incoming carriers (kind ``carrier``, numeric ``carrier_id``): a name and the IPs its calls come
from. Numbers added with ``POST Number/`` belong to a carrier; removing the carrier deletes them."""

from __future__ import annotations

from typing import Any

from plivo_blocks.sandbox.models.common import resource_uri
from plivo_blocks.sandbox.store import Document

CARRIER = "carrier"


def render_carrier(doc: Document) -> dict[str, Any]:
    return {
        "carrier_id": doc.id,
        "ip_set": doc.data["ip_set"],
        "name": doc.data["name"],
        "resource_uri": resource_uri(doc.owner, f"IncomingCarrier/{doc.id}/"),
        "sms": bool(doc.data.get("sms", False)),
        "voice": bool(doc.data.get("voice", True)),
    }
