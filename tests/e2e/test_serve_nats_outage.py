"""`workbench serve --nats` when its NATS server goes away: a real serve process and a real nats-server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import batch, mouse_path
from tests.natsserver import FixedPortServer


class Serve:
    """``workbench serve`` in a child process, read up to its "Ctrl-C to stop" line."""

    def __init__(self, proc: asyncio.subprocess.Process, base: str) -> None:
        self.proc, self.base = proc, base

    @classmethod
    async def start(cls, db: Path, *args: str) -> Serve:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "workbench.cli.main", "serve", "--port", "0", "--db", str(db), *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        assert proc.stdout is not None
        base = ""
        async with asyncio.timeout(20):
            while b"Ctrl-C to stop" not in (line := await proc.stdout.readline()):
                assert line, "serve ended before it was ready"
                if line.startswith(b"serving "):
                    base = line.split()[1].decode().removesuffix("/rv/")
        return cls(proc, base)

    def children(self) -> list[int]:
        return [int(pid) for pid in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]

    async def end(self, timeout: float) -> tuple[int, str, float]:
        """Wait for serve to end: its exit code, its stderr, and how long it took."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                _, err = await self.proc.communicate()
        finally:
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
        assert self.proc.returncode is not None
        return self.proc.returncode, err.decode(), time.monotonic() - started


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()


def _post(base: str, doc: dict[str, object]) -> int:
    req = urllib.request.Request(f"{base}/bridge/batch", data=json.dumps(doc).encode(),
                                 headers={"Content-Type": "application/json"})
    return int(urllib.request.urlopen(req, timeout=10).status)


def _stored_events(db: Path, session: str) -> int:
    out = subprocess.run([sys.executable, "-m", "workbench.cli.main", "sessions", "--db", str(db), "--json"],
                         capture_output=True, text=True, check=True).stdout
    return next((int(s["events"]) for s in json.loads(out) if s["session_id"] == session), 0)


async def test_serve_ends_with_exit_4_after_its_reconnect_window(fixed_nats: FixedPortServer, tmp_path: Path) -> None:
    serve = await Serve.start(tmp_path / "wb.db", "--nats", fixed_nats.url, "--nats-reconnect-s", "1.5")
    await fixed_nats.kill()
    code, said, took = await serve.end(20)
    assert code == 4, said
    assert "Traceback" not in said, said
    assert f"lost the NATS server at {fixed_nats.url}: no reconnect within 1.5 s" in said, said
    assert took < 8, f"serve took {took:.1f} s to end"


@pytest.mark.slow  # a serve process waits out its window: ~6 s (make test-all)
async def test_serve_on_embedded_nats_ends_after_the_window_when_its_server_dies(tmp_path: Path) -> None:
    serve = await Serve.start(tmp_path / "wb.db", "--nats", "embedded", "--nats-reconnect-s", "1")
    (child,) = serve.children()  # the embedded nats-server
    os.kill(child, signal.SIGKILL)
    code, said, _ = await serve.end(20)
    assert code == 4 and "no reconnect within 1 s" in said, said
    assert not _alive(child)


@pytest.mark.slow  # the server stays away 7 s: longer than the bus's old ~5.5 s reconnect window
async def test_serve_survives_a_broker_restart_and_keeps_storing(fixed_nats: FixedPortServer, tmp_path: Path) -> None:
    db = tmp_path / "wb.db"
    serve = await Serve.start(db, "--nats", fixed_nats.url)
    await fixed_nats.kill()
    await asyncio.sleep(7)
    assert serve.proc.returncode is None, "serve gave up during a 7 s broker restart"
    await fixed_nats.start()
    doc = batch(mouse_path(1000, 6), session="sq_1_after", tenant="org_workbench")
    deadline = time.monotonic() + 10
    while True:  # until the bus has reconnected (it tries every 0.5 s), the bridge may answer 503
        try:
            if await asyncio.to_thread(_post, serve.base, doc) == 200:
                break
        except urllib.error.HTTPError as exc:
            assert exc.code == 503 and time.monotonic() < deadline, exc
        await asyncio.sleep(0.2)
    deadline = time.monotonic() + 10
    while await asyncio.to_thread(_stored_events, db, "sq_1_after") != 6:
        assert time.monotonic() < deadline, "the batch sent after the restart was not stored"
        await asyncio.sleep(0.2)
    serve.proc.send_signal(signal.SIGTERM)
    code, said, _ = await serve.end(15)
    assert code == 0, said


async def test_sigterm_during_an_outage_stops_serve_promptly(fixed_nats: FixedPortServer, tmp_path: Path) -> None:
    serve = await Serve.start(tmp_path / "wb.db", "--nats", fixed_nats.url)
    await fixed_nats.kill()
    await asyncio.sleep(0.5)  # the bus is reconnecting
    serve.proc.send_signal(signal.SIGTERM)
    code, said, took = await serve.end(30)
    assert took < 5, f"SIGTERM took {took:.1f} s: a supervisor would have killed serve (and its NATS child)"
    assert code == 0 and "Traceback" not in said, said  # nothing was published: nothing may be lost


@pytest.mark.parametrize("argv, said", [
    (["--nats-reconnect-s", "5"], "needs a NATS bus"),
    (["--nats", "embedded", "--nats-reconnect-s", "0"], "more than 0"),
    (["--nats", "embedded", "--nats-reconnect-s", "soon"], "not a number"),
])
def test_bad_reconnect_windows_are_usage_errors(tmp_path: Path, argv: list[str], said: str) -> None:
    out = subprocess.run([sys.executable, "-m", "workbench.cli.main", "serve", "--port", "0",
                          "--db", str(tmp_path / "wb.db"), *argv], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and said in out.stderr, out.stderr


def test_help_teaches_the_reconnect_window() -> None:
    out = subprocess.run([sys.executable, "-m", "workbench.cli.main", "serve", "--help"],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    text = " ".join(out.split())
    assert "--nats-reconnect-s SECONDS" in text and "(default 60)" in text and "exit 4" in text, text
