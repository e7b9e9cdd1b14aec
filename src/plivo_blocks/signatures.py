"""Plivo's webhook signatures: make them (the sandbox signs every callback) and check them (for your handlers).

Plivo signs each request it makes to your server in two schemes, each in two variants:

* **V2** (``X-Plivo-Signature-V2`` + ``X-Plivo-Signature-V2-Nonce``):
  ``base64(HMAC-SHA256(auth_token, base_url + nonce))`` where ``base_url`` is the URL without its
  query string. The body is not covered.
* **V3** (``X-Plivo-Signature-V3`` + ``X-Plivo-Signature-V3-Nonce``): the URL with its query
  parameters sorted, the POST parameters sorted and concatenated as ``keyvalue``, then ``"." + nonce``;
  HMAC-SHA256, base64. The header may carry several comma-separated signatures (one per valid token).
* **Ma** variants (``X-Plivo-Signature-Ma-V2`` / ``-Ma-V3``): the same, always keyed with the *main*
  account's token, so a parent can validate callbacks of its subaccounts' resources.

The exact string signed follows the official SDK (``plivo.utils.validate_signature`` and
``plivo/utils/signature_v3.py``) byte for byte, including its quirks: for a POST with parameters the URL
gets a ``?`` even when it has no query, a ``.`` separates the query from the parameters, and values are
not percent-encoded. (The SDK cannot handle a non-ASCII query string at all; here it is read as UTF-8.)
A signature made here validates with the SDK and vice versa (tests check both directions).
Comparisons are constant-time (:func:`hmac.compare_digest`).

Validating in a handler::

    from plivo_blocks.signatures import validate_v3

    ok = validate_v3(
        url=str(request.url),                      # the URL Plivo called, query included
        nonce=request.headers["X-Plivo-Signature-V3-Nonce"],
        signature=request.headers["X-Plivo-Signature-V3"],
        auth_token=AUTH_TOKEN,
        method=request.method,
        params=dict(form) if request.method == "POST" else None,
    )
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlparse, urlunparse

__all__ = [
    "MA_V2_HEADER",
    "MA_V3_HEADER",
    "V2_HEADER",
    "V2_NONCE_HEADER",
    "V3_HEADER",
    "V3_NONCE_HEADER",
    "Params",
    "make_nonce",
    "sign_v2",
    "sign_v3",
    "signed_headers",
    "v3_signing_string",
    "validate_v2",
    "validate_v3",
]

V2_HEADER = "X-Plivo-Signature-V2"
V2_NONCE_HEADER = "X-Plivo-Signature-V2-Nonce"
MA_V2_HEADER = "X-Plivo-Signature-Ma-V2"
V3_HEADER = "X-Plivo-Signature-V3"
V3_NONCE_HEADER = "X-Plivo-Signature-V3-Nonce"
MA_V3_HEADER = "X-Plivo-Signature-Ma-V3"

#: Request parameters as a handler sees them: name -> a value (str, number) or a list of values for a
#: repeated name; nested mappings are accepted for V3 (JSON bodies), as the SDK accepts them.
Params = Mapping[str, object]


def make_nonce() -> str:
    """A fresh nonce in Plivo's format: 20 random decimal digits."""
    return f"{secrets.randbelow(10**20):020d}"


def _hmac_b64(auth_token: str, message: bytes) -> str:
    digest = hmac.new(auth_token.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), given.strip().encode("utf-8"))


# -- V2 ------------------------------------------------------------------------------------------


def _base_url(url: str) -> str:
    parsed = urlparse(url)
    return urlunparse((parsed.scheme, parsed.netloc, parsed.path, "", "", ""))


def sign_v2(auth_token: str, url: str, nonce: str) -> str:
    """The ``X-Plivo-Signature-V2`` value for a request to ``url`` (its query string is ignored)."""
    return _hmac_b64(auth_token, (_base_url(url) + nonce).encode("utf-8"))


def validate_v2(url: str, nonce: str, signature: str, auth_token: str) -> bool:
    """Whether ``signature`` (``X-Plivo-Signature-V2`` or ``-Ma-V2``) was made with ``auth_token``
    for ``url`` and ``nonce``. Never raises on malformed input; answers False."""
    if not (url and nonce and signature and auth_token):
        return False
    return _same(sign_v2(auth_token, url, nonce), signature)


# -- V3 ------------------------------------------------------------------------------------------


def _query_map(query: str) -> dict[str, list[str]]:
    # Percent-decoded as UTF-8. (The SDK raises on a non-ASCII query; for ASCII both agree.)
    return parse_qs(query, keep_blank_values=True)


def _is_multi(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _sorted_query(params: Mapping[str, object]) -> str:
    parts: list[str] = []
    for key in sorted(params):
        value = params[key]
        if _is_multi(value):
            assert isinstance(value, Sequence)
            parts.append("&".join(f"{key}={v}" for v in sorted(str(v) for v in value)))
        else:
            parts.append(f"{key}={value}")
    return "&".join(parts)


def _sorted_params(params: Mapping[str, object]) -> str:
    parts: list[str] = []
    for key in sorted(params):
        value = params[key]
        if _is_multi(value):
            assert isinstance(value, Sequence)
            parts.append("".join(f"{key}{v}" for v in sorted(str(v) for v in value)))
        elif isinstance(value, Mapping):
            parts.append(f"{key}{_sorted_params(value)}")
        else:
            parts.append(f"{key}{value}")
    return "".join(parts)


def _url_with_sorted_query(url: str, extra: Mapping[str, object], *, has_post_params: bool) -> str:
    parsed = urlparse(url)
    base = urlunparse((parsed.scheme, parsed.netloc, parsed.path, "", "", ""))
    merged: dict[str, object] = dict(extra)
    merged.update(_query_map(parsed.query))
    query = _sorted_query(merged)
    if query or has_post_params:
        base += "?" + query
    if query and has_post_params:
        base += "."
    return base


def v3_signing_string(url: str, nonce: str, method: str = "POST", params: Params | None = None) -> str:
    """The exact text V3 signs (before HMAC): useful to debug a mismatch."""
    params = params or {}
    if method.upper() == "GET":
        base = _url_with_sorted_query(url, params, has_post_params=False)
    else:
        base = _url_with_sorted_query(url, {}, has_post_params=bool(params)) + _sorted_params(params)
    return f"{base}.{nonce}"


def sign_v3(auth_token: str, url: str, nonce: str, method: str = "POST", params: Params | None = None) -> str:
    """The ``X-Plivo-Signature-V3`` value for a ``method`` request to ``url`` carrying ``params``
    (the query parameters for GET, the form body for POST)."""
    return _hmac_b64(auth_token, v3_signing_string(url, nonce, method, params).encode("utf-8"))


def validate_v3(
    url: str,
    nonce: str,
    signature: str,
    auth_token: str,
    method: str = "POST",
    params: Params | None = None,
) -> bool:
    """Whether any of the comma-separated signatures in ``signature`` (``X-Plivo-Signature-V3`` or
    ``-Ma-V3``) was made with ``auth_token`` for this request. ``url`` is the URL Plivo called (with
    its query string); ``params`` the POST body (for GET, the query may be in ``url`` or ``params``).
    Never raises on malformed input; answers False."""
    if not (url and nonce and signature and auth_token):
        return False
    expected = sign_v3(auth_token, url, nonce, method, params)
    # Check every candidate so that the time taken does not reveal which one matched.
    results = [_same(expected, candidate) for candidate in signature.split(",")]
    return any(results)


# -- what the sandbox sends ----------------------------------------------------------------------


def signed_headers(
    url: str,
    method: str,
    params: Params | None,
    *,
    auth_token: str,
    main_auth_token: str | None = None,
    v2_nonce: str | None = None,
    v3_nonce: str | None = None,
) -> dict[str, str]:
    """The six signature headers Plivo puts on a callback: V2 and V3 keyed with the resource owner's
    token, and their ``-Ma-`` twins keyed with the main account's token (``main_auth_token``; the same
    as ``auth_token`` when the owner is the main account). Nonces are fresh unless given."""
    main_token = main_auth_token or auth_token
    v2_nonce = v2_nonce or make_nonce()
    v3_nonce = v3_nonce or make_nonce()
    return {
        V2_HEADER: sign_v2(auth_token, url, v2_nonce),
        MA_V2_HEADER: sign_v2(main_token, url, v2_nonce),
        V2_NONCE_HEADER: v2_nonce,
        V3_HEADER: sign_v3(auth_token, url, v3_nonce, method, params),
        MA_V3_HEADER: sign_v3(main_token, url, v3_nonce, method, params),
        V3_NONCE_HEADER: v3_nonce,
    }
