"""The pause gate: persona steps wait while it is closed; nothing else is touched."""

import asyncio

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
