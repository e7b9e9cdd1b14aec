"""Plivo APIs the official SDKs reach that the sandbox does not simulate, refused by name.

``not_simulated(path) -> str | None`` names the Plivo API a request path belongs to when the sandbox
does not simulate it (``None`` otherwise). The sandbox answers such a request 404 with Plivo's error
body, ``{"api_id", "error": "the plivo-blocks sandbox does not simulate <API> (<METHOD> <path>)"}``,
instead of a bare "not found". 404 rather than 501 because both official SDKs turn a 404 into their
``ResourceNotFoundError`` carrying the body's ``error``; any other status loses it (Node: "Request
failed with status code 501", Python: "Received status code 501 for the HTTP method GET").

The table lists the APIs of the official Python (``plivo``) and Node (``plivo`` on npm) SDKs, by the
path they call; paths the sandbox does route never reach it.
"""

from __future__ import annotations

import re

_ACCOUNT = r"^/v1/Account/[^/]+/"

#: (path pattern, the API's name as Plivo's docs call it)
NOT_SIMULATED: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), name)
    for pattern, name in (
        (_ACCOUNT + r"Powerpack/", "Powerpacks"),
        (_ACCOUNT + r"NumberPool/", "Powerpack number pools"),
        (_ACCOUNT + r"Media/", "the Media API (MMS media uploads)"),
        (_ACCOUNT + r"Message/[^/]+/Media/", "MMS media of messages"),
        (_ACCOUNT + r"MultiPartyCall/", "the Multi-Party Call (MPC) REST API"),
        (_ACCOUNT + r"Call/[^/]+/Stream/", "audio streams started through the API"),
        (_ACCOUNT + r"10dlc/", "10DLC brands and campaigns"),
        (_ACCOUNT + r"Profile/", "business profiles"),
        (_ACCOUNT + r"Verify/", "Verify sessions"),
        (_ACCOUNT + r"VerifiedCallerId/", "verified caller IDs"),
        (_ACCOUNT + r"Masking/", "number masking sessions"),
        (_ACCOUNT + r"TollfreeVerification/", "toll-free verification"),
        (_ACCOUNT + r"HostedMessagingNumber/", "hosted messaging numbers"),
        (_ACCOUNT + r"PhoneNumber/Compliance/", "phone number compliance"),
        (
            _ACCOUNT + r"(ComplianceApplication|ComplianceDocument|ComplianceDocumentType|"
            r"ComplianceRequirement|EndUser)/",
            "regulatory compliance",
        ),
        (_ACCOUNT + r"Verification/", "addresses and identities"),
        (_ACCOUNT + r"JWT/", "access tokens (JWT)"),
        (_ACCOUNT + r"Transcription/", "transcriptions"),
        (_ACCOUNT + r"[Pp]hlo/", "PHLO"),
        (r"^/v1/Number/", "the Lookup API"),
        (r"^/v1/Call/[^/]+/Feedback/", "call quality feedback"),
        (r"^/v1/(account/[^/]+/)?phlo/", "PHLO"),
    )
)


def not_simulated(path: str) -> str | None:
    """The name of the unsimulated Plivo API ``path`` (relative to the sandbox's root) belongs to."""
    for pattern, name in NOT_SIMULATED:
        if pattern.match(path):
            return name
    return None
