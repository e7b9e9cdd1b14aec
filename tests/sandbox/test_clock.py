"""The sandbox clock: modes, timers in order, advance waiting for idleness, parked waits, the control
API, and CLI parsing. Everything runs on the manual clock or measures scale, never wall-clock luck."""

from __future__ import annotations

import asyncio

import pytest
from answer_server import settle
from sandbox_server import Server

from plivo_blocks.sandbox.clock import ClockMode, ClockSpec, SandboxClock, WaitTimeout

pytestmark = pytest.mark.anyio

MANUAL = ClockSpec(ClockMode.MANUAL)


async def running(clock: SandboxClock) -> asyncio.Task[None]:
    driver = asyncio.create_task(clock.run())
    await asyncio.sleep(0)
    return driver


async def test_manual_time_stands_still_until_advanced() -> None:
    clock = SandboxClock(MANUAL, start=1000.0)
    driver = await running(clock)
    fired: list[tuple[str, float]] = []
    clock.call_later(5, lambda: fired.append(("b", clock.now())))
    clock.call_later(2, lambda: fired.append(("a", clock.now())))
    await asyncio.sleep(0.05)
    assert clock.now() == 1000.0 and fired == []
    assert await clock.advance(4)
    assert fired == [("a", 1002.0)] and clock.now() == 1004.0
    assert await clock.advance(1)
    assert fired == [("a", 1002.0), ("b", 1005.0)]
    driver.cancel()


async def test_advance_waits_for_work_each_timer_starts_and_the_timers_it_sets() -> None:
    clock = SandboxClock(MANUAL, start=0.0)
    driver = await running(clock)
    log: list[tuple[float, str]] = []

    async def call() -> None:
        log.append((clock.now(), "answered"))
        await asyncio.sleep(0.02)  # real work (a fetch): busy, not parked
        log.append((clock.now(), "fetched"))
        await clock.sleep(3)  # Speak
        log.append((clock.now(), "spoke"))
        await clock.sleep(30)  # Wait
        log.append((clock.now(), "hung up"))

    clock.call_later(2, lambda: clock.spawn(call()))  # ringing for 2 s
    assert await clock.advance(10)
    assert log == [(2.0, "answered"), (2.0, "fetched"), (5.0, "spoke")]
    assert clock.busy == 0 and clock.tracked == 1  # parked in its Wait
    assert await clock.advance(27)
    assert log[-1] == (35.0, "hung up") and clock.tracked == 0
    driver.cancel()


async def test_a_waiter_is_woken_by_input_an_error_or_its_timeout() -> None:
    clock = SandboxClock(MANUAL, start=0.0)
    driver = await running(clock)
    results: list[object] = []

    async def wait_for(waiter_holder: list[object], timeout: float | None) -> None:
        waiter = clock.waiter()
        waiter_holder.append(waiter)
        try:
            results.append(await waiter.wait(timeout))
        except Exception as exc:
            results.append(type(exc).__name__)

    holders: list[list[object]] = [[], [], []]
    for holder, timeout in zip(holders, (None, None, 5.0), strict=True):
        clock.spawn(wait_for(holder, timeout))
    assert await clock.advance(0)
    assert clock.busy == 0 and clock.tracked == 3
    holders[0][0].wake("1#")  # type: ignore[attr-defined]
    holders[1][0].fail(RuntimeError("hung up"))  # type: ignore[attr-defined]
    assert clock.busy == 2  # woken synchronously: busy before anything else runs
    assert await clock.advance(0)
    assert results == ["1#", "RuntimeError"]
    assert await clock.advance(5)
    assert results == ["1#", "RuntimeError", "WaitTimeout"]
    assert not holders[2][0].wake("late")  # type: ignore[attr-defined]
    driver.cancel()


async def test_scaled_time_runs_faster_than_the_wall() -> None:
    clock = SandboxClock(ClockSpec(ClockMode.SCALED, 1000), start=0.0)
    driver = await running(clock)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await clock.sleep(100)  # 100 sandbox seconds: 0.1 s of wall time
    assert clock.now() >= 100 and loop.time() - started < 5
    driver.cancel()


async def test_changing_mode_keeps_the_time() -> None:
    clock = SandboxClock(MANUAL, start=500.0)
    clock.set_spec(ClockSpec(ClockMode.SCALED, 2))
    assert 500.0 <= clock.now() < 501
    clock.set_spec(MANUAL)
    frozen = clock.now()
    await asyncio.sleep(0.01)
    assert clock.now() == frozen


async def test_wait_timeout_is_a_timeout_error() -> None:
    assert issubclass(WaitTimeout, TimeoutError)


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("real", ClockSpec()),
        ("manual", MANUAL),
        ("scaled:10", ClockSpec(ClockMode.SCALED, 10)),
        (" Scaled:0.5 ", ClockSpec(ClockMode.SCALED, 0.5)),
    ],
)
def test_clock_option_parsing(text: str, spec: ClockSpec) -> None:
    assert ClockSpec.parse(text) == spec


@pytest.mark.parametrize(
    "text", ["fast", "scaled", "scaled:0", "scaled:-1", "scaled:nan", "real:2", "scaled:1e9"]
)
def test_bad_clock_options_say_why(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        ClockSpec.parse(text)
    assert str(caught.value)


def test_the_clock_control_api(sandbox: Server) -> None:
    with sandbox.main_client() as control:
        shown = control.get("/_sandbox/clock").json()
        assert (shown["mode"], shown["scale"]) == ("manual", 1.0) and shown["now"]
        before = shown["epoch"]
        advanced = control.post("/_sandbox/clock/advance", json={"seconds": 90}).json()
        assert advanced["epoch"] == pytest.approx(before + 90)
        for bad in (
            {"seconds": -1},
            {"seconds": "soon"},
            {},
            {"seconds": 1e12},
            {"seconds": 1, "timeout": 0},
        ):
            answer = control.post("/_sandbox/clock/advance", json=bad)
            assert answer.status_code == 400 and answer.json()["error"], bad
        changed = control.put("/_sandbox/clock", json={"mode": "scaled", "scale": 50}).json()
        assert (changed["mode"], changed["scale"]) == ("scaled", 50.0)
        for bad in (
            {"mode": "fast"},
            {"mode": "scaled"},
            {"mode": "real", "scale": 3},
            {"mode": "manual", "x": 1},
        ):
            answer = control.put("/_sandbox/clock", json=bad)
            assert answer.status_code == 400 and answer.json()["error"], bad
        assert control.put("/_sandbox/clock", json={"mode": "manual"}).json()["mode"] == "manual"
    with sandbox.client() as anonymous:
        assert anonymous.get("/_sandbox/clock").status_code == 401


def test_reset_cancels_pending_work(sandbox: Server, main_sdk: object) -> None:
    settle(sandbox)
    with sandbox.main_client() as control:
        control.patch("/_sandbox/settings", json={"message_queued_seconds": 60}).raise_for_status()
        base = f"/v1/Account/{sandbox.state.main_auth_id}/Message/"
        control.post(base, json={"src": "14155550100", "dst": "14155550111", "text": "x"}).raise_for_status()
        assert control.get("/_sandbox/clock").json()["pending_timers"] >= 1
        control.post("/_sandbox/reset").raise_for_status()
        assert control.get("/_sandbox/clock").json()["pending_timers"] == 0
        assert control.get(base).json()["meta"]["total_count"] == 0
