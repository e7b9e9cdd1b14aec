"""The ``plivo-blocks`` command line.

Only typer is imported up front: the catalog, the client, rich tables and uvicorn are imported
inside the commands that need them, so that ``plivo-blocks --help`` starts fast.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from plivo_blocks._version import __version__

if TYPE_CHECKING:
    from rich.console import Console

    from plivo_blocks.catalog import Block


class _ArgumentNamedOnly(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _without_type_placeholders(params: list[Any]) -> list[Any]:
    """typer labels every parameter with its Python type in --help (``<str>``, ``<bool>``; TEXT and
    INTEGER in older versions): noise to a reader. An argument is named by its metavar (BLOCK), an
    option that takes a value by its own metavar (``--port PORT``), and a flag by nothing."""
    for param in params:
        if isinstance(param, TyperArgument):
            param.__class__ = _ArgumentNamedOnly
        elif isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    return params


class _Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _without_type_placeholders(super().get_params(ctx))


class _Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _without_type_placeholders(super().get_params(ctx))


app = typer.Typer(
    name="plivo-blocks",
    cls=_Group,
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
    except UnknownBlockError as unknown:
        _fail(f"no block named {name!r}{unknown.hint()}; `plivo-blocks blocks` lists them")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"plivo-blocks {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", help="Print the version and exit.", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    # Only --version lives here; the app's help text is the Typer's.
    return None


def _plivo_path(block: Block) -> str:
    return "/v1/Account/{auth_id}/" + block.path


@app.command("blocks", cls=_Command)
def list_blocks(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    group: Annotated[
        str | None,
        typer.Option(
            "--group", "-g", metavar="GROUP", help="Only this group, e.g. Messages (case-insensitive)."
        ),
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


@app.command(cls=_Command)
def describe(
    block_name: Annotated[str, typer.Argument(metavar="BLOCK", help="Block name, e.g. sendMessage.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Show a block: its arguments (type, required, rule, Plivo parameter, description) and the Plivo call."""
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

    console = Console()
    _print_block(console, block)
    console.print("\nExample:")
    words = ["plivo-blocks", "call", block.name, *(f"{k}={_shell_quote(str(v))}" for k, v in example.items())]
    console.print(_shell_lines(words, console.width), markup=False, highlight=False, soft_wrap=True)


def _print_block(console: Console, block: Block) -> None:
    """The block as text that wraps to the terminal: nothing is cut, at 80 columns or fewer."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    console.print(f"[bold]{block.name}[/bold]  ({block.group})")
    console.print(escape(block.description))
    fixed = "".join(f" {k}={v}" for k, v in block.fixed_params.items())
    console.print(
        f"\nPlivo call: [bold]{block.method} {escape(_plivo_path(block))}[/bold]"
        f"{escape(' with' + fixed) if fixed else ''}; success status {block.status}"
    )
    console.print(
        "Credentials: --auth-id / --auth-token or PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN (CLI, client); "
        "args authId / authToken (gateway)"
    )
    if not block.args:
        console.print("No arguments besides the credentials.")
        return
    # Two columns, so that the second has room to wrap at 80 columns: the name (never cut: it is
    # what you type) with its type, then the rule, where the value goes at Plivo, and the description.
    table = Table(box=box.SIMPLE_HEAD, show_lines=True, pad_edge=False)
    table.add_column("argument", no_wrap=True)
    table.add_column("details", overflow="fold")
    for a in block.args:
        name = Text(a.name, style="bold")
        name.append(f"\n{a.datatype}, " + ("required" if a.required else "optional"), style="default")
        where = f"in the path as {{{a.name}}}" if a.name in block.path_args else f"Plivo parameter {a.param}"
        details = Text(f"{a.type.describe()}; {where}")
        if a.info:
            details.append(f"\n{a.info}", style="dim")
        table.add_row(name, details)
    console.print(table)


def _shell_lines(words: list[str], width: int) -> str:
    """A shell command cut into lines of at most ``width`` characters, joined by `` \\`` (a word
    longer than that gets a line of its own): still one command when pasted."""
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) + 2 > width:
            lines.append(line + " \\")
            line = "    " + word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


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


@app.command(cls=_Command)
def call(
    block_name: Annotated[str, typer.Argument(metavar="BLOCK", help="Block name, e.g. sendMessage.")],
    pairs: Annotated[
        list[str] | None,
        typer.Argument(metavar="KEY=VALUE", help="Arguments, e.g. src=14155550100 text='Hi'."),
    ] = None,
    json_args: Annotated[
        str | None,
        typer.Option(
            "--json-args", metavar="JSON", help="Arguments as one JSON object (KEY=VALUE pairs override it)."
        ),
    ] = None,
    api_url: Annotated[
        str | None,
        typer.Option(
            "--api-url",
            metavar="URL",
            envvar="PLIVO_API_URL",
            help="Where Plivo is: https://api.plivo.com, or a sandbox such as http://127.0.0.1:8100.",
        ),
    ] = None,
    auth_id: Annotated[
        str | None, typer.Option("--auth-id", metavar="ID", envvar="PLIVO_AUTH_ID", help="Plivo auth id.")
    ] = None,
    auth_token: Annotated[
        str | None,
        typer.Option(
            "--auth-token",
            metavar="TOKEN",
            envvar="PLIVO_AUTH_TOKEN",
            help="Plivo auth token. Prefer the environment variable: a command line is seen by other "
            "users of the machine (ps) and kept in shell history.",
        ),
    ] = None,
) -> None:
    """Run a block and print Plivo's answer as JSON.

    The call goes to Plivo, or to --api-url / PLIVO_API_URL (e.g. a sandbox), with the credentials
    of --auth-id / --auth-token or PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN.

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
    missing = [
        f"{option} (or {variable})"
        for option, variable, value in (
            ("--auth-id", "PLIVO_AUTH_ID", auth_id),
            ("--auth-token", "PLIVO_AUTH_TOKEN", auth_token),
        )
        if not value
    ]
    if missing:
        _fail("no Plivo credentials: give " + " and ".join(missing))
    assert auth_id and auth_token

    from plivo_blocks.client import Client
    from plivo_blocks.errors import (
        APIError,
        ConfigurationError,
        TimeoutError,
        TransportError,
        ValidationError,
    )

    try:
        client = Client(auth_id, auth_token, base_url=api_url)
    except ConfigurationError as exc:
        # The client's words are about its keyword arguments; here they came from options.
        problem = (
            str(exc).removeprefix("base_url ").replace("auth_id and auth_token", "--auth-id and --auth-token")
        )
        _fail(f"--api-url (or PLIVO_API_URL) {problem}")
    try:
        with client:
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

HostOption = Annotated[str, typer.Option("--host", metavar="HOST", help="Address to listen on.")]
DbOption = Annotated[
    str,
    typer.Option(
        "--db", metavar="PATH", help="Sandbox SQLite database file (':memory:' for a throwaway one)."
    ),
]
ClockOption = Annotated[
    str,
    typer.Option(
        "--clock",
        metavar="MODE",
        help="Sandbox time: real (calls last as long as on Plivo), scaled:N (N times faster) or manual "
        "(moves only with POST /_sandbox/clock/advance).",
    ),
]
LogLevelOption = Annotated[
    str,
    typer.Option(
        "--log-level", metavar="LEVEL", help="critical, error, warning, info, debug.", case_sensitive=False
    ),
]
PORT_HELP = "Port to listen on (0: any free port)."


def _run_server(start: Any, **kwargs: Any) -> None:
    from plivo_blocks.errors import ConfigurationError

    try:
        start(announce=lambda line: typer.echo(line), **kwargs)
    except ConfigurationError as exc:
        _fail(str(exc))


@app.command(cls=_Command, epilog=_SERVE_ENV_HELP)
def serve(
    host: HostOption = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", metavar="PORT", help=PORT_HELP)] = 8000,
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
        typer.Option(
            "--workers",
            "-w",
            min=1,
            metavar="N",
            help="Worker processes for the gateway (not with --sandbox).",
        ),
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
    cls=_Command,
    epilog="The main account is PLIVO_SANDBOX_AUTH_ID / PLIVO_SANDBOX_AUTH_TOKEN when set (the token is "
    "then never printed), else generated once and stored in the database.",
)
def sandbox_command(
    host: HostOption = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", metavar="PORT", help=PORT_HELP)] = 8100,
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
