"""Reading a Plivo XML document against the element specs, refusing what Plivo refuses.

A document is refused (:class:`InvalidXML`; a call then ends with Plivo's "Invalid ... XML" cause)
when it is larger than :data:`MAX_XML_BYTES`, declares a DTD or entities, is not well-formed, is not
a ``<Response>``, holds an element Plivo does not know (names are case-sensitive: ``<speak>`` is not
``<Speak>``), nests an element where Plivo does not allow it, gives an attribute a value its rule
refuses, lacks a required attribute, or holds text where none belongs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from plivo_blocks.sandbox.voice.xml.rules import Url
from plivo_blocks.sandbox.voice.xml.spec import ElementSpec, Parsed

__all__ = ["MAX_XML_BYTES", "InvalidXML", "parse_document"]

#: Answer documents are small; a larger body is refused rather than parsed.
MAX_XML_BYTES = 512 * 1024


class InvalidXML(ValueError):
    """The document is not Plivo XML (the message says where and why)."""


def parse_document(document: str | bytes, schema: Mapping[str, ElementSpec]) -> list[Any]:
    """The instructions of a ``<Response>`` document, in order."""
    raw = document.encode("utf-8") if isinstance(document, str) else document
    if len(raw) > MAX_XML_BYTES:
        raise InvalidXML(f"the document is larger than {MAX_XML_BYTES} bytes")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise InvalidXML("DTDs and entities are not allowed")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise InvalidXML(f"not well-formed XML: {exc}") from None
    response = schema["Response"]
    if root.tag != "Response":
        raise InvalidXML(f"the root element must be <Response>, not <{root.tag}>")
    _check_text(root, response)
    return [_build(child, response, schema) for child in root]


def _build(element: ET.Element, parent: ElementSpec, schema: Mapping[str, ElementSpec]) -> Any:
    tag = str(element.tag)
    if tag not in parent.children:
        raise InvalidXML(_misplaced(tag, parent, schema))
    spec = schema[tag]
    values, unknown = _attributes(element, spec)
    _check_text(element, spec)
    children = tuple(_build(child, spec, schema) for child in element)
    if spec.needs_child and not children:
        raise InvalidXML(f"<{tag}> needs one of {', '.join(f'<{c}>' for c in spec.children)} inside it")
    return spec.build(Parsed(tag, values, _text(element, spec), children, unknown))


def _misplaced(tag: str, parent: ElementSpec, schema: Mapping[str, ElementSpec]) -> str:
    if tag not in schema:
        for known in schema:
            if known.lower() == tag.lower():
                return f"unknown element <{tag}> (element names are case-sensitive: <{known}>)"
        return f"unknown element <{tag}>"
    allowed = ", ".join(f"<{c}>" for c in parent.children) or "nothing"
    return f"<{tag}> cannot be nested in <{parent.tag}> (it may hold {allowed})"


def _attributes(element: ET.Element, spec: ElementSpec) -> tuple[dict[str, Any], tuple[str, ...]]:
    values: dict[str, Any] = {}
    for attr in spec.attrs:
        raw = element.attrib.get(attr.name)
        if raw is None or (raw.strip() == "" and not attr.required):
            if attr.required:
                raise InvalidXML(f"<{spec.tag}> needs the attribute {attr.name} ({attr.rule.accepts})")
            values[attr.name] = attr.default
            continue
        try:
            values[attr.name] = attr.rule.parse(raw)
        except ValueError as exc:
            raise InvalidXML(f"<{spec.tag}> attribute {attr.name}={raw!r}: {exc}") from None
    unknown = tuple(sorted(name for name in element.attrib if name not in spec.by_name))
    return values, unknown


def _check_text(element: ET.Element, spec: ElementSpec) -> None:
    if spec.content in ("speech",):
        return
    loose = [element.text or "", *((child.tail or "") for child in element)]
    if spec.content == "none" and any(part.strip() for part in loose):
        raise InvalidXML(f"<{spec.tag}> holds no text")
    if spec.content in ("text", "url") and list(element):
        raise InvalidXML(f"<{spec.tag}> holds only text, not elements")


def _text(element: ET.Element, spec: ElementSpec) -> str:
    if spec.content == "none":
        return ""
    # Speak may carry SSML children (<break/>, <prosody>...): the spoken text is all of it.
    text = " ".join("".join(element.itertext()).split())
    if spec.content in ("text", "url", "speech") and not text:
        raise InvalidXML(f"<{spec.tag}> needs text")
    if spec.content == "url":
        try:
            return Url().parse(text)
        except ValueError as exc:
            raise InvalidXML(f"<{spec.tag}> {exc}, got {text!r}") from None
    return text
