"""Applications (kind ``application``, numeric ``app_id``).

``default_app`` (set with ``default_number_app``) and ``default_endpoint_app`` mark at most one
application per account; numbers and endpoints added later without an ``app_id`` are linked to it.
Numbers and endpoints keep the linked application's id (their ``app_id`` field): :class:`Application`
is the typed document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.models.accounts import subaccount_ref
from plivo_blocks.sandbox.models.base import load, load_all, save, stored_fields
from plivo_blocks.sandbox.models.common import insert_new, resource_uri
from plivo_blocks.sandbox.store import ANY_OWNER, Document, Tx

APPLICATION = "application"

#: Request parameter -> field of :class:`Application`, for the plain text fields of create/update.
TEXT_FIELDS = {
    "app_name": "app_name",
    "answer_url": "answer_url",
    "hangup_url": "hangup_url",
    "fallback_answer_url": "fallback_answer_url",
    "message_url": "message_url",
}
METHOD_FIELDS = ("answer_method", "hangup_method", "fallback_method", "message_method")


@dataclass(frozen=True, slots=True, kw_only=True)
class Application:
    """An application: where a number's or endpoint's calls and messages go."""

    KIND: ClassVar[str] = APPLICATION
    STORED_AS: ClassVar[Mapping[str, str]] = {}

    id: str  # the app_id
    owner: str
    app_name: str = ""
    answer_url: str = ""
    answer_method: str = "POST"
    hangup_url: str = ""
    hangup_method: str = "POST"
    fallback_answer_url: str = ""
    fallback_method: str = "POST"
    message_url: str = ""
    message_method: str = "POST"
    default_app: bool = False  # the default number app (``default_number_app``)
    default_endpoint_app: bool = False
    enabled: bool = True
    public_uri: bool = False
    log_incoming_messages: bool = True  # taken and kept, not shown (as on Plivo)

    def _settings(self) -> dict[str, Any]:
        """The application's own fields, shown and stored alike."""
        return {
            "answer_method": self.answer_method,
            "answer_url": self.answer_url,
            "app_name": self.app_name,
            "default_app": self.default_app,
            "default_endpoint_app": self.default_endpoint_app,
            "enabled": self.enabled,
            "fallback_answer_url": self.fallback_answer_url,
            "fallback_method": self.fallback_method,
            "hangup_method": self.hangup_method,
            "hangup_url": self.hangup_url,
            "message_method": self.message_method,
            "message_url": self.message_url,
            "public_uri": self.public_uri,
        }

    def render(self, sub_account: str | None) -> dict[str, Any]:
        """As ``GET Application/{app_id}/`` shows it (``sub_account``: the subaccount's URI, if any)."""
        return {
            **self._settings(),
            "app_id": self.id,
            "resource_uri": resource_uri(self.owner, f"Application/{self.id}/"),
            "sip_uri": f"sip:{self.id}@app.plivo.com",
            "sub_account": sub_account,
        }

    @classmethod
    def from_document(cls, doc: Document) -> Application:
        data = doc.data
        return cls(
            id=doc.id,
            owner=doc.owner,
            app_name=str(data.get("app_name") or ""),
            answer_url=str(data.get("answer_url") or ""),
            answer_method=str(data.get("answer_method") or "POST"),
            hangup_url=str(data.get("hangup_url") or ""),
            hangup_method=str(data.get("hangup_method") or "POST"),
            fallback_answer_url=str(data.get("fallback_answer_url") or ""),
            fallback_method=str(data.get("fallback_method") or "POST"),
            message_url=str(data.get("message_url") or ""),
            message_method=str(data.get("message_method") or "POST"),
            default_app=bool(data.get("default_app", False)),
            default_endpoint_app=bool(data.get("default_endpoint_app", False)),
            enabled=bool(data.get("enabled", True)),
            public_uri=bool(data.get("public_uri", False)),
            log_incoming_messages=bool(data.get("log_incoming_messages", True)),
        )

    def to_data(self) -> dict[str, Any]:
        return {**self._settings(), "log_incoming_messages": self.log_incoming_messages}


def new_application(tx: Tx, owner: str, fields: Mapping[str, Any]) -> Application:
    """A new application of ``owner`` with ``fields`` (field name: value); the hangup URL is the
    answer URL unless given."""
    settings = {"hangup_url": fields.get("answer_url", ""), **fields}
    app = insert_new(tx, ids.APP_ID_DIGITS, lambda app_id: Application(id=app_id, owner=owner, **settings))
    settle_defaults(tx, app)
    return app


def settle_defaults(tx: Tx, app: Application) -> None:
    """Only one default number app and one default endpoint app per account: this one wins."""
    if app.default_app:
        for other in _other_defaults(tx, app, "default_app"):
            save(tx, replace(other, default_app=False))
    if app.default_endpoint_app:
        for other in _other_defaults(tx, app, "default_endpoint_app"):
            save(tx, replace(other, default_endpoint_app=False))


def _other_defaults(tx: Tx, app: Application, flag: str) -> list[Application]:
    found = load_all(tx, Application, [app.owner], stored_fields(Application, {flag: True}))
    return [other for other in found if other.id != app.id]


def default_app_id(tx: Tx, owner: str, flag: str) -> str | None:
    """The owner's default application for new numbers (``default_app``) or endpoints
    (``default_endpoint_app``)."""
    found = load_all(tx, Application, [owner], stored_fields(Application, {flag: True}), limit=1)
    return found[0].id if found else None


def application_uri(tx: Tx, app_id: str | None) -> str | None:
    """The URI of a linked application (linked once the request could see it, so any owner's)."""
    if not app_id:
        return None
    app = load(tx, Application, app_id, ANY_OWNER)
    return resource_uri(app.owner, f"Application/{app_id}/") if app else None


def render_application(tx: Tx, app: Application) -> dict[str, Any]:
    return app.render(subaccount_ref(tx, app.owner))
