"""The official Node.js SDK (npm ``plivo``, pinned in node/package-lock.json), unmodified, against a
sandbox process: ``compat.js`` drives every area once and reports what the SDK handed back; these
tests check it field by field, and cross-check with what the sandbox stored.

The Node SDK camel-cases the keys of Plivo's answers (``total_count`` -> ``totalCount``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compat_support import SCRIPT, SandboxProcess

Scenario = Callable[[str], dict[str, Any]]
README = Path(__file__).parents[2] / "README.md"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def ids(listed: dict[str, Any], key: str) -> list[str]:
    return [str(item[key]) for item in listed["objects"]]


def test_account_get_and_update(node_scenario: Scenario, sandbox_process: SandboxProcess) -> None:
    data = node_scenario("account")
    auth_id = sandbox_process.auth_id
    # (The SDK's account object has no auth_id field: it keeps resource_uri.)
    assert data["before"]["resourceUri"] == f"/v1/Account/{auth_id}/"
    assert data["before"]["name"] == "Sandbox Account" and data["before"]["cashCredits"] == "100.00000"
    assert data["updated"]["message"] == "changed"
    after = data["after"]
    assert (after["name"], after["city"], after["address"]) == (
        "Ada Lovelace",
        "London",
        "12 St James's Square",
    )
    stored = sandbox_process.http.get(sandbox_process.account_path()).json()
    assert (stored["name"], stored["city"]) == ("Ada Lovelace", "London")


def test_subaccounts(node_scenario: Scenario, sandbox_process: SandboxProcess) -> None:
    data = node_scenario("subaccounts")
    made, second, third = data["made"], data["second"], data["third"]
    assert made["message"] == "created" and re.fullmatch(r"SA[A-Z0-9]{18}", made["authId"])
    assert len(made["authToken"]) == 40
    fetched = data["fetched"]
    assert (fetched["name"], fetched["enabled"]) == ("Wayne Enterprises", True)
    assert fetched["authToken"] == made["authToken"]
    assert fetched["account"] == f"/v1/Account/{sandbox_process.auth_id}/"
    assert fetched["modified"] is None
    assert data["updated"]["message"] == "changed"
    refetched = data["refetched"]
    assert (refetched["name"], refetched["enabled"]) == ("Wayne Corp", False)
    assert refetched["modified"] is not None
    # Newest first, two per page, with Plivo's pagination meta.
    page = data["page"]
    assert ids(page, "authId") == [third["authId"], second["authId"]]
    assert page["meta"]["limit"] == 2 and page["meta"]["offset"] == 0 and page["meta"]["totalCount"] == 3
    assert page["meta"]["next"].endswith("/Subaccount/?limit=2&offset=2") and page["meta"]["previous"] is None
    assert ids(data["all"], "authId") == [third["authId"], second["authId"], made["authId"]]
    # The subaccount's own credentials reach its own account.
    own = data["ownAccount"]
    assert own["resourceUri"] == f"/v1/Account/{made['authId']}/" and own["name"] == "Wayne Corp"
    assert data["deleted"] is True
    assert data["afterDelete"] == {"status": 404, "message": "subaccount not found"}
    stored = sandbox_process.http.get(sandbox_process.account_path("Subaccount/")).json()
    assert {s["auth_id"] for s in stored["objects"]} == {made["authId"], second["authId"]}


def test_applications(node_scenario: Scenario, sandbox_process: SandboxProcess) -> None:
    data = node_scenario("applications")
    app_id = data["made"]["appId"]
    assert data["made"]["message"] == "created" and app_id.isdigit()
    fetched = data["fetched"]
    assert fetched["appName"] == "compat app"
    assert (fetched["answerUrl"], fetched["answerMethod"]) == ("https://example.com/answer", "GET")
    assert fetched["resourceUri"] == f"/v1/Account/{sandbox_process.auth_id}/Application/{app_id}/"
    assert fetched["sipUri"] == f"sip:{app_id}@app.plivo.com"
    assert data["updated"]["message"] == "changed"
    assert data["refetched"]["answerUrl"] == "https://example.com/answer-2"
    assert data["refetched"]["answerMethod"] == "GET"  # untouched by the update
    # The SDK's answer object leaves out hangup_url and message_url; the sandbox stored them.
    stored = sandbox_process.http.get(sandbox_process.account_path(f"Application/{app_id}/")).json()
    assert (stored["hangup_url"], stored["message_url"]) == (
        "https://example.com/hangup",
        "https://example.com/message",
    )
    other = data["other"]["appId"]
    assert ids(data["page"], "appId") == [other]
    assert data["page"]["meta"]["totalCount"] == 2 and data["page"]["meta"]["next"].endswith(
        "limit=1&offset=1"
    )
    assert ids(data["all"], "appId") == [other, app_id]
    assert data["deleted"] is True
    assert data["afterDelete"] == {"status": 404, "message": "application not found"}


def test_endpoints(node_scenario: Scenario, sandbox_process: SandboxProcess) -> None:
    data = node_scenario("endpoints")
    made = data["made"]
    endpoint_id = made["endpointId"]
    assert made["message"] == "created" and made["alias"] == "Alice"
    assert made["username"].startswith("alice") and made["username"] != "alice"  # Plivo appends digits
    fetched = data["fetched"]
    assert fetched["username"] == made["username"] and fetched["alias"] == "Alice"
    assert fetched["application"] == f"/v1/Account/{sandbox_process.auth_id}/Application/{data['appId']}/"
    assert fetched["sipUri"] == f"sip:{made['username']}@phone.plivo.com"
    assert data["updated"]["message"] == "changed"
    assert data["refetched"]["alias"] == "Alice Liddell"
    assert ids(data["all"], "endpointId") == [endpoint_id]
    assert data["deleted"] is True
    assert data["afterDelete"] == {"status": 404, "message": "endpoint not found"}


def test_numbers_search_buy_list_update_unrent(
    node_scenario: Scenario, sandbox_process: SandboxProcess
) -> None:
    data = node_scenario("numbers")
    number = data["number"]
    offered = data["offered"]
    assert len(offered["objects"]) == 3 and offered["meta"]["limit"] == 3
    assert all(o["number"].startswith("1212") and o["prefix"] == "212" for o in offered["objects"])
    assert all(o["country"] == "UNITED STATES" and o["voiceEnabled"] for o in offered["objects"])
    assert "pattern=212" in offered["meta"]["next"] and "country_iso=US" in offered["meta"]["next"]
    bought = data["bought"]
    assert bought["status"] == "fulfilled" and bought["numbers"] == [
        {"number": number, "status": "Success", "fallbackNumber": None}
    ]
    fetched = data["fetched"]
    assert fetched["number"] == number and fetched["alias"] is None
    assert fetched["application"] == f"/v1/Account/{sandbox_process.auth_id}/Application/{data['appId']}/"
    assert data["updated"]["message"] == "changed"
    assert data["refetched"]["alias"] == "front desk"
    assert ids(data["matching"], "number") == [number]
    assert ids(data["byAlias"], "number") == [number]
    assert data["none"]["objects"] == [] and data["none"]["meta"]["totalCount"] == 0
    assert data["notForSale"] == {"status": 404, "message": "number 19999999999 is not available for sale"}
    assert data["unrented"] is True
    assert data["afterUnrent"] == {"status": 404, "message": "number not found"}
    rented = sandbox_process.http.get(sandbox_process.account_path("Number/")).json()
    assert number not in {n["number"] for n in rented["objects"]}


def test_pricing(node_scenario: Scenario, sandbox_process: SandboxProcess) -> None:
    data = node_scenario("pricing")
    us, gb = data["us"], data["gb"]
    assert (us["countryIso"], us["country"], us["countryCode"]) == ("US", "United States", 1)
    assert (gb["countryIso"], gb["countryCode"]) == ("GB", 44)
    # The values the SDK read are the sandbox's own table.
    for node, iso in ((us, "US"), (gb, "GB")):
        raw = sandbox_process.http.get(
            sandbox_process.account_path("Pricing/"), params={"country_iso": iso}
        ).json()
        assert node["message"]["outbound"]["rate"] == raw["message"]["outbound"]["rate"]
        assert node["voice"]["outbound"]["local"]["rate"] == raw["voice"]["outbound"]["local"]["rate"]
        assert node["phoneNumbers"]["local"]["rate"] == raw["phone_numbers"]["local"]["rate"]
    assert us["message"]["outbound"]["rate"] == "0.00650"
    assert data["unknown"] == {"status": 404, "message": "no pricing for country_iso ZZ"}


def test_messages_send_get_list(node_scenario: Scenario, sandbox_process: SandboxProcess) -> None:
    data = node_scenario("messages")
    src = data["src"]
    (one,) = data["one"]["messageUuid"]
    two = data["two"]["messageUuid"]
    assert data["one"]["message"] == "message(s) queued" and UUID.match(one)
    assert len(two) == 2 and all(UUID.match(u) for u in two)  # one message per "<" destination
    fetched = data["fetched"]
    assert fetched["messageUuid"] == one
    assert (fetched["fromNumber"], fetched["toNumber"]) == (src, "14155550101")
    assert (fetched["messageDirection"], fetched["messageType"], fetched["messageState"]) == (
        "outbound",
        "sms",
        "delivered",
    )
    assert fetched["units"] == 1 and fetched["errorCode"] == "000"
    us_rate = sandbox_process.http.get(sandbox_process.account_path("Pricing/"), params={"country_iso": "US"})
    assert fetched["totalRate"] == us_rate.json()["message"]["outbound"]["rate"]
    page = data["page"]
    assert ids(page, "messageUuid") == [two[1], two[0]]  # newest first
    assert page["meta"]["totalCount"] == 3 and "message_direction=outbound" in page["meta"]["next"]
    assert set(ids(data["all"], "messageUuid")) == {one, *two}
    assert set(ids(data["delivered"], "messageUuid")) == {one, *two}
    assert data["inbound"]["objects"] == []
    assert data["unknown"] == {"status": 404, "message": "message not found"}
    # The control API's view of what was "sent": the texts the SDK gave.
    sent = sandbox_process.http.get("/_sandbox/messages", params={"from": src}).json()
    texts = {m["message_uuid"]: m["text"] for m in sent["objects"]}
    assert texts == {one: "Hello from Node", two[0]: "Two at once", two[1]: "Two at once"}


def test_calls_live_actions_and_cdr(node_scenario: Scenario, sandbox_process: SandboxProcess) -> None:
    data = node_scenario("calls")
    uuid, from_, to = data["uuid"], data["from"], data["to"]
    assert data["made"]["message"] == "call fired" and UUID.match(data["made"]["requestUuid"])
    assert ids(data["live"], "callUuid") == [uuid]
    assert ids(data["outboundLive"], "callUuid") == [uuid] and data["inboundLive"]["objects"] == []
    live = data["liveCall"]
    assert (live["callUuid"], live["callStatus"], live["direction"]) == (uuid, "in-progress", "outbound")
    assert (live["from"], live["to"], live["requestUuid"]) == (f"+{from_}", to, data["made"]["requestUuid"])
    assert data["speak"]["message"] == "speak started" and data["play"]["message"] == "play started"
    assert data["digits"]["message"] == "digits sent"
    record = data["record"]
    assert record["message"] == "call recording started" and record["url"].endswith(
        f"{record['recordingId']}.wav"
    )
    assert data["transfer"]["message"] == "call transfered"
    (member,) = data["transferredTo"]["members"]
    assert member["callUuid"] == uuid  # the transfer's XML put the call in that conference
    assert data["hungUp"] is True
    cdr = data["cdr"]
    assert (cdr["callUuid"], cdr["fromNumber"], cdr["toNumber"]) == (uuid, f"+{from_}", to)
    assert (cdr["callDirection"], cdr["hangupCauseName"], cdr["hangupSource"]) == (
        "outbound",
        "Normal Hangup",
        "API Request",
    )
    assert cdr["resourceUri"] == f"/v1/Account/{sandbox_process.auth_id}/Call/{uuid}/"
    assert ids(data["cdrs"], "callUuid") == [uuid] and data["cdrs"]["meta"]["limit"] == 5
    assert uuid in ids(data["allCdrs"], "callUuid")
    assert data["liveAfter"] == {"status": 404, "message": "call not found"}
    assert data["speakAfter"] == {"status": 404, "message": "call not found"}
    # What the SDK sent reached the call: its log names the text, the file and the digits.
    log = str(sandbox_process.http.get(f"/_sandbox/calls/{uuid}").json())
    assert "Hello from Node" in log and "https://example.com/hold.mp3" in log and "1234" in log


def test_queued_calls_and_cancel(node_scenario: Scenario) -> None:
    data = node_scenario("queuedCalls")
    assert data["queued"]["objects"] == []  # an answered call is live, not queued
    assert data["notQueued"] == {"status": 404, "message": "call not found"}
    assert data["answeredCancel"] == {"status": 404, "message": "request not found"}
    ringing = data["ringingCall"]
    assert (ringing["callUuid"], ringing["callStatus"], ringing["to"]) == (
        data["ringingUuid"],
        "ringing",
        "14155550122",
    )
    assert ringing["requestUuid"] == data["ringing"]["requestUuid"]
    assert data["cancelledLive"] == {"status": 404, "message": "call not found"}


def test_conferences_and_members(node_scenario: Scenario) -> None:
    data = node_scenario("conferences")
    assert data["rooms"]["conferences"] == ["compat-room"]
    joined = data["joined"]
    assert joined["conferenceName"] == "compat-room" and joined["conferenceMemberCount"] == "3"
    members = {m["to"]: m for m in joined["members"]}
    assert set(members) == {"14155550131", "14155550132", "14155550133"}
    first = members["14155550131"]["memberId"]
    second = members["14155550132"]["memberId"]
    assert data["mute"] == {**data["mute"], "message": "muted", "memberId": first}
    assert data["deaf"]["message"] == "deaf"
    flags = {m["memberId"]: (m["muted"], m["deaf"]) for m in data["mutedDeaf"]["members"]}
    assert flags[first] == (True, True) and flags[second] == (False, False)
    restored = {m["memberId"]: (m["muted"], m["deaf"]) for m in data["restored"]["members"]}
    assert restored[first] == (False, False)
    assert data["play"]["message"] == "play queued into conference"
    assert data["speak"]["message"] == "speak queued into conference"
    assert data["record"]["message"] == "conference recording started"
    assert data["record"]["url"].endswith(f"{data['record']['recordingId']}.mp3")
    assert data["kick"]["message"] == "kicked" and data["kick"]["memberId"] == first
    assert first not in {m["memberId"] for m in data["afterKick"]["members"]}
    assert data["afterKick"]["conferenceMemberCount"] == "2"
    assert {m["to"] for m in data["afterHangup"]["members"]} == {"14155550133"}
    assert data["unknownMember"] == {"status": 404, "message": "member not found"}
    assert data["ended"] is True
    assert data["afterEnd"] == {"status": 404, "message": "conference not found"}
    assert data["roomsBefore"]["conferences"] == ["compat-room-2"]
    assert data["roomsAfter"]["conferences"] == []


def test_recordings_list_filters_get_delete(node_scenario: Scenario, sandbox_process: SandboxProcess) -> None:
    data = node_scenario("recordings")
    uuid = data["uuid"]
    mp3, wav = (started["recordingId"] for started in data["started"])
    assert ids(data["ofCall"], "recordingId") == [wav, mp3]  # newest first
    assert all(r["callUuid"] == uuid and r["recordingType"] == "call" for r in data["ofCall"]["objects"])
    assert [r["recordingFormat"] for r in data["ofCall"]["objects"]] == ["wav", "mp3"]
    page = data["page"]
    assert ids(page, "recordingId") == [wav] and page["meta"]["totalCount"] == 2
    assert f"call_uuid={uuid}" in page["meta"]["next"]
    assert {mp3, wav} <= set(ids(data["since"], "recordingId"))
    assert data["future"]["objects"] == []
    fetched = data["fetched"]
    assert (fetched["recordingId"], fetched["callUuid"], fetched["recordingFormat"]) == (mp3, uuid, "mp3")
    assert fetched["recordingUrl"] == data["started"][0]["url"]
    audio = sandbox_process.http.get(data["started"][1]["url"])  # the remaining one: a real file
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"
    assert data["deleted"] is True
    assert data["afterDelete"] == {"status": 404, "message": "recording not found"}
    assert ids(data["remaining"], "recordingId") == [wav]


def test_unsimulated_apis_are_refused_by_name(node_scenario: Scenario) -> None:
    data = node_scenario("notSimulated")
    expected = {
        "lookup": "the Lookup API",
        "powerpacks": "Powerpacks",
        "media": "the Media API",
        "multiPartyCalls": "the Multi-Party Call (MPC) REST API",
        "brands": "10DLC brands and campaigns",
        "verifySessions": "Verify sessions",
    }
    for name, api in expected.items():
        assert data[name]["status"] == 404, name
        assert data[name]["message"].startswith(f"the plivo-blocks sandbox does not simulate {api}"), data[
            name
        ]


def test_readme_shows_the_redirect_the_suite_uses() -> None:
    """The README's Node SDK redirect is exactly the block compat.js runs (so the docs are tested)."""
    script = SCRIPT.read_text()
    start = script.index("// README: Node SDK redirect (start)")
    start = script.index("\n", start) + 1
    end = script.index("// README: Node SDK redirect (end)")
    block = script[start:end]
    assert "axios.create" in block and "interceptors.request.use" in block
    assert block in README.read_text()
