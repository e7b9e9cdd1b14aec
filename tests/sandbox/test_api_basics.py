"""What every endpoint shares: authentication, error bodies, status codes, parameters, paths,
credentials and persistence."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import plivo
import pytest
from plivo import exceptions as plivo_errors
from sandbox_server import Server
from starlette.applications import Starlette

from plivo_blocks.errors import ConfigurationError
from plivo_blocks.sandbox import SandboxState, create_app
from plivo_blocks.sandbox.app import all_routes

AUTH_ID = "MAABCDEFGHIJ01234567"
TOKEN = "T" * 40


def is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def test_generated_credentials_look_like_plivos(sandbox: Server) -> None:
    state = sandbox.state
    assert len(state.main_auth_id) == 20 and state.main_auth_id.startswith("MA")
    assert state.main_auth_id[2:].isalnum() and state.main_auth_id[2:].upper() == state.main_auth_id[2:]
    assert len(state.main_auth_token) == 40
    assert state.main_auth_token not in repr(state)


def test_wrong_or_missing_credentials_get_401_with_plivos_body(sandbox: Server) -> None:
    path = f"/v1/Account/{sandbox.state.main_auth_id}/"
    with sandbox.client() as anonymous:
        answer = anonymous.get(path)
    assert answer.status_code == 401
    body = answer.json()
    assert set(body) == {"api_id", "error"} and is_uuid(body["api_id"])
    with sandbox.client((sandbox.state.main_auth_id, "x" * 40)) as wrong:
        assert wrong.get(path).status_code == 401
    with sandbox.client(("MAUNKNOWNUNKNOWN0000", sandbox.state.main_auth_token)) as unknown:
        assert unknown.get(path).status_code == 401


def test_sdk_raises_authentication_error_for_wrong_token(
    sandbox: Server, sdk: Callable[[str, str], plivo.RestClient]
) -> None:
    client = sdk(sandbox.state.main_auth_id, "W" * 40)
    with pytest.raises(plivo_errors.AuthenticationError):
        client.account.get()


def test_path_auth_id_must_be_one_the_credentials_may_act_for(sandbox: Server) -> None:
    with sandbox.main_client() as main:
        sub = main.post(f"/v1/Account/{sandbox.state.main_auth_id}/Subaccount/", json={"name": "s"}).json()
        # The main account may act for its subaccount …
        as_sub = main.get(f"/v1/Account/{sub['auth_id']}/")
        assert as_sub.status_code == 200 and as_sub.json()["auth_id"] == sub["auth_id"]
        # … but not for a stranger.
        assert main.get("/v1/Account/MAZZZZZZZZZZZZZZZZZZ/").status_code == 401
    with sandbox.client((sub["auth_id"], sub["auth_token"])) as subclient:
        assert subclient.get(f"/v1/Account/{sub['auth_id']}/").status_code == 200
        # A subaccount may not act for its parent.
        assert subclient.get(f"/v1/Account/{sandbox.state.main_auth_id}/").status_code == 401


def test_unknown_path_is_404_and_wrong_method_405_as_json(sandbox: Server) -> None:
    base = f"/v1/Account/{sandbox.state.main_auth_id}"
    with sandbox.main_client() as main:
        missing = main.get(f"{base}/NoSuchThing/")
        assert missing.status_code == 404 and set(missing.json()) == {"api_id", "error"}
        wrong = main.put(f"{base}/Application/")
        assert wrong.status_code == 405 and set(wrong.json()) == {"api_id", "error"}
        unknown_app = main.get(f"{base}/Application/123/")
        assert unknown_app.status_code == 404 and unknown_app.json()["error"] == "application not found"


def test_trailing_slash_is_optional(sandbox: Server) -> None:
    base = f"/v1/Account/{sandbox.state.main_auth_id}"
    with sandbox.main_client() as main:
        assert main.get(f"{base}/Application").status_code == 200
        assert main.get(f"{base}/Application/").status_code == 200
        assert main.get(base).status_code == 200


def test_parameters_from_json_form_or_query(sandbox: Server) -> None:
    base = f"/v1/Account/{sandbox.state.main_auth_id}/Application/"
    with sandbox.main_client() as main:
        by_json = main.post(base, json={"app_name": "json", "default_number_app": True})
        by_form = main.post(base, data={"app_name": "form", "answer_url": "http://x.test/a"})
        by_query = main.post(base, params={"app_name": "query"})
        assert [r.status_code for r in (by_json, by_form, by_query)] == [201, 201, 201]
        shown = main.get(f"{base}{by_json.json()['app_id']}/").json()
        assert shown["app_name"] == "json" and shown["default_app"] is True
        assert main.get(f"{base}{by_form.json()['app_id']}/").json()["hangup_url"] == "http://x.test/a"
        # The official SDK sends DELETE parameters as a JSON body.
        doomed = by_query.json()["app_id"]
        assert main.request("DELETE", f"{base}{doomed}/", json={"cascade": False}).status_code == 204
        bad = main.post(base, content=b"{not json", headers={"content-type": "application/json"})
        assert bad.status_code == 400


def test_limit_and_offset_are_validated(sandbox: Server) -> None:
    base = f"/v1/Account/{sandbox.state.main_auth_id}/Application/"
    with sandbox.main_client() as main:
        for params in ({"limit": 0}, {"limit": 21}, {"offset": -1}, {"limit": "x"}):
            answer = main.get(base, params=params)
            assert answer.status_code == 400, params
            assert "error" in answer.json()


def test_pagination_links_newest_first(sandbox: Server) -> None:
    base = f"/v1/Account/{sandbox.state.main_auth_id}/Application/"
    with sandbox.main_client() as main:
        for i in range(5):
            main.post(base, json={"app_name": f"app{i}"})
        first = main.get(base, params={"limit": 2}).json()
        assert [o["app_name"] for o in first["objects"]] == ["app4", "app3"]
        meta = first["meta"]
        assert meta == {
            "limit": 2,
            "next": f"{base}?limit=2&offset=2",
            "offset": 0,
            "previous": None,
            "total_count": 5,
        }
        second = main.get(meta["next"]).json()
        assert [o["app_name"] for o in second["objects"]] == ["app2", "app1"]
        assert second["meta"]["previous"] == f"{base}?limit=2&offset=0"
        last = main.get(second["meta"]["next"]).json()
        assert [o["app_name"] for o in last["objects"]] == ["app0"] and last["meta"]["next"] is None


def test_credentials_from_arguments_and_the_sandboxs_own_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    given = create_app(":memory:", auth_id=AUTH_ID, auth_token=TOKEN)
    assert given.state.sandbox.main_auth_id == AUTH_ID
    # PLIVO_AUTH_TOKEN holds people's real Plivo token: the sandbox never takes it.
    monkeypatch.setenv("PLIVO_AUTH_ID", "MAREALREALREALREAL00")
    monkeypatch.setenv("PLIVO_AUTH_TOKEN", "R" * 40)
    generated: SandboxState = create_app(":memory:").state.sandbox
    assert generated.main_auth_id != "MAREALREALREALREAL00" and generated.main_auth_token != "R" * 40
    assert generated.accounts.main.printable
    monkeypatch.setenv("PLIVO_SANDBOX_AUTH_ID", "MAENVENVENVENVENV000")
    monkeypatch.setenv("PLIVO_SANDBOX_AUTH_TOKEN", "E" * 40)
    db = tmp_path / "env.db"
    from_env: SandboxState = create_app(str(db)).state.sandbox
    assert (from_env.main_auth_id, from_env.main_auth_token) == ("MAENVENVENVENVENV000", "E" * 40)
    assert not from_env.accounts.main.printable
    from_env.store.close()
    assert b"E" * 40 not in db.read_bytes()  # a token from the environment is never written down
    with pytest.raises(ConfigurationError, match="PLIVO_SANDBOX_AUTH_ID"):
        monkeypatch.setenv("PLIVO_SANDBOX_AUTH_ID", "SAENVENVENVENVENV000")
        create_app(":memory:")
    monkeypatch.delenv("PLIVO_SANDBOX_AUTH_ID")
    with pytest.raises(ConfigurationError, match="both"):
        create_app(":memory:")
    with pytest.raises(ConfigurationError):
        create_app(":memory:", auth_id="not-an-auth-id", auth_token=TOKEN)


def test_state_and_generated_credentials_survive_a_restart(
    tmp_path: Path, serve: Callable[[Starlette], Server]
) -> None:
    db = str(tmp_path / "sandbox.db")
    first = serve(create_app(db))
    creds = (first.state.main_auth_id, first.state.main_auth_token)
    base = f"/v1/Account/{creds[0]}"
    with first.main_client() as main:
        app_id = main.post(f"{base}/Application/", json={"app_name": "kept"}).json()["app_id"]
        sub = main.post(f"{base}/Subaccount/", json={"name": "kept-sub"}).json()
    first.stop()

    second = serve(create_app(db))
    assert (second.state.main_auth_id, second.state.main_auth_token) == creds
    with second.main_client() as main:
        assert main.get(f"{base}/Application/{app_id}/").json()["app_name"] == "kept"
    with second.client((sub["auth_id"], sub["auth_token"])) as subclient:
        assert subclient.get(f"/v1/Account/{sub['auth_id']}/").status_code == 200


def test_many_concurrent_writes_are_all_kept(sandbox: Server) -> None:
    import concurrent.futures

    base = f"/v1/Account/{sandbox.state.main_auth_id}/Application/"

    shared = sandbox.main_client()  # httpx clients are thread-safe

    def create(i: int) -> str:
        answer = shared.post(base, json={"app_name": f"c{i}"})
        assert answer.status_code == 201
        return str(answer.json()["app_id"])

    with shared, concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        app_ids = list(pool.map(create, range(80)))
    assert len(set(app_ids)) == 80
    with sandbox.main_client() as main:
        assert main.get(base, params={"limit": 1}).json()["meta"]["total_count"] == 80


def test_only_one_concurrent_buyer_gets_a_number(sandbox: Server) -> None:
    import concurrent.futures

    base = f"/v1/Account/{sandbox.state.main_auth_id}"
    with sandbox.main_client() as main:
        number = main.get(f"{base}/PhoneNumber/", params={"country_iso": "US"}).json()["objects"][0]["number"]

    shared = sandbox.main_client()

    def buy(_: int) -> int:
        return shared.post(f"{base}/PhoneNumber/{number}/").status_code

    with shared, concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(buy, range(8)))
    assert sorted(codes) == [201] + [404] * 7


def test_every_route_module_is_wired() -> None:
    paths = {getattr(r, "path", "") for r in all_routes()}
    assert "/v1/Account/{auth_id}/Message/" in paths
    assert "/_sandbox/reset" in paths
    assert {"/_sandbox/clock", "/_sandbox/clock/advance", "/v1/Account/{auth_id}/Call/"} <= paths


def test_asgi_transport_works_without_a_server() -> None:
    app = create_app(":memory:", auth_id=AUTH_ID, auth_token=TOKEN)

    async def scenario() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            answer = await client.get(f"/v1/Account/{AUTH_ID}/", auth=(AUTH_ID, TOKEN))
            return answer.status_code

    import anyio

    assert anyio.run(scenario) == 200


def test_mounted_under_a_prefix_with_the_hosts_lifespan(serve: Callable[[Starlette], Server]) -> None:
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    from starlette.routing import Mount

    sandbox_app = create_app(":memory:", auth_id=AUTH_ID, auth_token=TOKEN)
    state: SandboxState = sandbox_app.state.sandbox

    @asynccontextmanager
    async def host_lifespan(app: Starlette) -> AsyncIterator[None]:
        async with sandbox_app.router.lifespan_context(sandbox_app):
            yield

    host = Starlette(routes=[Mount("/sandbox", app=sandbox_app)], lifespan=host_lifespan)
    server = serve(host)
    assert state.running  # the host started the sandbox's background work
    with server.client((AUTH_ID, TOKEN)) as client:
        base = f"/sandbox/v1/Account/{AUTH_ID}"
        assert client.get(base).json()["auth_id"] == AUTH_ID  # trailing slash added
        for i in range(3):
            client.post(f"{base}/Application/", json={"app_name": f"a{i}"})
        page = client.get(f"{base}/Application/", params={"limit": 2}).json()
        assert page["meta"]["next"].startswith(f"/sandbox/v1/Account/{AUTH_ID}/Application/?limit=2&offset=2")
        client.post("/sandbox/_sandbox/faults/", json={"kind": "status", "status": 502})
        assert client.get(base).status_code == 502
