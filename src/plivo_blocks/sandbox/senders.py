"""Who may send a message: Plivo's sender rules, and each sender's throughput.

From Plivo's "Send a message" reference and its messaging FAQs:

- ``src`` is sanitised: "All characters other than A-Z, a-z, and 0-9 are stripped off". What is left
  is a phone number (digits, starting with the country code, at most 14) or an alphanumeric sender
  ID (at most 11 characters).
- "You must have a Plivo phone number to send messages to the US or Canada": to those countries
  ``src`` must be an SMS-enabled number the account rents (a subaccount's numbers are its own; a
  main account may use its subaccounts'), and "Canadian long codes cannot send to US". Otherwise
  Plivo answers "This caller ID is not allowed for outbound message".
- Alphanumeric sender IDs are "not allowed in some countries including US, Canada, and Brazil".
- Elsewhere a number the account does not rent may be used as a sender ID ("Dynamic sender IDs
  may be used; delivery not guaranteed for non-Plivo numbers").
- MMS go to the US and Canada only, from the account's MMS-enabled US or Canadian numbers.

Throughput per sender number (Plivo's messaging FAQ, "What is the throughput for US / Canada
numbers?"): to the US a long code sends 1 message per second (SMS and MMS), a toll-free number 25
SMS or 2 MMS per second; to Canada a long code sends 15 per minute, a toll-free number 25 SMS or 2
MMS per second. Plivo documents no per-sender figure for other destinations, nor for alphanumeric
senders: only the account's own rate applies to them (:mod:`plivo_blocks.sandbox.message_queue`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from plivo_blocks.sandbox.models.base import load
from plivo_blocks.sandbox.models.numbers import RentedNumber
from plivo_blocks.sandbox.responses import bad_request
from plivo_blocks.sandbox.store import Tx
from plivo_blocks.sandbox.tariffs import Country, country_for_number

__all__ = ["CALLER_ID_NOT_ALLOWED", "Sender", "resolve_sender", "sanitize_src"]

#: Plivo's error when ``src`` may not send to a destination (its messaging FAQ quotes it).
CALLER_ID_NOT_ALLOWED = "This caller ID is not allowed for outbound message"
MAX_NUMBER_DIGITS = 14
MAX_ALPHANUMERIC = 11
NORTH_AMERICA = frozenset({"US", "CA"})
NO_ALPHANUMERIC = frozenset({"US", "CA", "BR"})

SenderKind = Literal["long_code", "toll_free", "alphanumeric", "unrented_number"]

#: Messages per second of one sender number, by (kind, destination country, message type).
_PER_SECOND: dict[tuple[str, str, str], float] = {
    ("long_code", "US", "sms"): 1.0,
    ("long_code", "US", "mms"): 1.0,
    ("toll_free", "US", "sms"): 25.0,
    ("toll_free", "US", "mms"): 2.0,
    ("long_code", "CA", "sms"): 15 / 60,
    ("long_code", "CA", "mms"): 15 / 60,
    ("toll_free", "CA", "sms"): 25.0,
    ("toll_free", "CA", "mms"): 2.0,
}

_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


@dataclass(frozen=True)
class Sender:
    """A checked ``src``: its sanitised address and what kind of sender it is."""

    address: str
    kind: SenderKind
    country: str | None = None  # the number's country (numbers only)

    def per_second(self, destination: str | None, message_type: str) -> float:
        """This sender's own throughput towards ``destination`` (ISO), 0 when Plivo documents none."""
        return _PER_SECOND.get((self.kind, destination or "", message_type), 0.0)


def sanitize_src(raw: str) -> str:
    return _NOT_ALPHANUMERIC.sub("", raw)


def _not_allowed(why: str) -> Exception:
    return bad_request(f"{CALLER_ID_NOT_ALLOWED}: {why}")


def _number_kind(number: RentedNumber) -> SenderKind:
    return "toll_free" if number.number_type == "tollfree" else "long_code"


def resolve_sender(
    tx: Tx,
    owners: Sequence[str],
    raw_src: str,
    destinations: Sequence[tuple[str, Country]],
    message_type: str,
) -> Sender:
    """Check ``raw_src`` against Plivo's rules for these destinations (see the module docstring);
    raise Plivo's 400 naming the rule it broke."""
    src = sanitize_src(raw_src)
    if not src:
        raise bad_request("src is required: a phone number of this account or an alphanumeric sender ID")
    if src.isdigit():
        if len(src) > MAX_NUMBER_DIGITS:
            raise bad_request(
                f"src {raw_src!r} is not a valid phone number: at most {MAX_NUMBER_DIGITS} digits, "
                "starting with the country code"
            )
        sender = _number_sender(tx, owners, src)
    else:
        if len(src) > MAX_ALPHANUMERIC:
            raise bad_request(
                f"src {raw_src!r}: an alphanumeric sender ID has at most {MAX_ALPHANUMERIC} characters "
                "(A-Z, a-z, 0-9)"
            )
        sender = Sender(src, "alphanumeric")
    for number, country in destinations:
        _check_route(sender, number, country)
    if message_type == "mms":
        _check_mms(sender, tx, owners, destinations)
    return sender


def _number_sender(tx: Tx, owners: Sequence[str], src: str) -> Sender:
    number = load(tx, RentedNumber, src, owners)
    country = country_for_number(src)
    if number is None or not number.sms_enabled:
        return Sender(src, "unrented_number", country.iso if country else None)
    return Sender(src, _number_kind(number), country.iso if country else None)


def _check_route(sender: Sender, number: str, country: Country) -> None:
    if sender.kind == "alphanumeric" and country.iso in NO_ALPHANUMERIC:
        raise _not_allowed(
            f"an alphanumeric sender ID ({sender.address}) cannot send to {country.name} ({number}); "
            "use a Plivo number of this account"
        )
    if country.iso not in NORTH_AMERICA:
        return
    if sender.kind == "unrented_number":
        raise _not_allowed(
            f"{sender.address} is not an SMS-enabled number of this account; messages to the US and "
            "Canada need a Plivo number as src"
        )
    if sender.kind == "long_code" and sender.country == "CA" and country.iso == "US":
        raise _not_allowed(f"Canadian long codes cannot send to the US ({number})")


def _check_mms(
    sender: Sender, tx: Tx, owners: Sequence[str], destinations: Sequence[tuple[str, Country]]
) -> None:
    for number, country in destinations:
        if country.iso not in NORTH_AMERICA:
            raise bad_request(
                f"type mms: Plivo sends MMS only to the US and Canada, not to {number} ({country.name})"
            )
    rented = load(tx, RentedNumber, sender.address, owners) if sender.address.isdigit() else None
    if rented is None or sender.country not in NORTH_AMERICA or not rented.mms_enabled:
        raise _not_allowed(
            f"MMS need an MMS-enabled US or Canadian number of this account as src, not {sender.address}"
        )
