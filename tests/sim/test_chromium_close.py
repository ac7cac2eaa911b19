"""Closing a local Chromium leaves none of its processes behind, even when the browser outlives the
shell wrapper it was started through (Debian's ``chromium-headless-shell`` is one): an orphaned browser
runs on with its profile deleted, takes a core and memory from the tests after it, and was once seen to
hang the suite."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from workbench.sim.browser import DevToolsChromium, find_chromium, group_alive

pytestmark = pytest.mark.browser


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z" and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@contextlib.asynccontextmanager
async def _wrapped_chromium() -> AsyncIterator[tuple[DevToolsChromium, int]]:
    """A started DevToolsChromium whose executable is a shell wrapper, and its process group (killed after)."""
    exe = find_chromium()
    if exe is None or not Path(exe).read_bytes().startswith(b"#!"):
        pytest.skip(f"the browser here ({exe}) is not started through a shell wrapper, so it cannot outlive one")
    chromium = DevToolsChromium(exe)
    await chromium.__aenter__()
    assert chromium.process is not None
    try:
        yield chromium, chromium.process.pid
    finally:
        try:
            os.killpg(chromium.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


async def test_a_browser_whose_wrapper_was_killed_alone_is_closed_all_the_same():
    async with _wrapped_chromium() as (chromium, group):
        assert chromium.process is not None
        os.kill(group, signal.SIGKILL)  # the wrapper only: the browser under it lives on
        # asyncio has its exit status at once; its wait() (Python 3.11) also waits for the browser to let go of stderr
        deadline = time.monotonic() + 10
        while chromium.process.returncode is None:
            assert time.monotonic() < deadline, "the wrapper never died"
            await asyncio.sleep(0.05)
        assert group_alive(group), "the browser died with its wrapper: nothing to check"
        await chromium.__aexit__(None, None, None)
        assert not group_alive(group), "a browser outlived its closed DevToolsChromium"


async def test_a_browser_that_does_not_stop_on_sigterm_is_killed_once_its_wrapper_is_gone():
    # a stopped browser (SIGSTOP; or one slow to shut down) keeps a SIGTERM pending; the wrapper dies of it at once
    async with _wrapped_chromium() as (chromium, group):
        chromium.grace_s = 1.0
        (browser,) = _children(group)
        os.kill(browser, signal.SIGSTOP)
        await chromium.__aexit__(None, None, None)
        assert not group_alive(group), "a stopped browser outlived its closed DevToolsChromium"


def test_a_group_left_with_zombies_only_is_not_alive():
    # where PID 1 reaps no orphans (this container's init does not), a closed browser's processes stay as
    # zombies, which `killpg(group, 0)` still finds: waiting for them would take the whole grace each time
    proc = subprocess.Popen(["true"], start_new_session=True)
    try:
        stat = Path(f"/proc/{proc.pid}/stat")
        deadline = time.monotonic() + 10
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline, "`true` never exited"
            time.sleep(0.01)
        os.killpg(proc.pid, 0)  # the kernel still has the group ...
        assert not group_alive(proc.pid)  # ... but nothing in it runs
        assert group_alive(os.getpgrp())  # ours does
    finally:
        proc.wait()
