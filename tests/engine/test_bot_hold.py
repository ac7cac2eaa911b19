"""No packet before the bot verdict (EITP v1.1 section 8, Appendix C "Bot classification wait: 3 batches ~30s").

The linear-steps and the Bezier bot are caught by section 8.1's sub-15 ms rule only at their
third zero-hold click into a form field (~13 s and ~20 s in): after the first 10 s window had
closed. The engine holds closed windows until the filter has a verdict; the bots' are dropped
unread, a human's are released, unchanged, once the wait is over (or the connection closes).

The bot telemetry is shaped like the real sessions (``workbench run --persona
linear_bot,bezier_bot --virtual-time``): scripted points at machine pace (one awaited
``page.mouse.move`` per frame, so the 20 Hz sampler sees every third), a zero-hold click whose
``form_focus`` comes 2 ms before the ``click``, the same fixed wait after every action.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthetic.personas.bezier_bot import ghost_move
from tests.engine.telemetry import Visit, run
from workbench.config import EITPConfig
from workbench.engine.classifier import Classification, RulesClassifier
from workbench.engine.core import BotOut, Engine, PacketOut

WAIT_MS = EITPConfig().inference.bot_wait_ms
POINTS_PER_TICK = 3  # ~60 awaited moves/s (../shared/notes/toolchain.md) against the 20 Hz sampler
LINEAR_TOUR = [(171, 464), (352, 585), (154, 659), (353, 400), (251, 400), (632, 393), (1013, 400), (924, 399)]
LINEAR_FIELDS = [("calc-down", (924, 125)), ("lead-name", (924, 399)), ("lead-email", (924, 488))]
BEZIER_TOUR = [(356, 580), (165, 468), (154, 661), (247, 402), (631, 619), (925, 402)]
BEZIER_FIELDS = [("calc-apr", (927, 294)), ("lead-name", (928, 405)), ("lead-email", (925, 494)),
                 ("lead-phone", (923, 576))]


class Script(Visit):
    """A Visit driven by an automation script."""

    def path(self, points: list[tuple[float, float]]) -> Script:
        for x, y in points[POINTS_PER_TICK - 1::POINTS_PER_TICK] + points[-1:]:  # what each tick sees
            self._sample(x, y)
        self._sample(self.x, self.y)
        return self

    def zero_hold_click(self, field: str | None = None) -> Script:
        self.t += 20
        if field:  # focus fires on mousedown, the click 2 ms later: a press with no hold
            self.emit("form_focus", type="text", name=field, id=field)
            self.t += 2
        tag = "input" if field else "button"
        return self.emit("click", x=self.x, y=self.y, target={"tag": tag, "class": "", "id": field or "", "text": ""},
                         mouseVelocity=0, mouseJerk=0)

    def blur(self, field: str, since: float) -> Script:
        return self.emit("form_blur", type="text", name=field, id=field, duration=round(self.t - since), hasValue=True)


def scripted(path_to: Any, wait_ms: float, session: str, tour: list[tuple[float, float]],
             fields: list[tuple[str, tuple[float, float]]]) -> Script:
    """The tour both bots script: page targets, then form fields, then submit."""
    v = Script(section="hero", session=session, x=640, y=372)
    for target in tour:
        v.path(path_to((v.x, v.y), target)).zero_hold_click().rest(wait_ms)
    focused: tuple[str, float] | None = None
    for field, target in fields:
        v.path(path_to((v.x, v.y), target))
        if focused:
            v.blur(*focused)
        focused = (field, v.t)
        v.zero_hold_click(field).rest(wait_ms + 350)
    return v.zero_hold_click().submit()


def linear_steps_bot() -> Script:
    """``page.mouse.move(x, y, steps=25)``: straight, evenly spaced; 800 ms fixed waits."""
    def steps(start: tuple[float, float], end: tuple[float, float]) -> list[tuple[float, float]]:
        return [(start[0] + (end[0] - start[0]) * i / 25, start[1] + (end[1] - start[1]) * i / 25)
                for i in range(1, 26)]
    return scripted(steps, 800, "sq_1740700800000_linear", LINEAR_TOUR, LINEAR_FIELDS)


def bezier_bot() -> Script:
    """ghost-cursor paths (the persona's own generator, seeded); 1.5 s fixed waits."""
    rng = np.random.default_rng(9)
    return scripted(lambda start, end: ghost_move(start, end, 24.0, rng), 1500, "sq_1740700800000_bezier",
                    BEZIER_TOUR, BEZIER_FIELDS)


class Counting(RulesClassifier):
    """The rules, counting how often the classification step is reached."""

    calls: int = 0

    def classify(self, features: Any, context: Any) -> Classification:
        Counting.calls += 1
        return super().classify(features, context)


# --- bots ---------------------------------------------------------------------------------------

def test_the_bots_are_flagged_only_after_their_first_window_closed():
    for bot in (linear_steps_bot(), bezier_bot()):
        events = sorted(bot.events, key=lambda e: e["timestamp"])
        third_focus = [e["timestamp"] for e in events if e["type"] == "form_focus"][2]
        assert third_focus - bot.t0 > EITPConfig().inference.buffer_window_ms  # the hold is what stops them


def test_linear_steps_and_bezier_bots_get_no_packet_and_never_reach_classification():
    for bot in (linear_steps_bot(), bezier_bot()):
        Counting.calls = 0
        packets, bots = run(bot.batches(), Engine(classifier=Counting()))
        assert packets == [], [p["emotion"]["primary"] for p in packets]
        assert bots and bots[-1].verdict.classification == "bot"
        assert "sub_15ms_intervals" in bots[-1].verdict.signals
        assert "human" not in [b.verdict.classification for b in bots]
        assert Counting.calls == 0


def test_nothing_is_emitted_for_a_bot_even_batch_by_batch():
    engine = Engine()
    for batch in linear_steps_bot().batches():
        assert not any(isinstance(o, PacketOut) for o in engine.ingest(batch))
    assert engine.close_all() == []


# --- humans -------------------------------------------------------------------------------------

def hesitant_buyer(seconds: int = 48) -> Visit:
    """The paralysed buyer's shape: tier cards, prices, pauses, on pricing."""
    v = Visit(section="pricing").move(500, 480, 600)
    for i in range(seconds // 8):
        v.near("tier_card", "tier-base" if i % 2 else "tier-adventure", x=400 + 400 * (i % 2), y=500,
               pause_ms=1300 + 100 * (i % 3), dwell_ms=2000, move_ms=350)
        v.near("price", "price-main", x=480, y=300, dwell_ms=1800 + 150 * (i % 2), pause_ms=900, move_ms=300)
        v.drift(1200 + 200 * (i % 3), speed=45)
    return v


def test_a_humans_packets_are_released_once_the_wait_is_over_and_are_unchanged():
    batches = hesitant_buyer().batches()
    t0 = batches[0]["events"][0]["timestamp"]
    engine = Engine()
    released_at = None
    released: list[dict] = []
    for batch in batches:
        out = engine.ingest(batch)
        got = [o.packet for o in out if isinstance(o, PacketOut)]
        if got and released_at is None:
            released_at = max(e["timestamp"] for e in batch["events"]) - t0
            verdicts = [o.verdict.classification for o in out if isinstance(o, BotOut)]
            assert verdicts == ["human"]  # released by the verdict, in the same step
        released += got
    released += [o.packet for o in engine.close_all() if isinstance(o, PacketOut)]
    # the first packet goes out with the batch that completes the wait, no later
    assert released_at is not None and WAIT_MS <= released_at < WAIT_MS + 3000
    # exactly the packets an engine without the wait gives, in the same order
    unheld = Engine(EITPConfig().with_overrides({"inference.bot_wait_ms": 0}))
    expected = [o.packet for b in batches for o in unheld.ingest(b) if isinstance(o, PacketOut)]
    expected += [o.packet for o in unheld.close_all() if isinstance(o, PacketOut)]
    assert released == expected and len(released) >= 4


def test_a_human_visit_shorter_than_the_wait_gets_its_packets_when_it_closes():
    batches = hesitant_buyer(seconds=24).batches()
    engine = Engine()
    during = [o for b in batches for o in engine.ingest(b)]
    assert not any(isinstance(o, PacketOut) for o in during)
    at_close = [o.packet for o in engine.close_all() if isinstance(o, PacketOut)]
    assert len(at_close) >= 2 and [p["timestamp"] for p in at_close] == sorted(p["timestamp"] for p in at_close)
