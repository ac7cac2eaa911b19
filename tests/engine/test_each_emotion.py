"""Every one of the 22 canonical emotions is reachable through the full engine (section 6).

Each scenario scripts a visit that shows the evidence the section 6 description names for
that emotion, sends the producer-shaped batches through :class:`Engine` (batches in, packets
out) and asserts the last packet's ``emotion.primary`` and its schema validity. The scenario
is written from the description, not from the rules: when one did not classify as intended,
the rule logic was changed for every input, never for the scenario.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.engine.telemetry import Visit, run
from workbench.protocol.schema import errors
from workbench.protocol.taxonomy import CANONICAL


def uncertainty() -> Visit:
    # "Ambiguous intent, insufficient signal to classify further": a few idle moves.
    return Visit(section="hero").move(700, 420, 500).rest(900).move(650, 380, 400).rest(700)


def decision_paralysis() -> Visit:
    # "Hovering over multiple options without committing. Repeated section revisits, dwell on
    # comparison elements."
    v = Visit(section="pricing").move(500, 500, 500)
    v.near("tier_card", "tier-base", x=400, y=500, pause_ms=1500, dwell_ms=2000, move_ms=300)
    v.near("tier_card", "tier-adventure", x=800, y=500, pause_ms=1600, dwell_ms=2000, move_ms=300)
    v.near("tier_card", "tier-base", x=400, y=500, pause_ms=700, dwell_ms=1000, move_ms=300)
    v.near("tier_card", "tier-adventure", x=800, y=500, pause_ms=700, dwell_ms=1000, move_ms=300)
    return v


def analysis_paralysis() -> Visit:
    # "Over-researching, unable to synthesize. Deep scrolling, tab switching, extended sessions."
    v = Visit(section="hero")
    sections = ["specifications", "floorplan", "features", "pricing", "financing"]
    for minute in range(5):
        for i, section in enumerate(sections):
            v.goto(section).move(500 + 40 * i, 420, 700).drift(1500, speed=60).rest(1200)
            v.scroll([min(95, 20 * i + 10 + 2 * minute)], speed=500)
        v.tab_away(12_000)
        v.move(560, 380, 600).rest(9000)
    # the last window: back through sections seen many times, deep on the page
    for section in ("specifications", "features", "pricing", "specifications"):
        v.goto(section).move(520, 410, 600).drift(1000, speed=60)
    v.scroll([88, 93, 95], speed=400)
    return v


def cognitive_load() -> Visit:
    # "Processing too much information simultaneously. Slowed mouse, erratic scroll, section bouncing."
    v = Visit(section="specifications")
    for section, depth in [("floorplan", 40), ("specifications", 30), ("features", 48), ("floorplan", 38),
                           ("pricing", 55), ("features", 45)]:
        v.goto(section).drift(1100, speed=35).scroll([depth], speed=300)
    return v


def confusion() -> Visit:
    # "Misunderstanding interface or content. Circular mouse motion, rage clicks on
    # non-interactive elements."
    v = Visit(section="features").move(500, 400, 500).circle(60).rest(700)
    v.click(tag="p", text="Sleeps 6").rest(600).click(tag="span", text="Slide-outs: 4")
    v.rage(4, tag="p", text="Sleeps 6").circle(50)
    return v


def deliberation() -> Visit:
    # "Active weighing of options — not stuck. Methodical section visits, steady pace."
    v = Visit(section="pricing").comparison()
    v.drift(1000, speed=90).rest(900)
    v.near("tier_card", "tier-base", x=v.x + 40, y=v.y, dwell_ms=1600, pause_ms=800, move_ms=800)
    v.drift(800, speed=90).rest(800)
    v.near("tier_card", "tier-adventure", x=v.x + 60, y=v.y, dwell_ms=1400, pause_ms=700, move_ms=800)
    return v


def ambivalence() -> Visit:
    # "Equal pull toward multiple options. Alternating between items without deepening on either."
    v = Visit(section="pricing").move(600, 500, 400)
    for tier in ("tier-base", "tier-adventure") * 3:
        v.near("tier_card", tier, x=400 if tier == "tier-base" else 800, y=500, dwell_ms=700, move_ms=300)
    return v


def frustration() -> Visit:
    # "Repeated failed interactions. Rage clicks, high jerk, erratic velocity patterns."
    v = Visit(section="hero").move(700, 300, 400).click(tag="button", text="Check availability").rest(800)
    v.rage(5, tag="button").zigzag(12).rage(4, tag="button")
    return v


def overwhelm() -> Visit:
    # "Volume of choices or information exceeds processing capacity. Rapid shallow scrolling,
    # short dwell times."
    v = Visit(section="hero").move(700, 400, 300)
    for i, section in enumerate(["specifications", "floorplan", "features", "pricing", "financing", "reviews"]):
        v.goto(section).scroll([10 + 14 * i, 14 + 14 * i, 18 + 14 * i], every_ms=250, speed=2600)
        v.move(600 + 20 * i, 420, 300)
    return v


def anxiety() -> Visit:
    # "General tension in interaction pattern. Hesitant mouse, frequent pauses, incomplete actions."
    v = Visit(section="contact")
    for _ in range(4):
        v.drift(300, speed=35).rest(800)
    v.field("email", 2600, has_value=False).drift(300, speed=30).rest(700).field("phone", 2300, has_value=False)
    return v


def payment_anxiety() -> Visit:
    # "Specific tension around pricing or checkout. Dwelling on price elements, approaching and
    # retreating from purchase CTAs."
    v = Visit(section="financing").move(500, 450, 500)
    v.near("price", "monthly-payment", x=480, y=440, hover=True, dwell_ms=2600, pause_ms=1800, move_ms=300)
    v.near("purchase_button", "cta-buy", x=700, y=600, pause_ms=700, dwell_ms=1000, move_ms=300)
    v.near("price", "price-main", x=480, y=300, hover=True, dwell_ms=2000, pause_ms=1300, move_ms=300)
    v.near("purchase_button", "cta-buy", x=700, y=600, pause_ms=600, dwell_ms=900, move_ms=300)
    return v


def disengagement() -> Visit:
    # "Declining interaction, imminent abandonment. Decreasing events, exit intent signals, long inactivity."
    v = Visit(section="specifications")
    for i in range(6):
        v.move(400 + 60 * i, 400, 600).drift(1000, speed=120).scroll([10 + 5 * i])
    v.move(600, 300, 500).rest(3000).exit_intent().rest(2500).move(600, 400, 300).exit_intent()
    return v


def curiosity() -> Visit:
    # "Active exploration, increasing engagement. Accelerating scroll depth, section discovery,
    # click-throughs."
    v = Visit(section="hero").move(600, 420, 500)
    v.goto("specifications").scroll([12, 20], speed=700).drift(1200, speed=90)
    v.goto("features").scroll([30, 38], speed=900).drift(800, speed=90)
    v.near("learn_more", "features-more", x=650, y=500, dwell_ms=900)
    v.click(tag="a", text="Learn more", cls="learn-more").goto("floorplan").scroll([48, 55], speed=1000)
    return v


def exploratory_engagement() -> Visit:
    # "Broad browsing without a specific target. Wide section coverage, moderate pace, no
    # repeated revisits."
    v = Visit(section="hero").move(600, 420, 700)
    for i, section in enumerate(["specifications", "floorplan", "features", "reviews"]):
        v.goto(section).drift(1400, speed=110).scroll([6 + 4 * i], speed=600)
    return v


def purchase_intent() -> Visit:
    # "Behavioral signals of imminent conversion. CTA proximity, form interaction, pricing focus."
    v = Visit(section="pricing").move(600, 450, 700).drift(800, speed=80)
    v.near("purchase_button", "cta-reserve", x=700, y=520, click=True, dwell_ms=1500)
    v.goto("contact").field("name", 1800, has_value=True).field("email", 2200, has_value=True)
    return v


def urgency() -> Visit:
    # "Time-pressured decision making. High velocity, direct navigation, minimal browsing."
    v = Visit(section="hero").move(1200, 150, 250).move(300, 600, 250).move(900, 650, 250)
    v.emit("purchase_button_proximity_enter", distance=0, over=True, element_type="purchase_button",
           elementId="cta-buy", intent="high")
    v.click(tag="button", cls="btn cta buy", text="Buy now", id="cta-buy")
    v.move(400, 200, 250).move(1000, 500, 250)
    v.goto("contact").field("phone", 900, has_value=True)
    return v


def trust_building() -> Visit:
    # "Seeking validation signals. Focus on reviews, credentials, testimonials, about pages."
    v = Visit(section="reviews").move(500, 400, 500)
    for _ in range(3):
        v.drift(1400, speed=70).rest(800)
    v.goto("testimonials").drift(1500, speed=70).rest(900)
    return v


def validation_seeking() -> Visit:
    # "Confirming a tentatively made decision. Returning to a previously viewed item, checking
    # details again."
    v = Visit(section="specifications").move(500, 400, 500).drift(2000, speed=70).rest(800)
    v.goto("pricing").move(600, 500, 500).drift(4000, speed=70).rest(900).move(650, 450, 400)
    v.drift(2500, speed=60)  # the first window closes here
    v.goto("specifications").move(520, 380, 500).rest(1400).select("Dry weight: 9,450 lbs").rest(1100)
    v.drift(1500, speed=60).select("Sleeps 6")
    return v


def satisfaction() -> Visit:
    # "Positive outcome signal. Smooth navigation post-action, decreased urgency metrics."
    v = Visit(section="contact").move(500, 400, 600)
    v.field("name", 1500, has_value=True).field("email", 2000, has_value=True).submit()
    v.drift(6000, speed=50)  # the conversion window closes during the calm afterwards
    v.goto("features").move(600, 450, 900).drift(2500, speed=60).scroll([42], speed=300)
    return v


def hesitation() -> Visit:
    # "Interest combined with reluctance. Approaching then retreating from CTAs, dwell near
    # conversion points."
    v = Visit(section="hero").move(500, 400, 500)
    v.near("purchase_button", "cta-buy", x=700, y=300, pause_ms=1500, dwell_ms=2400)
    v.drift(800, speed=60)
    v.near("purchase_button", "cta-buy", x=700, y=300, pause_ms=1200, dwell_ms=2000)
    return v


def price_sensitivity() -> Visit:
    # "Focused attention on pricing elements. Price text selection, pricing tier comparison,
    # payment calculator interaction."
    v = Visit(section="pricing").comparison().move(500, 400, 500)
    v.near("price", "price-base", x=400, y=420, dwell_ms=900)
    v.select("Base package $59,995", price="$59,995")
    v.near("price", "price-adventure", x=800, y=420, dwell_ms=900)
    v.select("Adventure package $64,495", price="$64,495")
    return v


def comparison_shopping() -> Visit:
    # "Active comparison behavior. Tab switching (especially long returns), multi-item viewing,
    # pricing comparison events."
    v = Visit(section="pricing").comparison().move(500, 450, 600)
    v.near("tier_card", "tier-base", x=400, y=500, dwell_ms=1000)
    v.tab_away(45_000)
    v.near("tier_card", "tier-ultimate", x=1000, y=500, dwell_ms=1000)
    return v


SCENARIOS: dict[str, Callable[[], Visit]] = {f.__name__: f for f in (
    uncertainty, decision_paralysis, analysis_paralysis, cognitive_load, confusion, deliberation, ambivalence,
    frustration, overwhelm, anxiety, payment_anxiety, disengagement,
    curiosity, exploratory_engagement, purchase_intent, urgency, trust_building, validation_seeking, satisfaction,
    hesitation, price_sensitivity, comparison_shopping,
)}


def test_there_is_a_scenario_for_each_of_the_22_emotions():
    assert sorted(SCENARIOS) == sorted(CANONICAL) and len(SCENARIOS) == 22


@pytest.mark.parametrize("emotion", sorted(SCENARIOS))
def test_scenario_reaches_its_emotion_through_the_engine(emotion):
    visit = SCENARIOS[emotion]()
    packets, bots = run(visit.batches())
    assert packets, "the engine produced no packet"
    assert all(v.verdict.classification != "bot" for v in bots), [v.verdict for v in bots]
    for p in packets:
        assert errors(p, "packet") == [], errors(p, "packet")
    last = packets[-1]
    scores_hint = [p["emotion"]["primary"] for p in packets]
    assert last["emotion"]["primary"] == emotion, f"packets said {scores_hint}, patterns {last['patterns']}"
    assert 0 < last["emotion"]["confidence"] <= 1 and 0 < last["emotion"]["intensity"] <= 1


def test_overwhelm_with_the_cursor_resting_while_the_wheel_flicks():
    # Rapid shallow scrolling done as people do it with a wheel: the hand on the mouse stays still, so
    # the producer reports one long rest (when it reaches 5 s, "inactive"; the rest of it goes unreported)
    # while the page flicks down and up through the sections under it. What lies under the cursor changes
    # about every half second: those are the short dwells of overwhelm, not the 10 s the cursor rested.
    v = Visit(section="hero").move(700, 400, 300)
    rest_from = v.t
    sections = ["specifications", "floorplan", "features", "pricing", "financing", "reviews", "features", "floorplan"]
    for i, section in enumerate(sections):
        depth = 12 + 9 * i if i < 6 else 60 - 10 * (i - 5)
        v.goto(section).scroll([depth, depth + 4], every_ms=480 + 45 * (i % 5), speed=3100 + 260 * (i % 4))
    v.emit("mouse_pause", at=rest_from + 5000, duration=5000, x=v.x, y=v.y, viewport={"relX": 0.5, "relY": 0.4},
           inactive=True)
    v.move(720, 380, 250).rest(3000).move(520, 300, 400)
    packets, _ = run(v.batches())
    said = [p["emotion"]["primary"] for p in packets]
    assert "overwhelm" in said, f"packets said {said}, patterns {[p['patterns'] for p in packets]}"
