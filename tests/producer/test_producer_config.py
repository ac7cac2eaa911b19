"""Configuration (Appendix C): the producer's defaults are the spec's (and the server's), every
signal and transport threshold is taken from window.EITP_CONFIG, and an override changes the
behaviour, not just the number."""

from __future__ import annotations

import math

import pytest
from producer_harness import DEFAULT_CONFIG, make_config

from workbench.config import SignalConfig, TransportConfig

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

NO_CONFIG_PAGE = """<!DOCTYPE html><html><head><title>no config</title></head><body>
<section id="s" style="height: 2000px"><p>Nothing configured.</p></section>
<script src="/eitp/producer.js"></script></body></html>"""

# Appendix C "Transport" rows the producer applies (the rest of TransportConfig is the bridge's own).
APPENDIX_C_TRANSPORT = ["batchSize", "flushIntervalMs", "priorityFlush", "maxBuffer", "reconnectBaseMs",
                        "reconnectMaxMs", "reconnectMaxAttempts", "keepaliveMs", "maxMessageBytes",
                        "maxEventsPerSecond"]


async def test_defaults_are_the_spec_and_the_server_defaults(open_site):
    site = await open_site("/rv/noconfig.html", html=NO_CONFIG_PAGE)
    cfg = await site.eitp("config")
    server_signal = SignalConfig().model_dump(by_alias=True)
    server_transport = TransportConfig().model_dump(by_alias=True)
    assert cfg["signal"] == server_signal                      # every Appendix C signal row, same values
    for key in APPENDIX_C_TRANSPORT:
        assert cfg["transport"][key] == server_transport[key], key
    spec = {"samplingHz": 20, "historySize": 100, "microMovementPxS": 20, "dwellMs": 500, "circularity": 0.85,
            "circleMinRadiusPx": 20, "zigzagChanges": 6, "zigzagMinMovePx": 30, "zigzagDebounceMs": 300,
            "rageClicks": 3, "rageWindowMs": 500, "scrollDebounceMs": 100, "gridCellPx": 160, "enterRadiusPx": 140,
            "spatialHysteresisPx": 12, "timeHysteresisMs": 600, "viewportBoundaryPx": 100, "exitVelocityPxS": 400,
            "resizeDebounceMs": 250, "longAbsenceMs": 30000, "fieldAbandonmentMs": 2000, "inactivityMs": 5000}
    assert {k: cfg["signal"][k] for k in spec} == spec
    assert {k: cfg["transport"][k] for k in APPENDIX_C_TRANSPORT} == {
        "batchSize": 50, "flushIntervalMs": 3000, "priorityFlush": 40, "maxBuffer": 500, "reconnectBaseMs": 1000,
        "reconnectMaxMs": 30000, "reconnectMaxAttempts": 5, "keepaliveMs": 30000, "maxMessageBytes": 50000,
        "maxEventsPerSecond": 500}
    assert cfg["vertical"] == "rv_dealer" and cfg["tenantId"] == "org_workbench"


async def test_every_threshold_is_read_from_eitp_config(open_site):
    def bump(v):
        return v * 2 + 1 if isinstance(v, int) and not isinstance(v, bool) else (v * 1.5 if isinstance(v, float) else v)

    signal = {k: bump(v) for k, v in DEFAULT_CONFIG["signal"].items()}
    transport = {k: bump(v) for k, v in DEFAULT_CONFIG["transport"].items()}
    cfg = make_config(signal=signal, transport=transport, vertical="auto_dealer", tenantId="org_cfg")
    site = await open_site(config=cfg, wait_connected=False)
    got = await site.eitp("config")
    assert {k: got["signal"][k] for k in signal} == signal
    assert {k: got["transport"][k] for k in transport} == transport
    assert got["vertical"] == "auto_dealer" and got["tenantId"] == "org_cfg"


# (override, check): each runs on its own page with the fake clock
async def check_sampling(site):
    await site.move_ticks([(300 + 10 * i, 400) for i in range(10)], ms=100)
    await site.flush()
    ts = [e["timestamp"] for e in site.bridge.events("mouse")]
    assert len(ts) == 10 and {b - a for a, b in zip(ts, ts[1:], strict=False)} == {100}
    assert len(await site.page.evaluate("() => window.EITP.history()")) == 5


async def check_rage(site):
    b = await site.box("#btn-availability")
    x, y = b["x"] + 10, b["y"] + 10
    for gap in (0, 301, 1000, 300):                         # 2 clicks 301 ms apart, then 2 clicks 300 ms apart
        await site.tick(gap)
        await site.page.mouse.click(x, y)
    await site.flush()
    assert [e["data"]["count"] for e in site.bridge.events("rage_click")] == [2]


async def check_dwell(site):
    await site.scroll_to("#features")
    await site.tick(150)
    await site.move_ticks([(300, 400), (320, 400)])
    await site.tick(700)                                    # 750 ms rest: below the 800 ms override
    await site.move_ticks([(420, 400), (520, 400)])
    await site.tick(3000)                                   # resting: reported at the 2000 ms inactivity override
    await site.flush()
    pauses = [e["data"] for e in site.bridge.events("mouse_pause")]
    assert len(pauses) == 1 and pauses[0]["inactive"] is True and 2000 <= pauses[0]["duration"] < 2050


async def check_radius(site):
    b = await site.box("#cta-buy")
    x = b["x"] + b["width"] / 2
    await site.move_ticks([(x, b["y"] - 200), (x, b["y"] - 61)])
    await site.flush()
    assert site.bridge.events("purchase_button_proximity_enter") == []
    await site.move_ticks([(x, b["y"] - 59), (x, b["y"] - 63)])   # enter at 59, leave beyond 62 (hysteresis 2)
    await site.flush()
    assert [e["data"]["distance"] for e in site.bridge.events("purchase_button_proximity_enter")] == [59]
    assert len(site.bridge.events("purchase_button_proximity_leave")) == 1


async def check_absence(site):
    await site.set_visibility("hidden")
    await site.tick(5001)
    await site.set_visibility("visible")
    await site.flush()
    assert [e["data"]["awayDuration"] for e in site.bridge.events("long_tab_return")] == [5001]


async def check_exit(site):
    await site.scroll_to("#features")
    await site.tick(150)
    await site.move_ticks([(640, 400), (640, 300), (640, 240), (640, 180)])   # 1200 px/s at y = 180
    await site.flush()
    ev = site.bridge.events("viewport_approach")
    assert [e["data"]["distance"] for e in ev] == [180]


async def check_circle(site):
    await site.scroll_to("#features")
    await site.tick(150)
    pts = [(640 + 21 * math.cos(math.radians(36 * k)), 420 + 21 * math.sin(math.radians(36 * k))) for k in range(10)]
    await site.move_ticks([(150, 650)] + pts)
    await site.flush()
    assert site.bridge.events("circular_motion") == []       # radius 21 < the 25 px override


async def check_zigzag(site):
    await site.scroll_to("#features")
    await site.tick(150)
    await site.move_ticks([(140, 420), (200, 420), (260, 420), (320, 420), (380, 420), (320, 420), (380, 420),
                           (320, 420), (380, 420), (320, 420)])   # 10 samples, 5 reversals > the 4 override
    await site.flush()
    assert [e["data"]["count"] for e in site.bridge.events("direction_changes")] == [5]


async def check_scroll_debounce(site):
    await site.scroll_to(500)
    await site.tick(299)
    await site.flush()
    assert site.bridge.events("scroll") == []
    await site.tick(1)
    await site.flush()
    assert len(site.bridge.events("scroll")) == 1


@pytest.mark.parametrize(("overrides", "check"), [
    ({"samplingHz": 10, "historySize": 5}, check_sampling),
    ({"rageClicks": 2, "rageWindowMs": 300}, check_rage),
    ({"dwellMs": 800, "inactivityMs": 2000}, check_dwell),
    ({"enterRadiusPx": 60, "spatialHysteresisPx": 2}, check_radius),
    ({"longAbsenceMs": 5000}, check_absence),
    ({"viewportBoundaryPx": 200, "exitVelocityPxS": 1100}, check_exit),
    ({"circleMinRadiusPx": 25}, check_circle),
    ({"zigzagChanges": 4}, check_zigzag),
    ({"scrollDebounceMs": 300}, check_scroll_debounce),
], ids=["sampling", "rage", "dwell", "radius", "absence", "exit", "circle", "zigzag", "scroll_debounce"])
async def test_signal_override_changes_behaviour(open_site, overrides, check):
    site = await open_site(config=make_config(signal=overrides), clock=True)
    await check(site)


async def test_a_hand_written_size_or_period_that_cannot_work_keeps_its_default(open_site):
    # EITPConfig refuses these; a page's own EITP_CONFIG is not checked by it. A batch size of 0 would
    # never end a batch loop, a flush interval of 0 spins a timer, a sampling rate of 0 never ticks
    transport = {"batchSize": 0, "flushIntervalMs": -5, "maxBuffer": "lots", "keepaliveMs": 0}
    cfg = make_config(signal={"samplingHz": 0}, transport=transport)
    site = await open_site(config=cfg)
    got = await site.eitp("config")
    assert {k: got["transport"][k] for k in transport} == {k: DEFAULT_CONFIG["transport"][k] for k in transport}
    assert got["signal"]["samplingHz"] == DEFAULT_CONFIG["signal"]["samplingHz"]
    await site.page.mouse.move(200, 200)
    await site.page.mouse.move(400, 300, steps=5)
    await site.flush()
    assert site.bridge.events("mouse")  # the page still batches and sends
