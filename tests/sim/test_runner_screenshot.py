"""The runner's end-of-session screenshot in real headless Chromium: a compact lossy image whose size, read back by
the HTML report, is the page's own in CSS px, so the cursor trail is drawn where it was over any capture format."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import async_playwright

from workbench.report.html import _screenshot_image
from workbench.sim import browser as browsers
from workbench.sim import runner

pytestmark = pytest.mark.browser

PAGE_HEIGHT = 3000  # CSS px, taller than the viewport: the screenshot is of the full page
PAGE = (f'<body style="margin:0"><div style="height:{PAGE_HEIGHT}px;overflow:hidden;'
        'background:linear-gradient(#14263f,#e6a100)">'
        + "<p>dealer page text, to give the encoder edges</p>" * 100 + "</div></body>")


async def test_the_screenshot_is_webp_and_the_report_draws_it_at_the_pages_size_whatever_the_format(monkeypatch):
    drawn: dict[str, tuple[str, float, float]] = {}
    async with async_playwright() as pw:
        browser = await browsers.launch(pw)
        try:
            page = await browser.new_page(viewport=runner.VIEWPORT)
            await page.set_content(PAGE)
            width = await page.evaluate("document.documentElement.scrollWidth")  # the page's, not the viewport's
            shot = await runner._screenshot(page)  # as runs take it
            assert shot is not None and shot[:4] == b"RIFF" and shot[8:12] == b"WEBP"
            drawn["webp"] = _drawn(shot)
            for fmt in ("jpeg", "png"):  # the report reads the formats DevTools can capture, and older runs' PNGs
                monkeypatch.setattr(runner, "SCREENSHOT_FORMAT", fmt)
                other = await runner._screenshot(page)
                assert other is not None
                drawn[fmt] = _drawn(other)
        finally:
            await browser.close()
    for fmt, (mime, w, h) in drawn.items():
        assert mime == f"image/{fmt}"
        # half scale rounds an odd width up by at most one image px: half a CSS px at each side
        assert abs(w - width) <= 1 / runner.SCREENSHOT_SCALE and h == PAGE_HEIGHT, (fmt, w, width, h)


def _drawn(shot: bytes) -> tuple[str, float, float]:
    """The MIME type and the CSS size the report gives the screenshot."""
    image = _screenshot_image((shot, runner.SCREENSHOT_SCALE))
    assert image is not None
    (mime,) = re.findall(r'href="data:([^;]+);base64,', image)
    size = dict(re.findall(r'\b(width|height)="([^"]+)"', image))
    return mime, float(size["width"]), float(size["height"])
