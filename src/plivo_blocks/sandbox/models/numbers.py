"""Rented numbers (kind ``number``, id = the number in E.164 digits): :class:`RentedNumber`.

Bought numbers come from the inventory (carrier ``Plivo``); numbers of a registered incoming
carrier are added with ``POST Number/`` (carrier = its name, and ``carrier_id``). A number links an
application (``app_id``); when none is given the owner's default number app is used.
:func:`application_for_number` is what inbound SMS and inbound calls use to find where to go.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from plivo_blocks.sandbox.inventory import AvailableNumber
from plivo_blocks.sandbox.models.accounts import charge, subaccount_ref
from plivo_blocks.sandbox.models.applications import Application, application_uri, default_app_id
from plivo_blocks.sandbox.models.base import insert, load, stored_fields
from plivo_blocks.sandbox.models.carriers import Carrier
from plivo_blocks.sandbox.models.common import resource_uri
from plivo_blocks.sandbox.store import ANY_OWNER, Document, Tx
from plivo_blocks.sandbox.tariffs import country_for_number
from plivo_blocks.sandbox.times import add_months, format_date

NUMBER = "number"
NUMBER_TYPES = ("local", "tollfree", "mobile", "national", "fixed")


@dataclass(frozen=True, slots=True, kw_only=True)
class RentedNumber:
    """A number an account rents. ``app_id`` is the linked application; ``carrier_id`` the incoming
    carrier it came with (``None`` for numbers bought from Plivo's inventory)."""

    KIND: ClassVar[str] = NUMBER
    STORED_AS: ClassVar[Mapping[str, str]] = {"app_id": "_app_id", "carrier_id": "_carrier_id"}

    number: str  # E.164 digits: the document's id
    owner: str
    added_on: str  # YYYY-MM-DD
    renewal_date: str
    number_type: str
    region: str
    city: str
    country: str
    carrier: str
    monthly_rental_rate: str
    voice_enabled: bool
    voice_rate: str
    sms_enabled: bool
    sms_rate: str
    mms_enabled: bool = False
    mms_rate: str = "0.00000"
    active: bool = True
    alias: str | None = None
    cnam_lookup: str = "disabled"
    compliance_application_id: str | None = None
    compliance_status: str | None = None
    tendlc_campaign_id: str | None = None
    tendlc_registration_status: str | None = None
    toll_free_sms_verification: str | None = None
    app_id: str | None = None
    carrier_id: str | None = None

    @property
    def id(self) -> str:
        return self.number

    def render(self, *, application: str | None, sub_account: str | None) -> dict[str, Any]:
        """As ``GET Number/{number}/`` shows it (``application``: the linked application's URI;
        ``sub_account``: the subaccount's URI, if any)."""
        return {
            "active": self.active,
            "added_on": self.added_on,
            "alias": self.alias,
            "application": application,
            "carrier": self.carrier,
            "city": self.city,
            "cnam_lookup": self.cnam_lookup,
            "compliance_application_id": self.compliance_application_id,
            "compliance_status": self.compliance_status,
            "country": self.country,
            "mms_enabled": self.mms_enabled,
            "mms_rate": self.mms_rate,
            "monthly_rental_rate": self.monthly_rental_rate,
            "number": self.number,
            "number_type": self.number_type,
            "region": self.region,
            "renewal_date": self.renewal_date,
            "resource_uri": resource_uri(self.owner, f"Number/{self.number}/"),
            "sms_enabled": self.sms_enabled,
            "sms_rate": self.sms_rate,
            "sub_account": sub_account,
            "tendlc_campaign_id": self.tendlc_campaign_id,
            "tendlc_registration_status": self.tendlc_registration_status,
            "toll_free_sms_verification": self.toll_free_sms_verification,
            "voice_enabled": self.voice_enabled,
            "voice_rate": self.voice_rate,
        }

    @classmethod
    def from_document(cls, doc: Document) -> RentedNumber:
        data = doc.data
        return cls(
            number=doc.id,
            owner=doc.owner,
            added_on=str(data["added_on"]),
            renewal_date=str(data["renewal_date"]),
            number_type=str(data["number_type"]),
            region=str(data.get("region") or ""),
            city=str(data.get("city") or ""),
            country=str(data.get("country") or ""),
            carrier=str(data.get("carrier") or ""),
            monthly_rental_rate=str(data.get("monthly_rental_rate") or "0.00000"),
            voice_enabled=bool(data.get("voice_enabled", True)),
            voice_rate=str(data.get("voice_rate") or "0.00000"),
            sms_enabled=bool(data.get("sms_enabled", False)),
            sms_rate=str(data.get("sms_rate") or "0.00000"),
            mms_enabled=bool(data.get("mms_enabled", False)),
            mms_rate=str(data.get("mms_rate") or "0.00000"),
            active=bool(data.get("active", True)),
            alias=data.get("alias"),
            cnam_lookup=str(data.get("cnam_lookup") or "disabled"),
            compliance_application_id=data.get("compliance_application_id"),
            compliance_status=data.get("compliance_status"),
            tendlc_campaign_id=data.get("tendlc_campaign_id"),
            tendlc_registration_status=data.get("tendlc_registration_status"),
            toll_free_sms_verification=data.get("toll_free_sms_verification"),
            app_id=data.get("_app_id"),
            carrier_id=data.get("_carrier_id"),
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "added_on": self.added_on,
            "alias": self.alias,
            "city": self.city,
            "cnam_lookup": self.cnam_lookup,
            "compliance_application_id": self.compliance_application_id,
            "compliance_status": self.compliance_status,
            "country": self.country,
            "mms_enabled": self.mms_enabled,
            "mms_rate": self.mms_rate,
            "number": self.number,
            "number_type": self.number_type,
            "region": self.region,
            "renewal_date": self.renewal_date,
            "tendlc_campaign_id": self.tendlc_campaign_id,
            "tendlc_registration_status": self.tendlc_registration_status,
            "toll_free_sms_verification": self.toll_free_sms_verification,
            "_app_id": self.app_id,
            "_carrier_id": self.carrier_id,
            "carrier": self.carrier,
            "monthly_rental_rate": self.monthly_rental_rate,
            "sms_enabled": self.sms_enabled,
            "sms_rate": self.sms_rate,
            "voice_enabled": self.voice_enabled,
            "voice_rate": self.voice_rate,
        }


def _new_number(
    tx: Tx,
    owner: str,
    number: str,
    region: str,
    number_type: str,
    *,
    app_id: str | None,
    carrier: str,
    carrier_id: str | None,
    monthly_rental_rate: str,
    voice_enabled: bool,
    voice_rate: str,
    sms_enabled: bool,
    sms_rate: str,
    mms_enabled: bool,
) -> RentedNumber:
    """A number rented today, linked to ``app_id`` or else the owner's default number app."""
    today = tx.now().date()
    found = country_for_number(number)
    north_american = found is not None and found.iso in ("US", "CA")
    return RentedNumber(
        number=number,
        owner=owner,
        added_on=format_date(today),
        renewal_date=format_date(add_months(today, 1)),
        number_type=number_type,
        region=region,
        city=region.split(",")[0],
        country=found.name if found else "",
        carrier=carrier,
        monthly_rental_rate=monthly_rental_rate,
        voice_enabled=voice_enabled,
        voice_rate=voice_rate,
        sms_enabled=sms_enabled,
        sms_rate=sms_rate,
        mms_enabled=mms_enabled,
        cnam_lookup="enabled" if north_american else "disabled",
        tendlc_registration_status="UNREGISTERED" if north_american and number_type == "local" else None,
        toll_free_sms_verification="unverified" if north_american and number_type == "tollfree" else None,
        app_id=app_id or default_app_id(tx, owner, "default_app"),
        carrier_id=carrier_id,
    )


def rent_from_inventory(tx: Tx, owner: str, item: AvailableNumber, app_id: str | None) -> RentedNumber:
    number_type = item.type
    if item.type == "fixed" and item.country_iso in ("US", "CA"):
        number_type = "local"
    rented = _new_number(
        tx,
        owner,
        item.number,
        f"{item.region}, {item.country_name.upper()}",
        number_type,
        app_id=app_id,
        carrier="Plivo",
        carrier_id=None,
        monthly_rental_rate=item.monthly_rental_rate,
        voice_enabled=item.voice_enabled,
        voice_rate=item.voice_rate,
        sms_enabled=item.sms_enabled,
        sms_rate=item.sms_rate if item.sms_enabled else "0.00000",
        # Plivo sends MMS from its US and Canadian SMS numbers only.
        mms_enabled=item.sms_enabled and item.country_iso in ("US", "CA"),
    )
    charge(tx, owner, Decimal(item.monthly_rental_rate))  # the first month's rent
    return insert(tx, rented)


def add_carrier_number(
    tx: Tx,
    owner: str,
    number: str,
    carrier: Carrier,
    region: str,
    number_type: str,
    app_id: str | None,
) -> RentedNumber:
    added = _new_number(
        tx,
        owner,
        number,
        region,
        number_type,
        app_id=app_id,
        carrier=carrier.name,
        carrier_id=carrier.id,
        monthly_rental_rate="0.00000",
        voice_enabled=True,
        voice_rate="0.00000",
        sms_enabled=False,
        sms_rate="0.00000",
        mms_enabled=False,
    )
    return insert(tx, added)


def render_number(tx: Tx, number: RentedNumber) -> dict[str, Any]:
    return number.render(
        application=application_uri(tx, number.app_id), sub_account=subaccount_ref(tx, number.owner)
    )


def rename_carrier_numbers(tx: Tx, carrier_id: str, name: str) -> None:
    """The carrier's numbers, whoever rents them, show its new name."""
    renamed, of_carrier = stored_fields(RentedNumber, {"carrier": name}), _of_carrier(carrier_id)
    tx.update_where(NUMBER, renamed, ANY_OWNER, of_carrier)


def delete_carrier_numbers(tx: Tx, carrier_id: str) -> None:
    """The carrier is gone: so are its numbers, whoever rents them."""
    tx.delete_where(NUMBER, ANY_OWNER, _of_carrier(carrier_id))


def _of_carrier(carrier_id: str) -> dict[str, Any]:
    return stored_fields(RentedNumber, {"carrier_id": carrier_id})


def unlink_numbers(tx: Tx, app_id: str) -> None:
    """Numbers (any account's) linked to the deleted application ``app_id`` lose the link."""
    unlinked = stored_fields(RentedNumber, {"app_id": None})
    tx.update_where(NUMBER, unlinked, ANY_OWNER, stored_fields(RentedNumber, {"app_id": app_id}))


def application_for_number(tx: Tx, number: str) -> tuple[RentedNumber, Application | None] | None:
    """The rented number and the application it points to (``None`` if it has none), or ``None``
    when nobody rents ``number``."""
    rented = load(tx, RentedNumber, number.lstrip("+"), ANY_OWNER)
    if rented is None:
        return None
    return rented, (load(tx, Application, rented.app_id, ANY_OWNER) if rented.app_id else None)
