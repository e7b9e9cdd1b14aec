"""Answering-machine detection (``machine_detection`` on ``POST Call/``), as Plivo documents it: what
a call asked for (:class:`MachineDetection`); :mod:`.detection` runs it.

Whether the callee is a machine comes from its phone script (``"machine": true``; see :mod:`.phones`);
an unscripted phone is a person. The analysis takes ``machine_detection_time`` milliseconds of
sandbox time (Plivo's default 5000, 2000 to 10000): the sandbox decides at the end of it.

* **Synchronous** (no ``machine_detection_url``): "no XML is processed during the analysis phase":
  the answer URL is fetched once the analysis ends. With a machine and ``machine_detection=hangup``
  the call hangs up at once (``hangup_url`` gets ``Machine=true``); with ``true`` the call goes on.
* **Asynchronous** (``machine_detection_url``): the XML runs at once; when the analysis finds a
  machine, ``machine_detection_url`` gets Plivo's parameters (``Event=MachineDetection``,
  ``Machine=true``, ``IfMachine`` ``continue`` or ``hangup``, ``CallStatus=in-progress``, the call's
  UUIDs, ``From``, ``To``, ``Direction``), and with ``hangup`` the call then hangs up.

Once the analysis ended, every request about the call carries ``Machine`` (``true`` or ``false``):
Plivo documents ``Machine=true`` "sent to the answer_url, hangup_url, or any other URL"; the sandbox
also sends ``false`` for a person, so that an application can tell an analysed call from another.
The hangup of a detected machine is Plivo's ``Normal Hangup`` (4000, source ``Plivo``): Plivo names no
other cause for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from plivo_blocks.sandbox.voice.causes import HangupCause

__all__ = ["MACHINE_HANGUP", "MachineDetection"]

MACHINE_HANGUP = HangupCause("Normal Hangup", 4000, "Plivo")
DEFAULT_MILLISECONDS = 5000


@dataclass(frozen=True)
class MachineDetection:
    """What ``POST Call/`` asked for: ``mode`` ``true`` or ``hangup``."""

    mode: str
    seconds: float = DEFAULT_MILLISECONDS / 1000
    url: str | None = None
    method: str = "POST"

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> MachineDetection | None:
        """From the validated ``makeCall`` parameters (Plivo names); ``None`` when not asked for."""
        mode = config.get("machine_detection")
        if not mode:
            return None
        milliseconds = int(config.get("machine_detection_time") or DEFAULT_MILLISECONDS)
        return cls(
            mode=str(mode),
            seconds=milliseconds / 1000,
            url=config.get("machine_detection_url") or None,
            method=str(config.get("machine_detection_method") or "POST"),
        )

    @property
    def if_machine(self) -> str:
        return "hangup" if self.mode == "hangup" else "continue"
