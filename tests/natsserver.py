"""A nats-server a test can kill, freeze and start again on the same port, for the outage and reconnect tests
(:class:`~workbench.natsbus.EmbeddedNatsServer` picks a new port at each start). The ``fixed_nats`` fixture in
``tests/conftest.py`` gives one, started, to a test."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from pathlib import Path

from tests.conftest import closed_port
from workbench.natsbus import find_nats_server


class FixedPortServer:
    """A nats-server on one loopback port that a test can kill, freeze and start again on the same port
    (:class:`~workbench.natsbus.EmbeddedNatsServer` picks a new port at each start)."""

    def __init__(self, tmp: Path, extra: str = "") -> None:
        self.port, self.tmp, self.extra = closed_port(), tmp, extra
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    async def start(self) -> None:
        conf = self.tmp / "nats.conf"
        conf.write_text(f"listen: 127.0.0.1:{self.port}\n{self.extra}\n")
        self.proc = await asyncio.create_subprocess_exec(
            str(find_nats_server()), "-c", str(conf), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while not _listening(self.port):
            assert time.monotonic() < deadline and self.proc.returncode is None, "nats-server did not start"
            await asyncio.sleep(0.01)

    def kill_now(self) -> None:
        """SIGKILL, and give the kernel time to close its sockets, without letting the event loop run."""
        assert self.proc is not None
        self.proc.kill()
        time.sleep(0.1)

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)  # a frozen one must be able to die
            self.proc.kill()
            await self.proc.wait()


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False
