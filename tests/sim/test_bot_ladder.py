"""Every rung of the bot ladder is caught by the engine's bot filter (section 8)."""

from __future__ import annotations

import pytest

from synthetic.personas import BOTS
from workbench.sim.runner import RunSpec, run

pytestmark = pytest.mark.browser


async def test_each_bot_is_caught_and_never_reaches_inference_afterwards():
    result = await run(RunSpec(list(BOTS), seed=9, virtual_time=True, concurrency=len(BOTS)))
    by_name = {s.persona: s for s in result.sessions}
    caught = {name: (s.status, s.bot, s.bot_signals) for name, s in by_name.items()}
    assert all(s.status == "ended" for s in by_name.values()), caught
    assert all(s.bot == "bot" for s in by_name.values()), caught
    assert "connection_only" in by_name["connection_probe"].bot_signals
    assert "user_agent" in by_name["headless_crawler"].bot_signals
    assert by_name["connection_probe"].clock == "real"  # idle on the wall clock, see its docstring
    assert result.score is not None and result.score.bot_pr()["recall"] == 1.0
