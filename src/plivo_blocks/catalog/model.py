"""What a block is: its arguments, how they are validated, and the Plivo request they become."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from plivo_blocks.catalog.types import Invalid, ValueType
from plivo_blocks.errors import Problem, ValidationError

_MAX_UNKNOWN_REPORTED = 20
#: Longest URL path + query a request may have: servers refuse longer request lines (Plivo's
#: limit is not documented; 4,000 characters is well within what HTTP servers accept).
MAX_URL_CHARACTERS = 4000
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

#: A rule over several arguments at once (e.g. "aleg_url is needed when legs is aleg").
#: It sees the parsed values and returns the problems it finds.
CrossCheck = Callable[[Mapping[str, Any]], list[Problem]]


def snake_case(name: str) -> str:
    return _CAMEL_BOUNDARY.sub("_", name).lower()


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of a block.

    ``name`` is the public camelCase name (the seed's), ``param`` the name Plivo knows it by.
    ``datatype`` is the type the RapidAPI metadata shows; by default the value type's.
    """

    name: str
    type: ValueType
    required: bool = False
    param: str = ""
    info: str = ""
    datatype: str = ""

    def __post_init__(self) -> None:
        if not self.param:
            object.__setattr__(self, "param", snake_case(self.name))
        if not self.datatype:
            object.__setattr__(self, "datatype", self.type.datatype)


@dataclass(frozen=True, slots=True)
class PlivoRequest:
    """A request ready to send: ``path`` is relative to ``/v1/Account/{auth_id}/`` and already encoded."""

    method: str
    path: str
    query: dict[str, Any]
    body: dict[str, Any] | None

    def url_path(self, auth_id: str) -> str:
        return f"{_account_root(auth_id)}{self.path}"


@lru_cache(maxsize=1024)
def _account_root(auth_id: str) -> str:
    # encode_segment, not quote: an auth id of ".." must not climb to /v1/<path>. Kept: a client
    # sends every request under the same few accounts.
    return f"/v1/Account/{encode_segment(auth_id)}/"


def encode_segment(value: str) -> str:
    """Percent-encode one path segment so that no value can leave it: ``/``, ``?``, ``#``, ``%``,
    CR/LF and spaces are encoded, and a segment of only dots cannot climb the path."""
    encoded = quote(value, safe="")
    if set(encoded) == {"."}:
        encoded = encoded.replace(".", "%2E")
    return encoded


@dataclass(frozen=True)
class Block:
    """One named operation: the seed's block, mapped onto the real Plivo call."""

    name: str
    group: str
    description: str
    method: str
    path: str
    status: int
    args: tuple[Arg, ...] = ()
    fixed_params: Mapping[str, Any] = field(default_factory=dict)
    checks: tuple[CrossCheck, ...] = ()

    def __post_init__(self) -> None:
        names = [a.name for a in self.args]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: duplicate argument names")
        for placeholder in _PLACEHOLDER.findall(self.path):
            arg = self.arg(placeholder)
            if arg is None or not arg.required:
                raise ValueError(f"{self.name}: path placeholder {placeholder} must be a required argument")

    # -- introspection ---------------------------------------------------------------------

    @property
    def python_name(self) -> str:
        return snake_case(self.name)

    @cached_property
    def path_args(self) -> tuple[str, ...]:
        return tuple(_PLACEHOLDER.findall(self.path))

    @cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(a.name for a in self.args)

    @property
    def paginated(self) -> bool:
        return self.arg("limit") is not None and self.arg("offset") is not None

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args if a.required)

    def arg(self, name: str) -> Arg | None:
        for a in self.args:
            if a.name == name:
                return a
        return None

    # -- validation and mapping ------------------------------------------------------------

    def validate(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Check every argument; answer the parsed values by camelCase name, or raise
        :class:`ValidationError` listing every problem at once. ``None`` and ``""`` count as not given
        (RapidAPI clients send empty strings for fields left blank)."""
        return self._check(raw)[0]

    def prepare(self, raw: Mapping[str, Any]) -> PlivoRequest:
        """:meth:`validate`, then :meth:`to_request`: the request is built once."""
        return self._check(raw)[1]

    def _check(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], PlivoRequest]:
        problems: list[Problem] = []
        known = self._names
        unknown = [str(name) for name in raw if name not in known]
        # Name at most a few: a hostile caller can send thousands of keys, and difflib is not cheap.
        for name in unknown[:_MAX_UNKNOWN_REPORTED]:
            close = difflib.get_close_matches(name[:100], known, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            problems.append(Problem(name[:100], "unknown", f"is not an argument of {self.name}{hint}"))
        if len(unknown) > _MAX_UNKNOWN_REPORTED:
            more = len(unknown) - _MAX_UNKNOWN_REPORTED
            problems.append(
                Problem("args", "unknown", f"{more} more arguments are not arguments of {self.name}")
            )
        values: dict[str, Any] = {}
        for arg in self.args:
            value = raw.get(arg.name)
            if value is None or (isinstance(value, str) and not value.strip()):
                if arg.required:
                    problems.append(Problem(arg.name, "required", "is required"))
                continue
            try:
                values[arg.name] = arg.type.parse(value)
            except Invalid as exc:
                problems.append(Problem(arg.name, exc.rule, exc.message))
        request: PlivoRequest | None = None
        if not problems:
            for check in self.checks:
                problems.extend(check(values))
            request = self.to_request(values)
            problems.extend(self._url_length_problems(values, request))
        if problems or request is None:
            raise ValidationError(self.name, problems)
        return values, request

    def _url_length_problems(self, values: Mapping[str, Any], request: PlivoRequest) -> list[Problem]:
        """Values that travel in the URL (path segments, GET/DELETE parameters) must fit in one."""
        length = len(request.path) + (len(urlencode(request.query)) if request.query else 0)
        if length <= MAX_URL_CHARACTERS:
            return []
        in_url = [
            a for a in self.args if a.name in values and (self.method != "POST" or a.name in self.path_args)
        ]
        longest = max(in_url, key=lambda a: len(str(values[a.name])))
        return [
            Problem(
                longest.name,
                "max_length",
                f"is too long to send in a URL (the URL would be {length} characters; at most {MAX_URL_CHARACTERS})",
            )
        ]

    def to_request(self, values: Mapping[str, Any]) -> PlivoRequest:
        """Map validated values onto Plivo's request: path parameters into the (encoded) path,
        the rest into the query string (GET, DELETE) or a JSON body (POST)."""
        in_path = self.path_args
        path = (
            _PLACEHOLDER.sub(lambda m: encode_segment(str(values[m.group(1)])), self.path)
            if in_path
            else self.path
        )
        params: dict[str, Any] = {}
        for arg in self.args:
            if arg.name in values and arg.name not in in_path:
                params[arg.param] = values[arg.name]
        params.update(self.fixed_params)
        if self.method == "POST":
            return PlivoRequest(self.method, path, {}, params)
        return PlivoRequest(self.method, path, params, None)


def requires_when(
    when: str, among: tuple[str, ...], needed: str, *, default: str | None = None
) -> CrossCheck:
    """``needed`` must be given when the argument ``when`` (or its Plivo ``default``) is one of ``among``."""

    def check(values: Mapping[str, Any]) -> list[Problem]:
        current = values.get(when, default)
        if current in among and needed not in values:
            return [Problem(needed, "required", f"is required when {when} is {current}")]
        return []

    return check
