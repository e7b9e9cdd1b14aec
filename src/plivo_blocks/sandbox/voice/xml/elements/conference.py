"""``<Conference>``."""

from __future__ import annotations

from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.rules import Boolean, Choice, Integer, Method, Text, Url
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec


@dataclass(frozen=True, slots=True)
class Conference:
    name: str
    muted: bool = False
    enter_sound: str = ""
    exit_sound: str = ""
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    stay_alone: bool = True
    wait_sound: str | None = None
    max_members: int = 20
    record: bool = False
    record_file_format: str = "mp3"
    time_limit: int = 86400
    hangup_on_star: bool = False
    action: str | None = None
    method: str = "POST"
    callback_url: str | None = None
    callback_method: str = "POST"
    digits_match: str | None = None
    redirect: bool = True


CONFERENCE = ElementSpec(
    "Conference",
    lambda p: Conference(
        p.text,
        p["muted"],
        p["enterSound"],
        p["exitSound"],
        p["startConferenceOnEnter"],
        p["endConferenceOnExit"],
        p["stayAlone"],
        p["waitSound"],
        p["maxMembers"],
        p["record"],
        p["recordFileFormat"],
        p["timeLimit"],
        p["hangupOnStar"],
        p["action"],
        p["method"],
        p["callbackUrl"],
        p["callbackMethod"],
        p["digitsMatch"],
        p["redirect"],
    ),
    attrs=(
        Attr("muted", Boolean(), False),
        Attr("enterSound", Text(), ""),
        Attr("exitSound", Text(), ""),
        Attr("startConferenceOnEnter", Boolean(), True),
        Attr("endConferenceOnExit", Boolean(), False),
        Attr("stayAlone", Boolean(), True),
        Attr("waitSound", Url()),
        Attr("maxMembers", Integer(minimum=1), 20),
        Attr("record", Boolean(), False),
        Attr("recordFileFormat", Choice(("mp3", "wav")), "mp3"),
        Attr("timeLimit", Integer(minimum=0), 86400),
        Attr("hangupOnStar", Boolean(), False),
        Attr("action", Url()),
        Attr("method", Method(), "POST"),
        Attr("callbackUrl", Url()),
        Attr("callbackMethod", Method(), "POST"),
        Attr("digitsMatch", Text()),
        Attr("redirect", Boolean(), True),
    ),
    content="text",
)

SPECS = (CONFERENCE,)
