"""Tab tracker (spec 3.7) for a page opened in a background tab (a middle-click on a listing): its first
view starts the visit.  It is no return from elsewhere: no tab_switch "return" without an "away", and
no long_tab_return, the comparison-shopping signal, however long the tab waited.  Later switches
count as usual."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

LOADED_HIDDEN = "Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});"


async def test_the_first_view_of_a_tab_opened_in_the_background_is_no_return(open_site):
    site = await open_site(clock=True, init_script=LOADED_HIDDEN)
    await site.tick(40_000)                # the tab waits in the background for 40 s
    await site.set_visibility("visible")   # the visitor opens it for the first time
    await site.tick(10_000)                # and reads it for 10 s
    await site.flush()
    assert site.bridge.events(lambda t: t in ("tab_switch", "long_tab_return")) == []
    # then leaves for 31 s and comes back: that is a switch, and a long one
    await site.set_visibility("hidden")
    await site.tick(31_000)
    await site.set_visibility("visible")
    await site.flush()
    tabs = [e["data"] for e in site.bridge.events("tab_switch")]
    assert tabs == [{"action": "away", "activeTime": 10_000},
                    {"action": "return", "awayDuration": 31_000, "totalSwitches": 1}]
    assert [e["data"]["awayDuration"] for e in site.bridge.events("long_tab_return")] == [31_000]
