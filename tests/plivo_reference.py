"""An independent statement of the real Plivo REST API v1 call behind each block.

Written by hand from the official SDK (plivo/resources/*.py) and Plivo's API reference,
NOT derived from the catalog, so that tests comparing the two can catch a wrong mapping.

Each entry: block -> (HTTP method, path under /v1/Account/{auth_id}/ with {camelArg}
placeholders, Plivo parameter names of the other arguments, fixed parameters).
A parameter written ``camelName=plivo_name`` is one whose public name is not the plain
camelCase of its Plivo name.
"""

from __future__ import annotations

from typing import NamedTuple


class Call(NamedTuple):
    method: str
    path: str
    params: dict[str, str]  # public camelCase argument -> Plivo parameter
    fixed: dict[str, str]


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _call(method: str, path: str, params: str = "", fixed: dict[str, str] | None = None) -> Call:
    mapping: dict[str, str] = {}
    for item in params.split():
        public, _, plivo = item.partition("=")
        if plivo:
            mapping[public] = plivo
        else:
            mapping[_camel(item)] = item
    return Call(method, path, mapping, fixed or {})


_APP = (
    "answer_url answer_method hangup_url hangup_method fallback_answer_url fallback_method "
    "message_url message_method default_number_app default_endpoint_app subaccount"
)
_MEMBER = "Conference/{conferenceName}/Member/{memberId}/"
_PAGE = "limit offset"

REFERENCE: dict[str, Call] = {
    "getAccountDetails": _call("GET", ""),
    "updateAccount": _call("POST", "", "name city address"),
    "createSubaccount": _call("POST", "Subaccount/", "name enabled"),
    "updateSubaccount": _call("POST", "Subaccount/{subauthId}/", "name enabled"),
    "getSingleSubaccount": _call("GET", "Subaccount/{subauthId}/"),
    "getSubaccounts": _call("GET", "Subaccount/", _PAGE),
    "deleteSubaccount": _call("DELETE", "Subaccount/{subauthId}/"),
    "createApplication": _call("POST", "Application/", "app_name " + _APP),
    "getApplications": _call("GET", "Application/", "subaccount " + _PAGE),
    "getSingleApplication": _call("GET", "Application/{appId}/"),
    "updateApplication": _call("POST", "Application/{appId}/", _APP),
    "deleteApplication": _call("DELETE", "Application/{appId}/"),
    "makeCall": _call(
        "POST",
        "Call/",
        "callFrom=from callTo=to answer_url answer_method ring_url ring_method hangup_url hangup_method "
        "fallback_url fallback_method caller_name send_digits send_on_preanswer time_limit hangup_on_ring "
        "machine_detection machine_detection_time machine_detection_url machine_detection_method sip_headers "
        "ring_timeout parent_call_uuid error_if_parent_not_found",
    ),
    "getCallsDetails": _call(
        "GET", "Call/", "call_direction from_number to_number bill_duration end_time " + _PAGE
    ),
    "getSingleCallDetails": _call("GET", "Call/{callUuid}/"),
    "getLiveCalls": _call("GET", "Call/", "", {"status": "live"}),
    "getSingleLiveCallDetails": _call("GET", "Call/{callUuid}/", "", {"status": "live"}),
    "hangupSingleCall": _call("DELETE", "Call/{callUuid}/"),
    "hangupCalls": _call("DELETE", "Call/"),
    "transferCall": _call("POST", "Call/{callUuid}/", "legs aleg_url aleg_method bleg_url bleg_method"),
    "recordCall": _call(
        "POST",
        "Call/{callUuid}/Record/",
        "time_limit file_format transcription_type transcription_url transcription_method callback_url "
        "callback_method",
    ),
    "stopCallRecording": _call("DELETE", "Call/{callUuid}/Record/"),
    "playMusicFile": _call("POST", "Call/{callUuid}/Play/", "urls length legs loop mix"),
    "stopPlayingMusicFile": _call("DELETE", "Call/{callUuid}/Play/"),
    "playText": _call("POST", "Call/{callUuid}/Speak/", "text voice language legs loop mix"),
    "stopPlayingText": _call("DELETE", "Call/{callUuid}/Speak/"),
    "sendDigits": _call("POST", "Call/{callUuid}/DTMF/", "digits leg"),
    "hangupCallRequest": _call("DELETE", "Request/{requestUuid}/"),
    "getConferences": _call("GET", "Conference/"),
    "getSingleConference": _call("GET", "Conference/{conferenceName}/"),
    "hangupConferences": _call("DELETE", "Conference/"),
    "hangupSingleConference": _call("DELETE", "Conference/{conferenceName}/"),
    "startRecordingConference": _call(
        "POST",
        "Conference/{conferenceName}/Record/",
        "file_format transcription_type transcription_url transcription_method callback_url callback_method",
    ),
    "stopRecordingConference": _call("DELETE", "Conference/{conferenceName}/Record/"),
    "hangupMember": _call("DELETE", _MEMBER),
    "kickMember": _call("POST", _MEMBER + "Kick/"),
    "muteMember": _call("POST", _MEMBER + "Mute/"),
    "unmuteMember": _call("DELETE", _MEMBER + "Mute/"),
    "playSoundToMember": _call("POST", _MEMBER + "Play/", "url"),
    "stopPlayingSoundToMember": _call("DELETE", _MEMBER + "Play/"),
    "playTextToMember": _call("POST", _MEMBER + "Speak/", "text voice language"),
    "stopPlayingTextToMember": _call("DELETE", _MEMBER + "Speak/"),
    "makeMemberDeaf": _call("POST", _MEMBER + "Deaf/"),
    "enableHearingForMember": _call("DELETE", _MEMBER + "Deaf/"),
    "createEndpoint": _call("POST", "Endpoint/", "username password alias app_id"),
    "getSingleEndpoint": _call("GET", "Endpoint/{endpointId}/"),
    "getEndpoints": _call("GET", "Endpoint/", _PAGE),
    "updateEndpoint": _call("POST", "Endpoint/{endpointId}/", "password alias app_id"),
    "deleteEndpoint": _call("DELETE", "Endpoint/{endpointId}/"),
    "sendMessage": _call("POST", "Message/", "src destination=dst text type url method log"),
    "getMessages": _call(
        "GET", "Message/", "subaccount message_direction message_time message_state error_code " + _PAGE
    ),
    "getSingleMessage": _call("GET", "Message/{messageUuid}/"),
    "getRentedNumbers": _call(
        "GET", "Number/", "type numberStartsWith=number_startswith subaccount alias services " + _PAGE
    ),
    "getRentedNumber": _call("GET", "Number/{number}/"),
    "addOwnCarrierNumber": _call("POST", "Number/", "numbers carrier region number_type app_id subaccount"),
    "updateNumber": _call("POST", "Number/{number}/", "app_id subaccount alias"),
    "unrentNumber": _call("DELETE", "Number/{number}/"),
    "searchNewNumbers": _call(
        "GET", "PhoneNumber/", "country_iso type pattern region services lata rate_center " + _PAGE
    ),
    "buyNumber": _call("POST", "PhoneNumber/{number}/", "app_id"),
    "getPricing": _call("GET", "Pricing/", "country_iso"),
    "getRecordings": _call("GET", "Recording/", "add_time subaccount call_uuid " + _PAGE),
    "getSingleRecording": _call("GET", "Recording/{recordingId}/"),
    "deleteRecording": _call("DELETE", "Recording/{recordingId}/"),
    "listIncomingCarriers": _call("GET", "IncomingCarrier/", "name " + _PAGE),
    "getSingleIncomingCarrier": _call("GET", "IncomingCarrier/{carrierId}/"),
    "addIncomingCarrier": _call("POST", "IncomingCarrier/", "name ip_set"),
    "updateIncomingCarrier": _call("POST", "IncomingCarrier/{carrierId}/", "name ip_set"),
    "removeIncomingCarrier": _call("DELETE", "IncomingCarrier/{carrierId}/"),
}

#: Plivo parameters that travel as JSON integers and booleans (everything else is a string).
INTEGER_PARAMS = frozenset(
    [
        "limit",
        "offset",
        "time_limit",
        "hangup_on_ring",
        "machine_detection_time",
        "ring_timeout",
        "length",
        "bill_duration",
        "error_code",
    ]
)
BOOLEAN_PARAMS = frozenset(
    [
        "enabled",
        "default_number_app",
        "default_endpoint_app",
        "send_on_preanswer",
        "error_if_parent_not_found",
        "loop",
        "mix",
        "log",
    ]
)

#: Arguments Plivo requires (beyond what the path already needs).
REQUIRED = {
    "createSubaccount": {"name"},
    "updateSubaccount": {"subauthId", "name"},
    "createApplication": {"appName"},
    "makeCall": {"callFrom", "callTo", "answerUrl"},
    "playMusicFile": {"callUuid", "urls"},
    "playText": {"callUuid", "text"},
    "sendDigits": {"callUuid", "digits"},
    "playSoundToMember": {"conferenceName", "memberId", "url"},
    "playTextToMember": {"conferenceName", "memberId", "text"},
    "createEndpoint": {"username", "password", "alias"},
    "sendMessage": {"src", "destination", "text"},
    "addOwnCarrierNumber": {"numbers", "carrier", "region"},
    "searchNewNumbers": {"countryIso"},
    "getPricing": {"countryIso"},
    "addIncomingCarrier": {"name", "ipSet"},
}
