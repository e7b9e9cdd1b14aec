"""The typed block methods: generated from the catalog, fresh, and faithful to it."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Sequence

import pytest

from plivo_blocks import AsyncClient, Client
from plivo_blocks.catalog import BLOCKS, Arg, Block, snake_case
from plivo_blocks.catalog.types import Boolean, Integer, Phone, ValueType
from plivo_blocks.client import codegen


def test_the_generated_file_is_up_to_date() -> None:
    assert codegen.TARGET.read_text() == codegen.render(), (
        "src/plivo_blocks/client/_generated.py is stale: run python -m plivo_blocks.client.codegen"
    )


def test_the_check_mode_reports_freshness(capsys: pytest.CaptureFixture[str]) -> None:
    assert codegen.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
def test_each_block_has_a_typed_method_on_both_clients(block: Block) -> None:
    sync_method = getattr(Client, block.python_name)
    async_method = getattr(AsyncClient, block.python_name)
    assert not inspect.iscoroutinefunction(sync_method)
    assert inspect.iscoroutinefunction(async_method)
    for method in (sync_method, async_method):
        parameters = list(inspect.signature(method).parameters.values())[1:]
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters)
        assert {p.name for p in parameters} == {snake_case(a.name) for a in block.args} | {"idempotency_key"}
        assert inspect.signature(method).parameters["idempotency_key"].default is None
        required = {p.name for p in parameters if p.default is inspect.Parameter.empty}
        assert required == {snake_case(a.name) for a in block.args if a.required}
        assert method.__doc__ and block.description[:40] in " ".join(method.__doc__.split())


def test_parameter_types_follow_the_value_types() -> None:
    hints = typing.get_type_hints(Client.make_call)

    assert hints["call_from"] is str
    assert hints["call_to"] == str | Sequence[str]
    assert hints["time_limit"] == int | str | None
    assert hints["send_on_preanswer"] == bool | str | None
    assert hints["return"] == dict[str, typing.Any]
    assert typing.get_type_hints(AsyncClient.send_message)["destination"] == str | Sequence[str]


def test_every_value_type_in_the_catalog_has_an_annotation() -> None:
    for block in BLOCKS:
        for arg in block.args:
            assert codegen.annotation(arg)


def test_an_unknown_value_type_stops_the_generator() -> None:
    class Strange(ValueType):  # a value type the generator has never seen
        pass

    with pytest.raises(TypeError, match="no Python annotation for Strange"):
        codegen.annotation(Arg("weird", Strange()))


def test_a_block_named_like_a_client_method_is_refused() -> None:
    clash = Block(name="paginate", group="x", description="x", method="GET", path="x/", status=200)

    with pytest.raises(ValueError, match="reserved"):
        codegen.render([clash])


def test_python_keywords_get_a_trailing_underscore() -> None:
    block = Block(
        name="oddBlock",
        group="x",
        description="An odd block.",
        method="POST",
        path="Odd/",
        status=202,
        args=(Arg("from", Phone(), required=True), Arg("lambda", Integer()), Arg("global", Boolean())),
    )

    text = codegen.render([block])

    assert "from_: str," in text and "lambda_: int | str | None = None," in text
    assert '"from": from_,' in text
    compile(text, "<generated>", "exec")
