"""A stateful, persistent local stand-in for Plivo's REST API v1 (the way moto is for AWS).

``create_app(db_path, *, auth_id=None, auth_token=None, settings=None)`` builds the ASGI app;
``app.state.sandbox`` is the :class:`SandboxState`. See :mod:`plivo_blocks.sandbox.store` (the
document store), :mod:`~plivo_blocks.sandbox.state` (accounts, webhooks, background work),
:mod:`~plivo_blocks.sandbox.routing` (declaring endpoints), :mod:`~plivo_blocks.sandbox.responses`
(Plivo-shaped answers) and :mod:`~plivo_blocks.sandbox.faults` (fault injection).
"""

from plivo_blocks.sandbox.app import create_app
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.state import Account, RecordingWebhookSender, SandboxState, WebhookSender
from plivo_blocks.sandbox.store import Document, Store

__all__ = [
    "Account",
    "Document",
    "RecordingWebhookSender",
    "SandboxSettings",
    "SandboxState",
    "Store",
    "WebhookSender",
    "create_app",
]
