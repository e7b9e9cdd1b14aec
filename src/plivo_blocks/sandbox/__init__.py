"""A stateful, persistent local stand-in for Plivo's REST API v1 (the way moto is for AWS).

``create_app(db_path, *, auth_id=None, auth_token=None, settings=None, clock=None)`` builds the ASGI
app; ``app.state.sandbox`` is the :class:`SandboxState`, whose attributes are the sandbox's parts
(see :mod:`plivo_blocks.sandbox.state`).
"""

from plivo_blocks.sandbox.accounts import Account
from plivo_blocks.sandbox.app import create_app
from plivo_blocks.sandbox.clock import ClockMode, ClockSpec, SandboxClock
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.state import SandboxState
from plivo_blocks.sandbox.store import Document, Store

__all__ = [
    "Account",
    "ClockMode",
    "ClockSpec",
    "Document",
    "SandboxClock",
    "SandboxSettings",
    "SandboxState",
    "Store",
    "create_app",
]
