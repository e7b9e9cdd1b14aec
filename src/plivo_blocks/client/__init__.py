"""The Python client over Plivo's REST API v1: :class:`Client` and its async twin :class:`AsyncClient`.

Both share one I/O-free core (``_core``): the clients only send requests and sleep.

Retry policy (``max_retries`` more attempts at most, default 2):

* GET and DELETE are retried on connection failures, timeouts, 429 and 5xx.
* POST is retried only when the request provably never left (connection refused, connect
  or pool timeout) and on 429. A POST that timed out waiting for the answer, lost its
  connection after sending, or got a 5xx is not retried: a message or a call must never be
  sent twice.
* The wait is exponential backoff from 0.5 s, doubling up to 8 s, minus up to 25% jitter; a
  ``Retry-After`` (seconds or HTTP date) replaces it. A ``Retry-After`` over 60 s is not
  waited for: the error is raised at once.

Logging goes to the ``plivo_blocks.client`` logger at INFO: one line per attempt with block,
method, path relative to the account, status, duration and attempt number (also as record
attributes ``block``, ``http_method``, ``path``, ``status``, ``duration_ms``, ``attempt``).
Never a header, never a credential.
"""

from __future__ import annotations

from plivo_blocks.client._async import AsyncClient
from plivo_blocks.client._core import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    PAGE_SIZE,
    USER_AGENT,
    RetryPolicy,
    parse_retry_after,
)
from plivo_blocks.client._sync import Client

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "PAGE_SIZE",
    "USER_AGENT",
    "AsyncClient",
    "Client",
    "RetryPolicy",
    "parse_retry_after",
]
