"""``<Stream>``: the call's audio goes to a WebSocket server (see :mod:`..streams`).

With ``keepCallAlive="false"`` (the default) the stream runs beside the call and the XML goes on at
once; with ``keepCallAlive="true"`` the call stays on the stream and the next element runs only once
it has ended (the server closed it, it timed out, or the control API's "advance" stopped it).
"""

from __future__ import annotations

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call, Skipped
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext


async def run_stream(ctx: VerbContext, call: Call, step: px.Stream) -> Outcome:
    stream = ctx.streams.start(call, step)
    if not step.keep_call_alive:
        return None
    call.activity = "streaming"
    try:
        while not stream.ended:
            await call.park(waiting_for="stream")
    except Skipped:
        await ctx.streams.stop(stream, "advanced by the control API")
    call.activity = "answered"
    return None
