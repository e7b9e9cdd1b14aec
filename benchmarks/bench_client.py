"""Benchmark 1: what one call costs from Python.

``plivo_blocks.Client`` against the official SDK's ``RestClient`` and a bare ``httpx.Client``
request, for ``getAccountDetails`` (GET) and ``sendMessage`` (POST), all in this process against
the same fast upstream (its own process, on loopback). A bare ``requests.Session`` (the SDK's
HTTP library) rides along for reference: it shows how much of the SDK's time is its library. The contenders take turns in
rounds of 100 calls, so that a slow moment of the machine hits them alike; every call is timed
on its own.

Targets: ours within 1.05× of bare httpx (issue 12: no regression; issue 5 asked 1.2×); at most
0.6× the SDK's time per call.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import httpx
import requests
from common import (
    AUTH_ID,
    AUTH_TOKEN,
    SEND_ARGS,
    SEND_BODY,
    Summary,
    Target,
    emit,
    fast_upstream,
    markdown_table,
    options,
    progress,
    ratio,
    us,
)

import plivo_blocks

Call = Callable[[], Any]


def sdk_client(base_url: str) -> Any:
    """The official SDK's client, pointed at ``base_url`` (it has no setting for that)."""
    import plivo  # type: ignore[import-untyped]
    from plivo.rest import client as sdk_module  # type: ignore[import-untyped]

    sdk_module.PLIVO_API_BASE_URI = f"{base_url}/v1/Account"
    sdk_module.API_VOICE_BASE_URI = f"{base_url}/v1/Account"
    return plivo.RestClient(AUTH_ID, AUTH_TOKEN)


def time_rounds(contenders: dict[str, Call], *, rounds: int, per_round: int) -> dict[str, list[float]]:
    """Seconds per call for each contender; contenders alternate every ``per_round`` calls."""
    clock = time.perf_counter
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for call in contenders.values():  # warm up: connections, caches, lazy imports
        for _ in range(50):
            call()
    for _ in range(rounds):
        for name, call in contenders.items():
            out = samples[name]
            for _ in range(per_round):
                started = clock()
                call()
                out.append(clock() - started)
    return samples


def main() -> None:
    opts = options(__doc__.splitlines()[0])
    rounds = 4 if opts.quick else 20
    rows: list[list[object]] = []
    targets: list[Target] = []
    with fast_upstream() as base:
        bare = httpx.Client(auth=(AUTH_ID, AUTH_TOKEN), headers={"Accept": "application/json"})
        session = requests.Session()
        session.auth = (AUTH_ID, AUTH_TOKEN)
        session.headers["Accept"] = "application/json"
        ours = plivo_blocks.Client(AUTH_ID, AUTH_TOKEN, base_url=base)
        sdk = sdk_client(base)
        account_url = f"{base}/v1/Account/{AUTH_ID}/"
        message_url = f"{base}/v1/Account/{AUTH_ID}/Message/"

        def bare_get() -> Any:
            answer = bare.get(account_url)
            answer.raise_for_status()
            return answer.json()

        def bare_post() -> Any:
            answer = bare.post(message_url, json=SEND_BODY)
            answer.raise_for_status()
            return answer.json()

        def requests_get() -> Any:
            answer = session.get(account_url)
            answer.raise_for_status()
            return answer.json()

        def requests_post() -> Any:
            answer = session.post(message_url, json=SEND_BODY)
            answer.raise_for_status()
            return answer.json()

        operations: dict[str, dict[str, Call]] = {
            "getAccountDetails (GET)": {
                "bare httpx.Client": bare_get,
                "plivo_blocks.Client": ours.get_account_details,
                "plivo SDK RestClient": sdk.account.get,
                "(bare requests.Session)": requests_get,
            },
            "sendMessage (POST)": {
                "bare httpx.Client": bare_post,
                "plivo_blocks.Client": lambda: ours.send_message(**SEND_ARGS),
                "plivo SDK RestClient": lambda: sdk.messages.create(
                    src=SEND_BODY["src"], dst=SEND_BODY["dst"], text=SEND_BODY["text"]
                ),
                "(bare requests.Session)": requests_post,
            },
        }
        # Same answers from all three, or the comparison means nothing.
        assert ours.get_account_details()["auth_id"] == bare_get()["auth_id"] == sdk.account.get().auth_id
        assert ours.send_message(**SEND_ARGS)["message_uuid"] == bare_post()["message_uuid"]

        for operation, contenders in operations.items():
            progress(f"client overhead: {operation}")
            gc.collect()
            samples = time_rounds(contenders, rounds=rounds, per_round=100)
            summary = {name: Summary.of(values) for name, values in samples.items()}
            base_median = summary["bare httpx.Client"].median
            for name, stats in summary.items():
                rows.append(
                    [
                        operation,
                        name,
                        us(stats.median),
                        us(stats.p99),
                        ratio(stats.median / base_median),
                        f"{stats.count:,}",
                    ]
                )
            mine = summary["plivo_blocks.Client"].median
            sdk_median = summary["plivo SDK RestClient"].median
            targets.append(
                Target(
                    f"client vs bare httpx, {operation}",
                    "≤ 1.05×",
                    f"{mine / base_median:.2f}× (+{us(mine - base_median)} per call)",
                    mine / base_median <= 1.05,
                )
            )
            targets.append(
                Target(
                    f"client vs SDK, {operation}",
                    "≤ 0.60×",
                    f"{mine / sdk_median:.2f}× ({us(mine)} vs {us(sdk_median)})",
                    mine / sdk_median <= 0.6,
                )
            )
        ours.close()
        bare.close()
        session.close()
    markdown = (
        "Time per call from Python, each call timed on its own, against the fast upstream on loopback "
        "(its own process). Ratio: median over bare httpx's median.\n\n"
        + markdown_table(["operation", "contender", "median", "p99", "vs bare httpx", "calls"], rows)
    )
    emit("1. Client call overhead", markdown, targets, opts.json_out)


if __name__ == "__main__":
    main()
