"""SIP endpoints (kind ``endpoint``, numeric ``endpoint_id``).

As Plivo does, the username gets a 12-digit suffix (``yymmddHHMMSS`` of creation) so usernames are
unique across the platform; ``sip_uri`` is ``sip:{username}@phone.plivo.com``. The password is kept
and never shown (:class:`Endpoint` is the typed document). :func:`find_by_username` lets the voice
engine resolve ``sip:`` destinations.

**SIP registration** is simulated through the control API (a softphone registering): the endpoint's
``registration`` (:class:`SipRegistration`) holds its contact, user agent and expiry (sandbox epoch
seconds). While it lasts, the endpoint shows ``sip_registered: "true"`` with ``sip_contact``,
``sip_expires`` (``YYYY-MM-DD HH:mm:ss``, UTC) and ``sip_user_agent``, as in
``endpointGetResponse.json``; once it has expired or been removed the endpoint shows
``sip_registered: "false"`` and no contact, as Plivo does for an endpoint no client is registered on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.models.accounts import subaccount_ref
from plivo_blocks.sandbox.models.applications import application_uri
from plivo_blocks.sandbox.models.base import load_all, stored_fields
from plivo_blocks.sandbox.models.common import insert_new, resource_uri
from plivo_blocks.sandbox.store import ANY_OWNER, Document, Tx
from plivo_blocks.sandbox.times import from_epoch

ENDPOINT = "endpoint"
SIP_DOMAIN = "phone.plivo.com"
#: Seconds a registration lasts when the client does not say (a common SIP client default).
DEFAULT_REGISTRATION_SECONDS = 3600


@dataclass(frozen=True, slots=True, kw_only=True)
class SipRegistration:
    """A SIP client registered on an endpoint, until ``expires_at`` (sandbox epoch seconds)."""

    contact: str
    expires_at: float
    user_agent: str

    @classmethod
    def new(
        cls, username: str, now: float, contact: str | None, expires: int, user_agent: str | None
    ) -> SipRegistration:
        """A client registering now for ``expires`` seconds (with a softphone's defaults)."""
        return cls(
            contact=contact or f"sip:{username}@198.51.100.10:5060;ob",
            expires_at=now + expires,
            user_agent=user_agent or "plivo-blocks sandbox softphone",
        )

    def render(self) -> dict[str, Any]:
        return {
            "sip_contact": self.contact,
            "sip_expires": from_epoch(self.expires_at).strftime("%Y-%m-%d %H:%M:%S"),
            "sip_registered": "true",
            "sip_user_agent": self.user_agent,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SipRegistration:
        return cls(
            contact=str(data["contact"]),
            expires_at=float(data["expires_at"]),
            user_agent=str(data["user_agent"]),
        )

    def to_data(self) -> dict[str, Any]:
        return {"contact": self.contact, "expires_at": self.expires_at, "user_agent": self.user_agent}


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """A SIP endpoint. The password is kept (never shown, never in a repr); ``app_id`` is the
    linked application; ``registration`` the SIP client registered on it, if any."""

    KIND: ClassVar[str] = ENDPOINT
    STORED_AS: ClassVar[Mapping[str, str]] = {
        "password": "_password",
        "app_id": "_app_id",
        "registration": "_registration",
    }

    id: str  # the endpoint_id
    owner: str
    username: str  # with its 12-digit suffix
    alias: str
    sip_uri: str
    password: str = field(repr=False)
    app_id: str | None = None
    registration: SipRegistration | None = None

    def registered(self, now: float) -> SipRegistration | None:
        """The registration, while it lasts at sandbox time ``now``."""
        held = self.registration
        return held if held is not None and held.expires_at > now else None

    def render(self, *, now: float, application: str | None, sub_account: str | None) -> dict[str, Any]:
        """As ``GET Endpoint/{id}/`` shows it at sandbox time ``now`` (``application``: the linked
        application's URI; ``sub_account``: the subaccount's URI, if any)."""
        held = self.registered(now)
        shown = {
            "alias": self.alias,
            "application": application,
            "endpoint_id": self.id,
            "resource_uri": resource_uri(self.owner, f"Endpoint/{self.id}/"),
            "sip_uri": self.sip_uri,
            "sub_account": sub_account,
            "username": self.username,
            **(held.render() if held is not None else {"sip_registered": "false"}),
        }
        return dict(sorted(shown.items()))

    @classmethod
    def from_document(cls, doc: Document) -> Endpoint:
        data = doc.data
        held = data.get("_registration")
        return cls(
            id=doc.id,
            owner=doc.owner,
            username=str(data["username"]),
            alias=str(data.get("alias") or ""),
            sip_uri=str(data.get("sip_uri") or f"sip:{data['username']}@{SIP_DOMAIN}"),
            password=str(data.get("_password") or ""),
            app_id=data.get("_app_id"),
            registration=SipRegistration.from_data(held) if isinstance(held, dict) else None,
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "_password": self.password,
            "_app_id": self.app_id,
            "_registration": self.registration.to_data() if self.registration else None,
            "alias": self.alias,
            "sip_uri": self.sip_uri,
            "username": self.username,
        }


def unique_username(tx: Tx, base: str) -> str:
    stamp = int(tx.now().strftime("%y%m%d%H%M%S"))
    # Usernames are unique across the platform (every account's endpoints).
    while tx.count(ENDPOINT, ANY_OWNER, stored_fields(Endpoint, {"username": f"{base}{stamp:012d}"})):
        stamp += 1  # two endpoints in the same second: take the next free suffix
    return f"{base}{stamp:012d}"


def new_endpoint(
    tx: Tx, owner: str, username: str, password: str, alias: str, app_id: str | None
) -> Endpoint:
    full = unique_username(tx, username)
    return insert_new(
        tx,
        ids.ENDPOINT_ID_DIGITS,
        lambda endpoint_id: Endpoint(
            id=endpoint_id,
            owner=owner,
            username=full,
            alias=alias,
            sip_uri=f"sip:{full}@{SIP_DOMAIN}",
            password=password,
            app_id=app_id,
        ),
    )


def render_endpoint(tx: Tx, endpoint: Endpoint) -> dict[str, Any]:
    return endpoint.render(
        now=tx.epoch(),
        application=application_uri(tx, endpoint.app_id),
        sub_account=subaccount_ref(tx, endpoint.owner),
    )


def find_by_username(tx: Tx, username: str) -> Endpoint | None:
    found = load_all(tx, Endpoint, ANY_OWNER, stored_fields(Endpoint, {"username": username}), limit=1)
    return found[0] if found else None


def unlink_endpoints(tx: Tx, app_id: str) -> None:
    """Endpoints (any account's) linked to the deleted application ``app_id`` lose the link."""
    unlinked, linked = stored_fields(Endpoint, {"app_id": None}), stored_fields(Endpoint, {"app_id": app_id})
    tx.update_where(ENDPOINT, unlinked, ANY_OWNER, linked)
