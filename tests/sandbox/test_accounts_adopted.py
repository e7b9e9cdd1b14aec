"""Unknown credentials adopted as new main accounts (``create_app(adopt_unknown_accounts=True)``,
what ``mock_plivo`` runs), through the official SDK: isolation between accounts still holds."""

from __future__ import annotations

from collections.abc import Callable

import plivo
import plivo.rest.client
import pytest
from hook_recorder import HOOKS, HookRecorder
from plivo import exceptions as plivo_errors
from plivo.utils import validate_v3_signature
from sandbox_server import MANUAL, Server
from starlette.applications import Starlette

from plivo_blocks.sandbox import create_app

SDK_BASE_URIS = (
    "PLIVO_API_BASE_URI",
    "API_VOICE_BASE_URI",
    "API_VOICE_BASE_URI_FALLBACK_1",
    "API_VOICE_BASE_URI_FALLBACK_2",
)
ALICE = ("MAALICE0000000000001", "alice-token")
BOB = ("MABOB000000000000002", "bob-token")


@pytest.fixture
def adopting(serve: Callable[[Starlette], Server], recorder: HookRecorder) -> Server:
    app = create_app(
        ":memory:", clock=MANUAL, webhook_transport=recorder.transport(), adopt_unknown_accounts=True
    )
    return serve(app)


@pytest.fixture
def sdk_for(adopting: Server, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], plivo.RestClient]:
    """The official SDK aimed at the adopting sandbox."""
    for name in SDK_BASE_URIS:
        monkeypatch.setattr(plivo.rest.client, name, f"{adopting.url}/v1/Account")
    return plivo.RestClient


def test_an_unknown_main_auth_id_becomes_an_account_with_its_token(
    sdk_for: Callable[[str, str], plivo.RestClient],
) -> None:
    sdk = sdk_for
    alice = sdk(*ALICE).account.get()
    assert alice.auth_id == ALICE[0] and alice.resource_uri == f"/v1/Account/{ALICE[0]}/"
    # From then on it is an ordinary account: its token is the one it was first used with.
    with pytest.raises(plivo_errors.AuthenticationError):
        sdk(ALICE[0], "another-token").account.get()
    assert sdk(*ALICE).account.get().auth_id == ALICE[0]


def test_unknown_subaccount_ids_and_odd_ids_are_not_adopted(adopting: Server) -> None:
    with adopting.client(("SAUNKNOWN00000000001", "token")) as client:
        assert client.get("/v1/Account/SAUNKNOWN00000000001/").status_code == 401
    with adopting.client(("MA-NOT-A-MAIN-ID0001", "token")) as client:
        assert client.get("/v1/Account/MA-NOT-A-MAIN-ID0001/").status_code == 401
    with adopting.client((ALICE[0], "")) as client:
        assert client.get(f"/v1/Account/{ALICE[0]}/").status_code == 401


def test_without_the_option_unknown_credentials_are_refused(
    sdk: Callable[[str, str], plivo.RestClient],
) -> None:
    with pytest.raises(plivo_errors.AuthenticationError):
        sdk(*ALICE).account.get()


def test_adopted_accounts_are_isolated_from_each_other_and_their_subaccounts(
    adopting: Server, sdk_for: Callable[[str, str], plivo.RestClient]
) -> None:
    sdk = sdk_for
    alice, bob = sdk(*ALICE), sdk(*BOB)
    alices_app = alice.applications.create(app_name="alice's").app_id
    sub = alice.subaccounts.create(name="alice's team", enabled=True)
    assert [a.app_id for a in bob.applications.list()] == []
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        bob.applications.get(alices_app)
    # Bob cannot act for Alice's subaccount, and the subaccount sees only its own things.
    with adopting.client(BOB) as client:
        assert client.get(f"/v1/Account/{sub.auth_id}/Application/").status_code == 401
    assert [a.app_id for a in sdk(sub.auth_id, sub.auth_token).applications.list()] == []
    assert {a.app_id for a in alice.applications.list()} == {alices_app}


def test_callbacks_of_an_adopted_account_are_signed_with_its_token(
    adopting: Server, sdk_for: Callable[[str, str], plivo.RestClient], recorder: HookRecorder
) -> None:
    alice = sdk_for(*ALICE)
    number = alice.numbers.search(country_iso="US", type="local").objects[0]["number"]
    alice.numbers.buy(number)
    sent = alice.messages.create(src=number, dst="14155550123", text="hi", url=f"{HOOKS}/status")
    assert adopting.main_client().post("/_sandbox/webhooks/flush").json()["idle"] is True
    hook = recorder.sent[0]
    assert (hook.params["Status"], hook.params["MessageUUID"]) == ("queued", sent.message_uuid[0])
    assert validate_v3_signature(
        "POST",
        hook.url,
        hook.headers["x-plivo-signature-v3-nonce"],
        ALICE[1],
        hook.headers["x-plivo-signature-v3"],
        hook.params,
    )
