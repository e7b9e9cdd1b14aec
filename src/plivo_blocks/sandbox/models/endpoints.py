"""SIP endpoints (kind ``endpoint``, numeric ``endpoint_id``).

As Plivo does, the username gets a 12-digit suffix (``yymmddHHMMSS`` of creation) so usernames are
unique across the platform; ``sip_uri`` is ``sip:{username}@phone.plivo.com``. The password is kept
hidden. :func:`find_by_username` lets the voice engine resolve ``sip:`` destinations.
"""

from __future__ import annotations

from typing import Any

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.models.applications import application_uri
from plivo_blocks.sandbox.models.common import insert_with_new_id, resource_uri, subaccount_ref
from plivo_blocks.sandbox.store import Document, Tx

ENDPOINT = "endpoint"
SIP_DOMAIN = "phone.plivo.com"


def unique_username(tx: Tx, base: str) -> str:
    stamp = int(tx.now().strftime("%y%m%d%H%M%S"))
    while tx.count(ENDPOINT, filters={"username": f"{base}{stamp:012d}"}):
        stamp += 1  # two endpoints in the same second: take the next free suffix
    return f"{base}{stamp:012d}"


def new_endpoint(
    tx: Tx, owner: str, username: str, password: str, alias: str, app_id: str | None
) -> Document:
    full = unique_username(tx, username)

    def build(endpoint_id: str) -> dict[str, Any]:
        return {
            "_password": password,
            "_app_id": app_id,
            "alias": alias,
            "sip_registered": "false",
            "sip_uri": f"sip:{full}@{SIP_DOMAIN}",
            "username": full,
        }

    return insert_with_new_id(tx, ENDPOINT, owner, ids.ENDPOINT_ID_DIGITS, build)


def render_endpoint(tx: Tx, doc: Document) -> dict[str, Any]:
    shown = doc.public()
    shown.update(
        {
            "application": application_uri(tx, doc.data.get("_app_id")),
            "endpoint_id": doc.id,
            "resource_uri": resource_uri(doc.owner, f"Endpoint/{doc.id}/"),
            "sub_account": subaccount_ref(tx, doc.owner),
        }
    )
    return dict(sorted(shown.items()))


def find_by_username(tx: Tx, username: str) -> Document | None:
    found = tx.list(ENDPOINT, filters={"username": username}, limit=1)
    return found[0] if found else None
