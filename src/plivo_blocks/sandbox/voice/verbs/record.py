"""``<Record>``: records the caller until the silence ``timeout`` (or ``maxLength``), then tells
``action``; with ``recordSession`` (or ``startOnDialAnswer``) it records the rest of the call in the
background and the XML goes on at once."""

from __future__ import annotations

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.recordings import record_params
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext


async def run_record(ctx: VerbContext, call: Call, step: px.Record) -> Outcome:
    recording = ctx.recorder.start(
        owner=call.owner,
        recording_type="call",
        file_format=step.file_format,
        public_base=call.public_base,
        clock=call.seconds(),
        call_uuid=call.uuid,
        time_limit=float(step.max_length),
        callback_url=step.callback_url,
        callback_method=step.callback_method,
        callback_style="xml_record",
    )
    recording.extra = {**ctx.control.params(call)}
    if step.record_session or step.start_on_dial_answer:
        call.recordings[recording.id] = recording
        call.note("record_session", recording_id=recording.id)
        return None
    call.activity = "recording"
    call.note("record", recording_id=recording.id)
    seconds = float(min(step.timeout, step.max_length))
    await call.sleep(seconds)
    await ctx.recorder.save(recording, seconds)
    duration_ms = round(seconds * 1000)
    params = record_params(recording, duration_ms, recording.started_ms, recording.started_ms + duration_ms)
    return await ctx.action(call, step.action, step.method, step.redirect, params)
