"""Example argument values for every block, derived from the argument types.

Used by the docs page, the OpenAPI document, ``plivo-blocks describe`` and the test-suite
(which runs every block with every argument set). Values are given as a RapidAPI client
sends them: strings, even for integers and booleans.
"""

from __future__ import annotations

from typing import Any

from plivo_blocks.catalog.model import Arg, Block
from plivo_blocks.catalog.types import (
    Boolean,
    Choice,
    Country,
    Datepicker,
    Destinations,
    Integer,
    IpAddress,
    Phone,
    SeparatedList,
    Services,
    SipHeaders,
    Url,
    ValueType,
)

# Arguments whose example cannot be derived from their type alone.
_BY_NAME: dict[str, str] = {
    "subauthId": "SAXXXXXXXXXXXXXXXXXX",
    "subaccount": "SAXXXXXXXXXXXXXXXXXX",
    "memberId": "17",
    "appId": "29986316244302815",
    "endpointId": "32866729519064",
    "carrierId": "13061327532347",
    "carrier": "13061327532347",
    "callUuid": "55309cee-821d-11e4-9a73-498d468c930b",
    "requestUuid": "9834029e-58b6-11e1-b8b7-a5bd0e4e126f",
    "parentCallUuid": "acfbf0b5-12e0-4d74-85f7-fce15f8f07ec",
    "messageUuid": "5b40a428-bfc7-4daf-9d06-726c558bf3b8",
    "recordingId": "c2186400-1c8c-11e4-a664-0026b945b52x",
    "conferenceName": "My Conf Room",
    "digits": "1234#",
    "sendDigits": "1w2w3@1000",
    "numberStartsWith": "1415",
    "pattern": "415",
    "lata": "722",
    "language": "en-US",
    "text": "Hello from plivo-blocks",
    "username": "callme",
    "password": "s3cret-Pass",
    "alias": "front-desk",
    "name": "Sales team",
    "appName": "support-line",
    "region": "California",
    "rateCenter": "SNFC CA",
    "city": "San Francisco",
    "address": "340 Pine St",
    "callerName": "Support",
}


def example_value(value_type: ValueType) -> str:
    """A valid value of ``value_type``, as a string."""
    if isinstance(value_type, Choice):
        return value_type.options[-1] if len(value_type.options) > 1 else value_type.options[0]
    if isinstance(value_type, Integer):
        low = value_type.minimum if value_type.minimum is not None else 0
        high = value_type.maximum if value_type.maximum is not None else max(low, 0) + 120
        return str(max(low, min(high, 10 if high <= 20 else 120 if low < 120 <= high else high)))
    if isinstance(value_type, Boolean):
        return "true"
    if isinstance(value_type, Url):
        return "https://example.com/plivo/hook"
    if isinstance(value_type, Destinations):
        first, second = "14155550100", "sip:alice@phone.plivo.com" if value_type.allow_sip else "14155550101"
        return f"{first}{value_type.separator}{second}"
    if isinstance(value_type, Phone):
        return "+14155550199"
    if isinstance(value_type, SeparatedList):
        if isinstance(value_type.item, Url):
            return "https://example.com/a.mp3,https://example.com/b.wav"
        if isinstance(value_type.item, IpAddress):
            return "10.0.0.1,10.0.0.2"
        if isinstance(value_type.item, Phone):
            return "18554675486,18554675487"
        return "a,b"
    if isinstance(value_type, Services):
        return "voice,sms"
    if isinstance(value_type, SipHeaders):
        return "head1=val1,head2=val2"
    if isinstance(value_type, Country):
        return "US"
    if isinstance(value_type, Datepicker):
        return "2016-05-28 00:00:00"
    return "example"


def example_arg(arg: Arg) -> str:
    if arg.name in _BY_NAME and not isinstance(arg.type, Choice | Url | Integer | Boolean):
        return _BY_NAME[arg.name]
    return example_value(arg.type)


def example_args(block: Block, *, required_only: bool = False) -> dict[str, Any]:
    """A valid set of arguments for ``block``: every argument, or only the required ones
    (plus those a cross-argument rule demands, like ``alegUrl`` for a transfer)."""
    args = {arg.name: example_arg(arg) for arg in block.args if arg.required or not required_only}
    parsed = {arg.name: arg.type.parse(args[arg.name]) for arg in block.args if arg.name in args}
    for check in block.checks:
        for problem in check(parsed):
            demanded = block.arg(problem.argument)
            if demanded is not None:
                args[demanded.name] = example_arg(demanded)
    return args
