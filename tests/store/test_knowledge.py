"""The knowledge store (EITP v1.1 section 7.6): validated patterns persisted beside the run, read back, shown."""

import copy
import json

import orjson
import pytest
from sqlmodel import Session

from tests.conftest import FIXTURES, batch, ev, mouse_path
from workbench import bus as subjects
from workbench.cli.main import main
from workbench.consumer.stats import wilson_lower_bound
from workbench.events import EventStream, KnowledgeValidated, RunStarted, SessionStarted
from workbench.intelligence import EmotionalEvent, Intelligence
from workbench.pipeline import Pipeline
from workbench.store import repo
from workbench.store.db import open_db
from workbench.store.recorder import Recorder

T0 = 1_700_000_000_000
TENANT = "org_workbench"
PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())


def pattern(**changes):
    base = {"tenant": TENANT, "vertical": "rv_dealer", "emotion": "decision_paralysis", "section": "pricing",
            "geo": "us-east", "sample_size": 12, "confidence": 41.2, "spike": False, "anomaly": False, "z": 0.0,
            "trend": "stable"}
    return {**base, **changes}


def emotional(t, session, emotion="decision_paralysis", geo="us-east"):
    return EmotionalEvent(TENANT, "rv_dealer", session, emotion, "pricing", geo, t)


def test_a_pattern_validated_again_is_updated_not_duplicated(tmp_db):
    engine = open_db(tmp_db)
    rec = Recorder(engine)
    rec(RunStarted("run_k", "test", "rv", None, "", ""))
    rec(KnowledgeValidated(T0 + 60_000, [pattern(), pattern(emotion="hesitation", sample_size=10)]))
    rec(KnowledgeValidated(T0 + 120_000, [pattern(sample_size=15, confidence=55.0, trend="increasing")]))
    rec(RunStarted("run_other", "test", "rv", None, "", ""))  # another run's store is its own
    rec(KnowledgeValidated(T0, [pattern(sample_size=99)]))
    with Session(engine) as db:
        rows = repo.knowledge(db=db, run_id="run_k")
    assert [(r["emotion"], r["sample_size"], r["confidence"], r["trend"], r["cycles"]) for r in rows] == [
        ("decision_paralysis", 15, 55.0, "increasing", 2), ("hesitation", 10, 41.2, "stable", 1)]
    assert rows[0]["first_validated_at"] == T0 + 60_000 and rows[0]["updated_at"] == T0 + 120_000
    assert rows[0]["geo"] == "us-east" and rows[0]["vertical"] == "rv_dealer"


def test_the_cycle_reports_validated_patterns_only_and_outcomes_set_their_confidence():
    reported: list[tuple[float, list[dict]]] = []
    intel = Intelligence(on_knowledge=lambda at, patterns: reported.append((at, patterns)))
    for i in range(9):
        intel.add(emotional(T0 + i, f"s{i}"))
    intel.add(emotional(T0 + 60_000, "s_late"))  # a cycle with 9 in the group: nothing validated
    assert reported == []
    intel.add(emotional(T0 + 60_001, "s9"))
    for i, success in enumerate([True, True, True, False]):
        assert intel.add_outcome(TENANT, f"s{i}", "decision_paralysis", "pricing", success)
    assert not intel.add_outcome(TENANT, "never_seen", "decision_paralysis", "pricing", True)
    intel.add(emotional(T0 + 120_000, "s_later"))
    ((at, (p,)),) = reported
    assert at == T0 + 120_000 and p["sample_size"] == 11 and p["geo"] == "us-east"  # outcomes are no occurrences
    assert p["confidence"] == pytest.approx(100 * wilson_lower_bound(3, 4), abs=0.05)


def _visit(t0, sid, ip):
    """25 s of calm pointer telemetry on the pricing section, batched every 3 s as the bridge forwards it."""
    out = []
    for start in range(0, 25_000, 3000):
        events = mouse_path(t0 + start, 20) + [ev("mouse_pause", t0 + start + 2500, duration=1200, x=1, y=1)]
        out.append(batch(events, session=sid, tenant=TENANT, ip=ip))
    return out


async def _visit_through(pipeline, t0, sid, ip):
    for b in _visit(t0, sid, ip):
        await pipeline.bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(b))
    await pipeline.bus.drain()
    closed = {"tenantId": TENANT, "sessionId": sid, "at": t0 + 25_000}
    await pipeline.bus.publish(subjects.SESSION_CLOSED, orjson.dumps(closed))
    await pipeline.bus.drain()


async def test_engine_packets_become_stored_knowledge_with_the_bridge_reported_geography(tmp_db, capsys):
    engine = open_db(tmp_db)
    stream = EventStream(Recorder(engine))
    pipeline = Pipeline(stream=stream)
    await pipeline.start()
    stream.emit(RunStarted("run_kn", "test", "rv", None, "", pipeline.base_url))
    try:
        for i in range(10):  # ten visitors from us-east, as the bridge injects their address
            await _visit_through(pipeline, T0, f"sq_{i}_kn", "203.0.113.9")
        await _visit_through(pipeline, T0 + 70_000, "sq_late_kn", "203.0.113.9")  # event time passes a cycle
    finally:
        await pipeline.stop()

    with Session(engine) as db:
        stored = repo.knowledge(db=db, run_id="run_kn")
        packets = repo.packets(db=db, run_id="run_kn")
    (p,) = stored
    group = [q for q in packets if q["timestamp"] <= p["first_validated_at"]]
    assert p["geo"] == "us-east" and p["vertical"] == "rv_dealer" and p["cycles"] == 1
    assert {(q["emotion"]["primary"], q["spatial"]["currentSection"]) for q in group} == {(p["emotion"], p["section"])}
    assert p["sample_size"] == len(group) >= 10
    assert "203.0.113" not in json.dumps(stored)  # the group has a region, never an address (section 10.3)

    assert main(["show", "run_kn", "--db", str(tmp_db)]) == 0
    out = capsys.readouterr().out
    assert "knowledge store" in out and "us-east" in out and p["emotion"] in out
    assert main(["show", "run_kn", "--db", str(tmp_db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["knowledge"] == stored


async def test_intervention_outcomes_reach_the_knowledge_store_through_the_pipeline(tmp_db):
    engine = open_db(tmp_db)
    stream = EventStream(Recorder(engine))
    pipeline = Pipeline(stream=stream)
    await pipeline.start()
    stream.emit(RunStarted("run_out", "test", "rv", None, "", pipeline.base_url))
    intel = pipeline.intelligence
    assert intel is not None
    try:
        for i in range(10):
            intel.add(emotional(T0 + 20_000, f"sq_{i}_o"))
        for i in range(5):  # Seer speaks to five: three answer in the chat, one leaves, one was gone already
            sid = f"sq_{i}_o"
            stream.emit(SessionStarted(sid, TENANT, None, "rv"))
            if i == 4:
                closed = {"tenantId": TENANT, "sessionId": sid, "at": T0 + 30_000}
                await pipeline.bus.publish(subjects.SESSION_CLOSED, orjson.dumps(closed))
                await pipeline.bus.drain()
            packet = copy.deepcopy(PACKET)
            packet.update(sessionId=sid, tenantId=TENANT, timestamp=T0 + 20_000)
            packet["temporal"]["sessionDuration"] = 20_000
            await pipeline.bus.publish(subjects.intervention_request(TENANT, sid), orjson.dumps(packet))
            await pipeline.bus.drain()
            if i < 3:
                reply = batch([ev("chat_message", T0 + 25_000)], session=sid, tenant=TENANT)
                await pipeline.bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(reply))
            elif i == 3:
                closed = {"tenantId": TENANT, "sessionId": sid, "at": T0 + 26_000}
                await pipeline.bus.publish(subjects.SESSION_CLOSED, orjson.dumps(closed))
            await pipeline.bus.drain()
        intel.add(emotional(T0 + 90_000, "sq_late_o"))  # the next cycle
    finally:
        await pipeline.stop()

    with Session(engine) as db:
        (p,) = repo.knowledge(db=db, run_id="run_out")
        outcomes = [r["outcome"] for r in repo.interventions(db=db, run_id="run_out")]
    assert sorted(outcomes) == ["chat_engaged", "chat_engaged", "chat_engaged", "left", "undelivered"]
    assert p["emotion"] == "decision_paralysis" and p["sample_size"] == 10
    assert p["confidence"] == pytest.approx(100 * wilson_lower_bound(3, 4), abs=0.05)


def test_the_run_report_carries_the_knowledge_so_run_and_show_write_the_same_json(tmp_db, tmp_path, capsys):
    """`run --json F` writes repo.run_report as it is; `show --json` prints the same report."""
    from workbench.report import write_json

    rec = Recorder(open_db(tmp_db))
    rec(RunStarted("run_k", "test", "rv", None, "", ""))
    rec(KnowledgeValidated(T0 + 60_000, [pattern()]))
    with Session(open_db(tmp_db, create=False)) as db:
        report = repo.run_report(db=db, run_id="run_k", rage=False)
        assert report is not None and report["knowledge"] == repo.knowledge(db=db, run_id="run_k")
    written = json.loads(write_json(report, tmp_path / "run.json").read_text())
    assert main(["show", "run_k", "--db", str(tmp_db), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert set(written) == set(shown) and [k["emotion"] for k in written["knowledge"]] == ["decision_paralysis"]


def test_show_with_an_empty_run_id_is_no_run_not_the_latest(tmp_db, capsys):
    """`workbench show "$RUN_ID"` with the variable unset must not report another run and pass."""
    rec = Recorder(open_db(tmp_db))
    rec(RunStarted("run_k", "test", "rv", None, "", ""))
    assert main(["show", "", "--db", str(tmp_db)]) == 2
    assert "no run '' in the database" in capsys.readouterr().err
