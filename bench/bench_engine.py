"""Engine throughput and memory (issue 5, point 10).

* events/s: realistic producer-shaped batches (20 Hz mouse samples with the full kinematic
  chain, pauses, proximity enter / hover / leave, scrolls, the odd click; flushed every 3 s)
  for many concurrent sessions, parsed from JSON and fed through ``Engine.ingest`` on one core,
  interleaved by batch time as telemetry.raw delivers them. Windows close and classify as they
  would live; every session is closed at the end.
* memory per active session: tracemalloc delta over 1,000 sessions, each holding a full 10 s
  window buffered (not yet classified), divided by 1,000.
"""

from __future__ import annotations

import gc
import math
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import report  # noqa: E402
from workbench.engine.core import Engine, PacketOut  # noqa: E402

T0 = 1_740_700_800_000
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
SECTIONS = ("hero", "specifications", "floorplan", "features", "pricing", "financing", "reviews")
KINDS = ("price", "tier_card", "purchase_button", "cta", "learn_more")


def visit(sid: str, t0: float, seconds: float, rng: np.random.Generator) -> list[bytes]:
    """One visitor's batches as JSON bytes (what arrives on telemetry.raw)."""
    events: list[dict[str, Any]] = [{"type": "connection", "timestamp": t0, "currentSection": "hero",
                                     "data": {"userAgent": UA, "viewport": {"width": 1440, "height": 900}}}]
    t, x, y, vx, vy, ax, ay = t0, 600.0, 400.0, 0.0, 0.0, 0.0, 0.0
    section, depth = "hero", 0
    end = t0 + seconds * 1000
    while t < end:
        if rng.random() < 0.35:  # a rest: no samples, then a pause event
            rest = float(rng.uniform(300, 2500))
            t += rest
            if rest > 500:
                data = {"duration": round(rest), "x": x, "y": y, "viewport": {"relX": 0.4, "relY": 0.5}}
                events.append({"type": "mouse_pause", "timestamp": round(t), "currentSection": section, "data": data})
            vx = vy = ax = ay = 0.0
        tx, ty = rng.uniform(100, 1300), rng.uniform(80, 850)
        n = int(rng.integers(6, 20))
        for i in range(1, n + 1):  # a minimum-jerk stroke sampled at 20 Hz
            s = i / n
            p = 10 * s**3 - 15 * s**4 + 6 * s**5
            nx, ny = x + (tx - x) * p, y + (ty - y) * p
            nvx, nvy = (nx - x) / 0.05, (ny - y) / 0.05
            nax, nay = (nvx - vx) / 0.05, (nvy - vy) / 0.05
            jx, jy = (nax - ax) / 0.05, (nay - ay) / 0.05
            t += 50
            events.append({"type": "mouse", "timestamp": round(t), "currentSection": section, "data": {
                "x": round(nx, 1), "y": round(ny, 1), "vx": round(nvx), "vy": round(nvy), "ax": round(nax),
                "ay": round(nay), "jx": round(jx), "jy": round(jy), "speed": round(math.hypot(nvx, nvy)),
                "jerk": round(math.hypot(jx, jy))}})
            x, y, vx, vy, ax, ay = nx, ny, nvx, nvy, nax, nay
        kind = KINDS[int(rng.integers(len(KINDS)))]
        eid = f"{kind}-{int(rng.integers(3))}"
        enter = {"distance": 40, "over": False, "element_type": kind, "elementId": eid, "intent": "medium"}
        events.append({"type": f"{kind}_proximity_enter", "timestamp": round(t), "currentSection": section,
                       "data": enter})
        if rng.random() < 0.6:
            events.append({"type": f"{kind}_hover", "timestamp": round(t), "currentSection": section,
                           "data": {"over": True, "element_type": kind, "elementId": eid, "meta": {}}})
        events.append({"type": f"{kind}_proximity_leave", "timestamp": round(t + 600), "currentSection": section,
                       "data": {"element_type": kind, "elementId": eid, "dwellMs": 600}})
        if rng.random() < 0.3:
            section = SECTIONS[int(rng.integers(len(SECTIONS)))]
            depth = int(min(100, max(0, depth + rng.integers(-20, 30))))
            events.append({"type": "scroll", "timestamp": round(t + 100), "currentSection": section,
                           "data": {"depth": depth, "maxDepth": depth, "velocity": 900, "direction": "down"}})
        if rng.random() < 0.08:
            target = {"tag": "button", "class": "btn", "id": "", "text": "More"}
            events.append({"type": "click", "timestamp": round(t + 200), "currentSection": section,
                           "data": {"x": x, "y": y, "target": target, "mouseVelocity": 0, "mouseJerk": 0}})
    events = sorted((e for e in events if e["timestamp"] < end), key=lambda e: e["timestamp"])
    batches: list[bytes] = []
    start, chunk = t0, []
    for e in events:
        while e["timestamp"] >= start + 3000:
            if chunk:
                batches.append(_batch(sid, chunk, start + 3000))
            start, chunk = start + 3000, []
        chunk.append(e)
        if len(chunk) == 50:
            batches.append(_batch(sid, chunk, e["timestamp"]))
            chunk = []
    if chunk:
        batches.append(_batch(sid, chunk, chunk[-1]["timestamp"]))
    return batches


def _batch(sid: str, events: list[dict[str, Any]], ts: float) -> bytes:
    return orjson.dumps({"type": "telemetry_batch", "events": events, "sessionId": sid, "tenantId": "org_bench",
                         "vertical": "rv_dealer", "pageContent": {"pageTitle": "Arctic Wolf", "h1": "Arctic Wolf"},
                         "timestamp": round(ts), "ip": "198.51.100.9", "userAgent": UA})


def throughput(sessions: int = 300, seconds: float = 60.0) -> dict[str, Any]:
    rng = np.random.default_rng(11)
    stream: list[tuple[float, bytes]] = []
    for i in range(sessions):
        t0 = T0 + float(rng.uniform(0, 20_000))
        for b in visit(f"sq_bench_{i:05d}", t0, seconds, rng):
            stream.append((orjson.loads(b)["timestamp"], b))
    stream.sort(key=lambda item: item[0])
    n_events = sum(len(orjson.loads(b)["events"]) for _, b in stream)
    engine = Engine()
    packets = 0
    gc.collect()
    started = time.perf_counter()
    for _, raw in stream:
        packets += sum(isinstance(o, PacketOut) for o in engine.ingest(orjson.loads(raw)))
    packets += sum(isinstance(o, PacketOut) for o in engine.close_all())
    elapsed = time.perf_counter() - started
    return {"sessions": sessions, "batches": len(stream), "events": n_events, "packets": packets,
            "seconds": round(elapsed, 2), "events_per_s": round(n_events / elapsed),
            "batches_per_s": round(len(stream) / elapsed), "us_per_event": round(1e6 * elapsed / n_events, 1)}


def memory(sessions: int = 1000) -> dict[str, Any]:
    rng = np.random.default_rng(12)
    # 9.9 s of each visit: the whole first window stays buffered (a window closes at 10 s)
    raw = [b for i in range(sessions) for b in visit(f"sq_mem_{i:05d}", T0, 9.9, rng)]
    events = sum(len(orjson.loads(b)["events"]) for b in raw)
    engine = Engine()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for b in raw:
        engine.ingest(orjson.loads(b))
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    buffered = sum(len(s.window) for s in engine.sessions.values())
    assert len(engine.sessions) == sessions and buffered == events, "every event must still be buffered"
    per = (after - before) / sessions
    return {"active_sessions": sessions, "buffered_events_per_session": round(events / sessions),
            "bytes_per_session": round(per), "kib_per_session": round(per / 1024, 1),
            "mib_total": round((after - before) / 2**20, 1)}


def main() -> None:
    t = throughput()
    m = memory()
    report("engine", {"events_per_s": t["events_per_s"], "us_per_event": t["us_per_event"],
                      "batches_per_s": t["batches_per_s"], "kib_per_active_session": m["kib_per_session"],
                      "throughput": t, "memory": m,
                      "notes": "one core (CPython, single thread); batches parsed with orjson inside the timed loop; "
                               "memory = tracemalloc delta with a full 10 s window buffered per session"})


if __name__ == "__main__":
    main()
