"""Plivo's per-URL callback policy, read from the URL's fragment (Plivo's "Callback configurations")."""

from __future__ import annotations

import pytest

from plivo_blocks.sandbox.webhooks.policy import CallbackPolicy


def test_defaults_are_plivos() -> None:
    policy = CallbackPolicy.of("https://example.com/hook?x=1")
    assert policy.url == "https://example.com/hook?x=1"
    assert (policy.connect_timeout, policy.read_timeout, policy.total_timeout) == (2.0, 40.0, 55.0)
    assert policy.retries == 1 and policy.retry_on == {"ct", "rt"} and policy.edge_region == "nearest"
    assert policy.retries_after("ct") and not policy.retries_after("5xx")


def test_the_fragment_sets_timeouts_and_retries_and_is_not_sent() -> None:
    policy = CallbackPolicy.of(
        "https://example.com/hook?x=1#ct=500&rt=1500&tt=9000&rc=3&rp=4xx,5xx&er=mumbai"
    )
    assert policy.url == "https://example.com/hook?x=1"
    assert (policy.connect_timeout, policy.read_timeout, policy.total_timeout) == (0.5, 1.5, 9.0)
    assert policy.retries == 3 and policy.retry_on == {"4xx", "5xx"} and policy.edge_region == "mumbai"
    assert CallbackPolicy.of("https://e.com/#rp=all").retry_on == {"ct", "rt", "4xx", "5xx"}


@pytest.mark.parametrize(
    "fragment", ["ct=99", "ct=10001", "rt=abc", "rc=6", "rc=-1", "tt=55001", "rp=sometimes"]
)
def test_out_of_range_values_fall_back_to_the_defaults(fragment: str) -> None:
    policy = CallbackPolicy.of(f"https://example.com/#{fragment}")
    default = CallbackPolicy.of("https://example.com/")
    assert (
        policy.connect_timeout,
        policy.read_timeout,
        policy.total_timeout,
        policy.retries,
        policy.retry_on,
    ) == (
        default.connect_timeout,
        default.read_timeout,
        default.total_timeout,
        default.retries,
        default.retry_on,
    )
