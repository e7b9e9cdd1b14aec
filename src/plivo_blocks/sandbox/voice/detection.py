"""Running answering-machine detection on an answered call (see :mod:`.amd` for the behaviour)."""

from __future__ import annotations

import contextlib

from plivo_blocks.sandbox.voice.amd import MACHINE_HANGUP, MachineDetection
from plivo_blocks.sandbox.voice.call import Call, CallEnded, Skipped
from plivo_blocks.sandbox.voice.services import CallControl

__all__ = ["detect"]


async def detect(control: CallControl, call: Call, is_machine: bool) -> None:
    """Run the analysis on ``call`` (answered, ``call.amd`` set): synchronously, or in the background
    when a ``machine_detection_url`` is given. Raises ``CallEnded`` when it hangs the call up."""
    amd = call.amd
    if amd is None:
        return
    if amd.url is None:
        call.activity = "detecting a machine"
        with contextlib.suppress(Skipped):  # the control API's advance: the analysis ends now
            await call.sleep(amd.seconds)
        if await _decided(control, call, amd, is_machine):
            raise CallEnded
        return

    def due() -> None:
        if not call.ended:
            control.clock.spawn(_decided(control, call, amd, is_machine))

    call.timers.append(control.clock.call_later(amd.seconds, due))


async def _decided(control: CallControl, call: Call, amd: MachineDetection, is_machine: bool) -> bool:
    """Record the result; notify ``machine_detection_url``; hang up a machine when asked. Answers
    whether the call was hung up."""
    call.machine = is_machine
    call.note("machine_detection", machine=is_machine, if_machine=amd.if_machine)
    if not is_machine:
        return False
    if amd.url is not None:
        await control.send(
            amd.url,
            amd.method,
            control.params(
                call, Event="MachineDetection", IfMachine=amd.if_machine, CallStatus="in-progress"
            ),
            auth_id=call.owner,
            kind="machine_detection",
            ref=call.uuid,
        )
    if amd.mode != "hangup":
        return False
    await control.hangup(call, MACHINE_HANGUP)
    return True
