"""Webhooks: the callbacks the sandbox makes (see :mod:`.outbox`), their log (:mod:`.delivery`) and
Plivo's per-URL delivery policy (:mod:`.policy`)."""

from plivo_blocks.sandbox.webhooks.delivery import DELIVERED, FAILED, PENDING, WEBHOOK, Callback, Delivery
from plivo_blocks.sandbox.webhooks.outbox import FetchFailed, FetchResult, Outbox
from plivo_blocks.sandbox.webhooks.policy import CallbackPolicy

__all__ = [
    "DELIVERED",
    "FAILED",
    "PENDING",
    "WEBHOOK",
    "Callback",
    "CallbackPolicy",
    "Delivery",
    "FetchFailed",
    "FetchResult",
    "Outbox",
]
