"""Messages through the official SDK: units, prices, lifecycle, status callbacks and filters.

The sender rules, MMS, throughput and expiry are in ``test_message_rules.py``; inbound messages in
``test_messages_inbound.py``."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import plivo
import pytest
from answer_server import settle
from hook_recorder import HookRecorder
from plivo import exceptions as plivo_errors
from sandbox_server import MANUAL, Server
from starlette.applications import Starlette

from plivo_blocks.sandbox import SandboxSettings, create_app
from plivo_blocks.sandbox.models.message_rules import count_units

US_DST = "14155550111"
GB_DST = "447700900123"


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("hello", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters take two septets: 160
        ("€" * 81, 2),  # 162 septets; an escape pair never straddles two parts
        ("a" * 152 + "€" + "a" * 8, 2),
        ("ą" * 70, 1),  # UCS-2
        ("ą" * 71, 2),
        ("ą" * 134, 2),
        ("ą" * 135, 3),
        ("😀" * 35, 1),  # surrogate pairs: 70 code units
        ("😀" * 36, 2),
    ],
)
def test_units_are_counted_as_carriers_do(text: str, units: int) -> None:
    assert count_units(text) == units


def test_one_message_per_destination_priced_from_the_table(main_sdk: plivo.RestClient, sms_src: str) -> None:
    sent = main_sdk.messages.create(src=sms_src, dst=f"{US_DST}<{GB_DST}", text="a" * 200)
    assert sent.message == "message(s) queued" and len(sent.message_uuid) == 2
    to_us, to_gb = (main_sdk.messages.get(uuid) for uuid in sent.message_uuid)
    assert (to_us.to_number, to_gb.to_number) == (US_DST, GB_DST)
    assert to_us.units == 2 and to_us.total_rate == "0.00650" and to_us.total_amount == "0.01300"
    assert to_gb.total_rate == "0.04000" and to_gb.total_amount == "0.08000"
    assert to_us.from_number == sms_src and to_us.message_direction == "outbound"
    assert to_us.message_type == "sms" and to_us.resource_uri.endswith(f"/Message/{to_us.message_uuid}/")


#: Every parameter of Plivo's message status callback ("Message Status Callbacks"; the WhatsApp-only
#: Conversation* ones aside).
STATUS_PARAMETERS = {
    "MessageUUID",
    "To",
    "From",
    "Type",
    "Status",
    "Units",
    "TotalRate",
    "TotalAmount",
    "MCC",
    "MNC",
    "ErrorCode",
    "ParentMessageUUID",
    "PartInfo",
    "Sequence",
    "MessageTime",
    "QueuedTime",
    "SentTime",
    "DeliveryReportTime",
    "requester_ip",
    "PowerpackUUID",
}
CALLBACK_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$")


def test_queued_when_sent_then_sent_then_delivered_on_plivos_default_timings(
    main_sdk: plivo.RestClient, recorder: HookRecorder, sandbox: Server, sms_src: str
) -> None:
    sent = main_sdk.messages.create(
        src=sms_src, dst=US_DST, text="ping", url="https://hooks.test/status", method="GET"
    )
    uuid = sent.message_uuid[0]
    assert main_sdk.messages.get(uuid).message_state == "queued"  # as POST Message/ answers
    # (Half seconds: sandbox time is epoch seconds, and halves add up exactly.)
    settle(sandbox, 0.5)
    assert main_sdk.messages.get(uuid).message_state == "queued"
    settle(sandbox, 0.5)  # a second after: handed to the carrier
    assert main_sdk.messages.get(uuid).message_state == "sent"
    settle(sandbox, 1.5)
    assert main_sdk.messages.get(uuid).message_state == "sent"
    settle(sandbox, 0.5)  # the delivery report, two seconds later
    message = main_sdk.messages.get(uuid)
    assert message.message_state == "delivered" and message.error_code == "000"
    assert message.message_sent_time and message.message_updated_time

    assert [c.params["Status"] for c in recorder.sent] == ["queued", "sent", "delivered"]
    assert [c.params["Sequence"] for c in recorder.sent] == ["1", "2", "3"]
    first = recorder.sent[0]
    assert (first.url, first.method) == ("https://hooks.test/status", "GET")
    assert first.headers["x-plivo-signature-v3"]
    with sandbox.main_client() as control:
        logged = control.get("/_sandbox/webhooks", params={"kind": "message_status"}).json()["objects"]
    assert {(d["ref"], d["status"]) for d in logged} == {(uuid, "delivered")}
    for callback in recorder.sent:
        assert set(callback.params) == STATUS_PARAMETERS, callback.params
    queued, sent_cb, delivered = (c.params for c in recorder.sent)
    assert {k: queued[k] for k in STATUS_PARAMETERS - {"MNC", "MessageTime", "QueuedTime"}} == {
        "MessageUUID": uuid,
        "To": US_DST,
        "From": sms_src,
        "Type": "sms",
        "Status": "queued",
        "Units": "1",
        "TotalRate": "0.00650",
        "TotalAmount": "0.00650",
        "MCC": "310",
        "ErrorCode": "",
        "ParentMessageUUID": uuid,
        "PartInfo": "1 of 1",
        "Sequence": "1",
        "SentTime": "",
        "DeliveryReportTime": "",
        "requester_ip": "127.0.0.1",
        "PowerpackUUID": "",
    }
    assert re.match(r"^\d{3}$", queued["MNC"])
    # The times: queued at once, sent a second later, the report two seconds after that.
    times = {
        name: datetime.strptime(delivered[name], "%Y-%m-%d %H:%M:%S.%f")
        for name in ("MessageTime", "QueuedTime", "SentTime", "DeliveryReportTime")
    }
    assert all(CALLBACK_TIME.match(delivered[name]) for name in times)
    assert queued["MessageTime"] == queued["QueuedTime"] == delivered["QueuedTime"]
    assert (times["SentTime"] - times["QueuedTime"]).total_seconds() == pytest.approx(1)
    assert (times["DeliveryReportTime"] - times["SentTime"]).total_seconds() == pytest.approx(2)
    assert sent_cb["SentTime"] == delivered["SentTime"] and sent_cb["DeliveryReportTime"] == ""
    assert delivered["ErrorCode"] == "000"


def test_callbacks_of_many_messages_each_arrive_in_sequence_order(
    main_sdk: plivo.RestClient, recorder: HookRecorder, sandbox: Server, sms_src: str
) -> None:
    destinations = [f"1415555{n:04d}" for n in range(3)]
    uuids = main_sdk.messages.create(
        src=sms_src, dst="<".join(destinations), text="many", url="https://hooks.test/status"
    ).message_uuid
    settle(sandbox, 10)
    for uuid in uuids:
        mine = [c.params for c in recorder.sent if c.params["MessageUUID"] == uuid]
        assert [(c["Sequence"], c["Status"]) for c in mine] == [
            ("1", "queued"),
            ("2", "sent"),
            ("3", "delivered"),
        ]


def test_no_callback_without_url(
    main_sdk: plivo.RestClient, recorder: HookRecorder, sandbox: Server, sms_src: str
) -> None:
    main_sdk.messages.create(src=sms_src, dst=US_DST, text="quiet")
    settle(sandbox, 5)
    assert recorder.sent == []


def test_send_validation(main_sdk: plivo.RestClient, sandbox: Server, sms_src: str) -> None:
    with pytest.raises(plivo_errors.ValidationError):
        main_sdk.messages.create(src=sms_src, dst="12345", text="too short a number")
    with pytest.raises(plivo_errors.ValidationError):
        main_sdk.messages.create(src=sms_src, dst="9991234567890", text="no route")
    with pytest.raises(plivo_errors.ValidationError):
        main_sdk.messages.create(src=sms_src, dst=US_DST, text="x" * 1601)
    base = f"/v1/Account/{sandbox.state.main_auth_id}/Message/"
    with sandbox.main_client() as main:
        assert main.post(base, json={"src": sms_src, "text": "no dst"}).status_code == 400
        assert main.post(base, json={"src": sms_src, "dst": US_DST}).status_code == 400  # no text
        assert main.post(base, json={"src": sms_src, "dst": sms_src, "text": "loop"}).status_code == 400
        assert (
            main.post(base, json={"src": sms_src, "dst": US_DST, "text": "x", "type": "fax"}).status_code
            == 400
        )
        assert main.get(f"{base}00000000-0000-0000-0000-000000000000/").status_code == 404


def test_list_filters(
    main_sdk: plivo.RestClient, sdk: Callable[[str, str], plivo.RestClient], sandbox: Server, sms_src: str
) -> None:
    sub = main_sdk.subaccounts.create(name="texts")
    as_sub = sdk(sub.auth_id, sub.auth_token)
    main_uuid = main_sdk.messages.create(src=sms_src, dst=US_DST, text="main").message_uuid[0]
    # Not the subaccount's number: as a sender ID it may still send outside the US and Canada.
    sub_uuid = as_sub.messages.create(src=sms_src, dst=GB_DST, text="sub").message_uuid[0]
    settle(sandbox, 5)

    # Fail one message so the state and error filters have something to tell apart.
    with sandbox.main_client() as control:
        answer = control.post(
            f"/_sandbox/messages/{main_uuid}/state", json={"state": "undelivered", "error_code": "80"}
        )
        assert answer.status_code == 202

    def uuids(client: plivo.RestClient = main_sdk, **filters: Any) -> list[str]:
        return [m.message_uuid for m in client.messages.list(**filters)]

    assert uuids() == [sub_uuid, main_uuid]
    assert uuids(as_sub) == [sub_uuid]
    assert uuids(subaccount=sub.auth_id) == [sub_uuid]
    assert uuids(message_state="undelivered") == [main_uuid]
    assert uuids(message_state="delivered") == [sub_uuid]
    assert uuids(error_code=80) == [main_uuid]
    assert uuids(message_direction="inbound") == []
    assert uuids(message_direction="outbound", limit=1) == [sub_uuid]
    sent_at = main_sdk.messages.get(main_uuid).message_time[:19]
    assert main_uuid in uuids(message_time=sent_at)
    assert set(uuids(message_time__gte=sent_at)) == {main_uuid, sub_uuid}
    assert uuids(message_time__lt="2000-01-01 00:00:00") == []
    assert uuids(message_time__gt="2000-01-01 00:00:00", message_time__lte="2999-01-01 00:00:00") == [
        sub_uuid,
        main_uuid,
    ]

    with sandbox.main_client() as raw:
        base = f"/v1/Account/{sandbox.state.main_auth_id}/Message/"
        assert raw.get(base, params={"message_state": "lost"}).status_code == 400
        assert raw.get(base, params={"message_time__gt": "yesterday"}).status_code == 400
        assert raw.get(base, params={"message_direction": "sideways"}).status_code == 400


def test_hold_and_release(
    main_sdk: plivo.RestClient, sandbox: Server, recorder: HookRecorder, sms_src: str
) -> None:
    with sandbox.main_client() as control:
        assert control.post("/_sandbox/messages/hold", json={"state": "sent"}).status_code == 202
        uuid = main_sdk.messages.create(
            src=sms_src, dst=US_DST, text="wait", url="https://hooks.test/s"
        ).message_uuid[0]
        settle(sandbox, 3600)
        assert main_sdk.messages.get(uuid).message_state == "sent"
        released = control.delete("/_sandbox/messages/hold").json()
        assert released["released"] == 1
    settle(sandbox)  # its delivery report was due long ago: it comes at once
    assert main_sdk.messages.get(uuid).message_state == "delivered"
    assert [c.params["Status"] for c in recorder.sent] == ["queued", "sent", "delivered"]


def test_lifecycle_delays_are_sandbox_time(main_sdk: plivo.RestClient, sandbox: Server, sms_src: str) -> None:
    with sandbox.main_client() as control:
        control.patch(
            "/_sandbox/settings", json={"message_queued_seconds": 600, "message_sent_seconds": 5}
        ).raise_for_status()
    uuid = main_sdk.messages.create(src=sms_src, dst=US_DST, text="later").message_uuid[0]
    settle(sandbox, 599)
    assert main_sdk.messages.get(uuid).message_state == "queued"
    settle(sandbox, 1)
    sent = main_sdk.messages.get(uuid)
    assert sent.message_state == "sent"
    settle(sandbox, 5)
    delivered = main_sdk.messages.get(uuid)
    assert delivered.message_state == "delivered"
    # The times shown agree with the clock: queued, then sent 600 s later.
    sent_time = datetime.fromisoformat(delivered.message_sent_time)
    assert (sent_time - datetime.fromisoformat(delivered.message_time)).total_seconds() == pytest.approx(
        600, abs=1
    )


def test_messages_and_numbers_are_charged_to_the_main_account(
    main_sdk: plivo.RestClient, sdk: Callable[[str, str], plivo.RestClient], sms_src: str
) -> None:
    from decimal import Decimal

    def credits() -> Decimal:
        return Decimal(main_sdk.account.get().cash_credits)

    start = credits()
    main_sdk.messages.create(src=sms_src, dst=f"{US_DST}<{GB_DST}", text="x")
    assert credits() == start - Decimal("0.00650") - Decimal("0.04000")
    sub = main_sdk.subaccounts.create(name="spender")
    number = main_sdk.numbers.search(country_iso="US").objects[0]["number"]
    sdk(sub.auth_id, sub.auth_token).numbers.buy(number)  # a subaccount spends its parent's credit
    assert credits() == start - Decimal("0.04650") - Decimal("0.80000")


def test_unfinished_lifecycles_resume_after_a_restart(
    tmp_path: Path, serve: Callable[[Starlette], Server]
) -> None:
    db = str(tmp_path / "sandbox.db")
    first = serve(create_app(db, settings=SandboxSettings(message_queued_seconds=600)))
    base = f"/v1/Account/{first.state.main_auth_id}/Message/"
    with first.main_client() as api:
        number = api.get(f"{base}../PhoneNumber/", params={"country_iso": "US"}).json()["objects"][0][
            "number"
        ]
        api.post(f"{base}../PhoneNumber/{number}/").raise_for_status()
        uuid = api.post(base, json={"src": number, "dst": US_DST, "text": "survivor"}).json()["message_uuid"][
            0
        ]
        assert api.get(f"{base}{uuid}/").json()["message_state"] == "queued"
    first.stop()

    second = serve(create_app(db, clock=MANUAL))  # Plivo's timings: the resumed lifecycle completes
    settle(second, 3)
    with second.main_client() as api:
        assert api.get(f"{base}{uuid}/").json()["message_state"] == "delivered"
