"""Read-side queries for the CLI and the TUI (keyword-only ``db=`` in the SQLModel style)."""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Iterator
from typing import Any

import orjson
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from workbench import lab, rageclicks, scoring
from workbench.config import EITPConfig
from workbench.errors import ConfigError
from workbench.scoring import attribution
from workbench.store.db import StoreDamaged
from workbench.store.models import (
    BatchRecord,
    BotVerdictRecord,
    InterventionRecord,
    KnowledgePatternRecord,
    PacketRecord,
    Run,
    RunConfigRecord,
    RunScoreRecord,
    ScoreRecord,
    ScreenshotRecord,
    SessionRecord,
    SessionTraceRecord,
)


def _store(db: Session) -> str:
    """The store's file, to name in an error."""
    bind = db.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return str(engine.url.database or "the store")


def _json(db: Session, stored: str | bytes | None, where: str, kind: type | tuple[type, ...] = dict) -> Any:
    """A stored JSON column's value; :class:`StoreDamaged` naming the file, the row and the column when it
    is not JSON, or not the kind of JSON the workbench writes there (``kind``)."""
    try:
        value = orjson.loads(stored if stored is not None else b"")
    except orjson.JSONDecodeError as exc:
        raise StoreDamaged(f"{_store(db)}: {where} is not JSON ({exc}): the row was not written by the workbench, "
                           "or the file is damaged") from None
    if not isinstance(value, kind):
        names = " or ".join(_KINDS.get(k, k.__name__) for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise StoreDamaged(f"{_store(db)}: {where} holds {_KINDS.get(type(value), type(value).__name__)}, not "
                           f"{names}: the row was not written by the workbench")
    return value


def _number(db: Session, stored: Any, where: str) -> float | int | None:
    """A stored number column's value (None stays None); :class:`StoreDamaged` when it holds anything else:
    SQLite keeps whatever text another program wrote into a number column."""
    if stored is None or (isinstance(stored, int | float) and not isinstance(stored, bool)):
        return stored
    raise StoreDamaged(f"{_store(db)}: {where} holds {stored!r:.40}, not a number: the row was not written by "
                       "the workbench")


_KINDS: dict[type, str] = {dict: "a JSON object", list: "a JSON array", str: "a JSON string", int: "a number",
                           float: "a number", bool: "true or false", type(None): "null"}


def _packet(db: Session, p: PacketRecord) -> dict[str, Any]:
    """A stored packet's body, checked for the fields a report reads from it."""
    body = _json(db, p.payload, f"packet row {p.id} (run {p.run_id}, session {p.session_id}), column payload")
    temporal, patterns = body.get("temporal"), body.get("patterns")
    if not (isinstance(temporal, dict) and isinstance(temporal.get("sessionDuration"), int | float)
            and isinstance(patterns, dict) and isinstance(patterns.get("detected"), list)):
        raise StoreDamaged(f"{_store(db)}: packet row {p.id} (run {p.run_id}, session {p.session_id}) is not an "
                           "EITP packet (no temporal.sessionDuration or patterns.detected): the row was not written "
                           "by the workbench")
    return body


def _batch(db: Session, b: BatchRecord) -> dict[str, Any]:
    """A stored telemetry batch, checked to be an object whose events are objects."""
    body = _json(db, b.payload, f"batch row {b.id} (run {b.run_id}, session {b.session_id}), column payload")
    events = body.get("events", [])
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise StoreDamaged(f"{_store(db)}: batch row {b.id} (run {b.run_id}, session {b.session_id}) has events "
                           "that are not a list of objects: the row was not written by the workbench")
    return body


def _runs(db: Session, query: Any) -> list[Run]:
    """Run rows; :class:`StoreDamaged` when one has a start or end that is not a time (SQLite stores them as text)."""
    try:
        return list(db.exec(query).all())
    except ValueError as exc:
        raise StoreDamaged(f"{_store(db)}: a row of table run has a started_at or ended_at that is not a time "
                           f"({exc}): the row was not written by the workbench") from None


def _run(db: Session, run_id: str) -> Run | None:
    found = _runs(db, select(Run).where(Run.id == run_id))
    return found[0] if found else None


def run_exists(*, db: Session, run_id: str) -> bool:
    """Whether the store holds the run, or any session of it."""
    return db.exec(select(Run.id).where(Run.id == run_id)).first() is not None or \
        db.exec(select(SessionRecord.id).where(SessionRecord.run_id == run_id)).first() is not None


def list_runs(*, db: Session, limit: int = 50) -> list[dict[str, Any]]:
    counts = dict(db.exec(select(SessionRecord.run_id, func.count()).group_by(SessionRecord.run_id)).all())
    runs = _runs(db, select(Run).order_by(Run.started_at.desc()).limit(limit))  # type: ignore[attr-defined]
    return [{"id": r.id, "kind": r.kind, "site": r.site, "status": r.status, "seed": r.seed,
             "started_at": r.started_at.isoformat(timespec="seconds"), "sessions": counts.get(r.id, 0)} for r in runs]


def count_runs(*, db: Session) -> int:
    return int(db.exec(select(func.count()).select_from(Run)).one())


def list_sessions(*, db: Session, run_id: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Stored sessions oldest first: all of them, or the newest ``limit``."""
    query = select(SessionRecord).order_by(SessionRecord.id.desc())  # type: ignore[union-attr]
    if run_id:
        query = query.where(SessionRecord.run_id == run_id)
    if limit is not None:
        query = query.limit(limit)
    return [{"run_id": s.run_id, "session_id": s.session_id, "persona": s.persona, "site": s.site,
             "status": s.status, "events": s.event_count, "batches": s.batch_count, "packets": s.packet_count,
             "last_emotion": s.last_emotion, "bot": s.bot_classification, "error": s.error}
            for s in reversed(db.exec(query).all())]


def count_sessions(*, db: Session, run_id: str | None = None) -> int:
    query = select(func.count()).select_from(SessionRecord)
    if run_id:
        query = query.where(SessionRecord.run_id == run_id)
    return int(db.exec(query).one())


def packets(*, db: Session, run_id: str, session_id: str | None = None) -> list[dict[str, Any]]:
    query = select(PacketRecord).where(PacketRecord.run_id == run_id).order_by(PacketRecord.id)  # type: ignore[arg-type]
    if session_id:
        query = query.where(PacketRecord.session_id == session_id)
    return [_packet(db, p) for p in db.exec(query).all()]


def _batch_rows(run_id: str) -> Any:
    """The query for a run's batch rows in arrival order."""
    return select(BatchRecord).where(BatchRecord.run_id == run_id).order_by(BatchRecord.id)  # type: ignore[arg-type]


def _read_rows(db: Session, query: Any) -> Iterator[BatchRecord]:
    """Batch rows a hundred at a time: a run's telemetry can be gigabytes once parsed."""
    return iter(db.exec(query.execution_options(yield_per=100)))


def batches(*, db: Session, run_id: str, session_id: str | None = None) -> list[dict[str, Any]]:
    query = _batch_rows(run_id)
    if session_id:
        query = query.where(BatchRecord.session_id == session_id)
    return [_batch(db, b) for b in _read_rows(db, query)]


def run_config(*, db: Session, run_id: str) -> EITPConfig | None:
    """The thresholds a run was made with (stored as TOML when it started); None when unknown."""
    run = _run(db, run_id)
    if run is None or not run.config_toml.strip():
        return None
    try:
        return EITPConfig.from_mapping(tomllib.loads(run.config_toml))
    except (tomllib.TOMLDecodeError, ConfigError):
        return None  # written by another version of the workbench: the caller falls back to the defaults


def events_by_session(*, db: Session, run_id: str,
                      types: Collection[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every stored telemetry event of a run (section 3), per session, in the order the batches arrived;
    ``types``: only events of these types (a run's mouse samples outweigh the rest many times over)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for b in _read_rows(db, _batch_rows(run_id)):
        events = _batch(db, b).get("events", ())
        found.setdefault(b.session_id, []).extend(
            events if types is None else (e for e in events if e.get("type") in types))
    return found


def bot_verdicts(*, db: Session, run_id: str) -> list[BotVerdictRecord]:
    query = select(BotVerdictRecord).where(BotVerdictRecord.run_id == run_id).order_by(BotVerdictRecord.id)  # type: ignore[arg-type]
    return list(db.exec(query).all())


def latest_run_id(*, db: Session, kind: str | None = None, with_telemetry: bool = False) -> str | None:
    """The newest run (of ``kind``); ``with_telemetry``: the newest that stored any batch (a run
    stopped before its first visit has nothing to replay)."""
    query = select(Run.id).order_by(Run.started_at.desc())  # type: ignore[attr-defined]
    if kind:
        query = query.where(Run.kind == kind)
    if with_telemetry:
        query = query.where(select(BatchRecord.id).where(BatchRecord.run_id == Run.id).exists())
    return db.exec(query.limit(1)).first()


def screenshots(*, db: Session, run_id: str) -> dict[str, tuple[bytes, float]]:
    """session id -> (the image's bytes: WebP, or PNG from older runs; image px per CSS px)."""
    rows = db.exec(select(ScreenshotRecord).where(ScreenshotRecord.run_id == run_id)).all()
    for r in rows:
        if not isinstance(r.png, bytes):
            raise StoreDamaged(f"{_store(db)}: screenshot row {r.id} (session {r.session_id}) holds "
                               f"{type(r.png).__name__}, not an image: the row was not written by the workbench")
        _number(db, r.scale, f"screenshot row {r.id}, column scale")
    return {r.session_id: (r.png, r.scale) for r in rows}


def run_report(*, db: Session, run_id: str, rage: bool = True) -> dict[str, Any] | None:
    """Everything a report shows about a run, as plain data (no screenshots: see :func:`screenshots`).

    ``rage=False`` leaves out the rage-click tables, which read every stored batch of the run."""
    run = _run(db, run_id)
    if run is None:
        return None
    config = db.get(RunConfigRecord, run_id)
    score = db.get(RunScoreRecord, run_id)
    traces = {t.session_id: t for t in db.exec(select(SessionTraceRecord).where(SessionTraceRecord.run_id == run_id))}
    checks: dict[str, list[dict[str, str]]] = {}
    for c in db.exec(select(ScoreRecord).where(ScoreRecord.run_id == run_id).order_by(ScoreRecord.id)):  # type: ignore[arg-type]
        checks.setdefault(c.session_id, []).append({"name": c.expectation, "status": c.status,
                                                    "expected": c.expected, "actual": c.actual})
    timelines: dict[str, list[dict[str, Any]]] = {}
    for p in db.exec(select(PacketRecord).where(PacketRecord.run_id == run_id).order_by(PacketRecord.id)):  # type: ignore[arg-type]
        body = _packet(db, p)
        timelines.setdefault(p.session_id, []).append({
            "t_ms": body["temporal"]["sessionDuration"], "emotion": p.emotion, "confidence": p.confidence,
            "intensity": p.intensity, "trajectory": p.trajectory, "section": p.section,
            "patterns": body["patterns"]["detected"]})
    verdicts: dict[str, list[dict[str, Any]]] = {}
    for v in bot_verdicts(db=db, run_id=run_id):
        verdicts.setdefault(v.session_id, []).append({
            "timestamp": v.timestamp, "classification": v.classification, "confidence": v.confidence,
            "reasoning": v.reasoning, "signals": _json(db, v.signals, f"bot_verdict row {v.id}, column signals", list),
            "event_count": v.event_count,
            "review": _json(db, v.review, f"bot_verdict row {v.id}, column review") if v.review else None})
    said: dict[str, list[dict[str, Any]]] = {}
    for i in interventions(db=db, run_id=run_id):
        said.setdefault(i["session_id"], []).append(i)
    sessions: list[dict[str, Any]] = []
    for s in db.exec(select(SessionRecord).where(SessionRecord.run_id == run_id).order_by(SessionRecord.id)):  # type: ignore[arg-type]
        trace = traces.get(s.session_id)
        row = f"session_trace row {trace.id if trace else None} (run {run_id}, session {s.session_id})"
        own = checks.get(s.session_id, [])
        states = {c["status"] for c in own}
        sessions.append({
            "session_id": s.session_id, "persona": s.persona, "site": s.site, "status": s.status, "error": s.error,
            "user_agent": s.user_agent, "events": s.event_count, "batches": s.batch_count, "packets": s.packet_count,
            "closed_at": s.closed_at,
            "bot": s.bot_classification, "bot_confidence": s.bot_confidence,
            "seed": trace.seed if trace else None, "seed_index": trace.seed_index if trace else None,
            "clock": trace.clock if trace else None,
            "ground_truth": _json(db, trace.ground_truth, f"{row}, column ground_truth") if trace else None,
            "simulated_ms": _number(db, trace.simulated_ms, f"{row}, column simulated_ms") if trace else None,
            "wall_ms": _number(db, trace.wall_ms, f"{row}, column wall_ms") if trace else None,
            "fidelity": _json(db, trace.fidelity, f"{row}, column fidelity") if trace else None,
            "trail": _json(db, trace.trail, f"{row}, column trail") if trace else None,
            "checks": own,
            "verdict": "error" if "error" in states else "fail" if "fail" in states else "pass" if own else None,
            "emotions": timelines.get(s.session_id, []),
            "bot_verdicts": verdicts.get(s.session_id, []),
            "interventions": [{**i, "t_ms": i["timestamp"] - (s.first_event_ts or i["timestamp"])}
                              for i in said.get(s.session_id, [])],
        })
    wall_s = (run.ended_at - run.started_at).total_seconds() if run.ended_at else None
    simulated = sum(float(x["simulated_ms"] or 0) for x in sessions) / 1000.0
    summary = _json(db, score.summary, f"run_score row {run_id!r}, column summary") if score else None
    truths = (summary or {}).get("ground_truth")
    if isinstance(summary, dict) and isinstance(truths, dict) and all(isinstance(t, dict) for t in truths.values()) \
            and truths:
        # per emotion, read from the stored packets and ground truth, so runs scored before a change of
        # the definition (workbench.scoring) compare with runs scored after it
        summary["emotion_precision_recall"] = scoring.emotion_precision_recall(
            (truths[s["persona"]].get("emotions", ()), {e["emotion"] for e in s["emotions"]}) for s in sessions
            if s["status"] == "ended" and s["persona"] in truths and not truths[s["persona"]].get("bot"))
    return {
        "run": {"id": run.id, "kind": run.kind, "site": run.site,
                "seed": _number(db, run.seed, f"run row {run.id!r}, column seed"), "status": run.status,
                "started_at": run.started_at.isoformat(timespec="seconds"),
                "ended_at": run.ended_at.isoformat(timespec="seconds") if run.ended_at else None,
                "wall_s": round(wall_s, 2) if wall_s is not None else None, "simulated_s": round(simulated, 2)},
        "config": None if config is None else {
            "clock": config.clock, "concurrency": config.concurrency,
            "personas": _json(db, config.personas, f"run_config row {run_id!r}, column personas", list),
            "browser_endpoint": config.browser_endpoint,
            "settings": _json(db, config.settings, f"run_config row {run_id!r}, column settings")},
        "verdict": score.verdict if score else None,
        "summary": summary,
        "attribution": attribution((i["expected"], i["outcome"]) for s in sessions for i in s["interventions"]
                                   if i["expected"]),
        # the run's clicks by EITP's rule (with the run's own thresholds) and four other tools' rules
        "rage": rageclicks.judge_run(sessions, events_by_session(db=db, run_id=run_id, types=rageclicks.EVENT_TYPES),
                                     rageclicks.definitions(run_config(db=db, run_id=run_id))) if rage else None,
        "sessions": sessions,
        "knowledge": knowledge(db=db, run_id=run_id),  # section 7.6's validated patterns of the run
    }


def interventions(*, db: Session, run_id: str, session_id: str | None = None) -> list[dict[str, Any]]:
    """What Seer said in a run, in order, with what came of it and (simulated visitors) what should have."""
    query = select(InterventionRecord).where(InterventionRecord.run_id == run_id).order_by(InterventionRecord.id)  # type: ignore[arg-type]
    if session_id:
        query = query.where(InterventionRecord.session_id == session_id)
    return [{"session_id": r.session_id, "timestamp": r.timestamp, "emotion": r.emotion, "section": r.section,
             "strategy": r.strategy, "message": r.message, "source": r.source, "outcome": r.outcome,
             "expected": r.expected,
             "experiment": _json(db, r.experiment, f"intervention row {r.id}, column experiment") if r.experiment
             else None}
            for r in db.exec(query).all()]


def knowledge(*, db: Session, run_id: str) -> list[dict[str, Any]]:
    """The run's knowledge store (section 7.6 validated patterns), most confident and largest first."""
    query = select(KnowledgePatternRecord).where(KnowledgePatternRecord.run_id == run_id)
    rows = sorted(db.exec(query).all(), key=lambda r: (-r.confidence, -r.sample_size, r.emotion, r.section, r.geo))
    return [{"tenant": r.tenant, "vertical": r.vertical, "emotion": r.emotion, "section": r.section, "geo": r.geo,
             "sample_size": r.sample_size, "confidence": r.confidence, "spike": r.spike, "anomaly": r.anomaly,
             "z": r.z, "trend": r.trend, "first_validated_at": r.first_validated_at, "updated_at": r.updated_at,
             "cycles": r.cycles} for r in rows]


def _carried_out(session: dict[str, Any]) -> tuple[str, str | None]:
    """A stored session's status for scoring, and why it was not carried out. A persona's session still
    "running" was cut short by a process that died without storing an interrupt (SIGKILL): its telemetry stops
    mid-visit, so it is not scored as a visit. A `workbench serve` visitor (no persona) is never ended by a
    script; its visit is what its telemetry holds."""
    status = session["status"]
    if status == "failed" or (status != "ended" and session["persona"]):
        return "failed", None if status == "failed" else f"the visit never ended (stored as {status!r})"
    return "ended", None


def stored_telemetry(*, db: Session, run_id: str) -> lab.Telemetry | None:
    """A stored run as the engine saw it, for the threshold lab (:class:`workbench.lab.Telemetry`)."""
    report = run_report(db=db, run_id=run_id, rage=False)
    if report is None:
        return None
    stream = _StoredBatches(db.get_bind(), run_id)
    ends = stream.check(db)
    sessions = [lab.StoredSession(
        s["session_id"], s["persona"] or "visitor", _carried_out(s)[0], s["error"] or _carried_out(s)[1],
        scoring.GroundTruth.from_dict(s["persona"], s["ground_truth"]) if s["ground_truth"] and s["persona"] else None,
        s["closed_at"], tuple(e["emotion"] for e in s["emotions"]), s["bot"],
        tuple(v["review"] for v in s["bot_verdicts"] if v["review"] is not None)) for s in report["sessions"]]
    return lab.Telemetry(run_id, stream, sessions, ends)


class _StoredBatches:
    """A run's batches in arrival order (:class:`workbench.lab.Batches`), read from the store on each pass, a
    few rows at a time: a sweep replays a run once per setting, and a run of thousands of sessions holds
    gigabytes of telemetry once parsed. Each pass reads the batches there were when :meth:`check` ran, so a
    ``workbench serve`` run written meanwhile replays the same batches under every setting."""

    def __init__(self, bind: Any, run_id: str) -> None:
        self.bind, self.run_id = bind, run_id
        self.last_id = 0
        self.count = 0

    def check(self, db: Session) -> dict[str, int]:
        """Read every batch once, now: a damaged row is said before any replay (:class:`StoreDamaged`).
        Returns :func:`workbench.lab.last_batches`, found on the way."""
        ends: dict[str, int] = {}
        for b in _read_rows(db, _batch_rows(self.run_id)):
            ends[str(_batch(db, b).get("sessionId"))] = self.count
            self.last_id, self.count = int(b.id or 0), self.count + 1
        return ends

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        with Session(self.bind) as db:
            for b in _read_rows(db, _batch_rows(self.run_id).where(BatchRecord.id <= self.last_id)):  # type: ignore[operator]
                yield _batch(db, b)
