"""Finding and launching Chromium for the runner.

Playwright's own Chromium is used when ``playwright install chromium`` worked; otherwise a
system one (Debian's ``chromium-headless-shell``, then ``chromium``). ``$WORKBENCH_CHROMIUM``
names an executable explicitly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.async_api import Browser, Playwright

from workbench.errors import BrowserError

SYSTEM_CANDIDATES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
QUIET_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--disable-smooth-scrolling",
]
HOW_TO_FIX = (
    "no Chromium found. Run `make setup` (it tries `playwright install chromium`, then "
    "`apt-get install chromium-headless-shell`), or set WORKBENCH_CHROMIUM=/path/to/chromium"
)


def find_chromium(playwright: Playwright | None = None) -> str | None:
    """The executable to launch, or None to let Playwright use its bundled browser."""
    explicit = os.environ.get("WORKBENCH_CHROMIUM")
    if explicit:
        if not Path(explicit).exists():
            raise BrowserError(f"WORKBENCH_CHROMIUM={explicit} does not exist")
        return explicit
    if playwright is not None:
        try:
            bundled = playwright.chromium.executable_path
        except Exception:
            bundled = ""
        if bundled and Path(bundled).exists():
            return None
    for name in SYSTEM_CANDIDATES:
        if found := shutil.which(name):
            return found
    raise BrowserError(HOW_TO_FIX)


async def launch(playwright: Playwright, *, headless: bool = True) -> Browser:
    executable = find_chromium(playwright)
    try:
        return await playwright.chromium.launch(headless=headless, executable_path=executable, args=QUIET_ARGS)
    except Exception as exc:  # Playwright raises its own Error type with a long log
        raise BrowserError(f"could not launch Chromium ({executable or 'bundled'}): {str(exc).splitlines()[0]}") from exc
