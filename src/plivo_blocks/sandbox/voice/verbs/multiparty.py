"""``<MultiPartyCall>``: the call joins a multi-party call (see :mod:`..multiparty`) and stays until
it leaves; then ``onExitActionUrl``'s XML runs (with Plivo's exit parameters), else the next element.

While the MPC waits to start, the caller hears ``waitMusicUrl``: the Play, Speak and Wait of the XML
there (fetched with ``waitMusicMethod``), in a loop on the sandbox clock; the start cuts it short.
"""

from __future__ import annotations

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call, CallEnded, Skipped, Transferred
from plivo_blocks.sandbox.voice.multiparty import CONTINUE, HANGUP, Participant
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext
from plivo_blocks.sandbox.voice.verbs.media import run_media


async def run_multiparty(ctx: VerbContext, call: Call, step: px.MultiPartyCall) -> Outcome:
    bridge = ctx.multiparty
    participant = await bridge.enter(call, step)
    if participant is None:
        return None
    try:
        mpc = participant.mpc
        if not bridge.active(participant) and mpc.settings.wait_music_url:
            await _wait_music(ctx, call, participant, mpc.settings)
        await bridge.stay(participant)
    except Skipped:  # the control API's advance: leave, go on with the XML
        await bridge.leave(participant, CONTINUE)
    except Transferred:
        await bridge.leave(participant, CONTINUE)
        raise
    call.activity = "answered"
    if participant.leave_reason == HANGUP:
        raise CallEnded
    call.check()
    if step.on_exit_action_url is None:
        return None
    params = bridge.exit_params(participant)
    return await ctx.documents.load(
        call, step.on_exit_action_url, step.on_exit_action_method, "action", params
    )


async def _wait_music(ctx: VerbContext, call: Call, participant: Participant, mpc: px.MultiPartyCall) -> None:
    assert mpc.wait_music_url is not None
    prompts = await call.io(ctx.documents.fetch_sound(call, mpc.wait_music_url, mpc.wait_music_method))
    call.note("wait_music", url=mpc.wait_music_url, played=[type(p).__name__ for p in prompts])
    while prompts and not participant.left and not ctx.multiparty.active(participant):
        for prompt in prompts:
            if participant.left or ctx.multiparty.active(participant):
                return
            await run_media(ctx, call, prompt)
