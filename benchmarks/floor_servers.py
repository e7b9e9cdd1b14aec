"""The floors under the gateway: what the same server stack costs with (almost) nothing on it.

Run as its own process: ``python benchmarks/floor_servers.py --mode hello|proxy --upstream URL``
prints ``READY <port>`` once it listens. Both answer ``POST /api/Plivo/<block>`` (and
``GET /healthz``) on exactly the gateway's server stack: ``plivo_blocks.serving.uvicorn_config``
(uvicorn, the guarded httptools protocol, uvicorn's event loop), a Starlette app.

- ``hello``: reads the body, answers a canned success envelope. The floor of the server side.
- ``proxy``: reads the body and forwards a fixed ``getAccountDetails`` or ``sendMessage`` to the
  upstream with the gateway's own sender (``plivo_blocks.client.transport.AiohttpSender``), then
  wraps the answer's bytes in an envelope. No validation, no client core, no metrics, no access
  log, no pacing: the floor of a gateway on this stack. The gateway's CPU beyond it is its own code.
"""

from __future__ import annotations

import argparse
import base64
import socket
import sys
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plivo_blocks.client._core import WireRequest
from plivo_blocks.client.transport import AiohttpSender
from plivo_blocks.serving import bind_socket, uvicorn_config

AUTH_ID = "MAXXXXXXXXXXXXXXXXXX"
AUTH = "Basic " + base64.b64encode(f"{AUTH_ID}:bench-token-not-a-secret".encode()).decode()
SEND_BODY = b'{"src":"14155550100","dst":"14155550101","text":"Hello from bench"}'
CANNED = b'{"callback":"success","contextWrites":{"to":{"api_id":"x","message":"ok"}}}'


def build_app(mode: str, upstream: str) -> Starlette:
    sender = AiohttpSender(httpx.Timeout(30))
    account = f"{upstream}/v1/Account/{AUTH_ID}/"
    requests = {
        "getAccountDetails": WireRequest("GET", account, {"Authorization": AUTH}),
        "sendMessage": WireRequest(
            "POST",
            account + "Message/",
            {"Authorization": AUTH, "Content-Type": "application/json"},
            SEND_BODY,
        ),
    }

    async def block(request: Request) -> Response:
        await request.body()
        if mode == "hello":
            return Response(CANNED, media_type="application/json")
        answer = await sender.send(requests[request.path_params["block"]])
        body = b'{"callback":"success","contextWrites":{"to":' + answer.content + b"}}"
        return Response(body, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/api/Plivo/{block}", block, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["hello", "proxy"], required=True)
    parser.add_argument("--upstream", required=True)
    opts = parser.parse_args()
    sock: socket.socket = bind_socket("127.0.0.1", 0)
    config: Any = uvicorn_config(build_app(opts.mode, opts.upstream), log_level="warning")
    print(f"READY {sock.getsockname()[1]}", flush=True)
    sys.stdout.close()
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
