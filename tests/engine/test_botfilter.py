"""Section 8 rules as read on the producer's stream (see the botfilter module docstring).

Each rule has its bot case and the nearest human case: the real-person behaviour that comes
closest to the rule without being automation.
"""

import pytest

from tests.conftest import ev, mouse_path
from workbench.config import BotConfig
from workbench.engine.botfilter import BotEvidence, assess
from workbench.engine.ipreputation import BUNDLED, load, parse
from workbench.errors import ConfigError

CFG = BotConfig()
HUMAN_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"


def verdict(batches, ua=HUMAN_UA, closed_at=None, ip=None, config=CFG):
    evidence = BotEvidence(config)
    for b in batches:
        evidence.add_batch(sorted(b, key=lambda e: e["timestamp"]), ua, ip)
    evidence.closed_at = closed_at
    return assess(evidence, config, wait_batches=3)


def quiet(t0=0):
    """Three ordinary batches of mouse movement."""
    return [mouse_path(t0, 20), mouse_path(t0 + 3000, 20), mouse_path(t0 + 6000, 20)]


def click(ts, x=400.0, y=300.0, tag="button"):
    return ev("click", ts, x=x, y=y, target={"tag": tag, "class": "", "id": "", "text": ""})


def sample(ts, x, y):
    return ev("mouse", ts, x=x, y=y, vx=0, vy=0, ax=0, ay=0, jx=0, jy=0, speed=0, jerk=0)


# --- 8.1 -----------------------------------------------------------------------------------

def test_tick_synchronous_proximity_events_do_not_count_as_fast_actions():
    # Entering a cluster of elements: many enter/hover events on one sampler tick.
    cluster = [ev(f"{k}_proximity_enter", 1000, distance=10, element_type=k) for k in ("price", "cta", "tier_card")]
    cluster += [ev("tier_card_hover", 1000), ev("price_hover", 1000)]
    batches = [mouse_path(0, 20) + cluster, mouse_path(3000, 20), mouse_path(6000, 20)]
    assert verdict(batches).classification == "human"


def test_scripted_clicks_within_15ms_are_a_bot():
    clicks = [click(1000 + 5 * i, x=100 + 40 * i) for i in range(5)]
    v = verdict([mouse_path(0, 5) + clicks])
    assert v.classification == "bot" and "sub_15ms_intervals" in v.signals


def test_a_fast_human_rage_click_is_not_sub_15ms():
    clicks = [click(1000 + 90 * i) for i in range(5)]
    clicks.append(ev("rage_click", 1270, count=4, area=20))
    assert verdict([mouse_path(0, 20) + clicks, mouse_path(3000, 5), mouse_path(6000, 5)]).classification == "human"


def test_a_chattering_mouse_button_is_one_press_not_a_bot():
    # Measured in SapiMouse: a worn switch fires runs of clicks 10-13 ms apart on one pixel.
    chatter = [click(1000 + 11 * i, x=333, y=117) for i in range(10)]
    assert verdict([mouse_path(0, 20) + chatter, *quiet(3000)[:2]]).classification == "human"
    # The same timing across different points is a script.
    scripted = [click(1000 + 11 * i, x=333 + 25 * i, y=117) for i in range(10)]
    assert "sub_15ms_intervals" in verdict([mouse_path(0, 20) + scripted]).signals


def test_metronomic_actions_have_low_timing_cv():
    clicks = [click(1000 + 700 * i, tag="a") for i in range(10)]
    assert "timing_regularity" in verdict([clicks]).signals
    human = [click(1000 + t, tag="a") for t in (0, 650, 1500, 1900, 3100, 3500, 4700, 5000, 6400, 6900)]
    assert "timing_regularity" not in verdict([human]).signals


def test_batch_rates():
    clicks = [click(1000 + 40 * i, x=10 * i) for i in range(51)]
    assert "click_rate" in verdict([clicks]).signals
    assert "click_rate" not in verdict([clicks[:50]]).signals
    scrolls = [ev("scroll", 1000 + 20 * i, depth=1, maxDepth=1, velocity=10, direction="down") for i in range(101)]
    assert "scroll_rate" in verdict([scrolls]).signals
    assert "scroll_rate" not in verdict([scrolls[:100]]).signals


def test_connection_only_probe_after_ten_seconds():
    probe = [[ev("connection", 1000, userAgent="x")], [ev("viewport_resize", 5000, width=1, height=1)]]
    assert verdict(probe).classification == "uncertain"
    assert "connection_only" in verdict(probe, closed_at=11_500).signals
    assert verdict(probe, closed_at=10_500).classification == "uncertain"  # exactly >10 s is required
    # A reader who moves the mouse once is not a probe, however long the tab stays open.
    assert "connection_only" not in verdict(probe + [mouse_path(20_000, 3)], closed_at=60_000).signals


def test_user_agents():
    for ua in ("Mozilla/5.0 HeadlessChrome/156.0", "python-requests/2.31", "Googlebot/2.1", "curl/8.1"):
        assert "user_agent" in verdict([mouse_path(0, 3)], ua=ua).signals, ua
    assert verdict(quiet(), ua=HUMAN_UA).classification == "human"


# --- 8.2 -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("ip", "provider"), [("3.91.10.20", "aws"), ("35.190.1.1", "gcp"), ("20.70.1.1", "azure"),
                                              ("159.89.10.10", "digitalocean"), ("2a01:4f8:c0c:1::1", "hetzner"),
                                              ("::ffff:54.160.1.1", "aws")])
def test_datacenter_ip_is_a_bot(ip, provider):
    v = verdict(quiet(), ip=ip)
    assert v.classification == "bot" and "datacenter_ip" in v.signals
    assert provider in v.reasoning and ip not in v.reasoning  # the log names the provider, never the address


@pytest.mark.parametrize("ip", ["198.51.100.7", "127.0.0.1", "10.1.2.3", "192.168.1.20", "8.8.8.8", "2001:db8::1",
                                "not-an-ip", ""])
def test_residential_private_and_unparsable_ips_are_human(ip):
    assert verdict(quiet(), ip=ip).classification == "human"


def test_the_datacenter_list_is_documented_parsed_and_overridable(tmp_path):
    header = BUNDLED.read_text().splitlines()[:12]
    assert any("CURATED SUBSET" in line for line in header) and any("2026-" in line for line in header)
    assert any("ip-ranges.amazonaws.com" in line for line in header)
    assert load().size > 100
    custom = tmp_path / "ranges.txt"
    custom.write_text("# test list\n203.0.113.0/24 testcloud\n")
    config = BotConfig(datacenter_ranges_file=str(custom))
    assert "testcloud" in verdict(quiet(), ip="203.0.113.9", config=config).reasoning
    assert verdict(quiet(), ip="3.91.10.20", config=config).classification == "human"
    with pytest.raises(ConfigError, match="line|:2"):
        parse("10.0.0.0/8 ok\n10.0.0.300/8 bad\n")


def scrolls(times, velocities, depth0=10):
    return [ev("scroll", t, depth=depth0 + 2 * i, maxDepth=depth0 + 2 * i, velocity=v, direction="down")
            for i, (t, v) in enumerate(zip(times, velocities, strict=True))]


def test_perfectly_linear_scrolling_is_a_bot():
    script = scrolls([1000 + 250 * i for i in range(8)], [1000] * 8)
    v = verdict([mouse_path(0, 5) + script, *quiet(3000)[:2]])
    assert v.classification == "bot" and "linear_scrolling" in v.signals


def test_equal_wheel_notches_at_human_timing_are_not_linear():
    # The nearest human: every wheel notch moves the page the same 100 px, but the notches come
    # when the finger rolls, not on a timer, and smooth scrolling makes each burst's speed differ.
    human = scrolls([1000, 1180, 1420, 1600, 1950, 2100, 2390, 2700], [930, 1000, 960, 1010, 880, 990, 1040, 950])
    assert "linear_scrolling" not in verdict([mouse_path(0, 5) + human, *quiet(3000)[:2]]).signals
    # Even a steady rhythm is not enough when the speeds vary, nor constant speed at a varying rhythm.
    rhythm = scrolls([1000 + 250 * i for i in range(8)], [820, 1000, 910, 1150, 860, 1090, 950, 1210])
    assert "linear_scrolling" not in verdict([rhythm]).signals
    # Direction changes break a run.
    mixed = scrolls([1000 + 250 * i for i in range(8)], [1000] * 8)
    mixed[4]["data"]["direction"] = "up"
    assert "linear_scrolling" not in verdict([mixed]).signals


def test_an_action_right_as_the_page_arrives_is_instant_navigation():
    bot = [ev("connection", 1000, userAgent="x"), click(1004)]
    v = verdict([bot + mouse_path(1100, 10)])
    assert v.classification == "bot" and "instant_navigation" in v.signals
    human = [ev("connection", 1000, userAgent="x"), *mouse_path(1050, 12), click(1700)]
    assert "instant_navigation" not in verdict([human]).signals


def test_clicks_after_a_cursor_jump_within_one_tick_are_instant_navigation():
    # page.mouse.click(x, y): the pointer jumps 600 px and clicks before the next 50 ms tick,
    # which then finds the cursor on the click point.
    events = [sample(1000, 100, 100), click(1020, 700, 500), sample(1050, 700, 500),
              sample(2000, 700, 500), click(2010, 100, 600), sample(2050, 100, 600)]
    v = verdict([events])
    assert v.classification == "bot" and "instant_navigation" in v.signals
    # One such click is not enough (a human can flick and click once).
    assert "instant_navigation" not in verdict([events[:3]]).signals


def test_a_fast_human_approach_is_not_a_jump():
    # The nearest human: a fast aimed movement whose last samples approach the target.
    events = []
    for k, (sx, sy) in enumerate([(100, 100), (300, 250), (550, 420), (680, 490), (698, 499)]):
        events.append(sample(1000 + 50 * k, sx, sy))
    events += [click(1260, 700, 500), sample(1300, 700, 500)]
    events += [sample(2000 + 50 * k, 700 - 150 * k, 500 + 25 * k) for k in range(5)]
    events += [click(2230, 100, 600), sample(2250, 100, 600)]
    assert "instant_navigation" not in verdict([events]).signals
    # Touch taps and keyboard activation do not move the cursor: not judged either.
    taps = [sample(1000, 100, 100), click(1020, 700, 500), sample(1500, 110, 100), click(1600, 0, 0),
            sample(1650, 120, 100), click(1700, 900, 700)]
    assert "instant_navigation" not in verdict([taps]).signals


def hover(ts, kind="cta"):
    return ev(f"{kind}_hover", ts, over=True, element_type=kind, elementId=f"{kind}-{ts}")


def test_hover_burst_off_the_sampler_tick_is_a_bot():
    burst = [hover(1000 + 8 * i) for i in range(6)]  # 6 hovers in 40 ms, on 6 timestamps
    v = verdict([mouse_path(0, 20) + burst])
    assert v.classification == "bot" and "hover_burst" in v.signals


def test_nested_elements_hovered_on_one_tick_are_human():
    # The nearest human: the cursor lands on a price inside a tier card inside a CTA block:
    # the producer emits all their hovers on one sampler tick, then the next ones 50 ms later.
    nested = [hover(1000, k) for k in ("price", "tier_card", "cta", "purchase_button", "learn_more")]
    nested += [hover(1050, k) for k in ("price", "tier_card")]
    assert "hover_burst" not in verdict([mouse_path(0, 20) + nested, *quiet(3000)[:2]]).signals


def test_ghost_form_submission_is_a_bot():
    v = verdict([mouse_path(0, 20) + [ev("form_submit", 1500, id="lead", action="/lead", method="POST")]])
    assert v.classification == "bot" and "ghost_form_submit" in v.signals


def test_a_submit_after_filling_a_field_or_clicking_submit_is_human():
    typed = [ev("form_focus", 1000, type="email", name="email", id="email"),
             ev("form_blur", 4000, type="email", name="email", duration=3000, hasValue=True),
             ev("form_submit", 4100, id="lead", action="/lead", method="POST")]
    assert "ghost_form_submit" not in verdict([mouse_path(0, 20) + typed]).signals
    clicked = [click(1000), ev("form_submit", 1010, id="lead", action="/lead", method="POST")]
    assert "ghost_form_submit" not in verdict([mouse_path(0, 20) + clicked]).signals
    # ... but a second submission with no new interaction is a ghost again.
    again = typed + [ev("form_submit", 9000, id="lead", action="/lead", method="POST")]
    assert "ghost_form_submit" in verdict([mouse_path(0, 20) + again]).signals


def test_verdict_carries_the_section_8_3_log_fields():
    v = verdict([[ev("form_submit", 1500, id="lead")]], ua="python-requests/2.31")
    assert v.classification == "bot" and 0 < v.confidence <= 1
    assert set(v.signals) == {"user_agent", "ghost_form_submit"} and v.event_count == 1
    assert "python-requests" in v.reasoning and "without any field focus" in v.reasoning


def test_what_a_click_causes_is_not_a_second_action():
    # A person clicking field labels (the label moves focus to its field), double-click-selecting
    # words (the selection follows the mouseup's click) and pressing submit (submit follows click).
    events = []
    for k, t in enumerate((1000, 2500, 4000)):
        events += [click(t, x=300, y=200 + 60 * k, tag="label"), ev("form_focus", t + 1, type="text", name=f"f{k}")]
    for k, t in enumerate((5000, 6000, 7000)):
        events += [click(t, x=500 + 80 * k, y=400, tag="p"), ev("text_selection", t + 2, text="word", length=4)]
    events += [click(8000, x=640, y=700), ev("form_submit", 8001, id="lead", action="/lead", method="POST")]
    assert verdict([mouse_path(0, 20) + events, *quiet(9000)[:2]]).classification == "human"


def test_zero_hold_presses_on_fields_are_fast_actions():
    # page.click on a field: focus on mousedown, click on mouseup 1 ms later, three times over.
    events = []
    for k, t in enumerate((1000, 1900, 2800)):
        events += [ev("form_focus", t, type="text", name=f"f{k}"), click(t + 1, x=300, y=200 + 60 * k, tag="input")]
    v = verdict([mouse_path(0, 20) + events])
    assert v.classification == "bot" and "sub_15ms_intervals" in v.signals


def test_a_configured_range_list_that_is_missing_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load(str(tmp_path / "missing.txt"))


def test_instant_navigation_is_judged_on_every_page_the_session_loads():
    first_page = [ev("connection", 1000, userAgent="x"), *mouse_path(1050, 20), click(1900)]
    second_page = [ev("connection", 5000, userAgent="x"), click(5003, x=700)]
    assert "instant_navigation" not in verdict([first_page]).signals
    assert "instant_navigation" in verdict([first_page, second_page]).signals


# --- a chain of same-pixel clicks is one press only while it stays short --------------------------

def test_an_auto_clicker_on_one_pixel_is_not_a_bouncing_switch():
    # 100 Hz auto-clicker: 12 batches of 50 clicks at one point, 10 ms apart, irregular gaps between batches
    starts, t = [], 1000
    for gap in (2300, 3700, 2900, 4100, 3300, 2600, 3900, 3100, 4400, 2800, 3600, 0):
        starts.append(t)
        t += 490 + gap
    batches = [[click(s + 10 * i, x=640, y=360) for i in range(50)] for s in starts]
    v = verdict(batches)
    assert v.classification == "bot" and "sub_15ms_intervals" in v.signals, v


def test_a_chatter_burst_shorter_than_the_bounce_chain_is_one_press():
    # SapiMouse user54: 9 clicks on one pixel 10-13 ms apart, ~95 ms from first to last
    burst = [click(1000 + dt, x=511, y=287) for dt in (0, 11, 23, 35, 46, 58, 70, 83, 95)]
    evidence = BotEvidence(CFG)
    for b in [mouse_path(0, 20) + burst, *quiet(3000)[:2]]:
        evidence.add_batch(sorted(b, key=lambda e: e["timestamp"]), HUMAN_UA)
    assert evidence.action_ts == [1000]
    assert assess(evidence, CFG, wait_batches=3).classification == "human"
    # the chain length is the configured one: cut below the burst's span, the tail counts as actions
    short = BotConfig(bounce_chain_ms=50)
    assert "sub_15ms_intervals" in verdict([mouse_path(0, 20) + burst], config=short).signals


# --- user agents: crawlers and HTTP clients, never a real phone or browser ------------------------

@pytest.mark.parametrize("ua", [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) "
    "Chrome/116.0.1938.76 Safari/537.36",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Twitterbot/1.0",
    "PostmanRuntime/7.36.0",
    "HTTPie/3.2.2",
    "GuzzleHttp/7",
    "undici",
    "Python/3.11 websockets/16.0",  # the websockets library's default, on the bridge's WebSocket
    "Mozilla/5.0 (linux) AppleWebKit/537.36 (KHTML, like Gecko) jsdom/24.0.0",
    "Mediapartners-Google",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.71 Mobile Safari/537.36 (compatible; Google-InspectionTool/1.0;)",
    "FeedFetcher-Google; (+http://www.google.com/feedfetcher.html)",
    "YandexImages/3.0 (compatible; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; Fetchy/0.1; +https://example.org/about-our-fetcher)",
])
def test_crawler_and_http_client_user_agents_are_bots(ua):
    assert "user_agent" in verdict([mouse_path(0, 3)], ua=ua).signals


@pytest.mark.parametrize("ua", [
    HUMAN_UA,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36 Edg/120.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; Cubot Note 20) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 "
    "Chrome/115.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile "
    "Safari/537.36 OPR/79.0.4195.76465",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "GSA/295.0.590048842 Mobile/15E148 Safari/604.1",
])
def test_real_browser_user_agents_are_not_bots(ua):
    assert "user_agent" not in verdict(quiet(), ua=ua).signals


# --- 8.2 instant navigation looks forward from the page's arrival only ----------------------------

def test_a_late_click_from_before_the_latest_page_arrived_is_not_instant_navigation():
    first_page = [ev("connection", 0, userAgent="x"), sample(3000, 400, 300)]
    second_page = [ev("connection", 10_000, userAgent="x")]
    late = [click(9000)]  # the previous page's unload flush, arriving after the next page connected
    assert "instant_navigation" not in verdict([first_page, second_page, late]).signals


# --- 8.2 order-dependent rules read each event with its own page (README "Late batches") ------------

def test_a_late_unload_flush_with_hovers_is_not_a_hover_burst():
    # page 1 ends with four hovers 300 ms apart; page 2's first batch (one hover) lands before that flush
    first_page = [ev("connection", 0, userAgent="x"), sample(3000, 400, 300)]
    flush = [hover(9000 + 300 * i) for i in range(4)]
    second_page = [ev("connection", 10_500, userAgent="x"), hover(10_600)]
    assert verdict([first_page, flush, second_page]).classification == "human"  # in order
    late = verdict([first_page, second_page, flush])
    assert "hover_burst" not in late.signals, late.reasoning


def test_a_late_click_is_measured_from_its_own_page_cursor():
    # each page's cursor rests where it clicks a link; the click and the tick after it go out in the unload
    # flush, which lands after the next page's first batch. Read against the next page's cursor (500 px
    # away), each such click, with the tick after it on the click point, looked like a teleport-click.
    def page(t0, x):
        return [ev("connection", t0, userAgent="x"), *[sample(t0 + 100 + 50 * i, x, 300) for i in range(20)]]

    def flush(t, x):
        return [click(t, x), sample(t + 50, x, 300)]

    p1, f1, p2, f2, p3 = page(0, 400), flush(1500, 400), page(2000, 900), flush(3500, 900), page(4000, 400)
    assert "instant_navigation" not in verdict([p1, f1, p2, f2, p3]).signals  # in order
    late = verdict([p1, p2, f1, p3, f2])
    assert "instant_navigation" not in late.signals, late.reasoning


def test_a_page_that_takes_over_keeps_the_engagement_before_it():
    # focus on page 1, the Enter-key submit after page 2 connected (same visit, in event order): not a ghost
    first = [ev("connection", 0, userAgent="x"), ev("form_focus", 2000, fieldType="email")]
    second = [ev("connection", 5000, userAgent="x"), ev("form_submit", 6000, formId="f")]
    assert "ghost_form_submit" not in verdict([first, second]).signals
    assert "ghost_form_submit" in verdict([[ev("connection", 0, userAgent="x"),
                                           ev("form_submit", 6000, formId="f")]]).signals


def test_many_reloads_and_a_flush_older_than_every_page_kept():
    pages = [[ev("connection", 1000 * i, userAgent="x"), sample(1000 * i + 100, 400, 300)] for i in range(1, 20)]
    ancient = [ev("connection", 500, userAgent="x"), hover(600), click(700)]  # older than all the pages kept
    result = verdict([*pages, ancient])
    assert result.classification == "human", result.reasoning
