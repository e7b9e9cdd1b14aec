"""Account and subaccounts through the official SDK, including subaccount isolation."""

from __future__ import annotations

from collections.abc import Callable

import plivo
import pytest
from plivo import exceptions as plivo_errors
from sandbox_server import Server


def test_get_and_update_account(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    account = main_sdk.account.get()
    assert account.auth_id == sandbox.state.main_auth_id
    assert account.resource_uri == f"/v1/Account/{sandbox.state.main_auth_id}/"
    changed = main_sdk.account.update(name="Ada Lovelace", city="London", address="12 St James's Sq")
    assert changed.message == "changed"
    again = main_sdk.account.get()
    assert (again.name, again.city, again.address) == ("Ada Lovelace", "London", "12 St James's Sq")


def test_update_account_needs_a_field(sandbox: Server) -> None:
    with sandbox.main_client() as main:
        answer = main.post(f"/v1/Account/{sandbox.state.main_auth_id}/", json={})
    assert answer.status_code == 400


def test_subaccount_lifecycle(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    made = main_sdk.subaccounts.create(name="Wayne Enterprises", enabled=True)
    assert made.message == "created"
    assert len(made.auth_id) == 20 and made.auth_id.startswith("SA") and len(made.auth_token) == 40
    fetched = main_sdk.subaccounts.get(made.auth_id)
    assert fetched.name == "Wayne Enterprises" and fetched.enabled is True
    assert fetched.auth_token == made.auth_token == fetched.new_auth_token
    assert fetched.account == f"/v1/Account/{sandbox.state.main_auth_id}/"
    assert fetched.modified is None

    assert main_sdk.subaccounts.update(made.auth_id, name="Wayne Corp", enabled=False).message == "changed"
    updated = main_sdk.subaccounts.get(made.auth_id)
    assert (updated.name, updated.enabled) == ("Wayne Corp", False) and updated.modified is not None

    listed = main_sdk.subaccounts.list()
    assert [s.auth_id for s in listed] == [made.auth_id] and listed.meta["total_count"] == 1

    main_sdk.subaccounts.delete(made.auth_id)
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.subaccounts.get(made.auth_id)


def test_subaccounts_list_pages_newest_first(main_sdk: plivo.RestClient) -> None:
    made = [main_sdk.subaccounts.create(name=f"s{i}").auth_id for i in range(4)]
    page = main_sdk.subaccounts.list(limit=3, offset=0)
    assert [s.auth_id for s in page] == made[::-1][:3]
    assert page.meta["next"].endswith("/Subaccount/?limit=3&offset=3")
    rest = main_sdk.subaccounts.list(limit=3, offset=3)
    assert [s.auth_id for s in rest] == [made[0]] and rest.meta["next"] is None


def test_subaccount_credentials_work_and_are_isolated(
    main_sdk: plivo.RestClient, sdk: Callable[[str, str], plivo.RestClient], sandbox: Server
) -> None:
    first = main_sdk.subaccounts.create(name="first")
    second = main_sdk.subaccounts.create(name="second")
    as_first = sdk(first.auth_id, first.auth_token)
    as_second = sdk(second.auth_id, second.auth_token)

    assert as_first.account.get().auth_id == first.auth_id
    own_app = as_first.applications.create(app_name="first's app").app_id
    main_app = main_sdk.applications.create(app_name="main's app").app_id

    # A subaccount sees only its own resources …
    assert [a.app_id for a in as_first.applications.list()] == [own_app]
    assert list(as_second.applications.list()) == []
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        as_second.applications.get(own_app)
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        as_first.applications.get(main_app)
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        as_second.applications.delete(own_app)
    # … while the main account sees its subaccounts' too, and can narrow to one.
    assert {a.app_id for a in main_sdk.applications.list()} == {own_app, main_app}
    assert [a.app_id for a in main_sdk.applications.list(subaccount=first.auth_id)] == [own_app]
    assert main_sdk.applications.get(own_app).sub_account.endswith(f"/Subaccount/{first.auth_id}/")

    # Subaccounts cannot manage subaccounts (so never see each other's tokens). The SDK cannot
    # report an error answer to a list call, so that one is checked over plain HTTP.
    with sandbox.client((first.auth_id, first.auth_token)) as raw:
        listing = raw.get(f"/v1/Account/{first.auth_id}/Subaccount/")
        assert listing.status_code == 403 and "auth_token" not in listing.text
    with pytest.raises(plivo_errors.ForbiddenError):
        as_first.subaccounts.get(second.auth_id)


def test_a_subaccount_cannot_name_another_accounts_subaccount(
    main_sdk: plivo.RestClient, sdk: Callable[[str, str], plivo.RestClient]
) -> None:
    first = main_sdk.subaccounts.create(name="first")
    second = main_sdk.subaccounts.create(name="second")
    as_first = sdk(first.auth_id, first.auth_token)
    with pytest.raises(plivo_errors.ValidationError):
        as_first.applications.list(subaccount=second.auth_id)


def test_deleting_a_subaccount_hands_its_resources_to_the_parent(
    main_sdk: plivo.RestClient, sdk: Callable[[str, str], plivo.RestClient], sandbox: Server
) -> None:
    sub = main_sdk.subaccounts.create(name="leaving")
    as_sub = sdk(sub.auth_id, sub.auth_token)
    app_id = as_sub.applications.create(app_name="inherited").app_id
    endpoint_id = as_sub.endpoints.create(username="heir", password="pw", alias="heir").endpoint_id
    number = as_sub.numbers.search(country_iso="GB", type="mobile").objects[0]["number"]
    as_sub.numbers.buy(number)

    main_sdk.subaccounts.delete(sub.auth_id)

    main_id = sandbox.state.main_auth_id
    app = main_sdk.applications.get(app_id)
    assert app.sub_account is None and app.resource_uri.startswith(f"/v1/Account/{main_id}/")
    assert main_sdk.endpoints.get(endpoint_id).sub_account is None
    assert main_sdk.numbers.get(number).sub_account is None
    with pytest.raises(plivo_errors.AuthenticationError):
        as_sub.account.get()


def test_cascade_delete_removes_the_subaccounts_resources(
    main_sdk: plivo.RestClient, sdk: Callable[[str, str], plivo.RestClient]
) -> None:
    sub = main_sdk.subaccounts.create(name="cascade")
    app_id = sdk(sub.auth_id, sub.auth_token).applications.create(app_name="gone").app_id
    main_sdk.subaccounts.delete(sub.auth_id, cascade=True)
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.applications.get(app_id)
