"""TUI test helpers: a recorded real run as event objects, apps on a temporary store, a seeded history."""

from __future__ import annotations

import copy
import dataclasses
import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from tests.conftest import batch, mouse_path
from workbench import events as ev
from workbench.store.db import open_db
from workbench.store.models import Run
from workbench.store.recorder import Recorder

HERE = Path(__file__).parent
DEMO = HERE / "fixtures" / "demo_run.jsonl.gz"  # the events of a real `workbench demo` run (seed 7)
BOT_SID = "sq_1795307593999_botbotbot"


@dataclasses.dataclass(frozen=True)
class InterventionDelivered:
    """Stands for the event type the Seer consumer will add: the TUI reads any *Intervention* event."""

    session_id: str
    timestamp: float
    strategy: str
    message: str
    outcome: str | None = None


def demo_events() -> list[Any]:
    """Real event objects from events.py, as the runner emitted them during a demo run."""
    with gzip.open(DEMO, "rt", encoding="utf-8") as fh:
        return [getattr(ev, d["type"])(**d["fields"]) for d in map(json.loads, fh)]


def with_run_id(events: list[Any], run_id: str) -> list[Any]:
    return [dataclasses.replace(e, run_id=run_id) if isinstance(e, ev.RunStarted | ev.RunEnded) else e
            for e in events]


def bot_session(demo: list[Any]) -> list[Any]:
    """A second session: a scripted bot whose verdict fires signals, with one packet and an intervention."""
    packet = copy.deepcopy(next(e.packet for e in demo if isinstance(e, ev.PacketEmitted)))
    packet["sessionId"] = BOT_SID
    packet["emotion"] = {"primary": "frustration", "confidence": 0.7, "intensity": 0.8, "trajectory": "intensifying"}
    t0 = packet["timestamp"] - 9000
    return [
        ev.SessionStarted(BOT_SID, "org_workbench", "scripted_bot", "rv"),
        ev.BatchReceived(BOT_SID, "org_workbench", batch(mouse_path(t0, 40, x0=200, y0=150, vx=600), session=BOT_SID,
                                                         tenant="org_workbench")),
        ev.BotVerdictEmitted({"session_id": BOT_SID, "tenant_id": "org_workbench", "timestamp": t0 + 2000,
                              "classification": "bot", "confidence": 0.94, "reasoning": "fast, regular intervals",
                              "signals": ["fast_intervals", "regular_timing"], "event_count": 40}),
        ev.PacketEmitted(packet),
        InterventionDelivered(BOT_SID, t0 + 9500, "reassure", "Questions about the Adventure package? I can help."),
        InterventionDelivered(BOT_SID, t0 + 9500, "reassure", "Questions about the Adventure package? I can help.",
                              outcome="chat_engaged"),
    ]


def scored(events: list[Any], run_id: str) -> ev.RunScored:
    """The run's score, made by workbench.scoring from what the events show (as the runner does)."""
    from synthetic.personas import ParalysedBuyer
    from workbench.scoring import GroundTruth, Observation, score_run

    emotions: dict[str, list[str]] = {}
    bots: dict[str, str] = {}
    for e in events:
        if isinstance(e, ev.PacketEmitted):
            emotions.setdefault(e.packet["sessionId"], []).append(e.packet["emotion"]["primary"])
        elif isinstance(e, ev.BotVerdictEmitted):
            bots[e.detection["session_id"]] = e.detection["classification"]
    truths = {"paralysed_buyer": GroundTruth.of(ParalysedBuyer), "scripted_bot": GroundTruth("scripted_bot", bot=True)}
    personas = {e.session_id: e.persona for e in events if isinstance(e, ev.SessionStarted)}
    score = score_run((truths[p], Observation(sid, p, "ended", emotions=tuple(emotions.get(sid, ())),
                                              bot=bots.get(sid, "uncertain"))) for sid, p in personas.items())
    return ev.RunScored(run_id, score.verdict, [s.as_dict() for s in score.sessions], score.summary())


def live_feed() -> list[Any]:
    """The demo run (ended) plus the bot session, as the live screen would receive them."""
    demo = demo_events()
    ended = [e for e in demo if isinstance(e, ev.SessionEnded | ev.RunEnded)]
    return [e for e in demo if e not in ended] + bot_session(demo) + ended[:1]


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Apps on ``wb.db`` in a temporary folder (relative, so screenshots do not show the tmp path)."""
    from workbench.tui.app import WorkbenchApp

    monkeypatch.chdir(tmp_path)

    def make(**kwargs: Any) -> WorkbenchApp:
        kwargs.setdefault("db_path", Path("wb.db"))
        kwargs.setdefault("presets", Path("presets"))
        return WorkbenchApp(cursor_blink=False, **kwargs)

    return make


@pytest.fixture
def seeded_db(tmp_path: Path) -> Path:
    """Two stored runs recorded through the real Recorder: the demo run and a variant with the bot session."""
    path = tmp_path / "wb.db"
    engine = open_db(path)
    demo = demo_events()
    recorder = Recorder(engine)
    for e in with_run_id(demo, "demo_20260101_120000_aaaa"):
        recorder(e)
    recorder = Recorder(engine)
    second = with_run_id(demo, "run_20260102_090000_bbbb")
    bot = [x for x in bot_session(demo) if not isinstance(x, InterventionDelivered)]
    for e in second[:-1] + bot + [scored(second + bot, "run_20260102_090000_bbbb")] + second[-1:]:
        recorder(e)
    with engine.begin() as conn:
        for run_id, day in (("demo_20260101_120000_aaaa", 1), ("run_20260102_090000_bbbb", 2)):
            conn.execute(update(Run).where(Run.id == run_id).values(
                started_at=datetime(2026, 1, day, 12, 0, tzinfo=UTC)))
    return path


async def wait_until(pilot: Any, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until ``predicate()`` holds (workers, messages), or fail after ``timeout`` s."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.05)
