"""The pause gate: persona steps wait while it is closed; nothing else is touched."""

import asyncio
import time

import numpy as np
import pytest

from workbench.sim.pause import PauseGate, StepDriver


class Recorder:
    viewport = (1280, 800)

    def __init__(self):
        self.steps = []

    async def move_to(self, selector):
        self.steps.append(selector)


async def test_steps_wait_while_paused_and_resume():
    gate, actor = PauseGate(), Recorder()
    driver = StepDriver(actor, gate)
    await driver.move_to("#a")
    gate.pause()
    step = asyncio.create_task(driver.move_to("#b"))
    await asyncio.sleep(0.2)
    assert actor.steps == ["#a"] and not step.done()
    gate.resume()
    await asyncio.wait_for(step, 1)
    assert actor.steps == ["#a", "#b"]


def test_plain_attributes_pass_through_and_toggle():
    gate = PauseGate()
    assert StepDriver(Recorder(), gate).viewport == (1280, 800)
    assert gate.toggle() is True and gate.paused
    assert gate.toggle() is False and not gate.paused


def test_tui_sees_the_pause_capability():
    from workbench.tui.runcontrol import RunPlan, build_spec, probe_capabilities

    caps = probe_capabilities()
    assert caps.pause
    from synthetic.personas import PERSONAS

    spec = build_spec(RunPlan(counts={"paralysed_buyer": 1}), PERSONAS, caps)
    assert isinstance(spec.pause, PauseGate) and not spec.pause.paused


async def test_time_paused_does_not_count_against_the_session_limit():
    gate, actor = PauseGate(), Recorder()
    async with asyncio.timeout(0.3) as limit:
        driver = StepDriver(actor, gate, limit)
        gate.pause()
        asyncio.get_running_loop().call_later(0.5, gate.resume)  # paused longer than the whole limit
        await driver.move_to("#after-the-pause")
    assert actor.steps == ["#after-the-pause"]


async def test_the_limit_still_holds_when_nothing_is_paused():
    gate = PauseGate()

    class Slow(Recorder):
        async def move_to(self, selector):
            await asyncio.sleep(1.0)

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2) as limit:
            await StepDriver(Slow(), gate, limit).move_to("#never")


async def test_after_runs_once_per_persona_step_not_for_the_actors_own_inner_calls():
    answered = []

    class Reader(Recorder):
        async def read(self, selector):
            await self.move_to(selector)  # an inner call on the actor itself, inside the step
            self.steps.append("read")

    actor = Reader()

    async def after():
        answered.append(list(actor.steps))

    driver = StepDriver(actor, after=after)
    await driver.read("#hero")
    await driver.move_to("#price")
    assert answered == [["#hero", "read"], ["#hero", "read", "#price"]]


class WallClock(Recorder):
    """An actor on the wall clock, as under RealClock: elapsed_ms runs on through a pause."""

    def __init__(self):
        super().__init__()
        self.t0 = time.monotonic()
        self.rng = np.random.default_rng(0)

    @property
    def elapsed_ms(self):
        return (time.monotonic() - self.t0) * 1000.0

    async def dwell(self, ms):
        await asyncio.sleep(ms / 1000.0)


class StoppedClock(Recorder):
    """An actor on a virtual clock: nothing moves the page's time while the persona waits."""

    elapsed_ms = 1234.0


async def test_a_pause_does_not_use_up_a_task_driven_personas_session():
    """session_ms is read off actor.elapsed_ms, which is wall time in real-time runs: a pause
    longer than the session used to end the visit at its first step after resuming."""
    from synthetic.personas.base import Persona, constant, task

    class Short(Persona):
        name, description, session_ms, wait_time = "short", "", 300.0, constant(20)

        @task
        async def look(self, actor):
            await actor.move_to("#a")

    gate, actor = PauseGate(), WallClock()
    driver = StepDriver(actor, gate)
    gate.pause()
    asyncio.get_running_loop().call_later(0.4, gate.resume)
    await Short().run(driver)
    assert len(actor.steps) >= 5  # ~300 ms of 20 ms waits, not one step after a 400 ms pause
    assert driver.paused_ms >= 350
    assert actor.elapsed_ms - driver.paused_ms == pytest.approx(driver.elapsed_ms, abs=1)


async def test_a_clock_that_stood_still_while_paused_has_nothing_taken_off():
    gate, actor = PauseGate(), StoppedClock()
    driver = StepDriver(actor, gate)
    gate.pause()
    asyncio.get_running_loop().call_later(0.1, gate.resume)
    await driver.move_to("#a")
    assert driver.paused_ms == 0 and driver.elapsed_ms == 1234.0 and actor.steps == ["#a"]
