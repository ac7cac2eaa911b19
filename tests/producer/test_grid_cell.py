"""The proximity grid's cell size (spec 3.5, Appendix C 160 px): at 0 px the producer's index loop never
ends and the dealer page's main thread hangs at load.  The server's config refuses it like every
other size whose 0 is no "off" switch; a hand-written EITP_CONFIG keeps the default, with a warning."""

from __future__ import annotations

import asyncio

import pytest
from producer_harness import DEFAULT_CONFIG, make_config

from workbench.config import EITPConfig
from workbench.errors import ConfigError


@pytest.mark.parametrize("cell", [0, -160])
def test_the_server_config_refuses_a_grid_cell_under_one_pixel(cell):
    with pytest.raises(ConfigError, match="signal.grid_cell_px"):
        EITPConfig().with_overrides({"signal.grid_cell_px": cell})
    assert EITPConfig().with_overrides({"signal.grid_cell_px": 1}).signal.grid_cell_px == 1


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.browser
async def test_a_hand_written_grid_cell_of_zero_keeps_the_default_and_the_page_responsive(open_site):
    site = await open_site(config=make_config(signal={"gridCellPx": 0}), clock=True)
    page = site.page
    got = await asyncio.wait_for(page.evaluate("() => window.EITP.config.signal.gridCellPx"), 5)
    assert got == DEFAULT_CONFIG["signal"]["gridCellPx"] == 160
    index = await asyncio.wait_for(page.evaluate("() => window.EITP.proximityIndex()"), 5)
    assert index and all(len(e["cells"]) < 100 for e in index)
    # and the engine works: onto the first tracked element
    first = index[0]
    x = first["rect"]["left"] + 2
    y = first["rect"]["top"] + 2 - await page.evaluate("() => window.scrollY")
    await site.move_ticks([(x - 60, y), (x, y), (x + 1, y)])
    await site.flush()
    assert site.bridge.events(lambda t: t.endswith("_proximity_enter"))
