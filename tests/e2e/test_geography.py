"""Issue 7: a persona's geography reaches the engine's grouping (section 7.6), and its IP reaches no consumer.

The runner gives each browser context an ``X-Forwarded-For`` address of the region's RFC 5737
range; the run's own bridge trusts loopback as a proxy, so that address is the one injected
(section 4.5). The bus is tapped on every subject: the address appears on ``telemetry.raw``
only (the engine's input), never on what goes to consumers, persistence or the page (10.3).
"""

from __future__ import annotations

import ipaddress
import json

import orjson
import pytest
from sqlmodel import Session

from tests.e2e.chat_personas import Glancer
from workbench import bus as subjects
from workbench.bus import InProcessBus
from workbench.events import EventStream, InterventionSent, PacketEmitted
from workbench.protocol.schema import errors
from workbench.sim.runner import RunSpec, run
from workbench.store import repo
from workbench.store.db import open_db
from workbench.store.recorder import Recorder

pytestmark = pytest.mark.browser
US_EAST = ipaddress.ip_network("203.0.113.0/24")


async def test_a_session_from_us_east_is_grouped_as_us_east_and_its_address_reaches_no_consumer(tmp_db):
    bus = InProcessBus()
    wire: list[tuple[str, bytes]] = []

    async def tap(subject, payload):
        wire.append((subject, payload))

    await bus.subscribe(">", tap)
    seen: list[object] = []
    engine = open_db(tmp_db)
    Glancer.seen_stats.clear()
    result = await run(RunSpec([Glancer], seed=5, kind="test", virtual_time=True, geography="us-east"),
                       stream=EventStream(Recorder(engine), seen.append), bus=bus)
    (session,) = result.sessions
    assert session.status == "ended", session.error

    # The producer spoke WebSocket only, so the address came with the WebSocket upgrade request.
    (stats,) = Glancer.seen_stats
    assert stats["transport"] == "ws" and stats["httpBatches"] == 0 and stats["batchesSent"] > 0
    raw = [orjson.loads(p) for s, p in wire if s == subjects.TELEMETRY_RAW]
    assert raw and {ipaddress.ip_address(b["ip"]) in US_EAST for b in raw} == {True}
    address = raw[0]["ip"]

    # The engine's intelligence grouped the session by that region (and by nothing else).
    assert result.pipeline is not None and result.pipeline.intelligence is not None
    groups = result.pipeline.intelligence.groups
    assert groups and {geo for (*_, geo) in groups} == {"us-east"}

    # Section 10.3: no consumer-facing message carries the address, and no packet an IP field.
    downstream = [(s, p) for s, p in wire if s != subjects.TELEMETRY_RAW]
    assert any(s.startswith("seer.") for s, _ in downstream) and any(s.startswith("emotions.") for s, _ in downstream)
    assert not [s for s, p in downstream if address.encode() in p or b'"ip"' in p]
    packets = [e.packet for e in seen if isinstance(e, PacketEmitted)]
    assert packets and all(errors(p, "packet") == [] for p in packets)
    assert not [e for e in seen if isinstance(e, InterventionSent) and address in e.message]
    with Session(engine) as db:
        stored = json.dumps([repo.batches(db=db, run_id=result.run_id), repo.packets(db=db, run_id=result.run_id)])
        report = repo.run_report(db=db, run_id=result.run_id)
    assert address not in stored  # nor is it persisted (section 10.3)
    assert report is not None and report["sessions"][0]["ground_truth"]["geography"] == "us-east"


def test_workbench_run_places_sessions_in_the_region_it_is_given(tmp_path):
    from workbench.cli.main import main

    out = tmp_path / "run.json"
    code = main(["run", "--persona", "calm", "--geography", "ca-central", "--responses", "never_engage",
                 "--db", str(tmp_path / "wb.db"), "--json", str(out), "--no-progress"])
    report = json.loads(out.read_text())
    assert code in (0, 1), code  # the run was carried out (its verdict is not what this test is about)
    (session,) = report["sessions"]
    assert session["status"] == "ended" and session["ground_truth"]["geography"] == "ca-central"
    assert report["config"]["settings"]["responses"] == "never_engage"
    assert report["config"]["settings"]["geography"] == "ca-central"
