"""How an attribute's text becomes a value: one rule per kind of value, that both parses and says
what it accepts (so ``plivo-blocks xml check`` and the errors quote the same rule that parses).

A rule's :meth:`~Rule.parse` raises :class:`ValueError` with the reason when the text breaks it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = [
    "Boolean",
    "Choice",
    "Integer",
    "Keys",
    "Method",
    "Number",
    "Rule",
    "Text",
    "Url",
]

T = TypeVar("T")

_URL = re.compile(r"https?://[^\s/?#]+[^\s]*\Z")
_KEYS = re.compile(r"[0-9*#]*\Z")


class Rule(Generic[T]):
    """A kind of attribute value."""

    #: What the rule accepts, in words (shown in errors and by ``xml check``).
    accepts: str = ""

    def parse(self, text: str) -> T:
        raise NotImplementedError


@dataclass(frozen=True)
class Boolean(Rule[bool]):
    accepts: str = "true or false"

    def parse(self, text: str) -> bool:
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"must be {self.accepts}")
        return lowered == "true"


@dataclass(frozen=True)
class Integer(Rule[int]):
    minimum: int | None = None
    maximum: int | None = None

    @property
    def accepts(self) -> str:  # type: ignore[override]
        if self.minimum is not None and self.maximum is not None:
            return f"an integer from {self.minimum} to {self.maximum}"
        if self.minimum is not None:
            return f"an integer of at least {self.minimum}"
        return "an integer"

    def parse(self, text: str) -> int:
        stripped = text.strip()
        if not re.fullmatch(r"[+-]?\d+", stripped):
            raise ValueError(f"must be {self.accepts}")
        value = int(stripped)
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise ValueError(f"must be {self.accepts}")
        return value


@dataclass(frozen=True)
class Number(Rule[float]):
    """A decimal number (seconds with a fraction, a threshold)."""

    minimum: float | None = None
    maximum: float | None = None

    @property
    def accepts(self) -> str:  # type: ignore[override]
        if self.minimum is not None and self.maximum is not None:
            return f"a number from {self.minimum:g} to {self.maximum:g}"
        return "a number"

    def parse(self, text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise ValueError(f"must be {self.accepts}") from None
        if (
            value != value
            or (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
        ):
            raise ValueError(f"must be {self.accepts}")
        return value


@dataclass(frozen=True)
class Choice(Rule[str]):
    """One of ``options`` (compared case-insensitively when ``fold_case``; the value is then the
    option as written in ``options``)."""

    options: tuple[str, ...]
    fold_case: bool = True

    @property
    def accepts(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(self.options)

    def parse(self, text: str) -> str:
        stripped = text.strip()
        for option in self.options:
            if stripped == option or (self.fold_case and stripped.lower() == option.lower()):
                return option
        raise ValueError(f"must be {self.accepts}")


def Method() -> Choice:
    """An HTTP method Plivo calls a URL with."""
    return Choice(("GET", "POST"))


@dataclass(frozen=True)
class Url(Rule[str]):
    accepts: str = "an absolute http(s) URL"

    def parse(self, text: str) -> str:
        stripped = text.strip()
        if not _URL.match(stripped):
            raise ValueError(f"must be {self.accepts}")
        return stripped


@dataclass(frozen=True)
class Keys(Rule[str]):
    """DTMF keys (0-9, * and #); ``none`` (any case) or an empty value means no key."""

    accepts: str = "keys among 0-9, * and #, or none"

    def parse(self, text: str) -> str:
        stripped = text.strip()
        if stripped.lower() == "none":
            return ""
        if not _KEYS.match(stripped):
            raise ValueError(f"must be {self.accepts}")
        return stripped


@dataclass(frozen=True)
class Text(Rule[str]):
    max_length: int | None = None
    check: Callable[[str], bool] | None = None
    describe: str = "text"

    @property
    def accepts(self) -> str:  # type: ignore[override]
        if self.max_length is not None:
            return f"{self.describe} of at most {self.max_length} characters"
        return self.describe

    def parse(self, text: str) -> str:
        if self.max_length is not None and len(text) > self.max_length:
            raise ValueError(f"must be {self.accepts}")
        if self.check is not None and not self.check(text):
            raise ValueError(f"must be {self.accepts}")
        return text
