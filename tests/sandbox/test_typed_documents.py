"""The typed documents (``sandbox/models/base.py`` and one dataclass per kind): a database written
before them opens and answers as it did, every kind reads back what it writes, secrets stay out of
reprs, filters name fields, and the stored ``_`` keys appear nowhere but in the typed layer."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hook_recorder import HookRecorder
from sandbox_server import MANUAL, Server
from starlette.applications import Starlette

from plivo_blocks.sandbox import create_app
from plivo_blocks.sandbox.models.accounts import AccountDocument
from plivo_blocks.sandbox.models.applications import Application
from plivo_blocks.sandbox.models.base import StoredDocument, stored_fields
from plivo_blocks.sandbox.models.bins import XmlBin
from plivo_blocks.sandbox.models.carriers import Carrier
from plivo_blocks.sandbox.models.endpoints import Endpoint, SipRegistration
from plivo_blocks.sandbox.models.messages import Message, MessageMedia
from plivo_blocks.sandbox.models.numbers import RentedNumber
from plivo_blocks.sandbox.store import Document, Store, Tx
from plivo_blocks.sandbox.voice.cdr import CallRecord
from plivo_blocks.sandbox.voice.recording_document import Recording
from plivo_blocks.sandbox.webhooks.delivery import Attempt, Callback, Delivery

LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy-sandbox.json"
SANDBOX_SOURCE = Path(__file__).resolve().parents[2] / "src" / "plivo_blocks" / "sandbox"
KINDS: list[type[StoredDocument]] = [
    AccountDocument,
    Application,
    Endpoint,
    Carrier,
    RentedNumber,
    Message,
    CallRecord,
    Recording,
    Delivery,
    XmlBin,
]


def _without_api_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_api_ids(v) for k, v in value.items() if k != "api_id"}
    if isinstance(value, list):
        return [_without_api_ids(v) for v in value]
    return value


@pytest.fixture
def legacy() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(LEGACY.read_text())
    return loaded


@pytest.fixture
def legacy_sandbox(
    legacy: dict[str, Any], tmp_path: Path, serve: Callable[[Starlette], Server], recorder: HookRecorder
) -> Server:
    """A sandbox opened on a database file holding the documents exactly as the old version stored
    them (same schema, same JSON)."""
    path = str(tmp_path / "legacy.db")
    store = Store(path)

    def write(tx: Tx) -> None:
        for doc in legacy["documents"]:
            tx.insert(doc["kind"], doc["id"], doc["owner"], doc["data"])

    store.run_sync(write)
    store.close()
    main = legacy["main"]
    app = create_app(
        path,
        auth_id=main["auth_id"],
        auth_token=main["auth_token"],
        clock=MANUAL,
        webhook_transport=recorder.transport(),
    )
    return serve(app)


def test_the_legacy_database_holds_every_kind(legacy: dict[str, Any]) -> None:
    assert {doc["kind"] for doc in legacy["documents"]} == {cls.KIND for cls in KINDS}
    assert any(key.startswith("_") for doc in legacy["documents"] for key in doc["data"])


def test_a_database_written_before_typed_documents_answers_as_it_did(
    legacy: dict[str, Any], legacy_sandbox: Server
) -> None:
    credentials = {name: (legacy[name]["auth_id"], legacy[name]["auth_token"]) for name in ("main", "sub")}
    clients = {name: legacy_sandbox.client(auth) for name, auth in credentials.items()}
    clients["none"] = legacy_sandbox.client()
    checked = 0
    for answer in legacy["answers"]:
        got = clients[answer["auth"]].get(answer["path"])
        assert got.status_code == answer["status"], (answer["path"], got.text)
        if "bytes" in answer:
            assert len(got.content) == answer["bytes"], answer["path"]
        elif "text" in answer:
            assert got.text == answer["text"], answer["path"]
        else:
            expected = json.dumps(answer["body"])
            if answer["path"] == "/_sandbox/bins":  # a bin's URL is made from this server's address
                expected = expected.replace(legacy["base_url"], legacy_sandbox.url)
            assert _without_api_ids(got.json()) == _without_api_ids(json.loads(expected)), answer["path"]
        checked += 1
    assert checked == len(legacy["answers"]) > 30


def test_the_legacy_database_goes_on_working(legacy: dict[str, Any], legacy_sandbox: Server) -> None:
    """Old documents are not only readable: they change and are written back (typed) as before."""
    main = legacy_sandbox.client((legacy["main"]["auth_id"], legacy["main"]["auth_token"]))
    base = f"/v1/Account/{legacy['main']['auth_id']}/"
    endpoint = next(
        d for d in legacy["documents"] if d["kind"] == "endpoint" and d["owner"] == legacy["main"]["auth_id"]
    )
    assert main.post(base + f"Endpoint/{endpoint['id']}/", data={"alias": "Alicia"}).status_code == 202
    shown = main.get(base + f"Endpoint/{endpoint['id']}/").json()
    assert shown["alias"] == "Alicia" and shown["sip_registered"] == "true"  # the registration survived
    assert "password" not in shown and endpoint["data"]["_password"] not in json.dumps(shown)
    number = next(
        d for d in legacy["documents"] if d["kind"] == "number" and d["owner"] == legacy["main"]["auth_id"]
    )
    text = {"src": number["id"], "dst": "14155550111", "text": "still works"}
    sent = main.post(base + "Message/", data=text)
    assert sent.status_code == 202, sent.text
    sub = legacy_sandbox.client((legacy["sub"]["auth_id"], legacy["sub"]["auth_token"]))
    assert sub.get(f"/v1/Account/{legacy['sub']['auth_id']}/").status_code == 200


# -- each kind on its own ---------------------------------------------------------------------------


def _examples() -> list[StoredDocument]:
    media = (MessageMedia(media_id="m1", media_url="https://example.com/a.png", content_type="image/png"),)
    return [
        AccountDocument(
            id="SA1", owner="MA1", name="Team", parent="MA1", auth_token="t0k3n-secret", created="2024-01-02"
        ),
        Application(
            id="12345678901234567",
            owner="MA1",
            app_name="ivr",
            answer_url="https://a.test/",
            default_app=True,
        ),
        Endpoint(
            id="12345678901234",
            owner="SA1",
            username="alice240101000000",
            alias="Alice",
            sip_uri="sip:alice240101000000@phone.plivo.com",
            password="pa55-secret",
            app_id="12345678901234567",
            registration=SipRegistration(contact="sip:a@h", expires_at=1.5e9, user_agent="UA"),
        ),
        Carrier(id="98765432109876", owner="MA1", name="Acme", ip_set="10.0.0.1"),
        RentedNumber(
            number="14155550100",
            owner="SA1",
            added_on="2024-01-01",
            renewal_date="2024-02-01",
            number_type="local",
            region="California, UNITED STATES",
            city="California",
            country="United States",
            carrier="Plivo",
            monthly_rental_rate="0.80000",
            voice_enabled=True,
            voice_rate="0.00850",
            sms_enabled=True,
            sms_rate="0.00000",
            app_id="12345678901234567",
        ),
        Message(
            id="uuid-1",
            owner="MA1",
            from_number="14155550100",
            message_direction="outbound",
            message_state="sent",
            message_time="2024-01-01 00:00:00+00:00",
            message_type="mms",
            to_number="14155550101",
            total_amount="0.01600",
            total_rate="0.01600",
            units=1,
            message_updated_time="2024-01-01 00:00:01.000000+00:00",
            text="pic",
            media=media,
            time=1704067200.25,
            queued_at=1704067200.25,
            sent_at=1704067201.5,
            sequence=2,
            url="https://hooks.test/status",
            method="POST",
            expires_at=1704078000.25,
        ),
        CallRecord(
            id="call-1",
            owner="MA1",
            call_direction="outbound",
            live=True,
            status="in-progress",
            from_="1415",
            to="1416",
            start=1.7e9,
            log=({"event": "ringing", "at": 0.0},),
        ),
        Recording(
            id="rec-1",
            owner="MA1",
            add_time="2024-01-01 00:00:00.000000+00:00",
            call_uuid="call-1",
            conference_name=None,
            recording_format="mp3",
            recording_type="normal",
            recording_url="http://x/_sandbox/recordings/rec-1.mp3",
            recording_duration_ms="4000.00000",
            recording_start_ms="1.00000",
            recording_end_ms="4001.00000",
            rounded_recording_duration=60,
            recording_storage_rate=0.0004,
            time=1704067200.0,
            duration_ms=4000,
        ),
        Delivery(
            "delivery-1",
            Callback.of(
                "https://hooks.test/x", "POST", {"A": "1"}, auth_id="SA1", kind="message_status", ref="uuid-1"
            ),
            1704067200.123456,
            "delivered",
            [
                Attempt(at=1704067200.5, latency_ms=3.25, status=500, error="HTTP 500"),
                Attempt(at=1704067260.654321, latency_ms=1.5, status=200),
            ],
            delivered_at=1704067260.654321,
        ),
        XmlBin(
            id="hold",
            owner="MA1",
            xml="<Response/>",
            created="2024-01-01 00:00:00+00:00",
            updated="2024-01-01 00:00:00+00:00",
        ),
    ]


@pytest.mark.parametrize("item", _examples(), ids=lambda item: type(item).__name__)
def test_every_kind_reads_back_what_it_writes(item: StoredDocument) -> None:
    stored = json.loads(json.dumps(item.to_data()))  # as the store keeps it: JSON
    doc = Document(item.KIND, item.id, item.owner, 1, 1704067200.0, stored)
    assert type(item).from_document(doc) == item
    assert set(item.STORED_AS.values()) <= set(stored)  # what filters name is really stored


def test_every_kind_has_an_example() -> None:
    assert {type(item) for item in _examples()} == set(KINDS)


def test_secrets_never_show_in_a_repr() -> None:
    examples = _examples()
    for item in examples:
        assert "secret" not in repr(item), type(item).__name__
    account = next(item for item in examples if isinstance(item, AccountDocument))
    endpoint = next(item for item in examples if isinstance(item, Endpoint))
    assert account.auth_token == "t0k3n-secret" and endpoint.password == "pa55-secret"
    assert "t0k3n-secret" not in json.dumps(account.render())
    assert "pa55-secret" not in json.dumps(endpoint.render(now=0, application=None, sub_account=None))


def test_a_delivery_read_back_keeps_its_tries_times() -> None:
    """The log shows when each try happened and when the delivery succeeded, also after it was
    read back from the store (e.g. to resume pending deliveries after a restart)."""
    delivery = next(item for item in _examples() if isinstance(item, Delivery))
    doc = Document(
        Delivery.KIND, delivery.id, delivery.owner, 1, 0.0, json.loads(json.dumps(delivery.to_data()))
    )
    again = Delivery.from_document(doc)
    assert [a.at for a in again.attempts] == [1704067200.5, 1704067260.654321]
    assert again.render() == delivery.render()


def test_filters_name_fields_and_are_checked() -> None:
    assert stored_fields(Message, {"country": "US", "time__gte": 1.0, "message_state__in": ["sent"]}) == {
        "_country": "US",
        "_time__gte": 1.0,
        "message_state__in": ["sent"],
    }
    assert stored_fields(Message, {"from_number|to_number|text__contains": "5"}) == {
        "from_number|to_number|_text__contains": "5"
    }
    assert stored_fields(Delivery, {"url__contains": "x", "ref": "r"}) == {"url__contains": "x", "ref": "r"}
    with pytest.raises(ValueError, match="no field 'colour'"):
        stored_fields(RentedNumber, {"colour": "red"})


# -- the stored "_" keys live in the typed layer only -----------------------------------------------


def _stored_keys() -> set[str]:
    return {key for cls in KINDS for key in cls.STORED_AS.values() if key.startswith("_")}


def _typed_layer_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside the typed layer: ``STORED_AS`` and the ``from_document``,
    ``from_data``, ``to_data`` methods."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        is_stored_as = isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "STORED_AS"
        is_converter = isinstance(node, ast.FunctionDef) and node.name in (
            "from_document",
            "from_data",
            "to_data",
        )
        if is_stored_as or is_converter:
            inside.update(id(child) for child in ast.walk(node))
    return inside


def _names_a_stored_key(text: str, keys: set[str]) -> bool:
    """Whether ``text`` is, or filters on (``key__op``, ``a|key``), one of the stored ``_`` keys."""
    return any(part == key or part.startswith(f"{key}__") for part in text.split("|") for key in keys)


def _strays(tree: ast.AST, keys: set[str]) -> list[ast.Constant]:
    allowed = _typed_layer_nodes(tree)
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _names_a_stored_key(node.value, keys)
        and id(node) not in allowed
    ]


def test_stored_underscore_keys_appear_only_in_the_typed_layer() -> None:
    keys = _stored_keys()
    assert {"_app_id", "_auth_token", "_text", "_live", "_time", "_password"} <= keys
    found = [
        f"{path.relative_to(SANDBOX_SOURCE)}:{node.lineno}: {node.value!r}"
        for path in sorted(SANDBOX_SOURCE.rglob("*.py"))
        for node in _strays(ast.parse(path.read_text(), str(path)), keys)
    ]
    assert found == []


def test_the_guard_above_finds_stray_keys() -> None:
    code = 'a = {"_app_id": None}\nb = {f"_time__{op}": 1}\nc = {"from_number|_text__contains": "x"}\n'
    assert len(_strays(ast.parse(code), _stored_keys())) == 3
