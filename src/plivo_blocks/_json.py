"""JSON on the request path: orjson (in Rust) where it agrees with the standard library, and the
standard library where it does not, so that every document decodes and encodes as before.

orjson refuses what ``json`` accepts beyond RFC 8259 (``NaN``/``Infinity`` tokens, numbers out of
a double's range, lone surrogates): those fall back to ``json``. It also reads an integer beyond
64 bits as a float, silently; a document with a run of 19 digits or more therefore goes to
``json`` at once. Everything else decodes to the same Python values, about five times faster
(README, Performance: a few microseconds per document, four documents per gateway request).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_LONG_NUMBER = re.compile(rb"[0-9]{19}")


def loads(data: bytes) -> Any:
    """``json.loads``, faster. Raises ``ValueError`` (or ``RecursionError``) as it does."""
    if _LONG_NUMBER.search(data) is None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``
    encodes it; strings with lone surrogates (which UTF-8 cannot carry) as ``\\u`` escapes.
    ``NaN`` and infinities, which JSON has no way to write, become ``null``."""
    try:
        return orjson.dumps(value)
    except TypeError:  # lone surrogates, integers beyond 64 bits, keys that are not strings
        try:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        except UnicodeEncodeError:
            return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("ascii")
