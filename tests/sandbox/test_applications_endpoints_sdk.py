"""Applications and SIP endpoints through the official SDK."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import plivo
import pytest
from answer_server import settle
from plivo import exceptions as plivo_errors
from sandbox_server import Server


def test_application_crud(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    made = main_sdk.applications.create(
        app_name="Support line",
        answer_url="https://example.test/answer",
        answer_method="GET",
        message_url="https://example.test/sms",
        fallback_answer_url="https://example.test/fallback",
    )
    assert made.message == "created" and re.fullmatch(r"[1-9]\d{16}", made.app_id)
    app = main_sdk.applications.get(made.app_id)
    assert app.app_name == "Support line" and app.answer_method == "GET"
    assert app.hangup_url == "https://example.test/answer"  # defaults to answer_url
    assert app.sip_uri == f"sip:{made.app_id}@app.plivo.com"
    assert app.resource_uri == f"/v1/Account/{sandbox.state.main_auth_id}/Application/{made.app_id}/"
    assert app.sub_account is None and app.enabled is True

    main_sdk.applications.update(made.app_id, answer_url="https://example.test/v2", hangup_method="GET")
    changed = main_sdk.applications.get(made.app_id)
    assert changed.answer_url == "https://example.test/v2" and changed.hangup_method == "GET"

    main_sdk.applications.delete(made.app_id)
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.applications.get(made.app_id)
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.applications.delete(made.app_id)


def test_application_needs_a_name_and_valid_methods(sandbox: Server) -> None:
    base = f"/v1/Account/{sandbox.state.main_auth_id}/Application/"
    with sandbox.main_client() as main:
        assert main.post(base, json={"answer_url": "http://x.test"}).status_code == 400
        bad_method = main.post(base, json={"app_name": "a", "answer_method": "PUT"})
        assert bad_method.status_code == 400 and "answer_method" in bad_method.json()["error"]


def test_application_list_filters(main_sdk: plivo.RestClient) -> None:
    sub = main_sdk.subaccounts.create(name="owner")
    mine = main_sdk.applications.create(app_name="alpha").app_id
    theirs = main_sdk.applications.create(app_name="beta", subaccount=sub.auth_id).app_id
    assert {a.app_id for a in main_sdk.applications.list()} == {mine, theirs}
    assert [a.app_id for a in main_sdk.applications.list(subaccount=sub.auth_id)] == [theirs]
    assert [a.app_id for a in main_sdk.applications.list(app_name="alp")] == [mine]


def test_only_one_default_number_app(main_sdk: plivo.RestClient) -> None:
    first = main_sdk.applications.create(app_name="first", default_number_app=True).app_id
    second = main_sdk.applications.create(app_name="second", default_number_app=True).app_id
    assert main_sdk.applications.get(first).default_app is False
    assert main_sdk.applications.get(second).default_app is True


def test_default_apps_link_new_numbers_and_endpoints(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    number_app = main_sdk.applications.create(app_name="numbers", default_number_app=True).app_id
    endpoint_app = main_sdk.applications.create(app_name="endpoints", default_endpoint_app=True).app_id
    base = f"/v1/Account/{sandbox.state.main_auth_id}/Application/"

    number = main_sdk.numbers.search(country_iso="US", type="local").objects[0]["number"]
    main_sdk.numbers.buy(number)
    assert main_sdk.numbers.get(number).application == f"{base}{number_app}/"

    endpoint_id = main_sdk.endpoints.create(username="desk", password="pw", alias="Desk").endpoint_id
    assert main_sdk.endpoints.get(endpoint_id).application == f"{base}{endpoint_app}/"

    # An explicit app_id wins over the default.
    other = main_sdk.applications.create(app_name="other").app_id
    explicit = main_sdk.endpoints.create(username="desk", password="pw", alias="D2", app_id=other)
    assert main_sdk.endpoints.get(explicit.endpoint_id).application == f"{base}{other}/"


def test_deleting_an_application_unlinks_numbers_and_endpoints(main_sdk: plivo.RestClient) -> None:
    app_id = main_sdk.applications.create(app_name="temporary").app_id
    number = main_sdk.numbers.search(country_iso="CA").objects[0]["number"]
    main_sdk.numbers.buy(number, app_id=app_id)
    endpoint_id = main_sdk.endpoints.create(
        username="temp", password="pw", alias="t", app_id=app_id
    ).endpoint_id
    main_sdk.applications.delete(app_id)
    assert main_sdk.numbers.get(number).application is None
    assert main_sdk.endpoints.get(endpoint_id).application is None


def test_endpoint_crud(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    made = main_sdk.endpoints.create(username="zumba", password="s3cret", alias="zumba")
    assert made.message == "created" and made.alias == "zumba"
    assert re.fullmatch(r"zumba\d{12}", made.username)
    assert re.fullmatch(r"[1-9]\d{13}", made.endpoint_id)
    endpoint = main_sdk.endpoints.get(made.endpoint_id)
    assert endpoint.sip_uri == f"sip:{made.username}@phone.plivo.com"
    assert endpoint.sip_registered == "false" and endpoint.application is None
    assert not hasattr(endpoint, "password")

    main_sdk.endpoints.update(made.endpoint_id, alias="renamed", password="n3w")
    assert main_sdk.endpoints.get(made.endpoint_id).alias == "renamed"

    second = main_sdk.endpoints.create(username="zumba", password="pw", alias="again")
    assert second.username != made.username  # usernames stay unique
    listed = main_sdk.endpoints.list(limit=1)
    assert [e.endpoint_id for e in listed] == [second.endpoint_id] and listed.meta["total_count"] == 2

    main_sdk.endpoints.delete(made.endpoint_id)
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.endpoints.get(made.endpoint_id)
    assert "s3cret" not in str(main_sdk.endpoints.list())


def test_endpoint_validation(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    base = f"/v1/Account/{sandbox.state.main_auth_id}/Endpoint/"
    with sandbox.main_client() as main:
        assert main.post(base, json={"username": "a", "password": "p"}).status_code == 400  # no alias
        assert (
            main.post(base, json={"username": "bad name", "password": "p", "alias": "a"}).status_code == 400
        )
        assert (
            main.post(base, json={"username": "u", "password": "p", "alias": "a", "app_id": "1"}).status_code
            == 404
        )


def test_subaccount_endpoints_are_private(
    main_sdk: plivo.RestClient, sdk: Callable[[str, str], plivo.RestClient]
) -> None:
    sub = main_sdk.subaccounts.create(name="s")
    as_sub = sdk(sub.auth_id, sub.auth_token)
    main_endpoint = main_sdk.endpoints.create(username="boss", password="p", alias="b").endpoint_id
    sub_endpoint = as_sub.endpoints.create(username="staff", password="p", alias="s").endpoint_id
    assert [e.endpoint_id for e in as_sub.endpoints.list()] == [sub_endpoint]
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        as_sub.endpoints.update(main_endpoint, alias="hijacked")
    assert main_sdk.endpoints.get(sub_endpoint).sub_account.endswith(f"/Subaccount/{sub.auth_id}/")


def test_sip_registration_fills_and_clears_the_contact(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    endpoint_id = main_sdk.endpoints.create(
        username="softphone", password="secret1", alias="desk"
    ).endpoint_id
    fresh = main_sdk.endpoints.get(endpoint_id)
    assert fresh.sip_registered == "false" and "sip_contact" not in fresh.__dict__
    with sandbox.main_client() as control:
        registered = control.post(
            f"/_sandbox/endpoints/{endpoint_id}/register",
            json={"contact": "sip:desk@203.0.113.7:5062;ob", "expires": 600, "user_agent": "Telephone 1.6"},
        )
        assert registered.status_code == 200 and registered.json()["sip_registered"] == "true"
        now = control.get("/_sandbox/clock").json()["epoch"]
    shown = main_sdk.endpoints.get(endpoint_id)
    assert (shown.sip_registered, shown.sip_contact, shown.sip_user_agent) == (
        "true",
        "sip:desk@203.0.113.7:5062;ob",
        "Telephone 1.6",
    )
    expires = datetime.strptime(shown.sip_expires, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert expires.timestamp() == pytest.approx(now + 600, abs=1)
    assert [e.sip_registered for e in main_sdk.endpoints.list()] == ["true"]
    settle(sandbox, 600)  # the registration runs out on the sandbox clock
    assert main_sdk.endpoints.get(endpoint_id).sip_registered == "false"

    with sandbox.main_client() as control:
        control.post(f"/_sandbox/endpoints/{endpoint_id}/register", json={}).raise_for_status()
        default = main_sdk.endpoints.get(endpoint_id)
        assert default.sip_contact.startswith(f"sip:{default.username}@") and default.sip_user_agent
        unregistered = control.post(f"/_sandbox/endpoints/{endpoint_id}/unregister")
        assert unregistered.status_code == 200 and unregistered.json()["sip_registered"] == "false"
        gone = main_sdk.endpoints.get(endpoint_id)
        assert gone.sip_registered == "false"
        assert not {"sip_contact", "sip_expires", "sip_user_agent"} & set(gone.__dict__)
        for bad in ({"expires": 0}, {"expires": "soon"}, {"contact": "desk@host"}):
            answer = control.post(f"/_sandbox/endpoints/{endpoint_id}/register", json=bad)
            assert answer.status_code == 400, bad
        assert control.post("/_sandbox/endpoints/1234/register", json={}).status_code == 404
        assert control.post("/_sandbox/endpoints/1234/unregister").status_code == 404
