"""The inspector in a real browser (the system's Chromium, through Playwright), against a sandbox on
the manual clock: live updates without reload, a live call's timeline and its Hang up button, the
inbound-SMS form reaching an application's message_url, a bin saved in the page served to a call,
conference and settings controls, one-click redelivery, and every page at 1280 and 390 px wide
(screenshots in ``build/screenshots/``).

Time moves only through ``POST /_sandbox/clock/advance``; the one wall-clock bound is the "within a
second" of live updates, a Playwright wait of at most 1 s."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plivo
import pytest
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from playwright.sync_api import Page, expect
from sandbox_server import Server

from support.browser import PageFactory

FROM = "14155550100"
LIVE_WITHIN_MS = 1000
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
HOLD_XML = '<Response><Speak>Please hold the line</Speak><Wait length="600"/></Response>'

Open = Callable[..., Page]


@pytest.fixture
def ui(sandbox: Server, open_page: PageFactory) -> Open:
    """``ui(path="messages", width=1280, height=800)``: a page logged in to the inspector at ``path``,
    with its live connection up. (Pages close before the sandbox stops: fixtures tear down in reverse.)"""

    def open_inspector(path: str = "messages", width: int = 1280, height: int = 800) -> Page:
        page = open_page(width, height)
        page.goto(f"{sandbox.url}/_sandbox/ui/{path}")
        page.fill("input[name=auth_id]", sandbox.state.main_auth_id)
        page.fill("input[name=auth_token]", sandbox.state.main_auth_token)
        page.click("button[type=submit]")
        expect(page.locator("#view h1")).to_have_text("Messages")
        if path != "messages":
            page.goto(f"{sandbox.url}/_sandbox/ui/{path}")
        expect(page.locator("#live")).to_have_text("live")
        return page

    return open_inspector


def _control(sandbox: Server, method: str, path: str, **kwargs: Any) -> Any:
    with sandbox.main_client() as control:
        answer = control.request(method, path, **kwargs)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def _call(main_sdk: plivo.RestClient, answers: AnswerServer, to: str, answer_url: str | None = None) -> str:
    request_uuid = main_sdk.calls.create(
        from_=FROM, to_=to, answer_url=answer_url or answers.url("/answer")
    ).request_uuid
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params.get("RequestUUID") == request_uuid)
    return answer.params["CallUUID"]


def test_a_message_sent_through_the_api_appears_in_the_open_inbox_within_a_second(
    ui: Open, main_sdk: plivo.RestClient, sms_src: str
) -> None:
    page = ui("messages")
    page.evaluate("window.notReloaded = true")
    (uuid,) = main_sdk.messages.create(src=sms_src, dst="14155550111", text="Meet at noon").message_uuid
    row = page.locator(f'#messages tr[data-key="{uuid}"]')
    expect(row).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(row).to_contain_text("Meet at noon")
    assert page.evaluate("window.notReloaded") is True
    row.click()  # its page: segments, encoding, price, timeline
    expect(page.locator("#view h1")).to_contain_text(uuid)
    expect(page.locator("dl.fields")).to_contain_text("GSM")
    expect(page.locator("ol.timeline")).to_contain_text("queued")
    assert page.evaluate("window.notReloaded") is True  # followed without a reload


def test_a_live_calls_page_shows_its_timeline_and_hang_up_ends_the_call(
    ui: Open, sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", HOLD_XML)
    call_uuid = _call(main_sdk, answers, "14155550111")
    settle(sandbox, 3)
    page = ui(f"calls/{call_uuid}")
    timeline = page.locator("#timeline")
    expect(timeline.locator('li.request[data-kind="answer"]')).to_contain_text(answers.url("/answer"))
    expect(timeline.locator('li[data-event="speak"]')).to_contain_text("Please hold the line")
    expect(timeline.locator('li[data-event="wait"]')).to_contain_text("length=600")
    expect(page.locator(".call-controls")).to_be_visible()
    page.get_by_role("button", name="Hang up").click()
    expect(timeline.locator('li[data-event="hangup"]')).to_be_visible()
    expect(page.locator(".call-controls")).to_be_hidden()
    expect(page.locator(".call-fields")).to_contain_text("Normal Hangup")
    detail = _control(sandbox, "GET", f"/_sandbox/calls/{call_uuid}")
    assert detail["live"] is False and detail["status"] == "completed"
    assert (detail["hangup_cause_name"], detail["hangup_source"]) == ("Normal Hangup", "Callee")
    hangup = answers.wait_for("/answer", where=lambda r: r.params.get("Event") == "Hangup")
    assert hangup[0].params["CallUUID"] == call_uuid


def test_say_words_reports_what_the_sandbox_answers(
    ui: Open, sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", HOLD_XML)
    call_uuid = _call(main_sdk, answers, "14155550112")
    settle(sandbox)
    page = ui(f"calls/{call_uuid}")
    page.fill(".call-controls input[name=speech]", "yes please")
    page.get_by_role("button", name="Say").click()
    outcome = page.locator(".call-controls [role=status]")
    expect(outcome).not_to_be_empty()
    with sandbox.main_client() as control:
        speech = control.post(f"/_sandbox/calls/{call_uuid}/speech", json={"text": "yes please"})
    if speech.status_code < 300:
        expect(outcome).to_have_text("Said “yes please”.")
    else:  # the sandbox has no speech input yet: the page says so plainly
        expect(outcome).to_contain_text("This sandbox has no speech input yet")
        expect(outcome).to_have_class("error")


def test_the_inbound_sms_form_reaches_the_applications_message_url(
    ui: Open, sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    app_id = main_sdk.applications.create(app_name="inbox", message_url=answers.url("/sms")).app_id
    number = main_sdk.numbers.search(country_iso="US").objects[0]["number"]
    main_sdk.numbers.buy(number, app_id=app_id)
    page = ui("simulate")
    form = page.locator("#inbound-sms")
    form.locator("input[name=from]").fill("14155550177")
    form.locator("input[name=to]").fill(number)
    form.locator("input[name=text]").fill("Hello from the page")
    form.get_by_role("button", name="Send SMS").click()
    expect(form.locator(".done")).to_contain_text(f"delivered to {answers.url('/sms')}")
    (sms,) = answers.wait_for("/sms")
    assert (sms.params["From"], sms.params["To"], sms.params["Text"]) == (
        "14155550177",
        number,
        "Hello from the page",
    )
    assert sms.signed_by(sandbox.state.main_auth_token)
    form.locator(".done a").click()  # the inbound message's own page
    expect(page.locator("pre.message-text")).to_have_text("Hello from the page")


def test_a_bin_saved_in_the_page_is_served_to_a_call(
    ui: Open, sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    page = ui("bins")
    editor = page.locator(".bin-editor")
    editor.locator("input[name=name]").fill("welcome")
    editor.locator("textarea[name=xml]").fill("<Response><Speek>typo</Speek></Response>")
    editor.get_by_role("button", name="Save bin").click()
    expect(editor.locator(".error")).to_contain_text("Speek")  # refused as Plivo would refuse it
    welcome = '<Response><Speak>Welcome to the bin</Speak><Wait length="60"/></Response>'
    editor.locator("textarea[name=xml]").fill(welcome)
    editor.get_by_role("button", name="Save bin").click()
    expect(editor.locator(".done")).to_have_text("Saved welcome.")
    expect(page.locator('#bins tr[data-key="welcome"]')).to_be_visible()
    bin_url = f"{sandbox.url}/_sandbox/bins/welcome"
    expect(editor.locator(".bin-url")).to_have_text(f"Served at {bin_url}")
    main_sdk.calls.create(from_=FROM, to_="14155550113", answer_url=bin_url)
    settle(sandbox, 3)
    (call,) = _control(sandbox, "GET", "/_sandbox/calls")["objects"]
    detail = _control(sandbox, "GET", f"/_sandbox/calls/{call['call_uuid']}")
    assert [e["text"] for e in detail["log"] if e["event"] == "speak"] == ["Welcome to the bin"]
    fetch = next(e for e in detail["timeline"] if e["type"] == "request" and e["kind"] == "answer")
    assert fetch["url"] == bin_url and fetch["tries"][0]["response_excerpt"] == welcome


def test_the_conference_page_mutes_and_kicks_members(
    ui: Open, sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", "<Response><Conference>standup</Conference></Response>")
    first, second = (_call(main_sdk, answers, to) for to in ("14155550114", "14155550115"))
    settle(sandbox)
    page = ui("conferences")
    room = page.locator('section[data-conference="standup"]')
    first_row = room.locator("tr", has=page.locator(f'a[href$="/calls/{first}"]'))
    first_row.get_by_role("button", name="Mute").click()
    expect(first_row.get_by_role("button", name="Unmute")).to_be_visible()
    second_row = room.locator("tr", has=page.locator(f'a[href$="/calls/{second}"]'))
    second_row.get_by_role("button", name="Kick").click()
    expect(room.locator("tbody tr")).to_have_count(1)
    (shown,) = _control(sandbox, "GET", "/_sandbox/conferences")["conferences"]
    assert [(m["call_uuid"], m["muted"]) for m in shown["members"]] == [(first, True)]


def test_settings_and_clock_are_changed_from_the_page(ui: Open, sandbox: Server) -> None:
    page = ui("settings")
    before = _control(sandbox, "GET", "/_sandbox/clock")["epoch"]
    page.fill("#settings input[name=message_sent_seconds]", "7")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings .done")).to_have_text("Saved: message_sent_seconds.")
    assert _control(sandbox, "GET", "/_sandbox/settings")["settings"]["message_sent_seconds"] == 7
    page.fill("#clock-settings input[name=seconds]", "30")
    page.get_by_role("button", name="Advance").click()
    expect(page.locator("#clock-settings .done")).to_contain_text("Moved 30 s")
    assert _control(sandbox, "GET", "/_sandbox/clock")["epoch"] == pytest.approx(before + 30, abs=0.01)
    page.locator("#faults input[name=status]").fill("503")
    page.get_by_role("button", name="Add fault").click()
    expect(page.locator("#faults table")).to_contain_text("503")
    assert _control(sandbox, "GET", "/_sandbox/faults")["faults"][0]["status"] == 503


def test_a_webhook_is_redelivered_with_one_click(
    ui: Open, sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer, sms_src: str
) -> None:
    main_sdk.messages.create(src=sms_src, dst="14155550116", text="hi", url=answers.url("/status"))
    settle(sandbox, 3)  # queued, sent (1 s), delivered (2 s later)
    delivered = answers.wait_for("/status", count=3)
    page = ui("webhooks")
    latest = page.locator("#webhooks details.delivery").first
    latest.locator("summary").click()
    expect(latest).to_contain_text("X-Plivo-Signature-V3")  # the signature headers sent
    latest.get_by_role("button", name="Redeliver").click()
    expect(latest.locator(".done")).to_contain_text("Queued again as")
    again = answers.wait_for("/status", count=4)
    assert again[-1].params == delivered[-1].params and again[-1].signed_by(sandbox.state.main_auth_token)


_NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("device", list(WIDTHS))
def test_every_page_fits_its_width_with_screenshots(
    ui: Open,
    sandbox: Server,
    main_sdk: plivo.RestClient,
    answers: AnswerServer,
    screenshots: Path,
    device: str,
    sms_src: str,
) -> None:
    width, height = WIDTHS[device]
    answers.reply("/answer", HOLD_XML)
    main_sdk.messages.create(
        src=sms_src, dst="14155550111", text="Your table for two is ready", url=answers.url("/st")
    )
    main_sdk.messages.create(src=FROM, dst="447700900123", text="Ça va? Rendez-vous à 20h 😀")
    call_uuid = _call(main_sdk, answers, "14155550117")
    settle(sandbox, 3)
    _control(sandbox, "PUT", "/_sandbox/bins/greeting", content=HOLD_XML)
    page = ui("messages", width, height)
    sections = [
        "messages",
        f"calls/{call_uuid}",
        "calls",
        "webhooks",
        "bins",
        "simulate",
        "account",
        "settings",
    ]
    sections += ["conferences", "activity"]
    for section in sections:
        page.goto(f"{sandbox.url}/_sandbox/ui/{section}")
        expect(page.locator("#view h1")).to_be_visible()
        expect(page.locator("#view .error")).to_have_count(0)
        assert page.evaluate(_NO_SIDEWAYS_SCROLL), f"{section} scrolls sideways at {width} px"
        name = re.sub(r"/.*", "-detail", section)
        page.screenshot(path=screenshots / f"inspector-{name}-{width}px.png", full_page=True)
    assert (screenshots / f"inspector-calls-detail-{width}px.png").stat().st_size > 0
