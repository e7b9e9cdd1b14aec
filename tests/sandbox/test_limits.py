"""Plivo's limits, on the sandbox clock: 300 API requests per 5 s per main account (429 with
``Retry-After`` beyond), and 2 calls per second (further calls accepted and queued, started in order)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import plivo
import pytest
from answer_server import settle
from plivo import exceptions as plivo_errors
from sandbox_server import Server

FROM = "14155550100"
CONFERENCE = "<Response><Conference>limits</Conference></Response>"


def account_path(sandbox: Server) -> str:
    return f"/v1/Account/{sandbox.state.main_auth_id}/"


def patch_settings(sandbox: Server, **changes: object) -> httpx.Response:
    with sandbox.main_client() as control:
        return control.patch("/_sandbox/settings", json=changes)


def test_the_301st_request_within_5_seconds_gets_429_with_retry_after(sandbox: Server) -> None:
    with sandbox.main_client() as api:
        answers = [api.get(account_path(sandbox)).status_code for _ in range(300)]
        assert answers == [200] * 300
        refused = api.get(account_path(sandbox))
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "5"  # all 300 were made at this very instant
        body = refused.json()
        assert set(body) == {"api_id", "error"} and "300 API requests in the last 5 seconds" in body["error"]
        # A refused request is not carried out, and the control API is never limited.
        assert api.post(f"{account_path(sandbox)}Application/", json={"app_name": "x"}).status_code == 429
        assert api.get("/_sandbox/settings").status_code == 200
        settle(sandbox, 4.9)
        assert api.get(account_path(sandbox)).status_code == 429
        settle(sandbox, 0.1)  # the 300 leave the window
        assert api.get(account_path(sandbox)).status_code == 200
        assert api.get(f"{account_path(sandbox)}Application/").json()["meta"]["total_count"] == 0


def test_retry_after_counts_down_with_the_window(sandbox: Server) -> None:
    patch_settings(sandbox, api_requests_per_5s=3).raise_for_status()
    with sandbox.main_client() as api:
        api.get(account_path(sandbox)).raise_for_status()
        settle(sandbox, 2)
        api.get(account_path(sandbox)).raise_for_status()
        api.get(account_path(sandbox)).raise_for_status()
        refused = api.get(account_path(sandbox))
        assert (refused.status_code, refused.headers["Retry-After"]) == (429, "3")
        settle(sandbox, 3)  # the first request left the window: one more fits
        assert api.get(account_path(sandbox)).status_code == 200
        assert api.get(account_path(sandbox)).headers["Retry-After"] == "2"


def test_subaccounts_count_toward_their_main_account(
    sandbox: Server, main_sdk: plivo.RestClient, sdk: Callable[[str, str], plivo.RestClient]
) -> None:
    sub = main_sdk.subaccounts.create(name="shares the limit")
    settle(sandbox, 5)  # an empty window
    patch_settings(sandbox, api_requests_per_5s=5).raise_for_status()
    as_sub = sdk(sub.auth_id, sub.auth_token)
    for _ in range(5):
        as_sub.account.get()
    with pytest.raises(plivo_errors.PlivoRestError, match="status code 429"):
        main_sdk.applications.list()  # the main account's own request: the same, full, window
    with pytest.raises(plivo_errors.PlivoRestError, match="status code 429"):
        as_sub.account.get()
    settle(sandbox, 5)
    assert main_sdk.applications.list().meta["total_count"] == 0


def test_unauthenticated_requests_do_not_count(sandbox: Server) -> None:
    patch_settings(sandbox, api_requests_per_5s=2).raise_for_status()
    with sandbox.client((sandbox.state.main_auth_id, "wrong")) as stranger:
        assert [stranger.get(account_path(sandbox)).status_code for _ in range(5)] == [401] * 5
    with sandbox.main_client() as api:
        assert [api.get(account_path(sandbox)).status_code for _ in range(3)] == [200, 200, 429]


def test_making_calls_does_not_count_toward_the_request_limit(sandbox: Server) -> None:
    patch_settings(sandbox, api_requests_per_5s=2, calls_per_second=0).raise_for_status()
    call = {"from": FROM, "to": "14155550101", "answer_url": f"{sandbox.url}/_sandbox/xml?xml={CONFERENCE}"}
    with sandbox.main_client() as api:
        made = [api.post(f"{account_path(sandbox)}Call/", json=call).status_code for _ in range(4)]
        assert made == [201] * 4  # Plivo: "all APIs excluding those that initiate a call"
        assert [api.get(account_path(sandbox)).status_code for _ in range(3)] == [200, 200, 429]


def test_the_limit_is_a_setting_and_reset_restores_plivos(sandbox: Server) -> None:
    with sandbox.main_client() as control:
        settings = control.get("/_sandbox/settings").json()["settings"]
        assert (settings["api_requests_per_5s"], settings["calls_per_second"]) == (300, 2)
        for bad in ({"api_requests_per_5s": -1}, {"api_requests_per_5s": 1.5}, {"calls_per_second": "x"}):
            answer = control.patch("/_sandbox/settings", json=bad)
            assert answer.status_code == 400 and next(iter(bad)) in answer.json()["error"], bad
        control.patch("/_sandbox/settings", json={"api_requests_per_5s": 0}).raise_for_status()  # no limit
        assert {control.get(account_path(sandbox)).status_code for _ in range(320)} == {200}
        control.patch("/_sandbox/settings", json={"api_requests_per_5s": 1}).raise_for_status()
        assert control.get(account_path(sandbox)).status_code == 200
        assert control.get(account_path(sandbox)).status_code == 429
        control.post("/_sandbox/reset").raise_for_status()
        settings = control.get("/_sandbox/settings").json()["settings"]
        assert (settings["api_requests_per_5s"], settings["calls_per_second"]) == (300, 2)
        assert control.get(account_path(sandbox)).status_code == 200  # the window was emptied too


# -- calls per second ----------------------------------------------------------------------------


def make_calls(main_sdk: plivo.RestClient, sandbox: Server, count: int) -> list[str]:
    answer_url = f"{sandbox.url}/_sandbox/xml?xml={CONFERENCE}"
    return [
        str(main_sdk.calls.create(from_=FROM, to_=f"1415555{n:04d}", answer_url=answer_url).request_uuid)
        for n in range(count)
    ]


def test_the_third_call_in_a_second_is_queued_and_starts_the_next_second(
    sandbox: Server, main_sdk: plivo.RestClient
) -> None:
    requests = make_calls(main_sdk, sandbox, 5)  # all accepted at once
    settle(sandbox)
    voice = sandbox.state.voice
    by_request = {call.request_uuid: call.uuid for call in voice.calls.values()}
    uuids = [by_request[r] for r in requests]
    assert sorted(main_sdk.live_calls.list_ids().calls) == sorted(uuids[:2])
    assert sorted(main_sdk.queued_calls.list_ids().calls) == sorted(uuids[2:])
    queued = main_sdk.queued_calls.get(uuids[2])  # GET Call/{uuid}/?status=queued, as Plivo shows it
    assert (queued.call_status, queued.to, queued.request_uuid) == ("queued", "14155550002", requests[2])
    with sandbox.main_client() as raw:
        listed = raw.get(f"{account_path(sandbox)}Call/", params={"status": "queued"}).json()
    assert sorted(listed["calls"]) == sorted(uuids[2:])
    settle(sandbox, 1)  # the next second: the third and fourth start, in order
    assert sorted(main_sdk.live_calls.list_ids().calls) == sorted(uuids[:4])
    assert main_sdk.queued_calls.list_ids().calls == [uuids[4]]
    settle(sandbox, 1)
    assert sorted(main_sdk.live_calls.list_ids().calls) == sorted(uuids)
    assert main_sdk.queued_calls.list_ids().calls == []
    starts = [voice.calls[u].log[0] for u in uuids]
    assert [s["event"] for s in starts] == ["ringing", "ringing", "queued", "queued", "queued"]


def test_a_queued_call_can_be_cancelled_before_it_starts(sandbox: Server, main_sdk: plivo.RestClient) -> None:
    requests = make_calls(main_sdk, sandbox, 3)
    settle(sandbox)
    main_sdk.calls.cancel(requests[2])  # DELETE Request/{uuid}/ while it waits
    settle(sandbox, 2)
    assert len(main_sdk.live_calls.list_ids().calls) == 2
    assert main_sdk.queued_calls.list_ids().calls == []
    (record,) = main_sdk.calls.list(hangup_cause_code=1000)
    assert record.hangup_cause_name == "Canceled" and record.to_number == "14155550002"


def test_calls_per_second_is_a_setting(sandbox: Server, main_sdk: plivo.RestClient) -> None:
    patch_settings(sandbox, calls_per_second=4).raise_for_status()
    make_calls(main_sdk, sandbox, 5)
    settle(sandbox)
    assert (len(main_sdk.live_calls.list_ids().calls), len(main_sdk.queued_calls.list_ids().calls)) == (4, 1)
    patch_settings(sandbox, calls_per_second=0).raise_for_status()  # no limit
    make_calls(main_sdk, sandbox, 5)
    settle(sandbox)
    assert len(main_sdk.queued_calls.list_ids().calls) == 1  # only the call queued before
