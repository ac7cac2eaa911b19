"""A TUI killed mid-run (a closed terminal's SIGHUP, a `kill`'s SIGTERM) quits as F10 does: the run is
stopped and stored, and its browser closed. Chromium runs in a session of its own, so the signal never
reaches it; before, it stayed running and the run stayed "running" in the history for ever."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import struct
import sys
import time

import pytest

from tests.e2e.wbcli import descendants, still_alive, workbench

pytestmark = pytest.mark.browser


def _read(fd: int, seconds: float) -> None:
    """Keep the terminal drained, so the app never blocks on its output."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if select.select([fd], [], [], 0.1)[0]:
                os.read(fd, 65536)
        except OSError:
            return


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_mid_run_stops_the_run_and_closes_the_browser(sig, tmp_path):
    import fcntl
    import termios

    db = tmp_path / "wb.db"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the TUI on the demo scenario, in a terminal of 120 x 40
        os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
        os.execv(sys.executable, [sys.executable, "-m", "workbench.cli.main", "demo", "--tui", "--db", str(db)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    status = None
    try:
        deadline = time.monotonic() + 60
        while not any("chrom" in name for name in descendants(pid).values()):
            assert time.monotonic() < deadline, "no browser started"
            _read(fd, 0.2)
        _read(fd, 2.0)  # the visit is under way
        browser = descendants(pid)
        os.kill(pid, sig)
        deadline = time.monotonic() + 30
        while status is None and time.monotonic() < deadline:
            _read(fd, 0.2)
            done, code = os.waitpid(pid, os.WNOHANG)
            status = code if done else None
        assert status is not None, "the TUI did not quit"
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
        deadline = time.monotonic() + 10
        while still_alive(browser) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert still_alive(browser) == []
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    runs = json.loads(workbench("runs", "--db", str(db), "--json").stdout)
    assert [r["status"] for r in runs] == ["stopped"]
