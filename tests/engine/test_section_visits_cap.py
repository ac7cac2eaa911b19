"""A session counts the entries of a bounded number of sections (workbench/engine/core.py ``SECTIONS_KEPT``).

Section names are the page's ``section[id]``s: a page that makes up a new one for every event must not grow a
session without bound (memory, and every window re-reading them all), while a visit to a real site, a handful of
sections a page, is counted as before.
"""

from __future__ import annotations

import copy
import itertools
import tracemalloc
from collections import Counter
from collections.abc import Iterable, Iterator

from tests.engine.telemetry import Visit
from workbench.engine import core
from workbench.engine.core import Engine, PacketOut


def reader(minutes: float, *, section: str = "hero") -> Visit:
    """A person reading: slow drift, a stroke and a pause every 10 s (judged human after the bot wait)."""
    v = Visit(section=section)
    v.move(700, 420, 300).click(tag="a", cls="card", text="Arctic Wolf").drift(300)
    for _ in range(round(minutes * 6)):
        v.drift(9000).move(v.x - 300, v.y + 10, 500).rest(600)
    return v


def made_up_names(batches: list[dict]) -> Iterator[dict]:
    """Every event in a section of its own, a 64-character name (the longest :func:`name_token` takes); each batch
    made as it is fed, so that its names are held by whatever keeps them afterwards, as at the bridge."""
    n = 0
    for batch in batches:
        batch = copy.deepcopy(batch)
        for event in batch["events"]:
            event["currentSection"] = f"s{n:063d}"
            n += 1
        yield batch


def feed(engine: Engine, batches: Iterable[dict]) -> list[PacketOut]:
    return [o for b in batches for o in engine.ingest(b) if isinstance(o, PacketOut)]


def test_a_page_making_up_a_section_per_event_grows_a_session_by_a_bounded_amount():
    batches = made_up_names(reader(6).batches())  # ~7,000 events, each its own section
    engine = Engine()
    tracemalloc.start()
    try:
        packets = feed(engine, itertools.islice(batches, 60))  # past the bot wait: classified
        before = tracemalloc.get_traced_memory()[0]
        packets += feed(engine, batches)  # the last ~60 batches
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(packets) > 30  # a person: its windows were classified (and their sections counted)
    # the ~3,600 sections of the last ~60 batches took ~550 KiB (~150 bytes each); with 512 kept, ~60 KiB
    assert grown < 200 * 1024, grown


def test_a_session_keeps_the_sections_it_entered_last():
    engine = Engine()
    feed(engine, made_up_names(reader(6).batches()))
    state = engine.sessions[Visit().session]
    kept = sorted(int(name[1:]) for name in state.section_visits)
    assert len(kept) == core.SECTIONS_KEPT and kept == list(range(kept[0], kept[0] + core.SECTIONS_KEPT))
    assert int(state.current_section[1:]) == kept[-1]  # the one the visitor is in: the last one entered


def test_entries_are_counted_as_before_for_the_sections_kept(monkeypatch):
    monkeypatch.setattr(core, "SECTIONS_KEPT", 3)
    visits: Counter[str] = Counter()
    for section in ("hero", "pricing", "specs", "pricing", "hero", "reviews", "pricing"):
        core._entered(visits, section)
    # "specs" was the least recently entered when "reviews" came: forgotten; the others keep their counts
    assert visits == {"hero": 2, "reviews": 1, "pricing": 3}
    assert list(visits) == ["hero", "reviews", "pricing"]  # least recently entered first
    core._entered(visits, "specs")  # entered again: counted afresh, and "hero" goes
    assert visits == {"reviews": 1, "pricing": 3, "specs": 1}


def test_a_real_visit_gives_the_same_packets_whatever_the_cap_above_its_sections(monkeypatch):
    v = reader(0.5, section="inventory")
    for section in ("pricing", "specs", "pricing", "reviews", "gallery", "pricing", "financing", "specs") * 3:
        v.goto(section).drift(4000).move(v.x + 200, v.y - 40, 400).rest(700)
    batches, default = v.batches(), core.SECTIONS_KEPT

    def packets(cap: int) -> list[dict]:
        monkeypatch.setattr(core, "SECTIONS_KEPT", cap)
        engine = Engine()
        out = [o for b in copy.deepcopy(batches) for o in engine.ingest(b)] + engine.close_all()
        return [o.packet for o in out if isinstance(o, PacketOut)]

    uncapped = packets(10**9)
    assert max(p["spatial"]["visitCount"] for p in uncapped) >= 6  # pricing, entered again and again
    assert packets(default) == packets(6) == uncapped  # 6: the visit's own sections, all kept
    assert packets(3) != uncapped  # fewer: counts restart, which the packets show
