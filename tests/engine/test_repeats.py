"""A batch delivered twice is read once (workbench/engine/repeats.py).

The producer re-sends the events of an HTTP POST that failed or went unanswered for a keepalive interval
(sites/producer/eitp-producer.js ``requeue``), though the bridge may have published them already. Read
twice, each hand action is 0 ms from its copy: three make the section 8.1 "intervals < 15 ms" rule fire
on a person, and every packet of the visit is dropped.
"""

from __future__ import annotations

import copy

from tests.engine.telemetry import Visit
from workbench.config import EITPConfig
from workbench.engine import repeats
from workbench.engine.core import BotOut, Engine, Output


def shopper() -> list[dict]:
    """A visitor who clicks three times in the first batch, then reads for half a minute."""
    v = Visit(section="inventory")
    v.move(700, 420, 300).click(tag="a", cls="card", text="Arctic Wolf").drift(300)
    v.click(tag="button", cls="tab", text="Specs").drift(300).click(tag="button", cls="tab", text="Floor plan")
    v.drift(2000).goto("pricing").move(650, 380, 900).drift(3000).rest(1500).drift(4000).move(300, 500, 700)
    v.drift(8000).goto("reviews").drift(6000).move(800, 200, 600).drift(9000)
    return v.batches()


def replay(batches: list[dict], engine: Engine | None = None) -> list[Output]:
    engine = engine or Engine()
    return [o for b in copy.deepcopy(batches) for o in engine.ingest(b)] + engine.close_all()


def verdicts(outputs: list[Output]) -> list[tuple[str, tuple[str, ...]]]:
    return [(o.verdict.classification, o.verdict.signals) for o in outputs if isinstance(o, BotOut)]


def test_a_batch_delivered_twice_gives_the_same_verdict_and_packets_as_once():
    batches = shopper()
    once = replay(batches)
    assert verdicts(once) == [("human", ())] and len(once) > 3
    twice = replay(batches[:1] + batches[:1] + batches[1:])
    assert twice == once


def test_a_batch_resent_later_in_a_new_envelope_beside_newer_events_is_read_once():
    batches = shopper()
    once = replay(batches)
    # the POST hung for transport.keepalive_ms and was aborted: its events go back to the front of the buffer
    # and leave with the next flush, whose newer events are kept
    resent = copy.deepcopy(batches[1])
    again = copy.deepcopy(batches[0]["events"])[::-1]  # order within a batch is no identity
    for e in again:
        e["data"] = dict(reversed(list(e["data"].items())))  # nor is the order of a re-built object's keys
    resent["events"] = again + resent["events"]
    assert replay(batches[:1] + [resent] + batches[2:]) == once


def test_a_repeat_within_one_batch_is_dropped_too():
    batches = shopper()
    doubled = copy.deepcopy(batches)
    doubled[0]["events"] = [e for e in doubled[0]["events"] for _ in (0, 1)]
    assert replay(doubled) == replay(batches)


def test_a_repeat_after_the_close_does_not_reopen_the_session():
    batches = shopper()
    engine = Engine()
    for b in copy.deepcopy(batches):
        engine.ingest(b)
    sid = batches[0]["sessionId"]
    engine.close_session(sid, at=batches[-1]["timestamp"] + 100)
    state = engine.closed.get(sid)
    evidence = (state.bot.batches, state.bot.events)
    assert engine.ingest(copy.deepcopy(batches[-1])) == []  # the last POST, answered too late, sent again
    assert sid not in engine.sessions and (state.bot.batches, state.bot.events) == evidence


def test_events_that_differ_in_anything_are_all_read():
    v = Visit(section="pricing").move(600, 400, 300)
    v.emit("pricing_nav_hover", over=True, element_type="pricing_nav", elementId="a", meta={})
    v.emit("tier_card_hover", over=True, element_type="tier_card", elementId="a", meta={})  # same tick
    v.emit("tier_card_hover", over=True, element_type="tier_card", elementId="b", meta={})
    v.emit("tier_card_hover", over=True, element_type="tier_card", elementId="b", meta={}, section="hero")
    events = v.batches()[0]["events"]
    assert repeats.fresh(b"", repeats.fingerprints(events)).all()


def test_the_memory_of_a_session_is_its_last_max_buffer_events():
    config = EITPConfig()
    engine = Engine(config)
    v = Visit(section="pricing").move(600, 400, 300).drift(60_000, speed=30)
    for b in v.batches():
        engine.ingest(b)
    kept = engine.sessions[v.session].recent_events
    assert len(v.events) > config.transport.max_buffer
    assert len(kept) == 8 * config.transport.max_buffer
    last = repeats.fingerprints(v.events[-config.transport.max_buffer:])
    assert not repeats.fresh(kept, last).any()  # the latest are all remembered
