"""Scripted phones (control API, main account Basic auth): how the other party of a call behaves.

======  ============================  ===============================================================
Method  Path                          What
======  ============================  ===============================================================
GET     /_sandbox/phones              every scripted phone
GET     /_sandbox/phones/{number}     one script (404 when the number is not scripted)
PUT     /_sandbox/phones/{number}     ``{"answer": "answer"|"busy"|"no-answer"|"reject",
                                      "after_seconds": N, "machine": bool, "says": "text",
                                      "presses": "digits"}`` (each optional): the number's script,
                                      replacing any earlier one
DELETE  /_sandbox/phones/{number}     forget the script (the number answers as unscripted again)
======  ============================  ===============================================================

See :mod:`plivo_blocks.sandbox.voice.phones` for what a script does.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.responses import PlivoError, bad_request, no_content, ok
from plivo_blocks.sandbox.routing import ApiContext, control_route, json_object
from plivo_blocks.sandbox.voice.phones import PhoneScript, phone_key


def _number(ctx: ApiContext) -> str:
    try:
        return phone_key(ctx.path["number"])
    except ValueError as exc:
        raise bad_request(str(exc)) from None


async def list_phones(ctx: ApiContext) -> Response:
    """Every scripted phone number and its script."""
    return ok({"phones": [script.render() for script in ctx.state.voice.phones.all()]})


async def get_phone(ctx: ApiContext) -> Response:
    """One number's phone script."""
    script = ctx.state.voice.phones.get(_number(ctx))
    if script is None:
        raise PlivoError(404, f"{ctx.path['number']} is not scripted")
    return ok(script.render())


async def put_phone(ctx: ApiContext) -> Response:
    """Script how a number behaves: how it answers and rings, what it says and presses."""
    number = _number(ctx)
    try:
        script = PhoneScript.parse(number, json_object(ctx))
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    ctx.state.voice.phones.put(script)
    return ok(script.render())


async def delete_phone(ctx: ApiContext) -> Response:
    """Forget a number's script: it answers as an unscripted phone again."""
    if not ctx.state.voice.phones.remove(_number(ctx)):
        raise PlivoError(404, f"{ctx.path['number']} is not scripted")
    return no_content()


routes: list[BaseRoute] = [
    control_route("GET", "phones", list_phones),
    control_route("GET", "phones/{number}", get_phone),
    control_route("PUT", "phones/{number}", put_phone),
    control_route("DELETE", "phones/{number}", delete_phone),
]
