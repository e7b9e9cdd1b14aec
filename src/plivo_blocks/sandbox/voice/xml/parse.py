"""Reading a Plivo XML document against the element specs, refusing what Plivo refuses.

A document is refused (:class:`InvalidXML`; a call then ends with Plivo's "Invalid ... XML" cause)
when it is larger than :data:`MAX_XML_BYTES` (Plivo: "The maximum allowed size of the XML document
... is 100 Kb"), declares a DTD or entities, is not well-formed, is not a ``<Response>``, holds an
element Plivo does not know (names are case-sensitive: ``<speak>`` is not ``<Speak>``), nests an
element where Plivo does not allow it, gives an attribute a value its rule refuses, lacks a
required attribute, holds text where none belongs, or gives attributes to an element that takes
none (``<PreAnswer>``).

Attributes an element does not define (a typo, or a mis-cased name: names are case-sensitive, so
``Loop`` is not ``loop``) are ignored, as Plivo's XML engine ignores them: its value never applies
(the default does). They are reported as warnings, which ``plivo-blocks xml check`` prints and the
call log shows.

:func:`read_document` reports every problem of a document, each with where it is
(``/Response/GetDigits[2]/Speak[1]``); :func:`parse_document` is the call engine's: the
instructions, or :class:`InvalidXML` with the problems.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plivo_blocks.sandbox.voice.xml.rules import Url
from plivo_blocks.sandbox.voice.xml.spec import ElementSpec, Parsed

__all__ = ["MAX_XML_BYTES", "Checked", "InvalidXML", "Problem", "parse_document", "read_document"]

#: Plivo's limit on a document an answer, action, redirect or transfer URL returns.
MAX_XML_BYTES = 100 * 1024

_XML_NAMESPACE = "{http://www.w3.org/XML/1998/namespace}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where, and which rule it broke."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InvalidXML(ValueError):
    """The document is not Plivo XML (the message says where and why)."""

    def __init__(self, problems: list[Problem] | str) -> None:
        self.problems = [Problem("", problems)] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass
class Checked:
    """A document read against the specs: its instructions (when it has no errors), its errors,
    and its warnings (attributes Plivo ignores)."""

    instructions: list[Any] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_document(document: str | bytes, schema: Mapping[str, ElementSpec]) -> list[Any]:
    """The instructions of a ``<Response>`` document, in order (:class:`InvalidXML` if refused)."""
    checked = read_document(document, schema)
    if checked.errors:
        raise InvalidXML(checked.errors)
    return checked.instructions


def read_document(document: str | bytes, schema: Mapping[str, ElementSpec]) -> Checked:
    """Every error and warning of ``document``, and its instructions when it has no error."""
    raw = document.encode("utf-8") if isinstance(document, str) else document
    checked = Checked()
    if len(raw) > MAX_XML_BYTES:
        checked.errors.append(
            Problem("", f"the document is {len(raw)} bytes; Plivo takes at most {MAX_XML_BYTES}")
        )
        return checked
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        checked.errors.append(Problem("", "DTDs and entities are not allowed"))
        return checked
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        checked.errors.append(Problem("", f"not well-formed XML: {exc}"))
        return checked
    if root.tag != "Response":
        hint = " (element names are case-sensitive)" if str(root.tag).lower() == "response" else ""
        checked.errors.append(Problem("", f"the root element must be <Response>, not <{root.tag}>{hint}"))
        return checked
    reader = _Reader(schema, checked)
    response = schema["Response"]
    reader.check_text(root, response, "/Response")
    built = reader.children(root, response, "/Response")
    if not checked.errors:
        checked.instructions = built
    return checked


class _Reader:
    def __init__(self, schema: Mapping[str, ElementSpec], checked: Checked) -> None:
        self.schema = schema
        self.checked = checked

    def error(self, where: str, message: str) -> None:
        self.checked.errors.append(Problem(where, message))

    def children(self, element: ET.Element, spec: ElementSpec, where: str) -> list[Any]:
        return [
            self.element(child, spec, f"{where}/{child.tag}[{index}]")
            for index, child in enumerate(element, start=1)
        ]

    def element(self, element: ET.Element, parent: ElementSpec, where: str) -> Any:
        tag = str(element.tag)
        if tag not in parent.children:
            self.error(where, _misplaced(tag, parent, self.schema))
            return None
        spec = self.schema[tag]
        before = len(self.checked.errors)
        values, unknown = self.attributes(element, spec, where)
        self.check_text(element, spec, where)
        children = self.children(element, spec, where)
        if spec.needs_child and not len(element):
            self.error(where, f"<{tag}> needs one of {', '.join(f'<{c}>' for c in spec.children)} inside it")
        text = self.text(element, spec, where)
        if len(self.checked.errors) > before:
            return None
        parsed = Parsed(tag, values, text, tuple(children), unknown)
        if spec.check is not None:
            problem = spec.check(parsed)
            if problem is not None:
                self.error(where, f"<{tag}> {problem}")
                return None
        return spec.build(parsed)

    def attributes(
        self, element: ET.Element, spec: ElementSpec, where: str
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        given = {_attribute_name(name): value for name, value in element.attrib.items()}
        values: dict[str, Any] = {}
        for attr in spec.attrs:
            raw = given.get(attr.name)
            if raw is None or (raw.strip() == "" and not attr.required):
                if attr.required:
                    self.error(where, f"<{spec.tag}> needs the attribute {attr.name} ({attr.rule.accepts})")
                values[attr.name] = attr.default
                continue
            try:
                values[attr.name] = attr.rule.parse(raw)
            except ValueError as exc:
                self.error(where, f"<{spec.tag}> attribute {attr.name}={raw!r}: {exc}")
        unknown = tuple(sorted(name for name in given if name not in spec.by_name))
        for name in unknown:
            if spec.closed:
                self.error(where, f"<{spec.tag}> takes no attribute {name} (it has no attributes)")
            else:
                self.checked.warnings.append(Problem(where, _ignored(spec, name)))
        return values, unknown

    def check_text(self, element: ET.Element, spec: ElementSpec, where: str) -> None:
        if spec.content == "speech":
            return
        loose = [element.text or "", *((child.tail or "") for child in element)]
        if spec.content == "none" and any(part.strip() for part in loose):
            self.error(where, f"<{spec.tag}> holds no text")
        if spec.content in ("text", "url") and len(element):
            self.error(where, f"<{spec.tag}> holds only text, not elements")

    def text(self, element: ET.Element, spec: ElementSpec, where: str) -> str:
        if spec.content == "none":
            return ""
        # Speak may carry SSML children (<break/>, <prosody>...): the spoken text is all of it.
        text = " ".join("".join(element.itertext()).split())
        if spec.content in ("text", "url", "speech") and not text:
            self.error(where, f"<{spec.tag}> needs text")
            return ""
        if spec.content == "url":
            try:
                return Url().parse(text)
            except ValueError as exc:
                self.error(where, f"<{spec.tag}> {exc}, got {text!r}")
        return text


def _attribute_name(name: str) -> str:
    # ElementTree names xml:lang by its namespace; SSML's <lang> is written xml:lang.
    return "xml:" + name.removeprefix(_XML_NAMESPACE) if name.startswith(_XML_NAMESPACE) else name


def _ignored(spec: ElementSpec, name: str) -> str:
    for known in spec.by_name:
        if known.lower() == name.lower():
            return (
                f"<{spec.tag}> attribute {name} is ignored: attribute names are case-sensitive "
                f"(did you mean {known}?)"
            )
    known_names = ", ".join(spec.by_name) or "none"
    return f"<{spec.tag}> attribute {name} is ignored: Plivo does not define it (known: {known_names})"


def _misplaced(tag: str, parent: ElementSpec, schema: Mapping[str, ElementSpec]) -> str:
    if tag not in schema:
        for known in schema:
            if known.lower() == tag.lower():
                return f"unknown element <{tag}> (element names are case-sensitive: <{known}>)"
        return f"unknown element <{tag}>"
    allowed = ", ".join(f"<{c}>" for c in parent.children) or "nothing"
    return f"<{tag}> cannot be nested in <{parent.tag}> (it may hold {allowed})"
