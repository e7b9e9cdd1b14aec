"""The floor: a hello-world Starlette endpoint on the sandbox's own server stack.

``plivo-blocks sandbox`` serves its Starlette app with :func:`plivo_blocks.serving.uvicorn_config`
(uvicorn with the hardened protocol, the same limits). This script serves a one-route Starlette
app (``GET /hello`` answers a small JSON object, no middleware, no database) the same way, so
that the load generator can measure what any sandbox call costs at the least: the HTTP server and
the framework, with nothing of the sandbox's own.

    python benchmarks/floor.py --port 0     # prints "READY <port>", serves until SIGINT
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
from pathlib import Path

from common import start_ready
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

HERE = Path(__file__).resolve().parent


async def hello(request: Request) -> Response:
    return JSONResponse({"api_id": "floor", "message": "hello"})


def start_floor() -> tuple[subprocess.Popen[str], str]:
    """This script in its own process; answers the process and its base URL."""
    return start_ready([sys.executable, str(HERE / "floor.py"), "--port", "0"], "the floor server")


def main() -> None:
    from plivo_blocks.serving import ClosingServer, bind_socket, uvicorn_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    opts = parser.parse_args()
    sock = bind_socket("127.0.0.1", opts.port)
    app = Starlette(routes=[Route("/hello", hello)])
    server = ClosingServer(uvicorn_config(app, log_level="warning", configure_logging=False))
    print(f"READY {sock.getsockname()[1]}", flush=True)
    # Stopped by a signal between rounds: a quiet exit, not a traceback in the benchmark's output.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])


if __name__ == "__main__":
    main()
