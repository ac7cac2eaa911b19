"""Finding and launching Chromium for the runner.

Playwright's own Chromium is used when ``playwright install chromium`` worked; otherwise a
system one (Debian's ``chromium-headless-shell``, then ``chromium``). ``$WORKBENCH_CHROMIUM``
names an executable explicitly. For scale-out, :func:`open_browser` connects to a browser
running elsewhere instead: a Playwright server (``ws://``, from ``launchServer`` or
``playwright run-server``) or any Chromium's DevTools endpoint (``http://host:port`` or
``ws://.../devtools/browser/...``, e.g. one started with ``--remote-debugging-port``).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Playwright

from workbench.errors import BrowserError
from workbench.privacy import shown_url
from workbench.sim.cdp import CdpClient

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


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


async def launch(playwright: Playwright, *, headless: bool = True) -> Browser:
    executable = find_chromium(playwright)
    try:
        return await playwright.chromium.launch(headless=headless, executable_path=executable, args=QUIET_ARGS)
    except Exception as exc:  # Playwright raises its own Error type with a long log
        raise BrowserError(f"could not launch Chromium ({executable or 'bundled'}): {_first_line(exc)}") from exc


def is_cdp_endpoint(endpoint: str) -> bool:
    """DevTools endpoints: ``http(s)://host:port`` or a ``/devtools/browser/`` WebSocket."""
    return endpoint.startswith(("http://", "https://")) or "/devtools/" in endpoint


async def connect(playwright: Playwright, endpoint: str, *, timeout_ms: float = 15_000) -> Browser:
    """A browser running elsewhere (see the module docstring)."""
    try:
        if is_cdp_endpoint(endpoint):
            return await playwright.chromium.connect_over_cdp(endpoint, timeout=timeout_ms)
        return await playwright.chromium.connect(endpoint, timeout=timeout_ms)
    except Exception as exc:
        shown = shown_url(endpoint)
        raise BrowserError(f"could not connect to the browser at {shown}: "
                           f"{_first_line(exc).replace(endpoint, shown)}") from exc


#: wall time the browser gets to close or to let go of its connection, before it is left (and killed, if ours)
CLOSE_TIMEOUT_S = 10.0
HUNG_CLOSE_TIMEOUT_S = 1.0  # the same, for a browser that already let a call go unanswered
GONE = "the browser is gone (it crashed, was closed or its connection dropped)"


@dataclass
class BrowserHandle:
    """A browser for a run, plus a raw DevTools connection for input when one is reachable."""

    browser: Browser
    cdp: CdpClient | None = None
    local: DevToolsChromium | None = None
    hung: str | None = None  # why the browser is taken to have stopped answering (see stopped_answering)
    #: set when Playwright's connection to the browser is lost (``disconnected``)
    gone: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.browser.on("disconnected", lambda _: self.gone.set())
        if not self.browser.is_connected():
            self.gone.set()

    def stopped_answering(self, why: str) -> None:
        """The browser let a call go unanswered past its limit: it is not asked for anything more."""
        self.hung = self.hung or why

    def unusable(self) -> str | None:
        """Why no new session can start on this browser, or None while it can."""
        if self.hung is not None:
            return self.hung
        if not self.browser.is_connected():
            return GONE
        return None

    async def close(self) -> None:
        """Close everything, even when the run is being stopped: a cancel that lands mid-close is
        held until the local Chromium is gone, then re-raised, so no browser outlives a stopped run.
        A browser that does not answer is given :data:`CLOSE_TIMEOUT_S` per step, then left (ours is
        then killed: :meth:`DevToolsChromium.__aexit__`)."""
        cancelled: asyncio.CancelledError | None = None
        polite = CLOSE_TIMEOUT_S if self.hung is None else HUNG_CLOSE_TIMEOUT_S  # a hung browser answers nothing
        if self.local is not None and self.hung is not None:
            self.local.grace_s = HUNG_CLOSE_TIMEOUT_S
        for closing, limit in ((self.browser.close(), polite),
                               (self.cdp.close() if self.cdp else None, polite),
                               (self.local.__aexit__(None, None, None) if self.local else None, None)):
            if closing is None:
                continue
            try:
                async with asyncio.timeout(limit):
                    await closing
            except asyncio.CancelledError as exc:
                cancelled = exc
            except Exception:
                pass  # a dead browser already took the connection with it; a hung one is left (or killed)
        if cancelled is not None:
            raise cancelled


async def open_browser(playwright: Playwright, endpoint: str | None = None) -> BrowserHandle:
    """Our own Chromium (started with a DevTools port), or the browser at ``endpoint``.

    Playwright drives pages over the DevTools protocol (``connect_over_cdp``); the runner's
    input goes straight to the same endpoint (:mod:`workbench.sim.cdp`). A Playwright server
    endpoint has no DevTools socket: input then goes through Playwright.
    """
    local = None
    if endpoint is None:
        executable = find_chromium(playwright) or playwright.chromium.executable_path
        local = DevToolsChromium(executable)
        try:
            endpoint = await local.__aenter__()
        except BrowserError as exc:
            raise BrowserError(f"could not launch Chromium ({executable}): {exc}") from exc
    try:
        browser = await connect(playwright, endpoint)
        cdp = None
        if is_cdp_endpoint(endpoint):
            try:
                cdp = await CdpClient.connect(endpoint)
            except Exception:
                cdp = None  # Playwright's own input still works
    except BaseException:  # a failure, or a cancel (a run stopped as it starts): the Chromium we started goes too
        if local is not None:
            await local.__aexit__(None, None, None)
        raise
    return BrowserHandle(browser, cdp, local)


class DevToolsChromium:
    """A local Chromium started with ``--remote-debugging-port=0``: a stand-in for a remote
    browser (``async with DevToolsChromium() as endpoint: ...``). The endpoint is read from
    the ``DevTools listening on ws://...`` line Chromium prints on stderr."""

    def __init__(self, executable: str | None = None, *, timeout_s: float = 15.0) -> None:
        self.executable = executable
        self.timeout_s = timeout_s
        self.process: asyncio.subprocess.Process | None = None
        self.endpoint = ""
        self._drainer: asyncio.Task[None] | None = None
        self.profile = ""
        self.grace_s = 10.0  # after SIGTERM, before SIGKILL

    async def __aenter__(self) -> str:
        exe = self.executable or find_chromium() or "chromium"
        self.profile = tempfile.mkdtemp(prefix="workbench-chromium-")
        self.process = await asyncio.create_subprocess_exec(
            exe, "--headless", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
            f"--user-data-dir={self.profile}", *QUIET_ARGS,
            "about:blank", stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, start_new_session=True)  # its own process group: see __aexit__
        assert self.process.stderr is not None
        try:
            async with asyncio.timeout(self.timeout_s):
                while not self.endpoint:
                    line = (await self.process.stderr.readline()).decode(errors="replace")
                    if not line:
                        raise BrowserError(f"{exe} exited before printing its DevTools endpoint")
                    if m := re.search(r"DevTools listening on (ws://\S+)", line):
                        self.endpoint = m.group(1)
        except TimeoutError as exc:
            await self.__aexit__(None, None, None)
            raise BrowserError(f"{exe} printed no DevTools endpoint within {self.timeout_s:g} s") from exc
        except BaseException:  # it exited, or we were cancelled (a run stopped as it starts): none left running
            await self.__aexit__(None, None, None)
            raise
        self._drainer = asyncio.get_running_loop().create_task(self._drain())
        return self.endpoint

    def _signal(self, sig: int) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    async def _empty_group(self) -> None:
        """The wrapper is gone, but the browser may not be: the shell dies at once on SIGTERM while the
        browser shuts down (slowly, after a SIGSTOP and SIGCONT), and a wrapper killed alone signals nothing.
        What is left of the group is signalled again, given ``grace_s``, then killed: it would otherwise run
        on as an orphan, its profile deleted under it."""
        assert self.process is not None
        group = self.process.pid
        if not group_alive(group):
            return
        self._signal(signal.SIGTERM)
        if not await _gone_within(group, self.grace_s):
            self._signal(signal.SIGKILL)
            await _gone_within(group, 2.0)

    async def _drain(self) -> None:
        """Keep reading stderr so a chatty Chromium never blocks on a full pipe."""
        if self.process and self.process.stderr:
            while await self.process.stderr.readline():
                pass

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None:
            if self.process.returncode is None:
                # Debian's chromium-headless-shell is a shell wrapper that does not exec: signal the
                # whole group we started (wrapper, browser, zygote, renderers), by its id.
                self._signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(self.process.wait(), self.grace_s)
                except TimeoutError:
                    self._signal(signal.SIGKILL)
                    await self.process.wait()
            await self._empty_group()
        if self._drainer is not None:
            try:
                await asyncio.wait_for(self._drainer, 5)  # stderr reaches EOF once the process is gone
            except (TimeoutError, asyncio.CancelledError):
                pass
        # asyncio.subprocess.Process has no public close(); an unclosed transport is finalised by the
        # GC after the loop is gone and warns "Event loop is closed" (CPython gh-88050)
        transport = getattr(self.process, "_transport", None)
        if transport is not None:
            transport.close()
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)



def group_alive(group: int) -> bool:
    """Whether a process of ``group`` still runs. A zombie does not count: where PID 1 reaps no orphans
    (a container's init that is no init) they stay in the process table, and ``killpg(group, 0)`` finds them."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel, zombies included
        try:
            os.killpg(group, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if fields[0] != "Z" and int(fields[2]) == group:
                return True
    return False


async def _gone_within(group: int, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``group`` to have no process left; whether it has none."""
    deadline = asyncio.get_running_loop().time() + seconds
    while group_alive(group):
        if asyncio.get_running_loop().time() >= deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def _starts() -> str:
    """Start the browser a run would start and close it: its executable, or BrowserError."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        handle = await open_browser(playwright)
        await handle.close()
        return find_chromium(playwright) or playwright.chromium.executable_path


def main() -> int:
    """``python -m workbench.sim.browser``: set-up's check that a run's browser is there and starts.
    Exit 0 (printing its path), 10 when there is none, 11 when it is there and does not start (any other
    code: the check itself failed, e.g. an import)."""
    try:
        print(asyncio.run(_starts()))
        return 0
    except BrowserError as exc:
        print(exc, file=sys.stderr)
        return 10 if str(exc) == HOW_TO_FIX else 11


if __name__ == "__main__":
    sys.exit(main())
