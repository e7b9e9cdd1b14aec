"""Each sandbox answer has the fields of Plivo's real answer (``tests/data/plivo-fixtures``), with
values of the same format (a UUID where Plivo has a UUID, ``0.00650``-style rates, dates, URIs …).

Single objects must have exactly the sample's fields (plus ``api_id``, which every answer carries
even where an old sample lacks it), except the few :data:`NOT_SIMULATED` ones. For list items, where Plivo itself leaves
some fields out of some items, every field common to all sample items must be there and nothing
outside their union may be.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sandbox_server import Server, start_server

from plivo_blocks.sandbox import ClockSpec, create_app
from plivo_blocks.sandbox.clock import ClockMode

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "plivo-fixtures"

_FORMATS: list[tuple[str, re.Pattern[str]]] = [
    ("uuid", re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")),
    ("rate", re.compile(r"^\d+\.\d{5}$")),
    ("datetime", re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$")),
    ("date", re.compile(r"^\d{4}-\d{2}-\d{2}$")),
    ("uri", re.compile(r"^/v1/Account/[MS]A[A-Z0-9]{18}/([^?]*/)?(\?.*)?$")),
    ("sip", re.compile(r"^sip:")),
    ("main_id", re.compile(r"^MA[A-Z0-9]{18}$")),
    ("sub_id", re.compile(r"^SA[A-Z0-9]{18}$")),
    ("token", re.compile(r"^[A-Za-z0-9]{40}$")),
    ("bool_text", re.compile(r"^(true|false)$")),
    ("digits", re.compile(r"^\d+$")),
]


#: Fields a sample has that the sandbox leaves out or empty on purpose, and why.
NOT_SIMULATED: dict[str, set[str]] = {}
#: Fields the sandbox may leave null where the sample shows a value.
NULL_ALLOWED = {
    "fallback_number",  # Plivo names a substitute when the asked number is gone; the sandbox never substitutes
}


def value_format(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    for name, pattern in _FORMATS:
        if pattern.match(value):
            return name
    return "text"


def compare(sample: Any, answer: Any, where: str, problems: list[str]) -> None:
    """Same shape and formats. A null in the sample accepts anything (Plivo leaves it empty when
    unset); text in the sample accepts text or a number-like format (names, regions)."""
    expected, actual = value_format(sample), value_format(answer)
    if expected == "null" or (actual == "null" and where.rsplit(".", 1)[-1] in NULL_ALLOWED):
        return
    if expected == "text" and actual in ("text", "digits", "date", "bool_text", "null"):
        return
    if expected == "object" and actual == "object":
        compare_object(sample, answer, where, problems, exact=True)
        return
    if expected == "list" and actual == "list":
        if sample and answer and isinstance(sample[0], dict):
            compare_items(sample, answer, where, problems)
        elif sample and answer:
            compare(sample[0], answer[0], f"{where}[0]", problems)
        return
    if expected != actual:
        problems.append(f"{where}: sample is {expected} ({sample!r}), sandbox gave {actual} ({answer!r})")


def compare_object(
    sample: dict[str, Any], answer: dict[str, Any], where: str, problems: list[str], *, exact: bool
) -> None:
    missing = set(sample) - set(answer) - NOT_SIMULATED.get(where, set())
    extra = set(answer) - set(sample) - ({"api_id"} if "." not in where else set())
    if missing:
        problems.append(f"{where}: missing {sorted(missing)}")
    if exact and extra:
        problems.append(f"{where}: unexpected {sorted(extra)}")
    for key in set(sample) & set(answer):
        compare(sample[key], answer[key], f"{where}.{key}", problems)


def compare_items(samples: list[dict[str, Any]], answers: list[Any], where: str, problems: list[str]) -> None:
    if not answers:
        problems.append(f"{where}: the sandbox listed nothing to compare")
        return
    common = set.intersection(*(set(s) for s in samples))
    union = set.union(*(set(s) for s in samples))
    merged: dict[str, Any] = {}
    for sample in samples:  # the first non-null sample value of each field
        for key, value in sample.items():
            if merged.get(key) is None:
                merged[key] = value
    for index, answer in enumerate(answers):
        keys = set(answer)
        if common - keys:
            problems.append(f"{where}[{index}]: missing {sorted(common - keys)}")
        if keys - union:
            problems.append(f"{where}[{index}]: unexpected {sorted(keys - union)}")
        for key in keys & union:
            compare(merged[key], answer[key], f"{where}[{index}].{key}", problems)


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def scenario_answers(sandbox: Server) -> dict[str, tuple[int, dict[str, Any]]]:
    """Drive the sandbox through every non-voice resource; answer status and body per fixture name."""
    answers: dict[str, tuple[int, dict[str, Any]]] = {}
    main_id = sandbox.state.main_auth_id
    base = f"/v1/Account/{main_id}/"
    with sandbox.main_client() as api:

        def call(name: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
            response = api.request(method, base + path, **kwargs)
            body = response.json() if response.content else {}
            answers[name] = (response.status_code, body)
            return body

        call("accountGetResponse", "GET", "")
        call("accountUpdateResponse", "POST", "", json={"name": "Sherlock Holmes"})
        sub = call("subaccountCreateResponse", "POST", "Subaccount/", json={"name": "sub", "enabled": False})
        call("subaccountGetResponse", "GET", f"Subaccount/{sub['auth_id']}/")
        call("subaccountListResponse", "GET", "Subaccount/")
        call("subaccountUpdateResponse", "POST", f"Subaccount/{sub['auth_id']}/", json={"name": "renamed"})

        app = call(
            "applicationCreateResponse",
            "POST",
            "Application/",
            json={"app_name": "demo", "answer_url": "http://x.test/a"},
        )
        call("applicationGetResponse", "GET", f"Application/{app['app_id']}/")
        call("applicationListResponse", "GET", "Application/")
        call(
            "applicationModifyResponse",
            "POST",
            f"Application/{app['app_id']}/",
            json={"answer_url": "http://x.test/b"},
        )

        endpoint = call(
            "endpointCreateResponse",
            "POST",
            "Endpoint/",
            json={"username": "zumba", "password": "pw", "alias": "zumba", "app_id": app["app_id"]},
        )
        # A softphone registers on the endpoint, so it shows its SIP contact as in the sample.
        api.post(f"/_sandbox/endpoints/{endpoint['endpoint_id']}/register", json={}).raise_for_status()
        call("endpointGetResponse", "GET", f"Endpoint/{endpoint['endpoint_id']}/")
        call("endpointListResponse", "GET", "Endpoint/")
        call("endpointUpdateResponse", "POST", f"Endpoint/{endpoint['endpoint_id']}/", json={"alias": "new"})

        search = call(
            "phoneNumberListResponse", "GET", "PhoneNumber/", params={"country_iso": "US", "pattern": "415"}
        )
        number = search["objects"][0]["number"]
        call("phoneNumberCreateResponse", "POST", f"PhoneNumber/{number}/", json={"app_id": app["app_id"]})
        for other in search["objects"][1:4]:  # enough numbers for a second page
            api.post(f"{base}PhoneNumber/{other['number']}/", json={"app_id": app["app_id"]})
        carrier = api.post(base + "IncomingCarrier/", json={"name": "own", "ip_set": "10.1.1.1"}).json()
        call(
            "numberCreateResponse",
            "POST",
            "Number/",
            json={
                "numbers": "18554675486",
                "carrier": carrier["carrier_id"],
                "region": "Nevada",
                "app_id": app["app_id"],
            },
        )
        call("numberGetResponse", "GET", f"Number/{number}/")
        call("numberListResponse", "GET", "Number/", params={"limit": 3})
        call(
            "numberUpdateResponse",
            "POST",
            f"Number/{number}/",
            json={"alias": "desk", "app_id": app["app_id"]},
        )

        call("pricingGetResponse", "GET", "Pricing/", params={"country_iso": "US"})

        many = "<".join(f"9112312312{i:02d}" for i in range(20))  # 21 messages: a second page
        api.post(base + "Message/", json={"src": number, "dst": many, "text": "hello"})
        sent = call(
            "messageSendResponse",
            "POST",
            "Message/",
            json={"src": number, "dst": "911231231231", "text": "hi"},
        )
        mms = api.post(
            base + "Message/",
            json={"src": number, "dst": "14155550123", "type": "mms", "media_urls": ["https://x.test/a.pdf"]},
        ).json()
        # The samples show sent and delivered messages: let the 23 messages leave Plivo's queue
        # (5 per second for the account) and the carriers answer.
        api.post("/_sandbox/clock/advance", json={"seconds": 10}).raise_for_status()
        call("messageGetResponse", "GET", f"Message/{sent['message_uuid'][0]}/")
        call("messageListResponse", "GET", "Message/")
        call("messageListMediaResponse", "GET", f"Message/{mms['message_uuid'][0]}/Media/")
    return answers


EXPECTED_STATUS = {
    "Create": 201,
    "Send": 202,
    "Update": 202,
    "Modify": 202,
    "Get": 200,
    "List": 200,
}
#: Plivo answers adding carrier numbers (``numberCreateResponse``) with 202 "changed".
STATUS_EXCEPTIONS = {"numberCreateResponse": 202, "accountUpdateResponse": 202}

NON_VOICE = sorted(
    p.stem
    for p in FIXTURES.glob("*.json")
    if p.stem.split("Response")[0].startswith(
        ("account", "subaccount", "application", "endpoint", "number", "phoneNumber", "pricing", "message")
    )
)


@pytest.fixture(scope="module")
def answers() -> Iterator[dict[str, tuple[int, dict[str, Any]]]]:
    server = start_server(create_app(":memory:", clock=ClockSpec(ClockMode.MANUAL)))  # one scenario for all
    try:
        yield scenario_answers(server)
    finally:
        server.stop()


def test_every_non_voice_sample_is_covered(answers: dict[str, tuple[int, dict[str, Any]]]) -> None:
    assert len(NON_VOICE) == 25
    assert sorted(answers) == NON_VOICE


@pytest.mark.parametrize("name", NON_VOICE)
def test_answer_matches_sample(name: str, answers: dict[str, tuple[int, dict[str, Any]]]) -> None:
    status, body = answers[name]
    operation = re.sub(r"^[a-z]+(?:Number)?", "", name.removesuffix("Response"))
    expected_status = STATUS_EXCEPTIONS.get(name, EXPECTED_STATUS.get(operation.lstrip("Number"), 200))
    assert status == expected_status, f"{name}: status {status}"
    sample = load(name)
    problems: list[str] = []
    if "objects" in sample:
        compare_object(
            {k: v for k, v in sample.items() if k != "objects"},
            {k: v for k, v in body.items() if k != "objects"},
            name,
            problems,
            exact=True,
        )
        compare_items(sample["objects"], body.get("objects", []), f"{name}.objects", problems)
    else:
        compare_object(sample, body, name, problems, exact=True)
    assert not problems, "\n".join(problems)
