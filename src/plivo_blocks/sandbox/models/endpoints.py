"""SIP endpoints (kind ``endpoint``, numeric ``endpoint_id``).

As Plivo does, the username gets a 12-digit suffix (``yymmddHHMMSS`` of creation) so usernames are
unique across the platform; ``sip_uri`` is ``sip:{username}@phone.plivo.com``. The password is kept
hidden. :func:`find_by_username` lets the voice engine resolve ``sip:`` destinations.

**SIP registration** is simulated through the control API (a softphone registering): the hidden
``_registration`` holds its contact, user agent and expiry (sandbox epoch seconds). While it lasts,
the endpoint shows ``sip_registered: "true"`` with ``sip_contact``, ``sip_expires`` (``YYYY-MM-DD
HH:mm:ss``, UTC) and ``sip_user_agent``, as in ``endpointGetResponse.json``; once it has expired
or been removed the endpoint shows ``sip_registered: "false"`` and no contact, as Plivo does for an
endpoint no client is registered on.
"""

from __future__ import annotations

from typing import Any

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.models.accounts import subaccount_ref
from plivo_blocks.sandbox.models.applications import application_uri
from plivo_blocks.sandbox.models.common import insert_with_new_id, resource_uri
from plivo_blocks.sandbox.store import ANY_OWNER, Document, Tx
from plivo_blocks.sandbox.times import from_epoch

ENDPOINT = "endpoint"
SIP_DOMAIN = "phone.plivo.com"


def unique_username(tx: Tx, base: str) -> str:
    stamp = int(tx.now().strftime("%y%m%d%H%M%S"))
    while tx.count(ENDPOINT, ANY_OWNER, {"username": f"{base}{stamp:012d}"}):
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


#: Seconds a registration lasts when the client does not say (a common SIP client default).
DEFAULT_REGISTRATION_SECONDS = 3600


def registration(
    username: str, now: float, contact: str | None, expires: int, user_agent: str | None
) -> dict[str, Any]:
    """The hidden ``_registration`` of a client registering now for ``expires`` seconds."""
    return {
        "contact": contact or f"sip:{username}@198.51.100.10:5060;ob",
        "expires_at": now + expires,
        "user_agent": user_agent or "plivo-blocks sandbox softphone",
    }


def _registration_fields(tx: Tx, doc: Document) -> dict[str, Any]:
    held = doc.data.get("_registration")
    if not isinstance(held, dict) or float(held["expires_at"]) <= tx.epoch():
        return {"sip_registered": "false"}
    return {
        "sip_contact": held["contact"],
        "sip_expires": from_epoch(float(held["expires_at"])).strftime("%Y-%m-%d %H:%M:%S"),
        "sip_registered": "true",
        "sip_user_agent": held["user_agent"],
    }


def render_endpoint(tx: Tx, doc: Document) -> dict[str, Any]:
    shown = doc.public()
    shown.update(_registration_fields(tx, doc))
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
    found = tx.list(ENDPOINT, ANY_OWNER, {"username": username}, limit=1)
    return found[0] if found else None
