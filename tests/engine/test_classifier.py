"""Rules over hand-built windows: each scenario shows the evidence its section 6 description names."""

from tests.conftest import ev, mouse_path
from workbench.config import EITPConfig
from workbench.engine.classifier import Context, classify
from workbench.engine.features import extract
from workbench.protocol.taxonomy import CANONICAL

CFG = EITPConfig()


def run(events, ctx=None, seen=()):
    ctx = ctx or Context()
    feats = extract(sorted(events, key=lambda e: e["timestamp"]), seen_sections=seen, config=CFG)
    return feats, classify(feats, ctx, CFG.classifier)


def tier_hover(ts, tier):
    return ev("tier_card_hover", ts, over=True, element_type="tier_card", elementId=tier)


def test_tier_oscillation_with_long_dwells_is_decision_paralysis():
    events = mouse_path(0, 40) + [
        tier_hover(500, "tier-base"), ev("mouse_pause", 2000, duration=1800, x=1, y=1),
        tier_hover(3000, "tier-adventure"), ev("mouse_pause", 4500, duration=2000, x=1, y=1),
        tier_hover(6000, "tier-base"), tier_hover(7500, "tier-adventure"),
    ]
    feats, result = run(events, Context(pricing_visits=2))
    assert feats.tier_alternations == 3 and feats.long_pauses == 2
    assert result.emotion == "decision_paralysis"
    assert "price_comparison_between_tiers" in result.patterns
    assert 0 < result.confidence <= 1 and 0 < result.intensity <= 1


def test_the_same_oscillation_without_dwelling_is_ambivalence_not_paralysis():
    events = mouse_path(0, 40) + [tier_hover(500 + 1200 * i, t) for i, t in
                                  enumerate(["tier-base", "tier-adventure"] * 3)]
    _, result = run(events)
    assert result.emotion == "ambivalence"


def test_rage_click_on_a_button_is_frustration():
    target = {"tag": "button", "class": "btn", "id": "btn-availability", "text": "Check Availability"}
    events = mouse_path(0, 20) + [ev("click", 1000 + 120 * i, "hero", x=5, y=5, target=target) for i in range(4)]
    events.append(ev("rage_click", 1400, "hero", count=4, area=30))
    _, result = run(events)
    assert result.emotion == "frustration" and "rage_clicks" in result.patterns


def test_rage_click_on_plain_text_and_circling_is_confusion():
    target = {"tag": "p", "class": "", "id": "", "text": "Sleeps 6"}
    events = mouse_path(0, 20) + [ev("click", 1000 + 150 * i, "features", target=target) for i in range(3)]
    events += [ev("rage_click", 1300, "features", count=3, area=10), ev("circular_motion", 2000, "features",
                                                                         circularity=0.9, radius=40, duration=500)]
    _, result = run(events)
    assert result.emotion == "confusion"


def test_long_tab_return_is_comparison_shopping():
    events = mouse_path(0, 10) + [ev("tab_switch", 600, action="away", activeTime=600),
                                  ev("tab_switch", 40_600, action="return", awayDuration=40_000, totalSwitches=1),
                                  ev("long_tab_return", 40_601, awayDuration=40_000, sessionTime=41_000)]
    _, result = run(events)
    assert result.emotion == "comparison_shopping"


def cta_visit(t, hover=True, click=False):
    """Cursor nears the Buy button, maybe reaches it, maybe clicks, then moves away."""
    out = [ev("purchase_button_proximity_enter", t, "hero", distance=50, over=False, element_type="purchase_button",
              elementId="cta-buy")]
    if hover:
        out.append(ev("purchase_button_hover", t + 300, "hero", over=True, element_type="purchase_button",
                      elementId="cta-buy"))
    out.append(ev("mouse_pause", t + 900, "hero", duration=800, x=1, y=1))
    if click:
        out.append(ev("click", t + 1000, "hero", target={"tag": "button", "class": "btn cta"}))
    out.append(ev("purchase_button_proximity_leave", t + 1300, "hero", element_type="purchase_button",
                  elementId="cta-buy", dwellMs=1300))
    return out


def test_reaching_a_purchase_cta_and_retreating_is_hesitation():
    feats, result = run(mouse_path(0, 30, section="hero") + cta_visit(300) + cta_visit(2500))
    assert feats.cta_retreats == 2
    assert result.emotion == "hesitation"


def test_passing_within_the_radius_is_not_an_approach_and_a_click_is_not_a_retreat():
    feats, _ = run(mouse_path(0, 30, section="hero") + cta_visit(300, hover=False) + cta_visit(2500, click=True))
    assert feats.cta_retreats == 0


def test_quiet_window_is_uncertainty_never_unknown():
    _, result = run(mouse_path(0, 5))
    assert result.emotion == "uncertainty"
    assert result.emotion.value in CANONICAL


def test_every_rule_score_is_bounded():
    events = mouse_path(0, 60) + [tier_hover(100 * i, f"t{i % 3}") for i in range(30)]
    _, result = run(events)
    assert set(result.scores) <= set(CANONICAL)
    assert all(0.0 <= s <= 1.0 for s in result.scores.values())


def test_every_emotion_but_uncertainty_has_a_documented_rule():
    from workbench.engine.classifier import RULES

    by_emotion = {r(extract([], seen_sections=(), config=CFG), Context(), CFG.classifier).emotion: r for r in RULES}
    assert {e.value for e in by_emotion} == set(CANONICAL) - {"uncertainty"}
    for emotion, fn in by_emotion.items():
        assert fn.__doc__ and fn.__doc__.count('"') >= 2, f"{emotion}: quote the section 6 evidence"


def test_thresholds_come_from_the_config():
    events = mouse_path(0, 40) + [
        tier_hover(500, "tier-base"), ev("mouse_pause", 2000, duration=1800, x=1, y=1),
        tier_hover(3000, "tier-adventure"), ev("mouse_pause", 4500, duration=2000, x=1, y=1),
        tier_hover(6000, "tier-base"), tier_hover(7500, "tier-adventure"),
    ]
    feats = extract(events, seen_sections=(), config=CFG)
    assert classify(feats, Context(pricing_visits=2), CFG.classifier).emotion == "decision_paralysis"
    stricter = CFG.classifier.model_copy(update={"tier_alternations": 6})
    assert classify(feats, Context(pricing_visits=2), stricter).emotion != "decision_paralysis"


def test_confidence_and_intensity_grow_with_the_evidence():
    weak = [tier_hover(500 + 1500 * i, t) for i, t in enumerate(["tier-base", "tier-adventure"] * 2)]
    strong = [tier_hover(500 + 700 * i, t) for i, t in enumerate(["tier-base", "tier-adventure"] * 4)]
    _, a = run(mouse_path(0, 40) + weak)
    _, b = run(mouse_path(0, 40) + strong)
    assert a.emotion == b.emotion == "ambivalence"
    assert b.intensity > a.intensity and b.confidence > a.confidence


def test_high_jerk_is_high_for_20hz_samples():
    # Jerk from 20 Hz samples is a third finite difference: the calm paralysed-buyer demo's window
    # p90 is 70k-250k px/s^3 and SapiMouse players' ~940k. Only well above that is it "high jerk".
    from workbench.engine.classifier import frustration
    from workbench.engine.features import Features

    calm = frustration(Features(jerk_p90=250_000, zigzags=2, n_mouse=200), Context(), CFG.classifier)
    wild = frustration(Features(jerk_p90=1_500_000, zigzags=2, n_mouse=200), Context(), CFG.classifier)
    assert "high_jerk" not in calm.patterns and "high_jerk" in wild.patterns
    assert wild.score > calm.score
    assert frustration(Features(jerk_p90=5_000_000, n_mouse=200), Context(), CFG.classifier).score < 0.35


def test_a_window_with_no_evidence_is_uncertainty_even_with_min_confidence_zero():
    # the threshold lab sweeps min_confidence down to 0; a window no rule scores must not divide by zero
    config = EITPConfig().with_overrides({"classifier.min_confidence": 0.0})
    result = classify(extract([], seen_sections=(), config=config), Context(), config.classifier)
    assert result.emotion.value == "uncertainty"
    assert max(result.scores.values()) == 0
