"""`workbench serve` as a user runs it: a real process, a real WebSocket client, the POST fallback."""

import asyncio
import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import websockets

from tests.conftest import batch, mouse_path
from workbench.bridge import codec


@pytest.fixture(params=["memory", "embedded"], ids=["in-process-bus", "nats-bus"])
def served(tmp_db, request):
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli.main", "serve", "--port", "0", "--db", str(tmp_db),
                             "--nats", request.param],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    base = None
    while time.monotonic() < deadline and base is None:
        line = proc.stdout.readline()
        if m := re.search(r"serving (http://[\d.:]+)/rv/", line):
            base = m.group(1)
    assert base, "serve did not print its address"
    yield base, tmp_db
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    proc.terminate()
    assert proc.wait(timeout=10) == 0, "serve should stop cleanly on SIGTERM"
    for pid in children:  # the embedded nats-server (if any) must not outlive serve
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def sessions(db):
    out = subprocess.run([sys.executable, "-m", "workbench.cli.main", "sessions", "--db", str(db), "--json"],
                         capture_output=True, text=True, check=True).stdout
    return {s["session_id"]: s for s in json.loads(out)}


def test_site_config_and_producer_are_served(served):
    base, _ = served
    page = urllib.request.urlopen(f"{base}/rv/").read().decode()
    assert "Arctic Wolf 3650SUITE" in page and "/eitp/producer.js" in page
    config = urllib.request.urlopen(f"{base}/eitp/config.js").read().decode()
    assert config.startswith("window.EITP_CONFIG = ") and '"rageWindowMs":500' in config


async def test_websocket_session_and_bad_input_are_handled(served):
    base, db = served
    url = base.replace("http://", "ws://") + "/bridge"
    async with websockets.connect(url) as ws:
        assert (await ws.recv()).startswith("INFO ")
        await ws.send(codec.encode_connect({"tenant_id": "org_workbench", "session_id": "sq_1_ws"}).decode())
        assert await ws.recv() == "+OK\r\n"
        await ws.send(codec.encode_pub("telemetry.raw", json.dumps(
            batch(mouse_path(1000, 10), session="sq_1_ws", tenant="org_workbench"))))
        await ws.send(codec.encode_pub("emotions.org_workbench.x", b"{}"))  # not whitelisted
        assert "Permissions Violation" in await ws.recv()
        await ws.send(b"PING\r\n")  # binary frame
        assert await ws.recv() == "PONG\r\n"
    for _ in range(50):
        if "sq_1_ws" in sessions(db):
            break
        await asyncio.sleep(0.1)
    assert sessions(db)["sq_1_ws"]["events"] == 10


def test_http_post_fallback_applies_the_same_checks(served):
    base, db = served

    def post(doc):
        req = urllib.request.Request(f"{base}/bridge/batch", data=json.dumps(doc).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            return urllib.request.urlopen(req).status, None
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())["error"]

    assert post(batch(mouse_path(1000, 4), session="sq_1_post", tenant="org_workbench")) == (200, None)
    status, error = post(batch(mouse_path(1000, 4), session="sq_1_post", tenant="org_other"))
    assert status == 400 and "Tenant Violation" in error
    status, error = post({"type": "telemetry_batch"})
    assert status == 400 and "Invalid Batch" in error
    for _ in range(50):
        if "sq_1_post" in sessions(db):
            break
        time.sleep(0.1)
    assert sessions(db)["sq_1_post"]["events"] == 4
