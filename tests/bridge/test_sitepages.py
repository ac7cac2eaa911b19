"""Site pages and their shared partials (workbench.sitepages), as read and as the bridge serves them."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from tests.bridge.live import LiveBridge
from workbench.errors import SitePageError
from workbench.sitepages import render

SITES = Path(__file__).resolve().parents[2] / "sites"
PAGES = ["auto", "powersports", "rv"]
PARTIALS = sorted(p.stem for p in (SITES / "common" / "partials").glob("*.html"))


def make_site(root: Path, page: str, site: str = "x", **partials: str) -> Path:
    """A ``sites`` tree under ``root`` with one page, ``<site>/index.html``, and the given partials."""
    (root / "common" / "partials").mkdir(parents=True)
    for name, text in partials.items():
        (root / "common" / "partials" / f"{name}.html").write_text(text)
    (root / site).mkdir()
    (path := root / site / "index.html").write_text(page)
    return path


@pytest.mark.parametrize("site", PAGES)
def test_every_site_includes_every_partial_and_renders_completely(site: str):
    page = SITES / site / "index.html"
    assert {f'partial="{name}"' for name in PARTIALS} <= set(re.findall(r'partial="[\w-]+"', page.read_text()))
    text = render(page)
    assert "<!--#include" not in text and "{{" not in text and "}}" not in text
    for shared in ('id="lead-form"', 'id="online-desk"', 'id="price-alerts"', 'id="seer-chat"', 'class="main-nav"',
                   'id="cta-buy"', '<script src="/eitp/producer.js"></script>'):
        assert text.count(shared) == 1, shared


@pytest.mark.parametrize("site", PAGES)
def test_every_id_is_unique_in_a_rendered_page(site: str):
    ids = Counter(re.findall(r'\sid="([^"]+)"', render(SITES / site / "index.html")))
    assert ids and [i for i, n in ids.items() if n > 1] == []


def test_values_fill_placeholders_and_the_partial_takes_the_comments_indentation(tmp_path: Path):
    page = make_site(tmp_path, '<main>\n  <!--#include partial="hi" who="Prosser&#39;s RV" -->\n</main>\n',
                     hi="<p>\n  Hello {{who}}, {{who}}\n</p>\n")
    assert render(page) == "<main>\n  <p>\n    Hello Prosser&#39;s RV, Prosser&#39;s RV\n  </p>\n</main>\n"


@pytest.mark.parametrize(("line", "message"), [
    ('<!--#include partial="nope" -->', r'x/index.html:2: unknown partial \'nope\' \(sites/common/partials has hi\)'),
    ('<!--#include partial="hi" -->', r"x/index.html:2: partial 'hi' has no value for \{\{who\}\}"),
    ('<!--#include partial="hi" who="a" whom="b" -->', r"x/index.html:2: partial 'hi' has no placeholder for whom"),
    ("<!--#include partial='hi' who='a' -->", r'x/index.html:2: an include is one line, <!--#include partial="NAME"'),
])
def test_a_bad_include_is_a_clear_error(tmp_path: Path, line: str, message: str):
    page = make_site(tmp_path, f"<main>\n{line}\n</main>\n", hi="<p>Hello {{who}}</p>\n")
    with pytest.raises(SitePageError, match=message):
        render(page)


async def test_the_bridge_serves_the_rendered_page():
    bridge = await LiveBridge().start()
    try:
        async with aiohttp.ClientSession() as http:
            for path in ("/rv/", "/rv/index.html"):
                async with http.get(bridge.base + path) as resp:
                    assert resp.status == 200 and resp.content_type == "text/html"
                    text = await resp.text()
                assert text == render(SITES / "rv" / "index.html")
                assert '<form id="lead-form"' in text and '<div id="seer-chat"' in text and "<!--#include" not in text
    finally:
        await bridge.stop()


async def test_the_bridge_serves_a_partials_new_text_once_it_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    make_site(tmp_path, '<!--#include partial="hi" -->\n', site="rv", hi="<p>one</p>\n")
    monkeypatch.setenv("WORKBENCH_SITES", str(tmp_path))
    bridge = await LiveBridge().start()
    partial = tmp_path / "common" / "partials" / "hi.html"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(bridge.base + "/rv/") as resp:
                assert await resp.text() == "<p>one</p>\n"
            partial.write_text("<p>two</p>\n")
            os.utime(partial, ns=(partial.stat().st_atime_ns, partial.stat().st_mtime_ns + 10**9))
            async with http.get(bridge.base + "/rv/") as resp:
                assert await resp.text() == "<p>two</p>\n"
    finally:
        await bridge.stop()


async def test_a_broken_or_missing_page_is_a_specific_http_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    make_site(tmp_path, '<!--#include partial="nope" -->\n', site="rv", hi="<p>one</p>\n")
    (tmp_path / "auto").mkdir()  # a site folder without its index.html
    monkeypatch.setenv("WORKBENCH_SITES", str(tmp_path))
    bridge = await LiveBridge().start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(bridge.base + "/rv/") as resp:
                assert resp.status == 500 and "unknown partial 'nope'" in await resp.text()
            async with http.get(bridge.base + "/auto/") as resp:
                assert resp.status == 404 and "index.html" in await resp.text()
    finally:
        await bridge.stop()
