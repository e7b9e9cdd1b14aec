"""Inbound SMS and MMS (``POST /_sandbox/messages/inbound``): what the application's ``message_url``
gets, signed, and how the message ends: ``delivered`` when the URL answered 2xx, ``undelivered`` when
it did not, ``received`` when there is no ``message_url``."""

from __future__ import annotations

import plivo
from answer_server import settle
from hook_recorder import HookRecorder
from sandbox_server import Server

PHONE = "447700900999"


def rented_with_app(main_sdk: plivo.RestClient, message_url: str | None) -> str:
    app_id = main_sdk.applications.create(app_name="texts", message_url=message_url).app_id
    number: str = main_sdk.numbers.search(country_iso="US", services="sms").objects[0]["number"]
    main_sdk.numbers.buy(number, app_id=app_id)
    return number


def inbound(sandbox: Server, **body: object) -> dict[str, str]:
    with sandbox.main_client() as control:
        answer = control.post("/_sandbox/messages/inbound", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_an_sms_the_application_takes_is_delivered(
    sandbox: Server, main_sdk: plivo.RestClient, recorder: HookRecorder
) -> None:
    number = rented_with_app(main_sdk, "https://hooks.test/incoming")
    text = "a" * 200
    uuid = inbound(sandbox, **{"from": PHONE, "to": number, "text": text})["message_uuid"]
    settle(sandbox)
    (callback,) = recorder.sent
    assert callback.params == {
        "From": PHONE,
        "To": number,
        "Type": "sms",
        "Text": text,
        "MessageUUID": uuid,
        "Units": "2",
        "TotalRate": "0.00000",
        "TotalAmount": "0.00000",
        "MessageIntent": "",
        "PowerpackUUID": "",
    }
    assert callback.headers["x-plivo-signature-v3"]
    message = main_sdk.messages.get(uuid)
    assert (message.message_direction, message.message_state, message.units) == ("inbound", "delivered", 2)


def test_an_sms_the_application_refuses_is_undelivered(
    sandbox: Server, main_sdk: plivo.RestClient, recorder: HookRecorder
) -> None:
    number = rented_with_app(main_sdk, "https://hooks.test/incoming")
    recorder.status = 500
    uuid = inbound(sandbox, **{"from": PHONE, "to": number, "text": "anyone?"})["message_uuid"]
    settle(sandbox, 5)
    assert len(recorder.sent) == 1  # Plivo retries errors only when the URL asks for it (#rp=)
    assert main_sdk.messages.get(uuid).message_state == "undelivered"
    assert [m.message_uuid for m in main_sdk.messages.list(message_state="undelivered")] == [uuid]


def test_an_unreachable_application_leaves_it_undelivered_after_plivos_retry(
    sandbox: Server, main_sdk: plivo.RestClient
) -> None:
    number = rented_with_app(main_sdk, "http://127.0.0.1:9/incoming")  # nothing listens on port 9
    uuid = inbound(sandbox, **{"from": PHONE, "to": number, "text": "hello?"})["message_uuid"]
    settle(sandbox)
    assert main_sdk.messages.get(uuid).message_state == "received"  # one retry to come
    settle(sandbox, 1)
    assert main_sdk.messages.get(uuid).message_state == "undelivered"


def test_without_a_message_url_it_stays_received(
    sandbox: Server, main_sdk: plivo.RestClient, recorder: HookRecorder
) -> None:
    number = rented_with_app(main_sdk, None)
    answer = inbound(sandbox, **{"from": PHONE, "to": number, "text": "hi"})
    assert answer["delivered_to"] is None
    settle(sandbox, 5)
    assert recorder.sent == []
    assert main_sdk.messages.get(answer["message_uuid"]).message_state == "received"


def test_opt_out_opt_in_and_help_keywords_set_the_message_intent(
    sandbox: Server, main_sdk: plivo.RestClient, recorder: HookRecorder
) -> None:
    number = rented_with_app(main_sdk, "https://hooks.test/incoming")
    for text in ("STOP", " unsubscribe ", "Start", "HELP", "stop it"):
        inbound(sandbox, **{"from": PHONE, "to": number, "text": text})
    settle(sandbox)
    assert [c.params["MessageIntent"] for c in recorder.sent] == ["optout", "optout", "optin", "help", ""]


def test_an_inbound_mms_carries_its_media(
    sandbox: Server, main_sdk: plivo.RestClient, recorder: HookRecorder
) -> None:
    number = rented_with_app(main_sdk, "https://hooks.test/incoming")
    media = ["https://cdn.test/1.jpg", "https://cdn.test/2.png"]
    uuid = inbound(sandbox, **{"from": "14155550199", "to": number, "text": "look", "media_urls": media})[
        "message_uuid"
    ]
    settle(sandbox)
    (callback,) = recorder.sent
    assert {k: v for k, v in callback.params.items() if k not in ("From", "To", "MessageUUID")} == {
        "Type": "mms",
        "Body": "look",
        "MediaCount": "2",
        "Media1": media[0],
        "Media2": media[1],
        "Units": "1",
        "TotalRate": "0.00800",
        "TotalAmount": "0.00800",
        "PowerpackUUID": "",
    }
    message = main_sdk.messages.get(uuid)
    assert (message.message_type, message.message_state) == ("mms", "delivered")
    assert [m["media_url"] for m in message.listMedia().objects] == media
    with sandbox.main_client() as control:
        bad = control.post(
            "/_sandbox/messages/inbound", json={"from": PHONE, "to": number, "media_urls": "https://x.test/a"}
        )
    assert bad.status_code == 400 and "media_urls must be a list" in bad.json()["error"]
