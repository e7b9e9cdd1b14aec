"""The value types, including the seed's five custom datatypes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from plivo_blocks.catalog.types import (
    CUSTOM_DATATYPES,
    Array,
    Boolean,
    Country,
    Datepicker,
    Destinations,
    Integer,
    Invalid,
    List,
    Map,
    Phone,
    Select,
    Services,
    SipHeaders,
    Text,
    Url,
)


def _rule(value_type: Any, value: Any) -> str:
    with pytest.raises(Invalid) as caught:
        value_type.parse(value)
    return caught.value.rule


def test_the_five_custom_datatypes_exist_with_the_seed_descriptions() -> None:
    assert set(CUSTOM_DATATYPES) == {"Datepicker", "Map", "List", "Select", "Array"}
    assert [t.datatype for t in (Datepicker(), Map(), List(), Select(("a",)), Array())] == [
        "Datepicker", "Map", "List", "Select", "Array",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("2016-05-28 00:00:00", "2016-05-28 00:00:00"),
        ("2016-05-28 13:45", "2016-05-28 13:45:00"),
        ("2016-05-28", "2016-05-28 00:00:00"),
        ("2016-05-28T08:09:10", "2016-05-28 08:09:10"),
        ("2016-05-28 08:09:10.250000", "2016-05-28 08:09:10.250000"),
    ],
)
def test_datepicker_accepts_date_and_time(raw: str, parsed: str) -> None:
    assert Datepicker().parse(raw) == parsed


@pytest.mark.parametrize("raw", ["28/05/2016", "2016-02-30 00:00:00", "now", "", 20160528])
def test_datepicker_refuses_other_forms(raw: Any) -> None:
    assert _rule(Datepicker(), raw) in ("datetime", "type")


def test_map_is_latitude_comma_longitude() -> None:
    assert Map().parse("50.37, 26.56") == "50.37, 26.56"
    assert Map().parse("-33.9,151.2") == "-33.9, 151.2"
    for bad in ("50.37", "a, b", "91, 0", "0, 181", "1,2,3"):
        assert _rule(Map(), bad) == "map"


def test_list_is_a_simple_array() -> None:
    assert List().parse(["123", "sample"]) == ["123", "sample"]
    assert List().parse('["123", "sample"]') == ["123", "sample"]
    assert List().parse([1, 2]) == ["1", "2"]
    assert _rule(List(), [{"a": 1}]) == "list"
    assert _rule(List(), "not json") == "list"
    assert _rule(List(), '{"a": 1}') == "list"


def test_array_is_an_array_of_objects() -> None:
    sample = [{"Second name": "123", "Age": "12"}, {"name": "adi", "Age": "4"}]
    assert Array().parse(sample) == sample
    assert Array().parse('[{"name": "adi"}]') == [{"name": "adi"}]
    assert _rule(Array(), ["x"]) == "array"
    assert _rule(Array(), "[1") == "array"


def test_select_takes_only_its_options_and_normalises_case() -> None:
    voice = Select(("MAN", "WOMAN"))
    assert voice.parse("woman") == "WOMAN"
    assert _rule(voice, "ROBOT") == "choice"
    # The schema says what parse takes (any case, surrounding spaces), with the canonical values.
    schema = voice.schema()
    assert schema["examples"] == ["MAN", "WOMAN"]
    assert [bool(re.search(schema["pattern"], v)) for v in ("woman", " MAN ", "ROBOT", "MANWOMAN")] == [
        True, True, False, False,
    ]  # fmt: skip


def test_integer_coerces_strings_and_checks_range() -> None:
    limit = Integer(minimum=1, maximum=20)
    assert limit.parse("20") == 20 and limit.parse(" 3 ") == 3 and limit.parse(7.0) == 7
    assert _rule(limit, "21") == "maximum"
    assert _rule(limit, True) == "type"
    assert _rule(limit, "1e3") == "type"
    assert _rule(limit, "9" * 40) == "type"


def test_boolean_coerces_the_usual_spellings() -> None:
    assert [Boolean().parse(v) for v in ("true", "False", "1", "no", True, 0)] == [
        True,
        False,
        True,
        False,
        True,
        False,
    ]
    assert _rule(Boolean(), "yes please") == "type"
    assert _rule(Boolean(), 2) == "type"


def test_phone_drops_the_plus_and_refuses_formatting() -> None:
    assert Phone().parse("+14155550100") == "14155550100"
    assert Phone().parse(14155550100) == "14155550100"
    for bad in ("(415) 555-0100", "1415 555", "+", "12", "1" * 17):
        assert _rule(Phone(), bad) == "phone"


def test_destinations_split_on_the_bulk_delimiter() -> None:
    calls = Destinations(allow_sip=True)
    assert (
        calls.parse("+14155550100<sip:john1234@phone.plivo.com") == "14155550100<sip:john1234@phone.plivo.com"
    )
    assert _rule(Destinations(), "sip:john@phone.plivo.com") == "phone"
    assert _rule(Destinations(), "<") == "phone"
    assert _rule(Destinations(max_items=2), "1415<1416<1417") == "max_items"


def test_url_must_be_absolute_http() -> None:
    assert Url().parse("https://example.com/a?b=c") == "https://example.com/a?b=c"
    for bad in ("example.com", "javascript:alert(1)", "http://", "https://exa mple.com"):
        assert _rule(Url(), bad) == "url"


def test_url_with_whitespace_says_to_percent_encode_it() -> None:
    url = "http://127.0.0.1:8000/_sandbox/xml?xml=<Response><Speak>Hello world</Speak></Response>"
    with pytest.raises(Invalid) as caught:
        Url().parse(url)
    assert caught.value.rule == "url"
    message = caught.value.message
    assert message.startswith("contains whitespace: percent-encode it")
    assert f"character {url.index(' ') + 1}" in message  # where, not the value cut short
    assert "..." not in message
    assert Url().parse(url.replace(" ", "%20")) == url.replace(" ", "%20")
    for blank in ("\t", "\n", "\u00a0"):
        with pytest.raises(Invalid, match="contains whitespace"):
            Url().parse(f"https://a.io/x{blank}y")
    # Not a URL at all: the general rule, not the whitespace one.
    with pytest.raises(Invalid, match=r"absolute http\(s\) URL"):
        Url().parse("not a url")


def test_small_types() -> None:
    assert Country().parse("gb") == "GB"
    assert _rule(Country(), "UK") == "country_iso"
    assert Services().parse("sms,voice") == "voice,sms"
    assert _rule(Services(), "voice,voice") == "choice"
    assert SipHeaders().parse({"head1": "val%201"}) == "head1=val%201"
    assert _rule(SipHeaders(), "h-1=v") == "sip_headers"
    assert _rule(Text(), "x" * 10_001) == "max_length"
    assert _rule(Text(), {"nested": True}) == "type"


def test_repeated_destinations_are_named_once_each() -> None:
    with pytest.raises(Invalid) as caught:
        Destinations().parse("14155550100<14155550101<+14155550100<14155550102<14155550101<14155550100")
    assert caught.value.rule == "unique"
    assert caught.value.message == "lists 14155550100, 14155550101 more than once"


def test_the_duplicate_check_is_linear() -> None:
    """100,000 distinct destinations: a check comparing each with all (the old ``out.count``) makes
    10^10 comparisons and runs for minutes; a linear one takes a fraction of a second. The bound
    only tells the two apart, it measures nothing."""
    import concurrent.futures

    many = Destinations(max_items=100_000)
    numbers = [str(14_155_000_000 + n) for n in range(100_000)]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        parsed = pool.submit(many.parse, "<".join(numbers)).result(timeout=20)
    except concurrent.futures.TimeoutError:
        raise AssertionError("checking 100,000 destinations did not finish in 20 s") from None
    finally:
        pool.shutdown(wait=False)
    assert parsed.count("<") == 99_999
