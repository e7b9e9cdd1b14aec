"""The clock's control API (main account Basic auth).

=========  ========================  ===================================================================
Method     Path                      What
=========  ========================  ===================================================================
GET        /_sandbox/clock           ``{"mode", "scale", "now", "epoch", "pending_timers"}``
PUT        /_sandbox/clock           ``{"mode": "real"|"scaled"|"manual", "scale": N}``: change mode or
                                     speed from now on (sandbox time goes on from where it is)
POST       /_sandbox/clock/advance   ``{"seconds": S, "timeout"?: T}``: move time S seconds forward,
                                     running everything that falls due; answers once the sandbox is idle
                                     again (due XML run, due callbacks delivered), or 504 after T wall
                                     seconds (default 60)
=========  ========================  ===================================================================
"""

from __future__ import annotations

import math

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.clock import ClockSpec
from plivo_blocks.sandbox.responses import PlivoError, bad_request, ok
from plivo_blocks.sandbox.routing import ApiContext, control_route, json_object

MAX_WAIT_SECONDS = 600.0


def _number(body: dict[str, object], name: str, default: float | None = None) -> float:
    raw = body.get(name, default)
    if raw is None:
        raise bad_request(f"{name} is required")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise bad_request(f"{name} must be a number")
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(f"{name} must be a number") from None
    if not math.isfinite(value):
        raise bad_request(f"{name} must be a finite number")
    return value


async def get_clock(ctx: ApiContext) -> Response:
    return ok(ctx.state.clock.describe())


async def put_clock(ctx: ApiContext) -> Response:
    body = json_object(ctx)
    unknown = sorted(set(body) - {"mode", "scale"})
    if unknown:
        raise bad_request(f"unknown field {unknown[0]!r}: the clock takes mode and scale")
    try:
        spec = ClockSpec.of(body.get("mode"), body.get("scale"))
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    ctx.state.clock.set_spec(spec)
    ctx.state.events.publish("clock", f"clock is {spec.label}")
    return ok(ctx.state.clock.describe())


async def advance_clock(ctx: ApiContext) -> Response:
    body = json_object(ctx)
    seconds = _number(body, "seconds")
    timeout = _number(body, "timeout", 60.0)
    if not 0 < timeout <= MAX_WAIT_SECONDS:
        raise bad_request(f"timeout must be above 0 and at most {MAX_WAIT_SECONDS:g} seconds")
    clock = ctx.state.clock
    try:
        idle = await clock.advance(seconds, timeout=timeout)
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    if not idle:
        raise PlivoError(
            504, f"the sandbox was still busy after {timeout:g} s (work in progress: {clock.busy})"
        )
    return ok({**clock.describe(), "advanced": seconds})


routes: list[BaseRoute] = [
    control_route("GET", "clock", get_clock),
    control_route("PUT", "clock", put_clock),
    control_route("POST", "clock/advance", advance_clock),
]
