"""``GET /metrics`` (Prometheus text format): in process, and from ``plivo-blocks serve --workers 2``
(prometheus_client's multiprocess mode, in a folder the serve command makes and removes); and
``PLIVO_BLOCKS_LOG_FORMAT=json`` from a served process."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import httpx
import pytest
from gateway_support import AUTH_TOKEN, GatewayFactory, args, detail
from prometheus_client.parser import text_string_to_metric_families

from support.upstream import RecordingUpstream, Reply

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "reliability"))
from reliability_support import start_cli

SEND = {"src": "14155551234", "destination": "14155550001", "text": "hi"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus page: (name, sorted labels) -> value."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


@pytest.mark.anyio
async def test_metrics_count_requests_latency_retries_replays_and_pacing(
    make_gateway: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(
        Reply(status=202, json={"message_uuid": ["u"]}),
        Reply(status=503, json={"error": "busy"}),
        Reply(json={"api_id": "ok"}),
    )
    async with make_gateway(max_retries=1, rate_requests=3, rate_window=5, max_queue_seconds=0) as gateway:
        key = {"Idempotency-Key": "m"}
        await gateway.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key)
        await gateway.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key)  # replayed
        await gateway.post("/api/Plivo/getSingleMessage", json=args(messageUuid="u"))  # 503, retried, 200
        limited = await gateway.post("/api/Plivo/getSingleMessage", json=args(messageUuid="u"))
        await gateway.post("/api/Plivo/sendMessage", json=args())  # invalid
        await gateway.post("/api/Plivo/noSuchBlock", json=args())
        page = await gateway.get("/metrics")
    assert detail(limited)["status_code"] == "RATE_LIMITED"
    assert page.headers["content-type"].startswith("text/plain")
    assert AUTH_TOKEN not in page.text
    found = samples(page.text)

    def value(name: str, **labels: str) -> float:
        return found.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("plivo_blocks_requests_total", block="sendMessage", outcome="success") == 2
    assert value("plivo_blocks_requests_total", block="sendMessage", outcome="REQUIRED_FIELDS") == 1
    assert value("plivo_blocks_requests_total", block="getSingleMessage", outcome="success") == 1
    assert value("plivo_blocks_requests_total", block="getSingleMessage", outcome="RATE_LIMITED") == 1
    assert value("plivo_blocks_requests_total", block="-", outcome="UNKNOWN_BLOCK") == 1
    assert value("plivo_blocks_idempotent_replays_total", block="sendMessage") == 1
    assert value("plivo_blocks_upstream_retries_total", block="getSingleMessage") == 1
    assert value("plivo_blocks_upstream_responses_total", block="getSingleMessage", status="503") == 1
    assert value("plivo_blocks_upstream_latency_seconds_count", block="getSingleMessage") == 2
    assert value("plivo_blocks_upstream_latency_seconds_count", block="sendMessage") == 1
    assert value("plivo_blocks_pacing_refusals_total", bucket="api") == 1
    assert len(recording_upstream.requests) == 3


@pytest.mark.anyio
async def test_pacing_waits_are_counted_and_timed(
    make_gateway: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    async with make_gateway(rate_requests=1, rate_window=0.2, pacing_margin=0.1) as gateway:
        for _ in range(3):
            await gateway.post("/api/Plivo/getAccountDetails", json=args())
        found = samples((await gateway.get("/metrics")).text)
    # Two waited (a third turn is taken only by a request late for its own, on a busy machine).
    assert found["plivo_blocks_pacing_waits_total", (("bucket", "api"),)] >= 2
    assert found["plivo_blocks_pacing_wait_seconds_sum", (("bucket", "api"),)] >= 0.5


def test_workers_share_one_metrics_page_and_json_logs(
    tmp_path: Path, recording_upstream: RecordingUpstream
) -> None:
    env = {"PLIVO_API_URL": recording_upstream.url, "PLIVO_BLOCKS_LOG_FORMAT": "json"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    before = set(Path("/tmp").glob("plivo-blocks-metrics-*"))
    served = start_cli(["serve", "--workers", "2"], log_path=tmp_path / "serve.log", env=env)
    made = set(Path("/tmp").glob("plivo-blocks-metrics-*")) - before
    assert len(made) == 1  # the workers' multiprocess folder
    try:
        with httpx.Client(base_url=served.url, timeout=20) as client:
            for _ in range(20):
                with httpx.Client(base_url=served.url, timeout=20) as fresh:  # new connections: both workers
                    assert (
                        fresh.post("/api/Plivo/getAccountDetails", json=args()).json()["callback"]
                        == "success"
                    )
            totals = set()
            for _ in range(6):
                with httpx.Client(base_url=served.url, timeout=20) as fresh:
                    found = samples(fresh.get("/metrics").text)
                totals.add(
                    found[
                        "plivo_blocks_requests_total",
                        (("block", "getAccountDetails"), ("outcome", "success")),
                    ]
                )
            assert client.get("/healthz").status_code == 200
        announced = re.search(r"metrics (\S+)", served.output())
        assert announced is not None
    finally:
        served.stop()
    assert totals == {20.0}  # whichever worker answers, the page adds up both
    lines = [line for line in served.output().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    access = [r for r in records if r["logger"] == "plivo_blocks.gateway.access"]
    assert len(access) == 20 and all(
        r["block"] == "getAccountDetails" and r["outcome"] == "success" for r in access
    )
    assert AUTH_TOKEN not in served.output()
    assert not any(folder.exists() for folder in made)  # the serve command removed its folder
