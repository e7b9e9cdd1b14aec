"""``PLIVO_BLOCKS_LOG_FORMAT=json``: every log record as one JSON object per line.

Each line holds ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, then the record's
structured fields (the access log's ``method``-free ``block``, ``outcome``, ``status``,
``duration_ms``, ``replayed``; the client's ``block``, ``http_method``, ``path``, ``attempt``...)
and ``exception`` for a traceback. It adds nothing to what the text format says: no argument,
header or credential is ever in a record (the credential tests read both formats).

A dozen lines of standard ``logging``: a dependency for it would add nothing.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

#: Attributes every LogRecord has; anything else on a record was passed as ``extra``.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD and not name.startswith("_"):
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)
