"""How calls end, as Plivo reports it: call statuses and hangup causes (name, code, source).

The causes are Plivo's (its "Hangup causes" reference): ``hangup_cause_name`` and
``hangup_cause_code`` in call detail records, ``HangupCauseName``/``HangupCauseCode``/``HangupSource``
and the SIP-style ``HangupCause`` in hangup callbacks.
"""

from __future__ import annotations

from dataclasses import dataclass

# Call statuses as Plivo names them.
QUEUED, RINGING, IN_PROGRESS = "queued", "ringing", "in-progress"
COMPLETED, BUSY, FAILED, NO_ANSWER, CANCELED = "completed", "busy", "failed", "no-answer", "canceled"
LIVE_STATUSES = (QUEUED, RINGING, IN_PROGRESS)


@dataclass(frozen=True)
class HangupCause:
    """Why a call ended, as Plivo reports it (name and code in CDRs and hangup callbacks)."""

    name: str
    code: int
    source: str
    sip: str = "NORMAL_CLEARING"  # the ``HangupCause`` callback parameter
    status: str | None = None  # final CallStatus when not simply completed/answered


NORMAL_API = HangupCause("Normal Hangup", 4000, "API Request")
NORMAL_XML = HangupCause("Normal Hangup", 4000, "Answer XML")
END_OF_XML = HangupCause("End Of XML Instructions", 4010, "Plivo")
CANCELED_API = HangupCause("Canceled", 1000, "API Request", "ORIGINATOR_CANCEL", CANCELED)
TIME_LIMIT = HangupCause("Scheduled Hangup", 6000, "Plivo", "ALLOTTED_TIMEOUT")
RING_TIMEOUT = HangupCause("Ring Timeout Reached", 6010, "Plivo", "NO_ANSWER", NO_ANSWER)
BUSY_LINE = HangupCause("Busy Line", 3000, "Callee", "USER_BUSY", BUSY)
NO_ANSWER_CAUSE = HangupCause("No Answer", 3020, "Callee", "NO_ANSWER", NO_ANSWER)
REJECTED = HangupCause("Rejected", 3010, "Callee", "CALL_REJECTED", BUSY)
UNREACHABLE = HangupCause("Destination Out Of Service", 2010, "Carrier", "DESTINATION_OUT_OF_ORDER", FAILED)
SANDBOX_RESTART = HangupCause("Internal Error", 5010, "Plivo", "NORMAL_CLEARING", FAILED)
INTERNAL_ERROR = SANDBOX_RESTART
URL_ERRORS = {
    "answer": HangupCause("Error Reaching Answer URL", 7011, "Error"),
    "action": HangupCause("Error Reaching Action URL", 7012, "Error"),
    "transfer": HangupCause("Error Reaching Transfer URL", 7013, "Error"),
    "redirect": HangupCause("Error Reaching Redirect URL", 7014, "Error"),
}
XML_ERRORS = {
    "answer": HangupCause("Invalid Answer XML", 8011, "Error"),
    "action": HangupCause("Invalid Action XML", 8012, "Error"),
    "transfer": HangupCause("Invalid Transfer XML", 8013, "Error"),
    "redirect": HangupCause("Invalid Redirect XML", 8014, "Error"),
}


def remote_hangup(direction: str) -> HangupCause:
    """The other party hung up (the control API's "end"): the callee of an outbound call, the caller
    of an inbound one."""
    return HangupCause("Normal Hangup", 4000, "Callee" if direction == "outbound" else "Caller")


#: How the control API may end a call's ringing (``POST /_sandbox/calls/{uuid}/advance``).
ADVANCE_TARGETS = ("answered", "busy", "no-answer", "failed", "rejected")


def unanswered_cause(outcome: str) -> HangupCause:
    """Why a call that was not answered ended: busy, no-answer, failed, rejected or ring-timeout."""
    return {
        "busy": BUSY_LINE,
        "no-answer": NO_ANSWER_CAUSE,
        "failed": UNREACHABLE,
        "rejected": REJECTED,
        "ring-timeout": RING_TIMEOUT,
    }[outcome]
