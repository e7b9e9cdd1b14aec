"""Validation and request mapping: every rule refuses what it should, and says which argument and why."""

from __future__ import annotations

from typing import Any

import pytest

from plivo_blocks.catalog import BLOCKS, get_block
from plivo_blocks.catalog.examples import example_args
from plivo_blocks.errors import ValidationError
from validation_cases import REFUSED


def _problems(block: str, **overrides: Any) -> dict[str, str]:
    args = example_args(get_block(block))
    for key, value in overrides.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    with pytest.raises(ValidationError) as caught:
        get_block(block).validate(args)
    return {p.argument: p.rule for p in caught.value.problems}


REQUIRED_CASES = [(b.name, arg) for b in BLOCKS for arg in b.required]


@pytest.mark.parametrize(("block", "arg"), REQUIRED_CASES, ids=[f"{b}.{a}" for b, a in REQUIRED_CASES])
def test_each_required_argument_is_named_when_missing(block: str, arg: str) -> None:
    assert _problems(block, **{arg: None}) == {arg: "required"}


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_strings_count_as_missing(blank: str) -> None:
    assert _problems("sendMessage", text=blank) == {"text": "required"}


@pytest.mark.parametrize(
    ("block", "arg", "value", "rule"), REFUSED, ids=[f"{b}.{a}={v[:20]}" for b, a, v, _ in REFUSED]
)
def test_each_constraint_refuses_a_bad_value(block: str, arg: str, value: str, rule: str) -> None:
    assert _problems(block, **{arg: value}) == {arg: rule}


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        get_block("sendMessage").validate({"src": "a b c!", "url": "x", "colour": "red"})
    error = caught.value
    assert set(error.missing) == {"destination", "text"}
    assert set(error.invalid) == {"src", "url", "colour"}
    assert "did you mean" not in error.invalid["colour"]
    assert "src" in str(error) and "url" in str(error)


def test_unknown_argument_suggests_the_close_name() -> None:
    with pytest.raises(ValidationError) as caught:
        get_block("sendMessage").validate({"src": "1415", "destinaton": "1", "text": "x"})
    assert caught.value.invalid["destinaton"].endswith("did you mean destination?")


def test_transfer_needs_the_url_of_each_leg_it_moves() -> None:
    assert _problems("transferCall", legs="both", alegUrl=None, blegUrl=None) == {
        "alegUrl": "required",
        "blegUrl": "required",
    }
    assert _problems("transferCall", legs=None, alegUrl=None, blegUrl=None) == {"alegUrl": "required"}
    values = get_block("transferCall").validate({"callUuid": "x", "legs": "bleg", "blegUrl": "https://a.b/c"})
    assert values["legs"] == "bleg"


def test_strings_become_the_json_types_plivo_expects() -> None:
    request = get_block("makeCall").prepare(
        {
            "callFrom": "+14155550100",
            "callTo": "+14155550101<sip:bob@phone.plivo.com",
            "answerUrl": "https://example.com/answer",
            "timeLimit": "120",
            "sendOnPreanswer": "TRUE",
            "errorIfParentNotFound": False,
            "answerMethod": "get",
        }
    )
    assert request.body == {
        "from": "14155550100",
        "to": "14155550101<sip:bob@phone.plivo.com",
        "answer_url": "https://example.com/answer",
        "time_limit": 120,
        "send_on_preanswer": True,
        "error_if_parent_not_found": False,
        "answer_method": "GET",
    }
    assert request.query == {}


def test_get_and_delete_send_parameters_in_the_query() -> None:
    listing = get_block("getMessages").prepare({"limit": "5", "offset": 10, "messageDirection": "inbound"})
    assert (listing.method, listing.body) == ("GET", None)
    assert listing.query == {"limit": 5, "offset": 10, "message_direction": "inbound"}
    live = get_block("getLiveCalls").prepare({})
    assert live.query == {"status": "live"}
    assert get_block("hangupSingleCall").prepare({"callUuid": "abc"}).query == {}


def test_lists_given_as_arrays_are_joined() -> None:
    body = (
        get_block("sendMessage")
        .prepare({"src": "14155550100", "destination": ["14155550101", "+14155550102"], "text": "hi"})
        .body
    )
    assert body is not None and body["dst"] == "14155550101<14155550102"
    urls = get_block("playMusicFile").prepare({"callUuid": "c", "urls": '["https://a.example/1.mp3"]'}).body
    assert urls is not None and urls["urls"] == "https://a.example/1.mp3"


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        ("My Conf Room", "My%20Conf%20Room"),
        ("../Call", "..%2FCall"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a/b?c#d", "a%2Fb%3Fc%23d"),
        ("x%2Fy", "x%252Fy"),
        ("evil\r\nX-Injected: 1", "evil%0D%0AX-Injected%3A%201"),
    ],
)
def test_path_values_cannot_leave_their_segment(value: str, segment: str) -> None:
    request = get_block("getSingleConference").prepare({"conferenceName": value})
    assert request.path == f"Conference/{segment}/"
    assert (
        request.url_path("MAXXXXXXXXXXXXXXXXXX") == f"/v1/Account/MAXXXXXXXXXXXXXXXXXX/Conference/{segment}/"
    )


def test_non_string_junk_is_refused_not_crashed() -> None:
    for junk in ({"a": 1}, [1, [2]], object(), 1.5):
        with pytest.raises(ValidationError):
            get_block("sendMessage").validate({"src": junk, "destination": "1415", "text": "x"})


def test_a_flood_of_unknown_arguments_is_summarised() -> None:
    flood = {f"junk{i}": "x" for i in range(5000)}
    with pytest.raises(ValidationError) as caught:
        get_block("getAccountDetails").validate(flood)
    problems = caught.value.problems
    assert len(problems) == 21
    assert problems[-1].argument == "args" and "4980 more" in problems[-1].message


def test_values_too_long_for_a_url_are_refused_with_the_longest_named() -> None:
    with pytest.raises(ValidationError) as caught:
        get_block("getRentedNumbers").validate({"alias": "a" * 3000, "numberStartsWith": "1" * 1500})
    assert [(p.argument, p.rule) for p in caught.value.problems] == [("alias", "max_length")]
    assert "URL" in caught.value.problems[0].message
    with pytest.raises(ValidationError):
        get_block("getSingleConference").validate({"conferenceName": "x" * 5000})
    # The same length in a POST body is fine: only the URL is bounded.
    get_block("sendMessage").validate(
        {"src": "14155550100", "destination": "14155550101", "text": "x" * 5000}
    )


def test_a_message_may_come_from_a_sender_id_and_go_to_numbers_written_as_people_write_them() -> None:
    """Plivo accepts an alphanumeric ``src`` (where the destination country allows it: Plivo's
    check, not the client's) and cleans ``/ - . + ( )`` and spaces from ``dst``."""
    from plivo_blocks.catalog import get_block

    values = get_block("sendMessage").validate(
        {"src": "MyShop", "destination": "+1 (415) 555-0101<44 7700 900.123<14155550102", "text": "x"}
    )
    assert values["src"] == "MyShop"
    assert values["destination"] == "14155550101<447700900123<14155550102"
    # Cleaned first, then checked for repeats: the same number written twice is one destination twice.
    problems = _problems("sendMessage", destination="+1 (415) 555-0101<14155550101")
    assert problems == {"destination": "unique"}
