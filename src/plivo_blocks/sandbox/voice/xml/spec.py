"""Plivo XML elements as data: each element's attributes (name, rule, default), the elements it may
contain, what text it holds, and how it becomes a typed instruction.

The parser (:mod:`.parse`) reads a document against these specs and refuses what Plivo refuses; the
same specs describe the rules for ``plivo-blocks xml check``. Nesting follows the official SDK's
``plivoxml`` (each element's ``_nestable``); attributes and their allowed values follow Plivo's XML
reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from plivo_blocks.sandbox.voice.xml.rules import Rule

__all__ = ["Attr", "Content", "ElementSpec", "Parsed"]

T = TypeVar("T")

#: What text an element holds: ``none`` (only whitespace between children), ``text`` (required),
#: ``optional`` (may be empty), ``url`` (an http(s) URL), ``speech`` (text with SSML children).
Content = Literal["none", "text", "optional", "url", "speech"]


@dataclass(frozen=True)
class Attr(Generic[T]):
    name: str  # as written in XML (camelCase)
    rule: Rule[T]
    default: T | None = None
    required: bool = False


@dataclass(frozen=True)
class Parsed:
    """One element, checked: its attribute values (defaults filled in), its text, and its children
    already built (instructions or nested items such as Dial's Numbers)."""

    tag: str
    values: Mapping[str, Any]
    text: str
    children: tuple[Any, ...] = ()
    unknown_attributes: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


@dataclass(frozen=True)
class ElementSpec:
    tag: str
    build: Callable[[Parsed], Any]
    attrs: tuple[Attr[Any], ...] = ()
    children: tuple[str, ...] = ()
    content: Content = "none"
    #: At least one child is needed (Dial needs a Number or a User).
    needs_child: bool = False
    by_name: dict[str, Attr[Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {attr.name: attr for attr in self.attrs})
