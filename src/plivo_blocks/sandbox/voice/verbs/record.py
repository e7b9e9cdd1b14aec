"""``<Record>``: records the caller until they press a ``finishOnKey`` key, stay silent for
``timeout`` seconds (words said through the caller-input contract, :meth:`VoiceEngine.say`, restart
that count), or ``maxLength`` is reached; then the file is ready (``callbackUrl`` is told) and
``action`` gets the recording (``Digits`` when a key ended it). ``playBeep`` plays a beep first (noted).

With ``recordSession`` (or ``startOnDialAnswer``) it records the rest of the call in the background:
``action`` is told at once with the durations at -1, as Plivo does, and ``callbackUrl`` gets the final
values when the call (or the recording) ends. ``transcriptionUrl`` gets a transcript of what was said
(:mod:`..recordings`).
"""

from __future__ import annotations

from plivo_blocks.sandbox.clock import WaitTimeout
from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.recordings import ActiveRecording, Transcription, record_params
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext


async def run_record(ctx: VerbContext, call: Call, step: px.Record) -> Outcome:
    recording = ctx.recorder.start(
        owner=call.owner,
        recording_type="normal",
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
    if step.transcription_url:
        recording.transcription = Transcription(
            step.transcription_url, step.transcription_method, step.transcription_type or "auto"
        )
    if step.record_session or step.start_on_dial_answer:
        return await _in_background(ctx, call, step, recording)
    if step.play_beep:
        call.note("beep")
    call.activity = "recording"
    call.note("record", recording_id=recording.id, channels=step.record_channel_type)
    started = ctx.clock.now()
    key, heard = await _capture(ctx, call, step)
    seconds = ctx.clock.now() - started
    if recording.transcription is not None:
        recording.transcription.heard = heard
    call.note("record_end", recording_id=recording.id, seconds=round(seconds, 3), finished_on_key=key)
    await ctx.recorder.save(recording, seconds)
    duration_ms = round(seconds * 1000)
    params = record_params(recording, duration_ms, recording.started_ms, recording.started_ms + duration_ms)
    if key:
        params["Digits"] = key
    return await ctx.action(call, step.action, step.method, step.redirect, params)


async def _capture(ctx: VerbContext, call: Call, step: px.Record) -> tuple[str | None, list[str]]:
    """Wait until a finishOnKey key (answered), ``timeout`` seconds without words, or ``maxLength``;
    answers the key that ended it and the words said meanwhile."""
    clock = ctx.clock
    ends = clock.now() + step.max_length
    quiet_until = clock.now() + step.timeout
    heard: list[str] = []
    call.typed.clear()
    call.heard.clear()
    while True:
        wait = min(ends, quiet_until) - clock.now()
        if wait <= 0:
            return None, heard
        try:
            await call.park(wait, waiting_for="record")
        except WaitTimeout:
            return None, heard
        keys = "".join(call.typed)
        call.typed.clear()
        for key in keys:
            if key in step.finish_on_key:
                return key, heard
        if call.heard:
            heard.extend(call.heard)
            call.heard.clear()
            quiet_until = clock.now() + step.timeout


async def _in_background(
    ctx: VerbContext, call: Call, step: px.Record, recording: ActiveRecording
) -> Outcome:
    call.recordings[recording.id] = recording
    call.note("record_session", recording_id=recording.id, start_on_dial_answer=step.start_on_dial_answer)
    if step.action is None:
        return None
    params = {
        "RecordUrl": recording.url,
        "RecordingID": recording.id,
        "RecordingDuration": "-1",
        "RecordingDurationMs": "-1",
        "RecordingStartMs": "-1",
        "RecordingEndMs": "-1",
        "RecordFile": recording.url,
    }
    return await ctx.action(call, step.action, step.method, step.redirect, params)
