"""Plivo's rules for sending, through the official SDK: who may be ``src``, how ``dst`` is cleaned, what
each parameter accepts, MMS, and how fast messages leave the queue (account and sender throughput,
expiry)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import plivo
import pytest
from answer_server import settle
from hook_recorder import HookRecorder
from plivo import exceptions as plivo_errors
from sandbox_server import Server

US_DST = "14155550111"
CA_DST = "16135550123"
GB_DST = "447700900123"
BR_DST = "5511987654321"
NOT_ALLOWED = "This caller ID is not allowed for outbound message"


def send(sandbox: Server, **body: Any) -> httpx.Response:
    with sandbox.main_client() as api:
        return api.post(f"/v1/Account/{sandbox.state.main_auth_id}/Message/", json=body)


def rent(main_sdk: plivo.RestClient, country: str, kind: str = "local") -> str:
    number: str = main_sdk.numbers.search(country_iso=country, type=kind, services="sms").objects[0]["number"]
    main_sdk.numbers.buy(number)
    return number


def states(main_sdk: plivo.RestClient, uuids: list[str]) -> list[str]:
    return [main_sdk.messages.get(uuid).message_state for uuid in uuids]


# -- senders ---------------------------------------------------------------------------------------


def test_an_unrented_src_cannot_send_to_the_us_or_canada(main_sdk: plivo.RestClient) -> None:
    for dst in (US_DST, CA_DST):
        with pytest.raises(plivo_errors.ValidationError, match=NOT_ALLOWED) as refused:
            main_sdk.messages.create(src="14155550100", dst=dst, text="who am I?")
        assert "14155550100 is not an SMS-enabled number of this account" in str(refused.value)
    # Elsewhere a number the account does not rent may be used as a sender ID, as on Plivo.
    (uuid,) = main_sdk.messages.create(src="14155550100", dst=GB_DST, text="dynamic").message_uuid
    assert main_sdk.messages.get(uuid).from_number == "14155550100"
    assert list(main_sdk.messages.list()) != []


def test_an_alphanumeric_sender_where_plivo_allows_one(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    (uuid,) = main_sdk.messages.create(src="MyBrand", dst=GB_DST, text="from a name").message_uuid
    assert main_sdk.messages.get(uuid).from_number == "MyBrand"
    (spaced,) = main_sdk.messages.create(src="My Brand-1", dst=GB_DST, text="sanitised").message_uuid
    assert main_sdk.messages.get(spaced).from_number == "MyBrand1"  # only A-Z, a-z, 0-9 are kept
    for dst, country in ((US_DST, "United States"), (CA_DST, "Canada"), (BR_DST, "Brazil")):
        with pytest.raises(plivo_errors.ValidationError, match=NOT_ALLOWED) as refused:
            main_sdk.messages.create(src="MyBrand", dst=dst, text="not here")
        assert f"cannot send to {country}" in str(refused.value)
    too_long = send(sandbox, src="SixteenCharsLong", dst=GB_DST, text="x")
    assert too_long.status_code == 400
    assert "an alphanumeric sender ID has at most 11 characters" in too_long.json()["error"]
    assert send(sandbox, src="ElevenChars", dst=GB_DST, text="x").status_code == 202
    assert send(sandbox, src="1234567890123456", dst=GB_DST, text="x").status_code == 400  # > 14 digits
    assert send(sandbox, src=" -/ ", dst=GB_DST, text="x").json()["error"].startswith("src is required")


def test_the_accounts_own_numbers_and_its_subaccounts(
    main_sdk: plivo.RestClient, sdk: Callable[[str, str], plivo.RestClient], sms_src: str
) -> None:
    # src is sanitised like any sender: a formatted form of a rented number is that number.
    formatted = f"+{sms_src[0]} ({sms_src[1:4]}) {sms_src[4:7]}-{sms_src[7:]}"
    (uuid,) = main_sdk.messages.create(src=formatted, dst=US_DST, text="mine").message_uuid
    assert main_sdk.messages.get(uuid).from_number == sms_src
    sub = main_sdk.subaccounts.create(name="texter", enabled=True)
    as_sub = sdk(sub.auth_id, sub.auth_token)
    with pytest.raises(plivo_errors.ValidationError, match=NOT_ALLOWED):
        as_sub.messages.create(src=sms_src, dst=US_DST, text="the parent's number")
    sub_number = as_sub.numbers.search(country_iso="US", services="sms").objects[1]["number"]
    as_sub.numbers.buy(sub_number)
    assert as_sub.messages.create(src=sub_number, dst=US_DST, text="my own").message_uuid
    assert main_sdk.messages.create(src=sub_number, dst=US_DST, text="my subaccount's").message_uuid


def test_a_canadian_long_code_cannot_send_to_the_us(main_sdk: plivo.RestClient) -> None:
    canadian = rent(main_sdk, "CA")
    assert main_sdk.messages.create(src=canadian, dst=CA_DST, text="at home").message_uuid
    with pytest.raises(plivo_errors.ValidationError, match="Canadian long codes cannot send to the US"):
        main_sdk.messages.create(src=canadian, dst=US_DST, text="across")
    toll_free = rent(main_sdk, "CA", "tollfree")
    assert main_sdk.messages.create(src=toll_free, dst=US_DST, text="toll-free crosses").message_uuid
    assert main_sdk.messages.get(main_sdk.messages.list(limit=1)[0].message_uuid).total_rate == "0.00650"
    to_ca = main_sdk.messages.list(to_number=CA_DST)[0]
    assert to_ca.total_rate == "0.00550"  # Canada's rate: a +1 number of a Canadian area code


def test_dst_is_cleaned_as_plivo_cleans_it(main_sdk: plivo.RestClient, sandbox: Server, sms_src: str) -> None:
    sent = main_sdk.messages.create(src=sms_src, dst="+1 (415) 555-0101<1.415.555/0102", text="clean")
    assert [main_sdk.messages.get(u).to_number for u in sent.message_uuid] == ["14155550101", "14155550102"]
    for bad in ("12345", "1415555010x", "+1 (415) 555-0101-0101-01", "+1 415 555 010"):
        answer = send(sandbox, src=sms_src, dst=bad, text="x")
        assert answer.status_code == 400 and "is not a valid phone number" in answer.json()["error"], bad
    # Plivo's own words for a short +1 number (quoted in plivo/plivo-node#222).
    short = send(sandbox, src=sms_src, dst="+1111111", text="Hola!").json()["error"]
    assert short.startswith("'1111111' is not a valid phone number.")
    assert send(sandbox, src=sms_src, dst="9991234567890", text="x").status_code == 400  # no route


# -- parameters ------------------------------------------------------------------------------------


def test_parameters_are_checked_as_plivo_checks_them(sandbox: Server, sms_src: str) -> None:
    base = {"src": sms_src, "dst": US_DST, "text": "x"}
    refused = {
        "type fax": ({"type": "fax"}, "type must be one of sms, mms, whatsapp"),
        "whatsapp": ({"type": "whatsapp"}, "WhatsApp messages are not simulated"),
        "template": ({"template": {"name": "t"}}, "template is only applicable when type is whatsapp"),
        "method": ({"method": "PUT"}, "method must be one of"),
        "log": ({"log": "maybe"}, "log must be one of true, false, number_only, content_only"),
        "trackable": ({"trackable": "perhaps"}, "trackable must be true or false"),
        "expiry low": ({"message_expiry": 4}, "message_expiry must be between 5 and 10799 seconds"),
        "expiry high": ({"message_expiry": 10800}, "message_expiry must be between 5 and 10799 seconds"),
        "expiry text": ({"message_expiry": "soon"}, "message_expiry must be a whole number"),
        "url": ({"url": "hooks.test/status"}, "is not an absolute http(s) URL"),
        "media on sms": ({"media_urls": ["https://x.test/a.png"]}, "media_urls is only for type mms"),
        "media_ids": (
            {"media_ids": ["801c2056"]},
            "media_ids: uploaded media (the Media API) are not simulated",
        ),
        "no text": ({"text": " "}, "text is required"),
        "gsm length": ({"text": "a" * 1601}, "text can be at most 1600 GSM characters"),
        "unicode length": ({"text": "ą" * 738}, "can be at most 737 characters"),
    }
    for name, (change, error) in refused.items():
        answer = send(sandbox, **{**base, **change})
        assert answer.status_code == 400 and error in answer.json()["error"], (name, answer.json())
    accepted = [
        {"log": "false"},
        {"log": True},
        {"trackable": True},
        {"message_expiry": 5},
        {"method": "get"},
        {"text": "ą" * 737},
        {"dlt_entity_id": "1201", "dlt_template_id": "1207"},
    ]
    for change in accepted:
        assert send(sandbox, **{**base, **change}).status_code == 202, change


def test_powerpacks_are_refused_clearly(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    with pytest.raises(plivo_errors.ValidationError, match="Powerpacks are not simulated"):
        main_sdk.messages.create(powerpack_uuid="d35f2e82-d387-427f-8d0e-2e8e1e1a1f2a", dst=US_DST, text="x")
    both = send(sandbox, src="14155550100", powerpack_uuid="d35f2e82", dst=US_DST, text="x")
    assert (
        both.status_code == 400 and "Both powerpack_uuid and src cannot be specified" in both.json()["error"]
    )


def test_list_filters_on_what_the_sandbox_never_sends_match_nothing(
    main_sdk: plivo.RestClient, sandbox: Server, sms_src: str
) -> None:
    main_sdk.messages.create(src=sms_src, dst=f"{US_DST}<{GB_DST}", text="x")
    assert [m.to_number for m in main_sdk.messages.list(destination_country_iso2="GB")] == [GB_DST]
    assert len(main_sdk.messages.list(message_type="sms")) == 2
    assert list(main_sdk.messages.list(message_type="whatsapp")) == []
    assert list(main_sdk.messages.list(powerpack_id="d35f2e82")) == []
    assert list(main_sdk.messages.list(conversation_origin="service")) == []
    with sandbox.main_client() as raw:  # (the Python SDK cannot show a 400 on a message list)
        base = f"/v1/Account/{sandbox.state.main_auth_id}/Message/"
        refused = raw.get(base, params={"tendlc_registration_status": "COMPLETED"})
        assert refused.status_code == 400 and "10DLC registration is not simulated" in refused.json()["error"]
        assert raw.get(base, params={"conversation_origin": "gossip"}).status_code == 400
        assert raw.get(base, params={"message_type": "fax"}).status_code == 400


# -- MMS -------------------------------------------------------------------------------------------


def test_an_mms_is_one_unit_at_the_mms_rate_and_lists_its_media(
    main_sdk: plivo.RestClient, sandbox: Server, recorder: HookRecorder, sms_src: str
) -> None:
    media = ["https://cdn.test/cat.gif", "https://cdn.test/report.pdf?v=2"]
    sent = main_sdk.messages.create(
        src=sms_src,
        dst=US_DST,
        text="b" * 400,
        type_="mms",
        media_urls=media,
        url="https://hooks.test/mms",
    )
    (uuid,) = sent.message_uuid
    message = main_sdk.messages.get(uuid)
    assert (message.message_type, message.units) == ("mms", 1)
    assert (message.total_rate, message.total_amount) == ("0.01600", "0.01600")
    listed = message.listMedia()  # GET Message/{uuid}/Media/
    assert [(m["media_url"], m["content_type"]) for m in listed.objects] == [
        (media[0], "image/gif"),
        (media[1], "application/pdf"),
    ]
    assert {m["message_uuid"] for m in listed.objects} == {uuid}
    assert len({m["media_id"] for m in listed.objects}) == 2
    settle(sandbox, 3)
    assert main_sdk.messages.get(uuid).message_state == "delivered"
    assert {c.params["Type"] for c in recorder.sent} == {"mms"}


def test_mms_rules(main_sdk: plivo.RestClient, sandbox: Server, sms_src: str) -> None:
    mms = {"src": sms_src, "dst": US_DST, "type": "mms", "media_urls": ["https://cdn.test/a.png"]}
    assert send(sandbox, **mms).status_code == 202  # no text needed
    refused = {
        "no media": ({"media_urls": None}, "media_urls is required when type is mms"),
        "eleven media": (
            {"media_urls": [f"https://cdn.test/{n}.png" for n in range(11)]},
            "at most 10 media",
        ),
        "bad media": ({"media_urls": ["ftp://cdn.test/a.png"]}, "is not an absolute http(s) URL"),
        "abroad": ({"dst": GB_DST}, "Plivo sends MMS only to the US and Canada"),
        "alphanumeric": ({"src": "MyBrand"}, NOT_ALLOWED),
        "unrented": ({"src": "14155550100"}, NOT_ALLOWED),
        "long text": ({"text": "a" * 1601}, "text of an mms can be at most 1600 characters"),
    }
    for name, (change, error) in refused.items():
        answer = send(sandbox, **{**mms, **change})
        assert answer.status_code == 400 and error in answer.json()["error"], (name, answer.json())
    with sandbox.main_client() as raw:
        missing = raw.get(
            f"/v1/Account/{sandbox.state.main_auth_id}/Message/{'0' * 8}-0000-0000-0000-{'0' * 12}/Media/"
        )
    assert missing.status_code == 404


# -- throughput and expiry ---------------------------------------------------------------------------


def test_a_us_long_code_sends_one_message_per_second(
    main_sdk: plivo.RestClient, sandbox: Server, sms_src: str
) -> None:
    uuids = main_sdk.messages.create(
        src=sms_src, dst="<".join(f"1415555{n:04d}" for n in range(3)), text="one at a time"
    ).message_uuid
    settle(sandbox, 1)
    assert states(main_sdk, uuids) == ["sent", "queued", "queued"]
    settle(sandbox, 1)
    assert states(main_sdk, uuids) == ["sent", "sent", "queued"]
    settle(sandbox, 1)
    assert states(main_sdk, uuids) == ["delivered", "sent", "sent"]
    # Another sender of the account has its own queue.
    other = rent(main_sdk, "US")
    (mine,) = main_sdk.messages.create(src=other, dst=US_DST, text="not waiting").message_uuid
    settle(sandbox, 1)
    assert states(main_sdk, [mine]) == ["sent"]


def test_a_toll_free_number_sends_faster(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    toll_free = rent(main_sdk, "US", "tollfree")
    with sandbox.main_client() as control:  # only the sender's rate here, not the account's 5 per second
        control.patch("/_sandbox/settings", json={"messages_per_second": 0}).raise_for_status()
    uuids = main_sdk.messages.create(
        src=toll_free, dst="<".join(f"1415555{n:04d}" for n in range(26)), text="fast"
    ).message_uuid
    settle(sandbox, 1)
    assert states(main_sdk, uuids).count("sent") == 25  # 25 per second
    settle(sandbox, 1)
    assert set(states(main_sdk, uuids)) == {"sent"}


def test_the_account_sends_five_sms_and_a_quarter_mms_per_second(
    main_sdk: plivo.RestClient, sandbox: Server, sms_src: str
) -> None:
    with sandbox.main_client() as control:  # the account's rate alone: no per-sender queues
        control.patch("/_sandbox/settings", json={"sender_throughput": False}).raise_for_status()
    sms = main_sdk.messages.create(
        src=sms_src, dst="<".join(f"1415555{n:04d}" for n in range(7)), text="burst"
    ).message_uuid
    settle(sandbox, 1)
    assert states(main_sdk, sms) == ["sent"] * 5 + ["queued"] * 2
    settle(sandbox, 1)
    assert states(main_sdk, sms)[5:] == ["sent", "sent"]
    mms = [
        main_sdk.messages.create(
            src=sms_src, dst=US_DST, type_="mms", media_urls=["https://cdn.test/a.png"], text=""
        ).message_uuid[0]
        for _ in range(2)
    ]
    settle(sandbox, 1)
    assert states(main_sdk, mms) == ["sent", "queued"]
    settle(sandbox, 3)
    assert states(main_sdk, mms) == ["delivered", "queued"]
    settle(sandbox, 1)  # one MMS every four seconds
    assert states(main_sdk, mms) == ["delivered", "sent"]


def test_a_message_still_queued_when_it_expires_fails_with_420(
    main_sdk: plivo.RestClient, sandbox: Server, recorder: HookRecorder, sms_src: str
) -> None:
    uuids = main_sdk.messages.create(
        src=sms_src,
        dst="<".join(f"1415555{n:04d}" for n in range(8)),
        text="hurry",
        message_expiry=5,
        url="https://hooks.test/expiry",
    ).message_uuid
    settle(sandbox, 5)
    assert states(main_sdk, uuids)[:5] == ["delivered"] * 3 + ["sent"] * 2
    assert states(main_sdk, uuids)[5:] == ["failed"] * 3  # the sixth would have gone at second 6
    expired = main_sdk.messages.get(uuids[-1])
    assert (expired.error_code, expired.error_message, expired.message_sent_time) == (
        "420",
        "Message Expired",
        None,
    )
    last = [c.params for c in recorder.sent if c.params["MessageUUID"] == uuids[-1]]
    assert [(c["Status"], c["ErrorCode"], c["SentTime"]) for c in last] == [
        ("queued", "", ""),
        ("failed", "420", ""),
    ]


def test_message_timings_and_rates_are_settings(sandbox: Server) -> None:
    with sandbox.main_client() as control:
        settings = control.get("/_sandbox/settings").json()["settings"]
        assert {
            name: settings[name]
            for name in (
                "message_queued_seconds",
                "message_sent_seconds",
                "messages_per_second",
                "mms_per_second",
                "sender_throughput",
            )
        } == {
            "message_queued_seconds": 1.0,
            "message_sent_seconds": 2.0,
            "messages_per_second": 5.0,
            "mms_per_second": 0.25,
            "sender_throughput": True,
        }
        for bad in ({"messages_per_second": -1}, {"mms_per_second": "fast"}, {"sender_throughput": "yes"}):
            answer = control.patch("/_sandbox/settings", json=bad)
            assert answer.status_code == 400 and next(iter(bad)) in answer.json()["error"], bad
