"""The control API's view of audio streams and multi-party calls (``/_sandbox/...``, main account
Basic auth). The MPC REST API itself (``MultiPartyCall/``) is not simulated (refused by name, see
:mod:`plivo_blocks.sandbox.not_simulated`); these show what ``<Stream>`` and ``<MultiPartyCall>`` made.

=====  ========================  ==============================================================
GET    /_sandbox/streams         audio streams, live then recently ended, each with its status,
                                 frames sent per track, playAudio received and checkpoints played;
                                 filter: ``call_uuid``
GET    /_sandbox/multiparty      live multi-party calls of every account, with their participants
                                 (member id, call, role, coach mode, mute, hold)
=====  ========================  ==============================================================
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.responses import ok
from plivo_blocks.sandbox.routing import ApiContext, control_route


async def list_streams(ctx: ApiContext) -> Response:
    """Audio streams (``<Stream>``), live and recent; ``call_uuid`` narrows them to one call."""
    call_uuid = ctx.text("call_uuid")
    streams = [s.view() for s in ctx.state.voice.streams.all() if call_uuid in (None, s.call.uuid)]
    return ok({"streams": streams})


async def list_multiparty(ctx: ApiContext) -> Response:
    """Live multi-party calls (``<MultiPartyCall>``) with their participants."""
    return ok({"multiparty_calls": [mpc.view() for mpc in ctx.state.voice.multiparty.calls.values()]})


routes: list[BaseRoute] = [
    control_route("GET", "streams", list_streams),
    control_route("GET", "multiparty", list_multiparty),
]
