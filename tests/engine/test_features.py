"""Window features (numpy): each group reads what its section 3 tracker says, nothing more."""

import warnings

import pytest

from tests.conftest import ev, mouse_path
from workbench.config import EITPConfig
from workbench.engine.features import extract

CFG = EITPConfig()


def feats(events, seen=(), depth=0.0):
    return extract(sorted(events, key=lambda e: e["timestamp"]), seen_sections=seen, config=CFG,
                   scroll_depth_before=depth)


def test_empty_window_keeps_the_depth_it_started_at():
    f = feats([], depth=42)
    assert f.n_events == 0 and f.scroll_depth_max == 42 and f.scroll_depth_last == 42


def test_kinematics_statistics_are_over_moving_samples():
    events = mouse_path(0, 10, vx=100) + mouse_path(500, 10, vx=300) + mouse_path(1000, 10, vx=5)
    f = feats(events)
    assert f.n_mouse == 30
    assert f.moving_fraction == pytest.approx(20 / 30)
    assert f.speed_median == pytest.approx(200) and f.speed_p90 == pytest.approx(300)
    assert f.speed_cv == pytest.approx(0.5)  # speeds 100 and 300, half each: std 100 / mean 200


def test_pauses_circles_zigzags_rage():
    events = [ev("mouse_pause", 100, duration=800), ev("mouse_pause", 2000, duration=1600),
              ev("mouse_pause", 9000, duration=5000, inactive=True),
              ev("circular_motion", 3000, circularity=0.91, radius=40, duration=500),
              ev("circular_motion", 4000, circularity=0.96, radius=40, duration=500),
              ev("direction_changes", 5000, count=8, duration=500, avgSpeed=900),
              ev("click", 6000, target={"tag": "p"}), ev("click", 6100, target={"tag": "p"}),
              ev("click", 6200, target={"tag": "p"}), ev("rage_click", 6200, count=3, area=10),
              ev("click", 7000, target={"tag": "button", "class": "btn cta"})]
    f = feats(events)
    assert (f.pauses, f.long_pauses) == (3, 2)
    assert f.pause_ms == 7400 and f.pause_mean_ms == pytest.approx(7400 / 3)
    assert (f.circles, f.circularity_max, f.zigzags) == (2, 0.96, 1)
    assert (f.clicks, f.rage_clicks, f.rage_on_noninteractive, f.noninteractive_clicks, f.cta_clicks) == (4, 1, 1, 3, 1)


def test_exit_intent_and_tab_absences():
    events = [ev("viewport_approach", 100, edge="top", distance=20, velocity=800),
              ev("mouse_exit", 200, edge="top", angle=90, velocity=700),
              ev("mouse_exit", 300, edge="left", angle=180, velocity=700),
              ev("tab_switch", 400, action="away", activeTime=400),
              ev("tab_switch", 40_400, action="return", awayDuration=40_000, totalSwitches=1),
              ev("long_tab_return", 40_400, awayDuration=40_000, sessionTime=41_000),
              ev("tab_switch", 41_000, action="away", activeTime=600),
              ev("tab_switch", 46_000, action="return", awayDuration=5000, totalSwitches=2)]
    f = feats(events)
    assert (f.exit_approaches, f.exit_signals) == (1, 2)  # a side exit is not exit intent
    assert (f.tab_aways, f.tab_away_ms, f.long_tab_returns) == (2, 45_000, 1)


@pytest.mark.parametrize(("has_value", "duration", "abandoned"), [
    (False, 2001, True), (False, 2000, False), (True, 9000, False), (False, 300, False)])
def test_form_abandonment_is_empty_and_longer_than_2000ms(has_value, duration, abandoned):
    events = [ev("form_focus", 0, type="email", name="email"),
              ev("form_blur", duration, type="email", name="email", duration=duration, hasValue=has_value)]
    f = feats(events)
    assert f.form_abandons == int(abandoned) and f.form_filled == int(has_value) and f.form_focuses == 1


def test_proximity_dwell_and_approach_retreat_cycles():
    def visit(t, element, clicked):
        out = [ev("purchase_button_proximity_enter", t, element_type="purchase_button", elementId=element),
               ev("purchase_button_hover", t + 200, element_type="purchase_button", elementId=element)]
        if clicked:
            out.append(ev("click", t + 500, target={"tag": "button", "class": "btn cta"}))
        out.append(ev("purchase_button_proximity_leave", t + 900, element_type="purchase_button", elementId=element,
                      dwellMs=900))
        return out
    events = visit(0, "buy", False) + visit(2000, "buy", True) + visit(4000, "reserve", False)
    events += [ev("cta_proximity_enter", 6000, elementId="c1"), ev("cta_proximity_leave", 6500, elementId="c1",
                                                                    dwellMs=500)]  # passed by, never reached
    events += [ev("price_proximity_leave", 7000, elementId="p", dwellMs=2400), ev("price_hover", 6000, elementId="p")]
    f = feats(events)
    assert f.cta_retreats == 2 and f.cta_hovers == 3 and f.cta_enters == 4
    assert f.cta_dwell_ms == 3 * 900 + 500 and f.price_dwell_ms == 2400 and f.price_hovers == 1
    assert f.top_intent_kind == "purchase_button"


def test_tier_alternation_counts_switches_between_distinct_cards():
    hovers = [ev("tier_card_hover", 100 * i, elementId=t) for i, t in enumerate(["a", "a", "b", "a", "c", "c"])]
    f = feats(hovers)
    assert f.tier_alternations == 3 and f.distinct_tiers == 3


def test_sections_revisits_and_time_shares():
    events = [ev("mouse", 0, "hero", speed=0), ev("mouse", 1000, "pricing", speed=0),
              ev("mouse", 4000, "reviews", speed=0), ev("mouse", 6000, "pricing", speed=0),
              ev("mouse", 10_000, "pricing", speed=0)]
    f = feats(events, seen={"hero"})
    assert f.sections == ("hero", "pricing", "reviews", "pricing")
    assert f.revisits == 2 and f.new_sections == 2 and f.section_changes == 3
    assert f.pricing_share == pytest.approx(0.7) and f.trust_share == pytest.approx(0.2)


def test_a_dwell_on_one_view_ends_where_the_page_scrolled_under_the_resting_cursor():
    # the window opens with a click at 500; a 5 s rest (reported when it reached 5 s, at 6000) with three
    # scrolls within it and one just after it; and a 1 s rest with none: views of 5000 / 4 ms and 1000 ms
    opening = ev("click", 500, target={"tag": "p"})
    events = [opening, ev("mouse_pause", 6000, duration=5000, inactive=True),
              ev("scroll", 2000, depth=20, velocity=900, direction="down"),
              ev("scroll", 3000, depth=40, velocity=900, direction="down"),
              ev("scroll", 4500, depth=30, velocity=-900, direction="up"),
              ev("scroll", 6500, depth=50, velocity=900, direction="down"),
              ev("mouse_pause", 9000, duration=1000)]
    f = feats(events)
    assert f.pause_mean_ms == 3000  # the rests as the cursor had them
    assert f.view_dwell_mean_ms == pytest.approx(6000 / 5)  # 6 s of rest over 4 + 1 views
    assert feats([opening, ev("mouse_pause", 900, duration=400)]).view_dwell_mean_ms == 400
    assert feats([ev("scroll", 100, depth=20, velocity=900, direction="down")]).view_dwell_mean_ms == 0
    # a scroll at the very moment the rest began or ended cuts nothing
    edges = [opening, ev("scroll", 1000, depth=20, velocity=900, direction="down"),
             ev("mouse_pause", 2000, duration=1000), ev("scroll", 2000, depth=30, velocity=900, direction="down")]
    assert feats(edges).view_dwell_mean_ms == 1000


def test_a_rest_that_began_in_the_window_before_counts_from_this_window_s_first_event():
    # the rest began at 7000, before this window's first event (10000): the scrolls that cut it before
    # 10000 were the last window's, so only the 2 s since are read here, cut by this window's three scrolls
    events = [ev("scroll", 10_000, depth=20, velocity=900, direction="down"),
              ev("scroll", 10_500, depth=30, velocity=900, direction="down"),
              ev("scroll", 11_000, depth=40, velocity=900, direction="down"),
              ev("scroll", 11_500, depth=50, velocity=900, direction="down"),
              ev("mouse_pause", 12_000, duration=5000, inactive=True)]
    assert feats(events).view_dwell_mean_ms == pytest.approx(2000 / 4)


def test_a_negative_pause_duration_spoils_no_view_dwell():
    # no producer sends one, but a batch's data is the page's: it must not divide by zero or go negative
    scrolls = [ev("scroll", t, depth=20, velocity=900, direction="down") for t in (1500, 1600)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = feats([ev("click", 0, target={"tag": "p"}), ev("mouse_pause", 1000, duration=-1000), *scrolls])
        both = feats([ev("click", 0, target={"tag": "p"}), ev("mouse_pause", 1400, duration=100),
                      ev("mouse_pause", 1400, duration=-100), *scrolls])
    assert one.view_dwell_mean_ms == 0
    assert both.view_dwell_mean_ms == pytest.approx(100 / 2)


def test_scroll_reversals_velocity_and_depth_from_where_the_window_started():
    events = [ev("scroll", 100, depth=35, velocity=800, direction="down"),
              ev("scroll", 600, depth=60, velocity=1200, direction="down"),
              ev("scroll", 1200, depth=45, velocity=-600, direction="up"),
              ev("scroll", 1800, depth=52, velocity=400, direction="down")]
    f = feats(events, depth=30)
    assert f.scrolls == 4 and f.scroll_reversals == 2 and f.scroll_speed_mean == 750
    assert (f.scroll_depth_max, f.scroll_depth_last, f.scroll_depth_gain) == (60, 52, 30)
    up_only = feats([ev("scroll", 100, depth=20, velocity=-500, direction="up")], depth=70)
    assert up_only.scroll_depth_max == 70 and up_only.scroll_depth_gain == 0  # it started the window at 70


def test_numbers_no_producer_measures_count_as_malformed_and_spoil_no_statistic():
    events = mouse_path(0, 10, vx=100)
    for e, wild in zip(events[3:7], (1e308, -1e308, 10**20, 2**63), strict=True):
        e["data"]["speed"] = e["data"]["jerk"] = wild
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow warnings: a mean of 1e308s is inf
        f = feats(events)
    assert f.speed_median == pytest.approx(100) and f.speed_p90 == pytest.approx(100)
    assert f.moving_fraction == pytest.approx(6 / 10)  # the four wild samples read as standing still
