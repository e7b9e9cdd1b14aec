"""The control API describes itself from its routes: ``/_sandbox/openapi.json`` and the landing page
at ``/`` list every control operation with a summary, and say which need no credentials."""

from __future__ import annotations

import httpx
import schemathesis
from sandbox_server import Server
from schemathesis.core.result import Ok

from plivo_blocks.sandbox import create_app
from plivo_blocks.sandbox.reference import control_operations
from plivo_blocks.sandbox.routing import ControlRoute

OPEN = {("GET", "/_sandbox/health"), ("GET", "/_sandbox/xml"), ("POST", "/_sandbox/xml")}
OPEN |= {
    ("GET", "/_sandbox/bins/{name}"),
    ("POST", "/_sandbox/bins/{name}"),
    ("GET", "/_sandbox/openapi.json"),
}


def test_every_control_route_has_a_summary() -> None:
    app = create_app(":memory:")
    routes = [r for r in app.routes if isinstance(r, ControlRoute)]
    operations = control_operations(app.routes)
    assert len(operations) == sum(len(r.verbs) for r in routes) >= 40
    missing = [(op.method, op.path) for op in operations if not op.summary]
    assert not missing, missing
    assert {(op.method, op.path) for op in operations if not op.auth} == OPEN
    assert {"/_sandbox/bins/{name}", "/_sandbox/events", "/_sandbox/calls/{call_uuid}/transfer"} <= {
        op.path for op in operations
    }


def test_the_openapi_document_lists_every_operation_with_its_security(sandbox: Server) -> None:
    answer = httpx.get(f"{sandbox.url}/_sandbox/openapi.json")  # no credentials needed
    assert answer.status_code == 200
    document = answer.json()
    operations = control_operations(sandbox.app.routes)
    loaded = list(schemathesis.openapi.from_dict(document).get_all_operations())
    assert len(loaded) == len(operations) and all(isinstance(result, Ok) for result in loaded)
    paths = document["paths"]
    for op in operations:
        operation = paths[op.path][op.method.lower()]
        assert operation["summary"] == op.summary
        assert operation["security"] == ([{"sandboxBasic": []}] if op.auth else [])
        for name in op.parameters:
            assert {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} in operation[
                "parameters"
            ]
    advance = paths["/_sandbox/clock/advance"]["post"]["requestBody"]["content"]["application/json"]
    assert advance["example"] == {"seconds": 5}
    put_bin = paths["/_sandbox/bins/{name}"]["put"]["requestBody"]["content"]
    assert "<Response>" in put_bin["application/xml"]["example"]
    assert document["components"]["securitySchemes"]["sandboxBasic"] == {
        "type": "http",
        "scheme": "basic",
        "description": "The sandbox's main account: auth id and auth token",
    }


def test_the_landing_page_links_the_inspector_and_lists_the_control_api(sandbox: Server) -> None:
    page = httpx.get(sandbox.url + "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for link in ('href="/_sandbox/ui/"', 'href="/_sandbox/openapi.json"', 'href="/_sandbox/health"'):
        assert link in html
    for op in control_operations(sandbox.app.routes):
        assert f"<code>{op.path}</code>" in html.replace("&#x27;", "'")
    assert sandbox.state.main_auth_id in html
    assert sandbox.state.main_auth_token not in html
