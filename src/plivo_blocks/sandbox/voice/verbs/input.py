"""``<GetInput>``: prompts, then the caller's speech or keys, whichever comes first, to ``action``.

Input comes from the other party (:mod:`..caller`): keys from ``POST /_sandbox/calls/{uuid}/digits``,
words from ``POST /_sandbox/calls/{uuid}/speech``, or its phone script's ``presses`` and ``says``.
Input that arrives during the prompts counts (the prompts play out). Then:

* The first input must come within ``executionTimeout`` seconds (counted after the prompts, as
  Plivo counts it); without input the call goes on with the next element and ``action`` is not
  requested.
* Keys (``inputType`` with ``dtmf``): collected until ``numDigits``, ``finishOnKey`` (not included
  in ``Digits``) or ``digitEndTimeout`` seconds without a key.
* Words (with ``speech``): an utterance ends after ``speechEndTimeout`` seconds without more words;
  ``interimSpeechResultsCallback`` gets one request per utterance heard (``StableSpeech``: the words
  before it, ``UnstableSpeech``: the new words, ``Stability``, ``SequenceNumber`` from 1).
* With ``dtmf speech`` the first kind of input detected wins; the other is ignored.

``auto`` end timeouts are :data:`AUTO_END_SECONDS`. ``action`` gets Plivo's parameters:
``InputType`` (``dtmf`` or ``speech``), ``Digits``, ``Speech``, and for speech
``SpeechConfidenceScore`` (:data:`CONFIDENCE`, or :data:`HINTED_CONFIDENCE` when the words hold one
of the ``hints``) and ``BilledAmount`` (:data:`SPEECH_RATE` per started 15 seconds of speech, Plivo's
billing increment; the rate is the sandbox's own figure). ``profanityFilter`` masks the words of
:data:`PROFANITY` as Plivo does (``f***``). ``log="false"`` keeps the input out of the call's log.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from plivo_blocks.sandbox.clock import WaitTimeout
from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call, Skipped
from plivo_blocks.sandbox.voice.playback import speak_seconds
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext
from plivo_blocks.sandbox.voice.verbs.media import run_media

AUTO_END_SECONDS = 2.0
CONFIDENCE = "0.9"
HINTED_CONFIDENCE = "0.95"
SPEECH_RATE = Decimal("0.00500")
BILLING_SECONDS = 15
PROFANITY = frozenset({"ass", "bastard", "bitch", "crap", "damn", "fuck", "shit"})


@dataclass
class Heard:
    """What one GetInput collected so far."""

    kind: str | None = None  # "dtmf" or "speech": the first kind of input detected
    digits: str = ""
    done: bool = False  # numDigits or finishOnKey ended the keys
    words: list[str] = field(default_factory=list)
    interim: int = 0


async def run_get_input(ctx: VerbContext, call: Call, step: px.GetInput) -> Outcome:
    call.typed.clear()
    call.heard.clear()
    with ctx.caller.unlogged(call, private=not step.log):
        for prompt in step.prompts:
            await run_media(ctx, call, prompt)
        scripted = ctx.caller.expect(call, keys=step.keys, words=step.words)
        try:
            heard = await _listen(ctx, call, step)
        except Skipped:  # the control API's advance: no input
            heard = Heard()
        finally:
            for timer in scripted:
                timer.cancel()
    call.activity = "answered"
    if heard.kind is None:
        call.note("input", received=False)
        return None
    params = _action_params(step, heard)
    call.note("input", received=True, input_type=heard.kind, **({} if not step.log else _shown(params)))
    return await ctx.action(call, step.action, step.method, step.redirect, params)


async def _listen(ctx: VerbContext, call: Call, step: px.GetInput) -> Heard:
    heard = Heard()
    wait = "input" if step.keys and step.words else ("digits" if step.keys else "speech")
    call.activity = f"listening for {step.input_type}"
    timeout = float(step.execution_timeout)
    while not heard.done:
        if not _take(ctx, call, step, heard):
            try:
                await call.park(timeout, waiting_for=wait)
            except WaitTimeout:
                break
            continue
        if heard.kind == "dtmf":
            timeout = float(step.digit_end_timeout or AUTO_END_SECONDS)
        else:
            timeout = float(step.speech_end_timeout or AUTO_END_SECONDS)
    if heard.kind == "dtmf" and not heard.digits:
        heard.kind = None  # only finishOnKey was pressed: no input
    return heard


def _take(ctx: VerbContext, call: Call, step: px.GetInput, heard: Heard) -> bool:
    """Consume the input that arrived; answers whether there was any of the kind still listened to."""
    keys, words = "".join(call.typed), list(call.heard)
    call.typed.clear()
    call.heard.clear()
    took = False
    if keys and step.keys and heard.kind in (None, "dtmf"):
        heard.kind, took = "dtmf", True
        for key in keys:
            if step.finish_on_key and key == step.finish_on_key:
                heard.done = True
                break
            heard.digits += key
            if len(heard.digits) >= step.num_digits:
                heard.done = True
                break
    if words and step.words and heard.kind in (None, "speech"):
        heard.kind, took = "speech", True
        for utterance in words:
            _interim(ctx, call, step, heard, utterance)
            heard.words.append(utterance)
    return took


def _interim(ctx: VerbContext, call: Call, step: px.GetInput, heard: Heard, utterance: str) -> None:
    if step.interim_callback is None:
        return
    heard.interim += 1
    params = {
        **ctx.control.params(call),
        "StableSpeech": _filtered(step, " ".join(heard.words)),
        "UnstableSpeech": _filtered(step, utterance),
        "Stability": "0.8",
        "SequenceNumber": str(heard.interim),
    }
    ctx.clock.spawn(
        ctx.control.send(
            step.interim_callback,
            step.interim_method,
            params,
            auth_id=call.owner,
            kind="interim_speech",
            ref=call.uuid,
        )
    )


def _action_params(step: px.GetInput, heard: Heard) -> dict[str, str]:
    if heard.kind == "dtmf":
        return {"InputType": "dtmf", "Digits": heard.digits, "Speech": ""}
    speech = _filtered(step, " ".join(heard.words))
    return {
        "InputType": "speech",
        "Digits": "",
        "Speech": speech,
        "SpeechConfidenceScore": _confidence(step, speech),
        "BilledAmount": _billed(speech),
    }


def _filtered(step: px.GetInput, text: str) -> str:
    if not step.profanity_filter:
        return text
    return re.sub(
        r"[A-Za-z']+",
        lambda m: m[0][0] + "*" * (len(m[0]) - 1) if m[0].lower() in PROFANITY else m[0],
        text,
    )


def _confidence(step: px.GetInput, speech: str) -> str:
    spoken = speech.lower()
    hinted = any(h.strip().lower() in spoken for h in step.hints.split(",") if h.strip())
    return HINTED_CONFIDENCE if hinted else CONFIDENCE


def _billed(speech: str) -> str:
    increments = math.ceil(speak_seconds(speech) / BILLING_SECONDS)
    return f"{SPEECH_RATE * increments:.5f}"


def _shown(params: dict[str, str]) -> dict[str, str]:
    return {"digits": params["Digits"], "speech": params["Speech"]}
