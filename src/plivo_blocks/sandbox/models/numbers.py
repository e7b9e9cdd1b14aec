"""Rented numbers (kind ``number``, id = the number in E.164 digits).

Bought numbers come from the inventory (carrier ``Plivo``); numbers of a registered incoming
carrier are added with ``POST Number/`` (carrier = its name, hidden ``_carrier_id``). A number
links an application as ``_app_id``; when none is given the owner's default number app is used.
:func:`application_for_number` is what inbound SMS and inbound calls use to find where to go.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from plivo_blocks.sandbox.inventory import AvailableNumber
from plivo_blocks.sandbox.models.accounts import charge, subaccount_ref
from plivo_blocks.sandbox.models.applications import Application, application_uri, default_app_id
from plivo_blocks.sandbox.models.base import load
from plivo_blocks.sandbox.models.carriers import Carrier
from plivo_blocks.sandbox.models.common import resource_uri
from plivo_blocks.sandbox.store import ANY_OWNER, Document, Tx
from plivo_blocks.sandbox.tariffs import country_for_number
from plivo_blocks.sandbox.times import add_months, format_date

NUMBER = "number"
NUMBER_TYPES = ("local", "tollfree", "mobile", "national", "fixed")


def _base_fields(tx: Tx, number: str, region: str, number_type: str) -> dict[str, Any]:
    today = tx.now().date()
    found = country_for_number(number)
    north_american = found is not None and found.iso in ("US", "CA")
    return {
        "active": True,
        "added_on": format_date(today),
        "alias": None,
        "city": region.split(",")[0],
        "cnam_lookup": "enabled" if north_american else "disabled",
        "compliance_application_id": None,
        "compliance_status": None,
        "country": found.name if found else "",
        "mms_enabled": False,
        "mms_rate": "0.00000",
        "number": number,
        "number_type": number_type,
        "region": region,
        "renewal_date": format_date(add_months(today, 1)),
        "tendlc_campaign_id": None,
        "tendlc_registration_status": "UNREGISTERED" if north_american and number_type == "local" else None,
        "toll_free_sms_verification": "unverified" if north_american and number_type == "tollfree" else None,
    }


def rent_from_inventory(tx: Tx, owner: str, item: AvailableNumber, app_id: str | None) -> Document:
    number_type = item.type
    if item.type == "fixed" and item.country_iso in ("US", "CA"):
        number_type = "local"
    data = _base_fields(tx, item.number, f"{item.region}, {item.country_name.upper()}", number_type)
    data.update(
        {
            "_app_id": app_id or default_app_id(tx, owner, "default_app"),
            "_carrier_id": None,
            "carrier": "Plivo",
            "monthly_rental_rate": item.monthly_rental_rate,
            # Plivo sends MMS from its US and Canadian SMS numbers only.
            "mms_enabled": item.sms_enabled and item.country_iso in ("US", "CA"),
            "sms_enabled": item.sms_enabled,
            "sms_rate": item.sms_rate if item.sms_enabled else "0.00000",
            "voice_enabled": item.voice_enabled,
            "voice_rate": item.voice_rate,
        }
    )
    charge(tx, owner, Decimal(item.monthly_rental_rate))  # the first month's rent
    return tx.insert(NUMBER, item.number, owner, data)


def add_carrier_number(
    tx: Tx,
    owner: str,
    number: str,
    carrier: Carrier,
    region: str,
    number_type: str,
    app_id: str | None,
) -> Document:
    data = _base_fields(tx, number, region, number_type)
    data.update(
        {
            "_app_id": app_id or default_app_id(tx, owner, "default_app"),
            "_carrier_id": carrier.id,
            "carrier": carrier.name,
            "monthly_rental_rate": "0.00000",
            "sms_enabled": False,
            "sms_rate": "0.00000",
            "voice_enabled": True,
            "voice_rate": "0.00000",
        }
    )
    return tx.insert(NUMBER, number, owner, data)


def rename_carrier_numbers(tx: Tx, carrier_id: str, name: str) -> None:
    """The carrier's numbers, whoever rents them, show its new name."""
    tx.update_where(NUMBER, {"carrier": name}, ANY_OWNER, {"_carrier_id": carrier_id})


def delete_carrier_numbers(tx: Tx, carrier_id: str) -> None:
    """The carrier is gone: so are its numbers, whoever rents them."""
    tx.delete_where(NUMBER, ANY_OWNER, {"_carrier_id": carrier_id})


def render_number(tx: Tx, doc: Document) -> dict[str, Any]:
    shown = doc.public()
    shown.update(
        {
            "application": application_uri(tx, doc.data.get("_app_id")),
            "resource_uri": resource_uri(doc.owner, f"Number/{doc.id}/"),
            "sub_account": subaccount_ref(tx, doc.owner),
        }
    )
    return dict(sorted(shown.items()))


def application_for_number(tx: Tx, number: str) -> tuple[Document, Application | None] | None:
    """The rented number and the application it points to (``None`` if it has none), or ``None``
    when nobody rents ``number``."""
    doc = tx.get(NUMBER, number.lstrip("+"), ANY_OWNER)
    if doc is None:
        return None
    app_id = doc.data.get("_app_id")
    return doc, (load(tx, Application, app_id, ANY_OWNER) if app_id else None)
