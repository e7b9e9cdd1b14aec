"""The ``plivo-blocks`` command line.

Only typer is imported up front: the catalog, the client, rich tables and uvicorn are imported
inside the commands that need them, so that ``plivo-blocks --help`` starts fast.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from plivo_blocks.catalog import Block

app = typer.Typer(
    name="plivo-blocks",
    help="Plivo's SMS and voice API as 68 named, validated blocks: list and describe them, call them, "
    "serve them over HTTP (RapidAPI package protocol), or run a local sandbox Plivo.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_USAGE = 2  # refused locally: unknown block, invalid arguments, missing configuration
EXIT_FAILURE = 1  # the call was made and failed: Plivo's error, or Plivo unreachable


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _block(name: str) -> Block:
    from plivo_blocks.catalog import get_block
    from plivo_blocks.errors import UnknownBlockError

    try:
        return get_block(name)
    except UnknownBlockError:
        import difflib

        from plivo_blocks.catalog import BLOCKS_BY_NAME

        close = difflib.get_close_matches(name, list(BLOCKS_BY_NAME), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        _fail(f"no block named {name!r}{hint}; `plivo-blocks blocks` lists them")


def _plivo_path(block: Block) -> str:
    return "/v1/Account/{auth_id}/" + block.path


@app.command("blocks")
def list_blocks(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    group: Annotated[
        str | None, typer.Option("--group", "-g", help="Only this group, e.g. Messages (case-insensitive).")
    ] = None,
) -> None:
    """List the blocks: name, group and the Plivo call each makes."""
    from plivo_blocks.catalog import BLOCKS

    blocks = list(BLOCKS)
    if group is not None:
        blocks = [b for b in blocks if b.group.lower() == group.strip().lower()]
        if not blocks:
            groups = ", ".join(dict.fromkeys(b.group for b in BLOCKS))
            _fail(f"no group named {group!r}; groups: {groups}")
    if as_json:
        rows = [
            {
                "name": b.name,
                "group": b.group,
                "method": b.method,
                "path": _plivo_path(b),
                "required": list(b.required),
            }
            for b in blocks
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(blocks)} blocks", title_justify="left")
    table.add_column("block", no_wrap=True, style="bold")
    table.add_column("group", no_wrap=True)
    table.add_column("method", no_wrap=True)
    table.add_column("Plivo path", overflow="fold")
    for b in blocks:
        table.add_row(b.name, b.group, b.method, _plivo_path(b))
    Console().print(table)


@app.command()
def describe(
    block_name: Annotated[str, typer.Argument(metavar="BLOCK", help="Block name, e.g. sendMessage.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Show a block: its arguments (type, required, constraints, Plivo parameter) and the Plivo call."""
    from plivo_blocks.catalog.examples import example_args

    block = _block(block_name)
    example = example_args(block, required_only=True)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "name": block.name,
                    "group": block.group,
                    "description": block.description,
                    "plivo": {
                        "method": block.method,
                        "path": _plivo_path(block),
                        "fixed_params": dict(block.fixed_params),
                        "success_status": block.status,
                    },
                    "args": [
                        {
                            "name": a.name,
                            "type": a.datatype,
                            "required": a.required,
                            "constraint": a.type.describe(),
                            "plivo_param": None if a.name in block.path_args else a.param,
                            "in_path": a.name in block.path_args,
                            "info": a.info,
                        }
                        for a in block.args
                    ],
                    "example": example,
                },
                indent=2,
            )
        )
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{block.name}[/bold]  ({block.group})")
    console.print(escape(block.description))
    fixed = "".join(f" {k}={v}" for k, v in block.fixed_params.items())
    console.print(
        f"\nPlivo call: [bold]{block.method} {escape(_plivo_path(block))}[/bold]"
        f"{escape(' with' + fixed) if fixed else ''}; success status {block.status}"
    )
    console.print(
        "Credentials: PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN (client, CLI) or args authId / authToken (gateway)"
    )
    if block.args:
        table = Table(show_lines=False)
        table.add_column("argument", no_wrap=True, style="bold")
        table.add_column("type", no_wrap=True)
        table.add_column("required", no_wrap=True)
        table.add_column("constraint")
        table.add_column("Plivo parameter", no_wrap=True)
        for a in block.args:
            where = f"{{{a.name}}} in path" if a.name in block.path_args else a.param
            table.add_row(a.name, a.datatype, "yes" if a.required else "no", escape(a.type.describe()), where)
        console.print(table)
    else:
        console.print("No arguments besides the credentials.")
    pairs = " ".join(f"{k}={_shell_quote(str(v))}" for k, v in example.items())
    console.print(f"\nExample: plivo-blocks call {block.name} {escape(pairs)}".rstrip(), soft_wrap=True)


def _shell_quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


def _parse_pairs(pairs: list[str]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            _fail(f"arguments are given as key=value, got {pair!r}")
        args[key.strip()] = value
    return args


@app.command()
def call(
    block_name: Annotated[str, typer.Argument(metavar="BLOCK", help="Block name, e.g. sendMessage.")],
    pairs: Annotated[
        list[str] | None,
        typer.Argument(metavar="KEY=VALUE", help="Arguments, e.g. src=14155550100 text='Hi'."),
    ] = None,
    json_args: Annotated[
        str | None,
        typer.Option("--json-args", help="Arguments as one JSON object (KEY=VALUE pairs override it)."),
    ] = None,
) -> None:
    """Run a block with the credentials in PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN; print Plivo's answer as JSON.

    The call goes to Plivo, or to PLIVO_API_URL when set (e.g. a sandbox).

    Exit status: 0 on success, 1 when Plivo refused the call or could not be reached,
    2 when it was refused locally (unknown block, invalid arguments, missing credentials).
    """
    block = _block(block_name)
    args: dict[str, Any] = {}
    if json_args is not None:
        try:
            loaded = json.loads(json_args)
        except ValueError as exc:
            _fail(f"--json-args is not valid JSON: {exc}")
        if not isinstance(loaded, dict):
            _fail("--json-args must be a JSON object")
        args.update(loaded)
    args.update(_parse_pairs(pairs or []))

    from plivo_blocks.client import Client
    from plivo_blocks.errors import (
        APIError,
        ConfigurationError,
        TimeoutError,
        TransportError,
        ValidationError,
    )

    try:
        with Client() as client:
            answer = client.call_block(block.name, args)
    except ValidationError as exc:
        lines = "\n".join(f"  - {p}" for p in exc.problems)
        _fail(f"{block.name} refused its arguments (nothing was sent):\n{lines}")
    except ConfigurationError as exc:
        _fail(str(exc))
    except APIError as exc:
        detail = f": {exc.error}" if exc.error else ""
        api_id = f" (api_id {exc.api_id})" if exc.api_id else ""
        _fail(f"Plivo answered HTTP {exc.status_code}{detail}{api_id}", EXIT_FAILURE)
    except TimeoutError:
        _fail("Plivo did not answer in time", EXIT_FAILURE)
    except TransportError as exc:
        _fail(f"could not reach Plivo: {exc}", EXIT_FAILURE)
    typer.echo(json.dumps(answer if answer else {"status": "success"}, indent=2))


_SERVE_ENV_HELP = (
    "Configuration comes from the environment: PLIVO_API_URL (upstream), PLIVO_BLOCKS_PROXY_SECRET "
    "(require X-RapidAPI-Proxy-Secret), PLIVO_BLOCKS_TIMEOUT, PLIVO_BLOCKS_MAX_RETRIES, "
    "PLIVO_BLOCKS_MAX_CONNECTIONS, PLIVO_BLOCKS_MAX_KEEPALIVE, PLIVO_BLOCKS_MAX_BODY_BYTES, "
    "PLIVO_BLOCKS_BODY_TIMEOUT; uvicorn limits: PLIVO_BLOCKS_HEADER_TIMEOUT, PLIVO_BLOCKS_KEEP_ALIVE, "
    "PLIVO_BLOCKS_LIMIT_CONCURRENCY, PLIVO_BLOCKS_MAX_HEADER_BYTES, PLIVO_BLOCKS_BACKLOG, "
    "PLIVO_BLOCKS_GRACEFUL_SHUTDOWN."
)

HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
DbOption = Annotated[
    str, typer.Option("--db", help="Sandbox SQLite database file (':memory:' for a throwaway one).")
]
ClockOption = Annotated[
    str,
    typer.Option(
        "--clock",
        help="Sandbox time: real (calls last as long as on Plivo), scaled:N (N times faster) or manual "
        "(moves only with POST /_sandbox/clock/advance).",
    ),
]
LogLevelOption = Annotated[
    str, typer.Option("--log-level", help="critical, error, warning, info, debug.", case_sensitive=False)
]


def _run_server(start: Any, **kwargs: Any) -> None:
    from plivo_blocks.errors import ConfigurationError

    try:
        start(announce=lambda line: typer.echo(line), **kwargs)
    except ConfigurationError as exc:
        _fail(str(exc))


@app.command(epilog=_SERVE_ENV_HELP)
def serve(
    host: HostOption = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on (0: any free port).")] = 8000,
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            help="Also serve a local sandbox Plivo (/v1, /_sandbox) in this process and point the gateway "
            "at it; prints its demo credentials and a curl example. Needs a single worker.",
        ),
    ] = False,
    db: DbOption = "plivo-sandbox.db",
    clock: ClockOption = "real",
    workers: Annotated[
        int,
        typer.Option("--workers", "-w", min=1, help="Worker processes for the gateway (not with --sandbox)."),
    ] = 1,
    log_level: LogLevelOption = "info",
) -> None:
    """Serve the gateway: GET /api/Plivo (metadata), POST /api/Plivo/<block>, /openapi.json, /docs, /healthz."""
    from plivo_blocks import serving

    if sandbox:
        if workers > 1:
            _fail(
                "--sandbox runs the sandbox inside the gateway's process, so it needs a single worker; "
                "to scale out, run `plivo-blocks sandbox` once and `plivo-blocks serve --workers N` "
                "with PLIVO_API_URL pointing at it"
            )
        _run_server(
            serving.serve_with_sandbox,
            host=host,
            port=port,
            db_path=db,
            clock=_clock(clock),
            log_level=log_level.lower(),
        )
    else:
        _run_server(serving.serve_gateway, host=host, port=port, workers=workers, log_level=log_level.lower())


def _clock(text: str) -> Any:
    from plivo_blocks.sandbox.clock import ClockSpec

    try:
        return ClockSpec.parse(text)
    except ValueError as exc:
        _fail(f"--clock: {exc}")


@app.command(
    "sandbox",
    epilog="The main account is PLIVO_SANDBOX_AUTH_ID / PLIVO_SANDBOX_AUTH_TOKEN when set (the token is "
    "then never printed), else generated once and stored in the database.",
)
def sandbox_command(
    host: HostOption = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on (0: any free port).")] = 8100,
    db: DbOption = "plivo-sandbox.db",
    clock: ClockOption = "real",
    log_level: LogLevelOption = "info",
) -> None:
    """Serve the sandbox alone: a local, stateful fake of Plivo's REST API at /v1/Account/<auth_id>/."""
    from plivo_blocks import serving

    _run_server(
        serving.serve_sandbox,
        host=host,
        port=port,
        db_path=db,
        clock=_clock(clock),
        log_level=log_level.lower(),
    )


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
