"""A session whose close never came is timed out by the engine service in event time (section 1.3, 10.3).

Core NATS is at most once: a telemetry.closed can be lost. The service then closes the session once its
tenant's event-time watermark has gone the session timeout past where it stood at the session's last batch
(workbench/engine/watermark.py): its last window is classified and published as a close would, and the
bridge-injected IP it kept for enrichment is forgotten. Page clocks minutes apart never time out a session
that keeps sending, and no wall clock is read.
"""

from __future__ import annotations

import ast
import itertools
import sys
import time
from pathlib import Path

import orjson
import pytest

from tests.engine.telemetry import T0, Visit
from workbench.bus import SESSION_CLOSED, TELEMETRY_RAW, InProcessBus
from workbench.config import EITPConfig
from workbench.engine.core import Engine, PacketOut
from workbench.engine.service import EngineService
from workbench.engine.watermark import Watermark

CONFIG = EITPConfig()
TIMEOUT = CONFIG.inference.session_timeout_ms
STEP = CONFIG.transport.flush_interval_ms


def reading(session: str, t0: float, seconds: int = 45, tenant: str = "org_t", ip: str = "198.51.100.7") -> list[dict]:
    v = Visit(section="specifications", session=session, t0=t0, tenant=tenant, ip=ip)
    for i in range(seconds // 3):
        v.move(500 + 40 * (i % 4), 380 + 30 * (i % 3), 500).drift(1700 + 90 * (i % 4), speed=60)
        v.rest(650 + 40 * (i % 5)).scroll([5 + 4 * i], every_ms=150, speed=500 + 60 * (i % 4))
    return v.batches()


async def started():
    bus = InProcessBus()
    packets: list[dict] = []

    async def on_packet(subject, payload):
        packets.append(orjson.loads(payload))

    await bus.subscribe("seer.*.intervention.request.*", on_packet)
    service = EngineService(bus, CONFIG)
    await service.start()
    return bus, service, packets


async def feed(bus, batches):
    for b in batches:
        await bus.publish(TELEMETRY_RAW, orjson.dumps(b))
    await bus.drain()


def alone(batches: list[dict]) -> list[dict]:
    """The packets of a visit through an engine of its own, closed when it ends."""
    engine = Engine()
    out = [o for b in batches for o in engine.ingest(b)] + engine.close_all()
    return [o.packet for o in out if isinstance(o, PacketOut)]


async def test_a_session_whose_close_was_lost_is_closed_once_the_tenants_traffic_passes_its_timeout():
    bus, service, packets = await started()
    lost = reading("sq_lost", T0)
    await feed(bus, lost)  # ... and its telemetry.closed never comes
    later = reading("sq_later", T0 + 3 * 3_600_000, seconds=420)
    fed = 0
    while "sq_lost" in service.engine.sessions and fed < len(later):
        await feed(bus, [later[fed]])
        fed += 1
    # the watermark moves a step a batch from the lost session's clock towards the later one's
    assert fed == TIMEOUT // STEP + 1 and service.timed_out == 1
    assert "sq_lost" not in service._context and "sq_lost" in service.engine.closed
    mine = [p for p in packets if p["sessionId"] == "sq_lost"]
    assert mine == alone(lost)  # its last window published, as its close would have
    assert all(p["timestamp"] <= lost[-1]["timestamp"] for p in mine)


async def test_sessions_that_keep_sending_are_never_timed_out_whatever_their_clocks():
    bus, service, packets = await started()
    # page clocks 20 minutes apart (virtual time), and one an hour ahead, interleaved batch by batch
    visits = {f"sq_{k}": reading(f"sq_{k}", T0 + offset, seconds=60)
              for k, offset in enumerate((0, 20 * 60_000, 3_600_000, 90_000))}
    for group in itertools.zip_longest(*visits.values()):
        await feed(bus, [b for b in group if b is not None])
        assert set(service.engine.sessions) == set(visits)
    assert service.timed_out == 0
    await service.close_all()
    await bus.drain()
    for sid, batches in visits.items():
        assert [p for p in packets if p["sessionId"] == sid] == alone(batches)


async def test_a_clock_far_ahead_moves_the_watermark_one_step_and_times_out_nobody():
    bus, service, packets = await started()
    honest = reading("sq_honest", T0)
    await feed(bus, honest[:5])
    mark = service.watermark.mark("org_t")
    await feed(bus, reading("sq_ahead", 253402300799999 - 60_000, seconds=3)[:1])  # the year 9999, one batch
    assert service.watermark.mark("org_t") == mark + STEP
    await feed(bus, honest[5:])
    assert set(service.engine.sessions) == {"sq_honest", "sq_ahead"}


async def test_one_tenants_traffic_never_times_out_anothers_session():
    bus, service, packets = await started()
    await feed(bus, reading("sq_a", T0, tenant="org_a"))
    await feed(bus, reading("sq_b", T0 + 3_600_000, seconds=420, tenant="org_b"))
    assert {"sq_a", "sq_b"} <= set(service.engine.sessions) and "sq_a" in service._context


async def test_a_closed_session_is_not_watched_and_its_reconnect_is():
    bus, service, packets = await started()
    first = reading("sq_back", T0, seconds=21)
    await feed(bus, first)
    await bus.publish(SESSION_CLOSED, orjson.dumps({"tenantId": "org_t", "sessionId": "sq_back",
                                                    "at": first[-1]["timestamp"] + 50}))
    await bus.drain()
    assert len(service.watermark) == 0
    await feed(bus, reading("sq_back", first[-1]["timestamp"] + 5000, seconds=9))
    assert len(service.watermark) == 1


async def test_no_wall_clock_is_read(monkeypatch):
    # Reads are recorded, not refused: an exception raised in the service's handler is the bus's to log
    # (a bad batch must not stop the lane), so a refusing clock let a read pass with a logged warning.
    # A log record stamps itself with the wall clock; that is logging's, not the engine's logic.
    reads: list[str] = []

    def watched(real):
        def read():
            caller = sys._getframe(1).f_globals.get("__name__", "?")
            if caller != "logging":
                reads.append(caller)
            return real()
        return read

    bus, service, packets = await started()
    batches = reading("sq_lost", T0) + reading("sq_later", T0 + 3_600_000, seconds=420)
    monkeypatch.setattr(time, "time", watched(time.time))
    monkeypatch.setattr(time, "time_ns", watched(time.time_ns))
    await feed(bus, batches)
    monkeypatch.undo()
    assert "sq_lost" not in service.engine.sessions and "sq_lost" in service.engine.closed  # timed out, not lost
    assert service.timed_out == 1
    assert reads == [], f"the wall clock was read from {sorted(set(reads))}"


def test_no_engine_module_imports_a_wall_clock():
    # what the check above cannot see: a clock bound at import (`from time import time`) or a datetime's now()
    engine = Path(__file__).resolve().parents[2] / "workbench" / "engine"
    for module in sorted(engine.glob("*.py")):
        tree = ast.parse(module.read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not imported & {"time", "datetime"}, f"{module.name} imports {sorted(imported & {'time', 'datetime'})}"


# --- the watermark alone -------------------------------------------------------------------------

def test_the_watermark_moves_a_step_a_batch_and_never_back():
    w = Watermark(timeout_ms=300_000, step_ms=60_000)
    assert w.batch("t", "a", None) == [] and w.mark("t") is None
    w.batch("t", "a", 1000)
    w.batch("t", "b", 10**12)
    assert w.mark("t") == 61_000
    w.batch("t", "c", 500)  # a clock behind never moves it
    assert w.mark("t") == 61_000


@pytest.mark.parametrize("quiet_batches,silent", [(5, []), (6, ["a"])])
def test_a_session_is_silent_once_the_watermark_has_gone_the_timeout_past_its_last_batch(quiet_batches, silent):
    w = Watermark(timeout_ms=300_000, step_ms=60_000)
    w.batch("t", "a", 0)
    got = []
    for i in range(quiet_batches):
        got += w.batch("t", "b", 60_000 * (i + 1))
    assert got == silent and len(w) == 2 - len(silent)


async def test_a_session_whose_own_message_is_still_waiting_is_not_timed_out_from_another_lane():
    # its lane held up (an LLM call for its last batch): the watermark passing it says nothing of its silence
    import asyncio

    bus, service, packets = await started()
    await feed(bus, reading("sq_held", T0))
    release = asyncio.Event()

    async def held(subject, payload):
        await release.wait()

    service.lanes.put(held, TELEMETRY_RAW, b"{}", lambda: None, key="sq_held")
    for b in reading("sq_later", T0 + 3 * 3_600_000, seconds=420)[: TIMEOUT // STEP + 5]:
        await feed(bus, [b])
    assert "sq_held" in service.engine.sessions and service.timed_out == 0
    release.set()
    await asyncio.sleep(0.01)
    assert not service.lanes.busy("sq_held")
