"""Applications (kind ``application``, numeric ``app_id``).

``default_app`` (set with ``default_number_app``) and ``default_endpoint_app`` mark at most one
application per account; numbers and endpoints added later without an ``app_id`` are linked to it.
Numbers and endpoints keep the linked application as the hidden ``_app_id``.
"""

from __future__ import annotations

from typing import Any

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.models.common import insert_with_new_id, resource_uri, subaccount_ref
from plivo_blocks.sandbox.store import ANY_OWNER, Document, Tx

APPLICATION = "application"

#: Request parameter -> stored field, for the plain text fields of create/update.
TEXT_FIELDS = {
    "app_name": "app_name",
    "answer_url": "answer_url",
    "hangup_url": "hangup_url",
    "fallback_answer_url": "fallback_answer_url",
    "message_url": "message_url",
}
METHOD_FIELDS = ("answer_method", "hangup_method", "fallback_method", "message_method")


def new_application(tx: Tx, owner: str, fields: dict[str, Any]) -> Document:
    def build(app_id: str) -> dict[str, Any]:
        answer_url = fields.get("answer_url", "")
        return {
            "answer_method": "POST",
            "answer_url": answer_url,
            "app_name": "",
            "default_app": False,
            "default_endpoint_app": False,
            "enabled": True,
            "fallback_answer_url": "",
            "fallback_method": "POST",
            "hangup_method": "POST",
            "hangup_url": answer_url,
            "message_method": "POST",
            "message_url": "",
            "public_uri": False,
            "log_incoming_messages": True,
            **fields,
        }

    doc = insert_with_new_id(tx, APPLICATION, owner, ids.APP_ID_DIGITS, build)
    settle_defaults(tx, doc)
    return doc


def settle_defaults(tx: Tx, doc: Document) -> None:
    """Only one default number app and one default endpoint app per account: this one wins."""
    for flag in ("default_app", "default_endpoint_app"):
        if doc.data.get(flag):
            for other in tx.list(APPLICATION, [doc.owner], {flag: True}):
                if other.id != doc.id:
                    tx.update(APPLICATION, other.id, {flag: False}, [doc.owner])


def default_app_id(tx: Tx, owner: str, flag: str) -> str | None:
    """The owner's default application for new numbers (``default_app``) or endpoints
    (``default_endpoint_app``)."""
    found = tx.list(APPLICATION, [owner], {flag: True}, limit=1)
    return found[0].id if found else None


def application_uri(tx: Tx, app_id: str | None) -> str | None:
    if not app_id:
        return None
    app = tx.get(APPLICATION, app_id, ANY_OWNER)
    return resource_uri(app.owner, f"Application/{app_id}/") if app else None


def render_application(tx: Tx, doc: Document) -> dict[str, Any]:
    shown = doc.public()
    shown.pop("log_incoming_messages", None)
    shown.update(
        {
            "app_id": doc.id,
            "resource_uri": resource_uri(doc.owner, f"Application/{doc.id}/"),
            "sip_uri": f"sip:{doc.id}@app.plivo.com",
            "sub_account": subaccount_ref(tx, doc.owner),
        }
    )
    return dict(sorted(shown.items()))


def unlink_application(tx: Tx, app_id: str) -> None:
    """Numbers and endpoints linked to a deleted application lose the link."""
    for kind in ("number", "endpoint"):
        tx.update_where(kind, {"_app_id": None}, ANY_OWNER, {"_app_id": app_id})
