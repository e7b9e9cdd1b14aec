"""Number inventory, rented numbers, incoming carriers and pricing through the official SDK.

The SDK has no incoming-carrier resource, so carriers go through its generic ``client.request``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plivo
import pytest
from plivo import exceptions as plivo_errors
from sandbox_server import Server

from plivo_blocks.sandbox.tariffs import pricing_table


def add_carrier(client: plivo.RestClient, name: str, ip_set: str) -> str:
    answer = client.request("POST", ("IncomingCarrier",), {"name": name, "ip_set": ip_set})
    assert answer.message == "created"
    return str(answer.carrier_id)


def test_search_is_deterministic_and_filtered(main_sdk: plivo.RestClient) -> None:
    first = main_sdk.numbers.search(country_iso="US", pattern="415", type="local", limit=5)
    again = main_sdk.numbers.search(country_iso="US", pattern="415", type="local", limit=5)
    assert [n["number"] for n in first.objects] == [n["number"] for n in again.objects]
    assert all(n["number"].startswith("1415") and n["type"] == "fixed" for n in first.objects)
    assert first.meta["total_count"] >= 5 and len(first.objects) == 5

    tollfree = main_sdk.numbers.search(country_iso="US", type="tollfree")
    assert tollfree.objects and all(n["type"] == "tollfree" for n in tollfree.objects)
    mobile_gb = main_sdk.numbers.search(country_iso="GB", type="mobile", services="sms")
    assert mobile_gb.objects and all(n["sms_enabled"] for n in mobile_gb.objects)
    # German fixed numbers carry no SMS, so asking for sms finds only none of them.
    assert (
        main_sdk.numbers.search(country_iso="DE", type="fixed", services="voice,sms").meta["total_count"] == 0
    )
    frankfurt = main_sdk.numbers.search(country_iso="DE", region="Frankfurt")
    assert frankfurt.objects and all(n["region"] == "Frankfurt" for n in frankfurt.objects)
    assert frankfurt.objects[0]["number"].startswith("4969")
    assert main_sdk.numbers.search(country_iso="ZZ").meta["total_count"] == 0


def test_search_validates_parameters(sandbox: Server) -> None:
    base = f"/v1/Account/{sandbox.state.main_auth_id}/PhoneNumber/"
    with sandbox.main_client() as main:
        assert main.get(base).status_code == 400  # country_iso is required
        for bad in ({"type": "premium"}, {"pattern": "4a"}, {"services": "fax"}, {"country_iso": "USA"}):
            assert main.get(base, params={"country_iso": "US", **bad}).status_code == 400, bad


def test_search_pages(main_sdk: plivo.RestClient) -> None:
    whole = main_sdk.numbers.search(country_iso="SG", limit=20, offset=0)
    second = main_sdk.numbers.search(country_iso="SG", limit=20, offset=20)
    assert whole.meta["next"].endswith("offset=20&country_iso=SG")
    assert not {n["number"] for n in whole.objects} & {n["number"] for n in second.objects}


def test_buy_takes_the_number_out_of_inventory(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    number = main_sdk.numbers.search(country_iso="US", pattern="212").objects[0]["number"]
    bought = main_sdk.numbers.buy(number)
    assert bought.status == "fulfilled" and bought.numbers[0]["number"] == number
    assert bought.numbers[0]["status"] == "Success"
    assert number not in {
        n["number"] for n in main_sdk.numbers.search(country_iso="US", pattern="212", limit=20).objects
    }
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.numbers.buy(number)
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.numbers.buy("15550000000")  # not in the inventory

    rented = main_sdk.numbers.get(number)
    assert rented.number == number and rented.carrier == "Plivo" and rented.number_type == "local"
    assert rented.country == "United States" and rented.region.startswith("New York")
    assert rented.resource_uri == f"/v1/Account/{sandbox.state.main_auth_id}/Number/{number}/"

    main_sdk.numbers.delete(number)  # unrent: back for sale
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.numbers.get(number)
    assert number in {
        n["number"] for n in main_sdk.numbers.search(country_iso="US", pattern="212", limit=20).objects
    }


def test_buy_with_an_application(main_sdk: plivo.RestClient) -> None:
    app_id = main_sdk.applications.create(app_name="inbound").app_id
    number = main_sdk.numbers.search(country_iso="AU", type="mobile").objects[0]["number"]
    main_sdk.numbers.buy(number, app_id=app_id)
    assert main_sdk.numbers.get(number).application.endswith(f"/Application/{app_id}/")
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.numbers.buy(main_sdk.numbers.search(country_iso="AU").objects[0]["number"], app_id="999")


def test_rented_number_filters_and_updates(
    main_sdk: plivo.RestClient, sdk: Callable[[str, str], plivo.RestClient]
) -> None:
    local = main_sdk.numbers.search(country_iso="US", pattern="415").objects[0]["number"]
    tollfree = main_sdk.numbers.search(country_iso="US", type="tollfree").objects[0]["number"]
    mobile = main_sdk.numbers.search(country_iso="GB", type="mobile").objects[0]["number"]
    for number in (local, tollfree, mobile):
        main_sdk.numbers.buy(number)

    def listed(**filters: Any) -> set[str]:
        return {n.number for n in main_sdk.numbers.list(**filters)}

    assert listed() == {local, tollfree, mobile}
    assert listed(type="tollfree") == {tollfree}
    assert listed(number_startswith="1415") == {local}
    assert listed(services="sms") == {local, tollfree, mobile}

    app_id = main_sdk.applications.create(app_name="route").app_id
    sub = main_sdk.subaccounts.create(name="branch")
    main_sdk.numbers.update(local, app_id=app_id, alias="front desk")
    assert listed(alias="front desk") == {local}
    assert main_sdk.numbers.get(local).application.endswith(f"/{app_id}/")

    main_sdk.numbers.update(mobile, subaccount=sub.auth_id)
    assert listed(subaccount=sub.auth_id) == {mobile}
    as_sub = sdk(sub.auth_id, sub.auth_token)
    assert [n.number for n in as_sub.numbers.list()] == [mobile]
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        as_sub.numbers.get(local)
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        as_sub.numbers.delete(local)

    main_sdk.numbers.update(local, app_id="null")  # unlink the application
    assert main_sdk.numbers.get(local).application is None


def test_incoming_carrier_crud_and_own_numbers(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    carrier_id = add_carrier(main_sdk, "Acme Telecom", "10.0.0.1,10.0.0.2")
    carrier = main_sdk.request("GET", ("IncomingCarrier", carrier_id))
    assert carrier.name == "Acme Telecom" and carrier.ip_set == "10.0.0.1,10.0.0.2"
    assert carrier.resource_uri == f"/v1/Account/{sandbox.state.main_auth_id}/IncomingCarrier/{carrier_id}/"

    app_id = main_sdk.applications.create(app_name="carrier calls").app_id
    added = main_sdk.numbers.create(
        numbers="18554675486,18554675487",
        carrier=carrier_id,
        region="Nevada",
        number_type="tollfree",
        app_id=app_id,
    )
    assert added.message == "changed"
    own = main_sdk.numbers.get("18554675486")
    assert own.carrier == "Acme Telecom" and own.number_type == "tollfree" and own.region == "Nevada"
    assert own.application.endswith(f"/{app_id}/")

    main_sdk.request("POST", ("IncomingCarrier", carrier_id), {"name": "Acme Networks"})
    assert main_sdk.numbers.get("18554675487").carrier == "Acme Networks"
    listed = main_sdk.request("GET", ("IncomingCarrier",), {"name": "networks"})
    assert [c["carrier_id"] for c in listed.objects] == [carrier_id]

    with pytest.raises(plivo_errors.ValidationError):  # already on an account
        main_sdk.numbers.create(numbers="18554675486", carrier=carrier_id, region="Nevada")

    main_sdk.request("DELETE", ("IncomingCarrier", carrier_id))  # its numbers go with it
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.numbers.get("18554675486")
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.request("GET", ("IncomingCarrier", carrier_id))


def test_own_numbers_need_a_registered_carrier(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.numbers.create(numbers="18554675486", carrier="12345", region="Nevada")
    base = f"/v1/Account/{sandbox.state.main_auth_id}/IncomingCarrier/"
    with sandbox.main_client() as main:
        assert main.post(base, json={"name": "x", "ip_set": "not-an-ip"}).status_code == 400
        assert main.post(base, json={"name": "x"}).status_code == 400


def test_own_carrier_numbers_for_a_subaccount(main_sdk: plivo.RestClient) -> None:
    sub = main_sdk.subaccounts.create(name="resold")
    carrier_id = add_carrier(main_sdk, "Wholesale", "192.0.2.10")
    main_sdk.numbers.create(numbers="18885550001", carrier=carrier_id, region="Ohio", subaccount=sub.auth_id)
    assert [n.number for n in main_sdk.numbers.list(subaccount=sub.auth_id)] == ["18885550001"]


def test_pricing(main_sdk: plivo.RestClient, sandbox: Server) -> None:
    assert len(pricing_table()) >= 20
    us = main_sdk.pricing.get("US")
    assert (us.country, us.country_code, us.country_iso) == ("United States", 1, "US")
    assert us.message["outbound"]["rate"] == "0.00650"
    assert us.phone_numbers["local"]["rate"] == "0.80000"
    assert us.phone_numbers["tollfree"]["rate"] == "1.00000"
    first_rate = us.voice["outbound"]["rates"][0]
    assert (first_rate["prefix"], first_rate["rate"]) == (["1"], "0.01200")
    with sandbox.main_client() as main:
        base = f"/v1/Account/{sandbox.state.main_auth_id}/Pricing/"
        assert main.get(base).status_code == 400
        assert main.get(base, params={"country_iso": "USA"}).status_code == 400
        unknown = main.get(base, params={"country_iso": "ZZ"})
        assert unknown.status_code == 404 and set(unknown.json()) == {"api_id", "error"}
