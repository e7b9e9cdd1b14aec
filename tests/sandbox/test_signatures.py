"""plivo_blocks.signatures against Plivo's published algorithm and the official SDK, both directions."""

from __future__ import annotations

import base64
import hashlib
import hmac

from hypothesis import given, settings
from hypothesis import strategies as st
from plivo.utils import validate_signature as sdk_validate_v2
from plivo.utils import validate_v3_signature as sdk_validate_v3

from plivo_blocks.signatures import (
    MA_V2_HEADER,
    MA_V3_HEADER,
    V2_HEADER,
    V2_NONCE_HEADER,
    V3_HEADER,
    V3_NONCE_HEADER,
    make_nonce,
    sign_v2,
    sign_v3,
    signed_headers,
    v3_signing_string,
    validate_v2,
    validate_v3,
)

TOKEN = "ZjYxNmYxNTY4YTc5OTZkNTRmMTQ3YjM3ZDYxNzIx"


def test_v2_matches_the_documented_recipe() -> None:
    # Plivo's docs: message = base URI + nonce, HMAC-SHA256 keyed with the auth token, base64.
    url, nonce = "https://example.com/answer/", "05429567804466091622"
    expected = base64.b64encode(
        hmac.new(TOKEN.encode(), (url + nonce).encode(), hashlib.sha256).digest()
    ).decode()
    assert sign_v2(TOKEN, url, nonce) == expected
    # The query string is not part of the V2 message.
    assert sign_v2(TOKEN, url + "?a=1&b=2", nonce) == expected


def test_v3_known_vector_from_the_sdk() -> None:
    url = "https://example.com/answer/?b=2&a=1"
    params = {"CallUUID": "abc", "From": "1415"}
    assert v3_signing_string(url, "12345", "POST", params) == (
        "https://example.com/answer/?a=1&b=2.CallUUIDabcFrom1415.12345"
    )
    assert sign_v3("MY_TOKEN", url, "12345", "POST", params) == "6jocOp258aZxRYSJL/zmgt8WG4WXhPcf2eB+RGRDQOI="


def test_v3_signing_string_shapes() -> None:
    assert v3_signing_string("https://x.io/a/", "n", "POST", {"B": "2", "A": "1"}) == "https://x.io/a/?A1B2.n"
    assert v3_signing_string("https://x.io/a/", "n", "POST", {}) == "https://x.io/a/.n"
    assert v3_signing_string("https://x.io/a/?z=1", "n", "GET", {"B": "2"}) == "https://x.io/a/?B=2&z=1.n"
    assert v3_signing_string("https://x.io/a/", "n", "POST", {"A": ["2", "1"]}) == "https://x.io/a/?A1A2.n"


def test_validation_rejects_tampering() -> None:
    url, params = "https://example.com/cb/", {"CallUUID": "u1", "CallStatus": "completed"}
    v2 = sign_v2(TOKEN, url, "111")
    v3 = sign_v3(TOKEN, url, "222", "POST", params)
    assert validate_v2(url, "111", v2, TOKEN)
    assert not validate_v2(url, "112", v2, TOKEN)
    assert not validate_v2("https://example.com/other/", "111", v2, TOKEN)
    assert not validate_v2(url, "111", v2, TOKEN + "x")
    assert validate_v3(url, "222", v3, TOKEN, "POST", params)
    assert not validate_v3(url, "222", v3, TOKEN, "POST", {**params, "CallStatus": "busy"})
    assert not validate_v3(url, "223", v3, TOKEN, "POST", params)
    assert not validate_v3(url, "222", "", TOKEN, "POST", params)
    assert not validate_v3(url, "222", v3, "", "POST", params)


def test_v3_accepts_any_of_several_signatures() -> None:
    url, params = "https://example.com/cb/", {"A": "1"}
    good = sign_v3(TOKEN, url, "9", "POST", params)
    other = sign_v3("another-token", url, "9", "POST", params)
    assert validate_v3(url, "9", f"{other},{good}", TOKEN, "POST", params)
    assert validate_v3(url, "9", f"{other},{good}", "another-token", "POST", params)
    assert not validate_v3(url, "9", other, TOKEN, "POST", params)


def test_signed_headers_use_owner_and_main_tokens() -> None:
    url, params = "https://example.com/hangup/", {"CallUUID": "u", "Event": "Hangup"}
    headers = signed_headers(url, "POST", params, auth_token="sub-token", main_auth_token="main-token")
    assert set(headers) == {
        V2_HEADER,
        MA_V2_HEADER,
        V2_NONCE_HEADER,
        V3_HEADER,
        MA_V3_HEADER,
        V3_NONCE_HEADER,
    }
    assert len(headers[V2_NONCE_HEADER]) == 20 and headers[V2_NONCE_HEADER].isdigit()
    assert validate_v2(url, headers[V2_NONCE_HEADER], headers[V2_HEADER], "sub-token")
    assert validate_v2(url, headers[V2_NONCE_HEADER], headers[MA_V2_HEADER], "main-token")
    assert not validate_v2(url, headers[V2_NONCE_HEADER], headers[MA_V2_HEADER], "sub-token")
    assert validate_v3(url, headers[V3_NONCE_HEADER], headers[V3_HEADER], "sub-token", "POST", params)
    assert validate_v3(url, headers[V3_NONCE_HEADER], headers[MA_V3_HEADER], "main-token", "POST", params)
    # A main-account resource: both variants are keyed with the same token.
    own = signed_headers(url, "GET", params, auth_token="main-token")
    assert own[V3_HEADER] == own[MA_V3_HEADER]
    assert make_nonce() != make_nonce()


# -- cross-checks with the official SDK ----------------------------------------------------------

_word = st.text(
    alphabet=st.characters(min_codepoint=48, max_codepoint=122, categories=("L", "N")), min_size=1, max_size=8
)
_value = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n", exclude_categories=("Cs", "Cc")),
    max_size=12,
)
_params = st.dictionaries(_word, _value, max_size=5)
_query = st.dictionaries(_word, _word, max_size=3)
_token = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)
_nonce = st.from_regex(r"[0-9]{1,20}", fullmatch=True)


def _url(path: str, query: dict[str, str]) -> str:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return f"https://hooks.example.com/{path}/" + (f"?{qs}" if qs else "")


@settings(max_examples=150, deadline=None)
@given(path=_word, query=_query, nonce=_nonce, token=_token)
def test_v2_agrees_with_sdk(path: str, query: dict[str, str], nonce: str, token: str) -> None:
    url = _url(path, query)
    ours = sign_v2(token, url, nonce)
    assert sdk_validate_v2(url, nonce, ours, token)
    assert validate_v2(url, nonce, ours, token)
    assert not sdk_validate_v2(url, nonce, ours, token + "!")


@settings(max_examples=200, deadline=None)
@given(
    path=_word,
    query=_query,
    params=_params,
    nonce=_nonce,
    token=_token,
    method=st.sampled_from(["GET", "POST"]),
)
def test_v3_agrees_with_sdk_both_ways(
    path: str, query: dict[str, str], params: dict[str, str], nonce: str, token: str, method: str
) -> None:
    url = _url(path, query)
    ours = sign_v3(token, url, nonce, method, params)
    # Ours validates with the SDK (which mutates params for GET: give it a copy)...
    assert sdk_validate_v3(method, url, nonce, token, ours, dict(params))
    # ...and a signature the SDK accepts validates with ours: the SDK computes exactly one string,
    # so agreement on acceptance for our signature and rejection of a changed one covers both ways.
    assert validate_v3(url, nonce, ours, token, method, params)
    tampered = {**params, "Tampered": "1"}
    assert not sdk_validate_v3(method, url, nonce, token, ours, dict(tampered))
    assert not validate_v3(url, nonce, ours, token, method, tampered)


def test_sdk_built_signature_validates_with_ours() -> None:
    # Build the signature with the SDK's own internals, then check it with ours.
    from plivo.utils.signature_v3 import construct_get_url, construct_post_url, get_signature_v3

    url = "https://hooks.example.com/answer/?x=1&a=%20b"
    params = {"CallUUID": "7a8b", "Digits": "1#", "Text": "héllo wörld"}
    post = get_signature_v3(TOKEN.encode(), construct_post_url(url, dict(params)).decode(), b"42").decode()
    get = get_signature_v3(TOKEN.encode(), construct_get_url(url, dict(params)).decode(), b"42").decode()
    assert validate_v3(url, "42", post, TOKEN, "POST", params)
    assert validate_v3(url, "42", get, TOKEN, "GET", params)
    assert not validate_v3(url, "42", post, TOKEN, "GET", params)
