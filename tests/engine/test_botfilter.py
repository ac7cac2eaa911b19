"""Section 8.1 rules as read on the producer's stream (see the module docstring)."""

from tests.conftest import ev, mouse_path
from workbench.config import BotConfig
from workbench.engine.botfilter import BotEvidence, assess

CFG = BotConfig()
HUMAN_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"


def verdict(batches, ua=HUMAN_UA, closed_at=None):
    evidence = BotEvidence()
    for b in batches:
        evidence.add_batch(b, ua)
    evidence.closed_at = closed_at
    return assess(evidence, CFG, wait_batches=3)


def test_tick_synchronous_proximity_events_do_not_count_as_fast_actions():
    # Entering a cluster of elements: many enter/hover events on one sampler tick.
    cluster = [ev(f"{k}_proximity_enter", 1000, distance=10, element_type=k) for k in ("price", "cta", "tier_card")]
    cluster += [ev("tier_card_hover", 1000), ev("price_hover", 1000)]
    batches = [mouse_path(0, 20) + cluster, mouse_path(3000, 20), mouse_path(6000, 20)]
    assert verdict(batches).classification == "human"


def test_scripted_clicks_within_15ms_are_a_bot():
    clicks = [ev("click", 1000 + 5 * i, x=1, y=1, target={"tag": "button"}) for i in range(5)]
    v = verdict([mouse_path(0, 5) + clicks])
    assert v.classification == "bot" and "sub_15ms_intervals" in v.signals


def test_a_fast_human_rage_click_is_not_sub_15ms():
    clicks = [ev("click", 1000 + 90 * i, target={"tag": "button"}) for i in range(5)]
    clicks.append(ev("rage_click", 1270, count=4, area=20))
    assert verdict([mouse_path(0, 20) + clicks, mouse_path(3000, 5), mouse_path(6000, 5)]).classification == "human"


def test_metronomic_actions_have_low_timing_cv():
    clicks = [ev("click", 1000 + 700 * i, target={"tag": "a"}) for i in range(10)]
    v = verdict([clicks])
    assert "timing_regularity" in v.signals


def test_batch_rates():
    clicks = [ev("click", 1000 + 40 * i) for i in range(51)]
    assert "click_rate" in verdict([clicks]).signals
    scrolls = [ev("scroll", 1000 + 20 * i, depth=1, maxDepth=1, velocity=10, direction="down") for i in range(101)]
    assert "scroll_rate" in verdict([scrolls]).signals
    assert "scroll_rate" not in verdict([scrolls[:100]]).signals


def test_connection_only_probe_after_ten_seconds():
    probe = [[ev("connection", 1000, userAgent="x")], [ev("viewport_resize", 5000, width=1, height=1)]]
    assert verdict(probe).classification == "uncertain"
    assert "connection_only" in verdict(probe, closed_at=11_500).signals
    assert verdict(probe, closed_at=10_500).classification == "uncertain"  # exactly >10 s is required


def test_user_agents():
    for ua in ("Mozilla/5.0 HeadlessChrome/156.0", "python-requests/2.31", "Googlebot/2.1", "curl/8.1"):
        assert "user_agent" in verdict([mouse_path(0, 3)], ua=ua).signals, ua
    assert verdict([mouse_path(0, 3)] * 3, ua=HUMAN_UA).classification == "human"
