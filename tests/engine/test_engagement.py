"""Typing and reading are engagement, not disengagement (issue #6, EITP v1.1 sections 3.1, 3.8, 6, 10.2).

"Disengagement: declining interaction, imminent abandonment. Decreasing events, exit intent
signals, long inactivity." Two visitors who are neither leaving nor idle were classified so:

* a buyer typing a long message into the lead form: keystrokes are never telemetry (section 10.2),
  so the window spent typing holds a ``form_focus`` in an earlier window, a resting cursor, the
  producer's 5 s ``inactive`` pause, and nothing else;
* a calm reader whose cursor rests (lazy sub-20 px/s movements, section 3.2 pauses) while the
  wheel moves the page, ending the visit with a short last window after a busy one.

The telemetry below has the shape of the failing real sessions (``workbench run --persona
calm_researcher,confident_purchaser --virtual-time``): same event types, rates and timings.
"""

from __future__ import annotations

import pytest

from tests.engine.telemetry import Visit, run
from workbench.config import EITPConfig
from workbench.engine.features import extract

CFG = EITPConfig()


def browse(v: Visit, seconds: int) -> Visit:
    """Busy browsing: aimed moves, short reading drifts and a wheel scroll, about every 2 s (uneven
    spacing and speeds, as a hand gives: even ones are the section 8.2 linear-scroll bot)."""
    for i in range(seconds // 2):
        v.move(420 + 60 * (i % 5), 380 + 25 * (i % 3), 500).drift(900 + 170 * (i % 3), speed=90)
        v.scroll([5 + 3 * i], every_ms=300 + 110 * (i % 4), speed=600 + 95 * (i % 5))
    return v


def lazy_read(v: Visit, ms: float, *, every_ms: tuple[float, ...] = (450, 700, 520, 900, 610)) -> Visit:
    """Read with the hand on the mouse, as the producer reports it: the cursor creeps by a pixel now
    and then (a sample below the 20 px/s micro-movement speed of section 3.2, then a stop sample),
    and the whole rest is one pause, reported ``inactive`` when it reaches 5 s (section 3.1)."""
    start, end, i = v.t, v.t + ms, 0
    while v.t + every_ms[i % len(every_ms)] + 100 <= end:
        v.idle(every_ms[i % len(every_ms)]).drift(50, speed=16).drift(50, speed=0)
        i += 1
    v.idle(end - v.t)
    pause = {"x": v.x, "y": v.y, "viewport": {"relX": 0.4, "relY": 0.4}}
    if ms >= 5000:
        v.emit("mouse_pause", at=start + 5000, duration=5000, inactive=True, **pause)
    elif ms > 500:
        v.emit("mouse_pause", duration=round(ms), **pause)
    return v


def type_into(v: Visit, field: str, ms: float) -> Visit:
    """Click into a field and type for ``ms``: focus, a resting cursor, blur with a value (3.8)."""
    v.click(tag="input", id=field)
    v.emit("form_focus", type="text", name=field, id=field)
    v.rest(ms)  # hands on the keyboard: no samples; the producer's inactive pause at 5 s
    return v.emit("form_blur", type="text", name=field, id=field, duration=round(ms), hasValue=True)


def emotions(v: Visit) -> list[str]:
    packets, bots = run(v.batches())
    assert packets and all(b.verdict.classification != "bot" for b in bots)
    return [p["emotion"]["primary"] for p in packets]


# --- the failing sessions -------------------------------------------------------------------

def test_typing_a_long_message_with_the_mouse_still_is_not_disengagement():
    v = Visit(section="hero")
    browse(v, 18)
    v.goto("contact").move(900, 420, 600)
    type_into(v, "lead-name", 2600).move(900, 480, 400)
    type_into(v, "lead-message", 14_000)  # a long message: 14 s with no telemetry but the focus
    v.move(920, 620, 500).click(tag="button", cls="btn-primary", id="lead-submit").submit()
    v.move(700, 500, 600).drift(2000, speed=40)
    seen = emotions(v)
    assert "disengagement" not in seen, seen
    assert {"purchase_intent", "satisfaction"} & set(seen), seen


def test_slow_steady_reading_ending_in_a_short_window_is_not_disengagement():
    v = Visit(section="specifications")
    browse(v, 10)
    for depth, section in ((38, "specifications"), (52, "floorplan"), (66, "features")):
        v.goto(section).scroll([depth], speed=450)
        lazy_read(v, 5200).move(v.x + 80, v.y + 30, 500)  # a block read with a resting cursor
        lazy_read(v, 3800)
    browse(v.goto("reviews"), 10)  # a busy window: moving and scrolling through the reviews
    v.goto("contact").scroll([96], speed=450)
    lazy_read(v, 5600)  # the FAQ (4 s), the hand at rest (1.5 s), and the visit ends: a short last window
    seen = emotions(v)
    assert "disengagement" not in seen, seen


# --- what still is disengagement ------------------------------------------------------------

def test_a_visitor_who_stops_doing_anything_is_still_disengaged():
    v = Visit(section="specifications")
    browse(v, 22)
    v.rest(9000).move(v.x + 30, v.y, 300).rest(9000).move(v.x - 30, v.y, 300)  # nothing but two nudges
    seen = emotions(v)
    assert seen[-1] == "disengagement", seen


def test_a_field_left_focused_does_not_hide_exit_intent():
    v = Visit(section="contact")
    browse(v, 22)
    v.click(tag="input", id="lead-name").emit("form_focus", type="text", name="lead-name", id="lead-name")
    v.move(600, 300, 500).rest(2500).exit_intent().rest(2000).move(600, 400, 300).exit_intent()
    seen = emotions(v)
    assert seen[-1] == "disengagement", seen


# --- the features the rule reads ------------------------------------------------------------

def window(v: Visit, lo: float, hi: float) -> list[dict]:
    return [e for e in sorted(v.events, key=lambda e: e["timestamp"]) if lo <= e["timestamp"] - v.t0 < hi]


def test_a_focus_carried_into_a_window_covers_it():
    v = Visit(section="contact").move(700, 420, 500)
    type_into(v, "lead-message", 14_000)  # focus at ~0.7 s, the producer's inactive pause at ~5.7 s, blur at ~14.7 s
    first = extract(window(v, 0, 5000), seen_sections=(), config=CFG, window_ms=10_000)
    assert first.focused_fields == ("lead-message",) and first.focused_ms > 0
    typing = window(v, 5000, 14_000)  # a window in the middle of the message: the inactive pause only
    f = extract(typing, seen_sections=(), config=CFG, window_ms=10_000, focused_before=first.focused_fields,
                last_active_before=first.last_active_ts)
    assert f.focused_fields == ("lead-message",) and f.focused_ms == f.window_ms == 10_000
    assert f.idle_ms == 0.0 and f.events_per_window(10_000, CFG.classifier.rate_min_window_ms) is None
    # without the carried focus, the same window is 5 s of inactivity and an almost empty window
    blind = extract(typing, seen_sections=(), config=CFG, window_ms=10_000, last_active_before=first.last_active_ts)
    assert blind.focused_ms == 0.0 and blind.idle_ms >= 5000
    assert blind.events_per_window(10_000, CFG.classifier.rate_min_window_ms) == 1.0
    # the blur's duration (3.8) tells when a focus began that the window did not see
    with_blur = extract(window(v, 5000, 20_000), seen_sections=(), config=CFG)
    assert with_blur.focused_fields == () and with_blur.idle_ms == 0.0
    assert with_blur.focused_ms == with_blur.window_ms  # from the pause (its first event) to the blur


def test_resting_samples_and_pauses_are_not_activity_but_a_scroll_is():
    v = Visit(section="features").move(700, 420, 500)
    lazy_read(v, 6000)
    resting = extract(window(v, 0, 10_000), seen_sections=(), config=CFG)
    assert resting.idle_ms >= CFG.signal.inactivity_ms  # creeping samples and the pause are not activity
    w = Visit(section="features").move(700, 420, 500)
    lazy_read(w, 3000).scroll([40], speed=300)
    lazy_read(w, 3000)
    reading = extract(window(w, 0, 10_000), seen_sections=(), config=CFG)
    assert 3000 <= reading.idle_ms < 4000  # the wheel split the rest in two


def test_event_rates_compare_a_short_last_window_with_a_full_one():
    v = Visit(section="features").move(600, 400, 500).drift(3000, speed=60)
    f = extract(v.events, seen_sections=(), config=CFG, window_ms=None)
    assert f.window_ms < 4000
    full = f.events_per_window(10_000, 0)
    assert full is not None and full > 2 * f.n_events  # scaled up to a 10 s window
    assert f.events_per_window(10_000, CFG.classifier.rate_min_window_ms) is None  # too short to judge


# --- a blur that names its field differently from its focus (Appendix A) ----------------------------

def email_then_idle(blur: dict) -> Visit:
    """Focus the e-mail field (a focus carries name and id), type for 10 s, blur with ``blur``'s
    fields (in the next 10 s window), then sit idle: a blur from a producer that sends no id must
    still end the focus."""
    v = Visit(section="contact").move(700, 420, 500)
    v.click(tag="input", id="em").emit("form_focus", type="email", name="email", id="em")
    v.rest(10_000)
    v.emit("form_blur", type="email", duration=10_000, hasValue=True, **blur)
    return v.rest(9000).move(650, 380, 400)


@pytest.mark.parametrize("blur", [{"name": "email"}, {"id": "em"}, {"name": "email", "id": "em"}])
def test_a_blur_closes_the_focus_of_the_same_name_or_the_same_id(blur):
    v = email_then_idle(blur)
    first = extract(window(v, 0, 5000), seen_sections=(), config=CFG, window_ms=10_000)
    assert first.focused_fields == ("em",)
    rest = extract(window(v, 5000, 25_000), seen_sections=(), config=CFG, window_ms=20_000,
                   focused_before=first.open_fields, last_active_before=first.last_active_ts)
    assert rest.focused_fields == ()
    assert rest.idle_ms >= 8000  # the idle stretch after the blur is not hidden behind a focused field
    whole = extract(window(v, 0, 25_000), seen_sections=(), config=CFG)
    assert whole.focused_fields == () and whole.idle_ms >= 8000


def test_a_blur_of_another_field_leaves_the_focus_open():
    v = email_then_idle({"name": "phone"})
    assert extract(window(v, 0, 25_000), seen_sections=(), config=CFG).focused_fields == ("em",)


def test_the_engine_carries_a_focus_across_windows_until_its_blur_without_id(monkeypatch):
    from workbench.engine import core

    seen = []
    real = core.extract
    monkeypatch.setattr(core, "extract", lambda events, **kw: seen.append(real(events, **kw)) or seen[-1])
    v = email_then_idle({"name": "email"})
    browse(v, 24)  # past the bot wait, so every window is classified
    run(v.batches())
    assert seen[0].focused_fields == ("em",)  # the first window ends with the field focused
    assert all(f.focused_fields == () for f in seen[1:])  # the next one has the blur without id


def test_a_focus_elsewhere_ends_a_field_whose_blur_was_lost():
    # a page has one focused element (document.activeElement): fields focused one after another with no
    # blur between (a lost blur, or a script) leave only the last one open, so what a window carries into
    # the next stays one field instead of growing by one per focus for the rest of the session
    v = Visit(section="contact").move(700, 420, 500)
    for i in range(5):
        v.click(tag="input", id=f"f{i}").emit("form_focus", type="text", name=f"n{i}", id=f"f{i}")
        v.rest(800)
    first = extract(v.events, seen_sections=(), config=CFG, window_ms=10_000)
    assert first.focused_fields == ("f4",)
    focused_at = next(e["timestamp"] for e in v.events if e["type"] == "form_focus")
    assert first.focused_ms == 10_000 - (focused_at - v.events[0]["timestamp"])  # one field after another
