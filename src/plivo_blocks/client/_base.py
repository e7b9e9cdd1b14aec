"""What the sync and async clients have in common above the I/O: configuration, repr, ``prepare``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from plivo_blocks.catalog import PlivoRequest
from plivo_blocks.client._core import ClientCore


class BaseClient:
    _core: ClientCore

    @property
    def auth_id(self) -> str | None:
        """The account the requests go to (``None`` when no credentials are configured)."""
        return self._core.auth_id

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def timeout(self) -> httpx.Timeout:
        return self._core.timeout

    @property
    def max_retries(self) -> int:
        return self._core.retry.max_retries

    def prepare(self, block: str, args: Mapping[str, Any] | None = None) -> PlivoRequest:
        """Validate ``args`` for ``block`` and answer the Plivo request it would send, without sending it.

        The request's ``path`` is relative to ``/v1/Account/{auth_id}/``; see
        :meth:`PlivoRequest.url_path`. Raises UnknownBlockError or ValidationError.
        """
        return self._core.plan(block, args or {}).request

    def __repr__(self) -> str:
        return self._core.describe(type(self).__name__)
