"""``GET /metrics``: the gateway's metrics in Prometheus's text format, with prometheus_client.

With ``--workers N`` every worker is its own process: ``plivo-blocks serve`` then gives them a
fresh ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode), and whichever worker
answers a scrape adds up all of them. Labels are bounded: block names come from the catalog
(``-`` for a name that is not a block), outcomes are ``success`` or an error code.

- ``plivo_blocks_requests_total{block, outcome}``: block requests answered.
- ``plivo_blocks_upstream_latency_seconds{block}``: each attempt towards Plivo (a histogram).
- ``plivo_blocks_upstream_responses_total{block, status}``: attempts by Plivo's status (or the
  transport failure's name), so that 429s are counted.
- ``plivo_blocks_upstream_retries_total{block}``: attempts followed by another.
- ``plivo_blocks_idempotent_replays_total{block}``: answers replayed from an ``Idempotency-Key``.
- ``plivo_blocks_pacing_waits_total{bucket}``, ``plivo_blocks_pacing_wait_seconds{bucket}``:
  requests that waited for their account's turn, and how long; ``..._pacing_refusals_total``.
- ``plivo_blocks_store_errors_total{store}``: state-store failures (``keys`` or ``pacing``).
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class GatewayMetrics:
    """One set of metrics per app (its own registry, so that two apps in one process stay apart;
    in multiprocess mode the values go to that folder's files instead)."""

    def __init__(self) -> None:
        self.multiprocess_dir = os.environ.get(MULTIPROC_ENV) or None
        registry = self.registry = CollectorRegistry(auto_describe=True)
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.requests = Counter(
            "plivo_blocks_requests",
            "Block requests answered, by block and outcome",
            ["block", "outcome"],
            registry=registry,
        )
        self.upstream_latency = Histogram(
            "plivo_blocks_upstream_latency_seconds",
            "Seconds each attempt towards Plivo took",
            ["block"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.upstream_responses = Counter(
            "plivo_blocks_upstream_responses",
            "Attempts towards Plivo, by Plivo's HTTP status or the transport failure",
            ["block", "status"],
            registry=registry,
        )
        self.retries = Counter(
            "plivo_blocks_upstream_retries", "Attempts followed by a retry", ["block"], registry=registry
        )
        self.replays = Counter(
            "plivo_blocks_idempotent_replays",
            "Answers replayed from an earlier request with the same Idempotency-Key",
            ["block"],
            registry=registry,
        )
        self.pacing_waits = Counter(
            "plivo_blocks_pacing_waits",
            "Requests that waited for their account's turn",
            ["bucket"],
            registry=registry,
        )
        self.pacing_wait_seconds = Histogram(
            "plivo_blocks_pacing_wait_seconds",
            "Seconds requests waited for their account's turn",
            ["bucket"],
            buckets=_WAIT_BUCKETS,
            registry=registry,
        )
        self.pacing_refusals = Counter(
            "plivo_blocks_pacing_refusals",
            "Requests refused RATE_LIMITED: their turn was further away than the queue allows",
            ["bucket"],
            registry=registry,
        )
        self.store_errors = Counter(
            "plivo_blocks_store_errors", "State-store failures", ["store"], registry=registry
        )

    # -- what the gateway reports -----------------------------------------------------------------

    def request_answered(self, block: str, outcome: str, replayed: bool) -> None:
        self._child(self.requests, block, outcome).inc()
        if replayed:
            self.replays.labels(block).inc()

    def attempt(self, block: str, status: str, seconds: float, retrying: bool) -> None:
        """The client's ``on_attempt`` hook."""
        self._child(self.upstream_latency, block).observe(seconds)
        self._child(self.upstream_responses, block, status).inc()
        if retrying:
            self.retries.labels(block).inc()

    def _child(self, metric: Any, *labels: str) -> Any:
        # labels() takes a lock and validates on every call; the labels are bounded (see above),
        # so each metric's children are kept here by their labels.
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def pacing_waited(self, bucket: str, seconds: float) -> None:
        self.pacing_waits.labels(bucket).inc()
        self.pacing_wait_seconds.labels(bucket).observe(seconds)

    def pacing_refused(self, bucket: str) -> None:
        self.pacing_refusals.labels(bucket).inc()

    def store_error(self, store: str) -> None:
        self.store_errors.labels(store).inc()

    # -- exposition -------------------------------------------------------------------------------

    def render(self) -> bytes:
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
