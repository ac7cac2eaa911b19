"""The SQLite sink of the run-event stream: writes runs, sessions, batches, packets, verdicts,
interventions with their outcomes, and the knowledge store's validated patterns.

Each event is one transaction. An event the store cannot take for now (another process has held it
locked past the busy timeout, a full disk, an I/O error: :class:`~workbench.store.db.StoreUnavailable`)
is kept in memory, with every event after it, and written in order at the next event once the store
takes writes again; it is said once on the log, as one line, not as a traceback per event.

An event the store must not take as it is (:class:`EventRefused`) is dropped and counted in
:attr:`Recorder.refused`: one before any run started, one of another run than the one started, and
every event of a run whose id is already stored (two runs started in the same second may draw one id;
their events must not end, score or configure the other run).
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

import orjson
from sqlalchemy import insert, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workbench.errors import WorkbenchError
from workbench.events import (
    BatchReceived,
    BotVerdictEmitted,
    ConnectionClosed,
    InterventionOutcome,
    InterventionSent,
    KnowledgeValidated,
    OutcomeExpected,
    PacketEmitted,
    RunConfigured,
    RunEnded,
    RunEvent,
    RunScored,
    RunStarted,
    SessionEnded,
    SessionStarted,
    SessionTraced,
)
from workbench.store.db import StoreDamaged, StoreUnavailable
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
    utcnow,
)

log = logging.getLogger(__name__)

#: the fields a client address travels in (the bridge's ``CLIENT_IP_FIELDS``, refused in packets by the schema);
#: section 10.3: none is stored, even if a batch still carries one
IP_FIELDS = ("ip", "clientIp", "ipAddress", "remoteAddress")


class EventRefused(WorkbenchError):
    """A run event the store does not take: it came before its run started, names another run than the one
    started, or belongs to a run whose id another run already has in the store."""


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


class Recorder:
    """Call with run events. Session rows are created on first sight, so ``workbench serve``
    records people who open the site in their own browser as well as scripted personas."""

    def __init__(self, engine: Engine, run_id: str | None = None) -> None:
        self.engine = engine
        self.run_id = run_id
        self._known: set[str] = set()  # sessions whose row is stored
        self._adding: set[str] = set()  # sessions whose row the event being written adds
        self._waiting: deque[RunEvent] = deque()
        self._taken: str | None = None  # the run id this recorder was refused because it is already stored
        #: events dropped because the store must not take them (:class:`EventRefused`) or could not write them
        self.refused = 0
        #: why the events in :attr:`unwritten` wait (None when every event is stored)
        self.failure: StoreUnavailable | None = None

    @property
    def unwritten(self) -> int:
        """How many events wait in memory for the store to take writes again."""
        return len(self._waiting)

    def __call__(self, event: RunEvent) -> None:
        self._waiting.append(event)
        if not self.flush() and isinstance(event, RunEnded):
            log.error("%d event(s) of run %s are not stored: %s", len(self._waiting), event.run_id, self.failure)

    def flush(self) -> bool:
        """Write the waiting events in order; False when the store still refuses them (they keep waiting)."""
        while self._waiting:
            event, run_id = self._waiting[0], self.run_id
            self._adding = set()
            try:
                with Session(self.engine) as db:
                    self._write(db, event)
                    db.commit()
            except EventRefused:
                self.refused += 1
                self._waiting.popleft()
                raise
            except StoreUnavailable as exc:
                self.run_id = run_id  # nothing of the event was stored: as if it had not been seen
                if isinstance(exc, StoreDamaged):
                    self._waiting.popleft()
                    raise
                if self.failure is None:
                    log.error("%s; the run's events are kept in memory and stored when it takes writes again", exc)
                self.failure = exc
                return False
            except Exception:
                self.run_id = run_id
                self.refused += 1
                self._waiting.popleft()  # an event that cannot be written never holds up the ones after it
                raise
            except BaseException:  # ctrl-c, SIGTERM, a cancelled task mid-write: the event was not stored, and waits
                self.run_id = run_id
                raise
            self._waiting.popleft()
            if isinstance(event, RunStarted):
                self._known = set()  # a session id of the run before (the same seed gives the same ids) is new here
            self._known |= self._adding
            if self.failure is not None:
                log.error("the store takes writes again: the events that waited are stored")
                self.failure = None
        return True

    def _ensure_session(self, db: Session, session_id: str, **fields: Any) -> None:
        if session_id in self._known or session_id in self._adding:
            if fields:
                db.execute(update(SessionRecord).where(col(SessionRecord.run_id) == self.run_id,
                                                       col(SessionRecord.session_id) == session_id).values(**fields))
            return
        assert self.run_id is not None  # _check refused the event otherwise
        self._adding.add(session_id)
        db.add(SessionRecord(run_id=self.run_id, session_id=session_id, **fields))

    def _check(self, event: RunEvent) -> None:
        """Refuse an event that has no run to go to, or that names another run than the one started."""
        own = getattr(event, "run_id", None)
        if self.run_id is not None and own in (None, self.run_id):
            return
        what = type(event).__name__ + (f" of run {own}" if own else "")
        if (session := _session_of(event)) is not None:
            what += f" of session {session}"
        if self._taken is not None and self.run_id is None:
            raise EventRefused(f"{what} is not stored: run {self._taken} is already stored by another run that drew "
                               "the same id, and its rows are not to be mixed with this run's")
        if self.run_id is None:
            raise EventRefused(f"{what} came before its run started (no RunStarted): not stored")
        raise EventRefused(f"{what} is not stored: the run being recorded is {self.run_id}")

    def _write(self, db: Session, event: RunEvent) -> None:
        if not isinstance(event, RunStarted):
            self._check(event)
        match event:
            case RunStarted():
                db.add(Run(id=event.run_id, kind=event.kind, site=event.site, seed=event.seed,
                           config_toml=event.config_toml))
                try:
                    db.flush()
                except IntegrityError as exc:
                    if "UNIQUE constraint failed: run.id" not in str(exc.orig):  # not ours to explain
                        raise
                    self.run_id, self._taken = None, event.run_id
                    raise EventRefused(f"run {event.run_id} is already stored (another run drew the same id): "
                                       "this run's events are not stored, so they cannot change that run") from None
                self.run_id, self._taken = event.run_id, None
            case SessionStarted():
                self._ensure_session(db, event.session_id, tenant_id=event.tenant_id, persona=event.persona,
                                     site=event.site, user_agent=event.user_agent)
            case BatchReceived():
                batch = event.batch
                events = batch.get("events", [])
                stamps = [float(e["timestamp"]) for e in events] or [float(batch.get("timestamp", 0))]
                self._ensure_session(db, event.session_id, tenant_id=event.tenant_id)
                db.execute(insert(BatchRecord).values(run_id=self.run_id, session_id=event.session_id,
                                                      timestamp=float(batch.get("timestamp", 0)),
                                                      event_count=len(events),
                                                      payload=_dumps({k: v for k, v in batch.items()
                                                                      if k not in IP_FIELDS})))
                row = db.get(SessionRecord, self._row_id(db, event.session_id))
                if row is not None:
                    row.event_count += len(events)
                    row.batch_count += 1
                    row.first_event_ts = min(stamps + ([row.first_event_ts] if row.first_event_ts else []))
                    row.last_event_ts = max(stamps + ([row.last_event_ts] if row.last_event_ts else []))
                    row.user_agent = row.user_agent or str(batch.get("userAgent", ""))
            case PacketEmitted():
                p = event.packet
                db.execute(insert(PacketRecord).values(
                    run_id=self.run_id, session_id=p["sessionId"], timestamp=p["timestamp"],
                    emotion=p["emotion"]["primary"], confidence=p["emotion"]["confidence"],
                    intensity=p["emotion"]["intensity"], trajectory=p["emotion"]["trajectory"],
                    section=p["spatial"]["currentSection"], payload=_dumps(p)))
                row = db.get(SessionRecord, self._row_id(db, p["sessionId"]))
                if row is not None:
                    row.packet_count += 1
                    row.last_emotion = p["emotion"]["primary"]
            case BotVerdictEmitted():
                d = event.detection
                db.execute(insert(BotVerdictRecord).values(
                    run_id=self.run_id, session_id=d["session_id"], timestamp=d["timestamp"],
                    classification=d["classification"], confidence=d["confidence"], reasoning=d["reasoning"],
                    signals=_dumps(d["signals"]), event_count=d["event_count"],
                    review=_dumps(d["review"]) if d.get("review") is not None else None))
                self._ensure_session(db, d["session_id"], bot_classification=d["classification"],
                                     bot_confidence=d["confidence"])
            case SessionEnded():
                self._ensure_session(db, event.session_id, status=event.status, error=event.error)
            case ConnectionClosed():
                self._ensure_session(db, event.session_id, closed_at=event.at)
            case InterventionSent():
                db.execute(insert(InterventionRecord).values(
                    run_id=self.run_id, session_id=event.session_id, timestamp=event.timestamp, emotion=event.emotion,
                    section=event.section, strategy=event.strategy, message=event.message, source=event.source,
                    experiment=_dumps(event.experiment) if event.experiment else None))
            case InterventionOutcome() | OutcomeExpected():  # what Seer observed; what it should have
                column = "outcome" if isinstance(event, InterventionOutcome) else "expected"
                iv = InterventionRecord
                db.execute(update(iv).where(
                    col(iv.run_id) == self.run_id, col(iv.session_id) == event.session_id,
                    col(iv.timestamp) == event.timestamp).values({column: event.outcome}))
            case KnowledgeValidated():
                self._knowledge(db, event)
            case RunEnded():
                db.execute(update(Run).where(col(Run.id) == event.run_id).values(
                    status=event.status, ended_at=utcnow(), summary_json=_dumps(event.summary)))
            case RunConfigured():
                db.add(RunConfigRecord(run_id=event.run_id, clock=event.clock, concurrency=event.concurrency,
                                       personas=_dumps(event.personas), browser_endpoint=event.browser_endpoint,
                                       settings=_dumps(event.settings)))
            case SessionTraced():
                db.execute(insert(SessionTraceRecord).values(
                    run_id=self.run_id, session_id=event.session_id, persona=event.persona, seed=event.seed,
                    seed_index=event.seed_index, clock=event.clock, ground_truth=_dumps(event.ground_truth),
                    simulated_ms=event.simulated_ms, wall_ms=event.wall_ms, fidelity=_dumps(event.fidelity),
                    trail=_dumps(event.trail)))
                if event.screenshot_png:
                    db.execute(insert(ScreenshotRecord).values(run_id=self.run_id, session_id=event.session_id,
                                                               scale=event.screenshot_scale, png=event.screenshot_png))
            case RunScored():
                rows = [{"run_id": event.run_id, "session_id": s["session_id"], "persona": s["persona"],
                         "expectation": c["name"], "status": c["status"], "expected": c["expected"],
                         "actual": c["actual"]} for s in event.sessions for c in s["checks"]]
                if rows:
                    db.execute(insert(ScoreRecord), rows)
                db.add(RunScoreRecord(run_id=event.run_id, verdict=event.verdict, summary=_dumps(event.summary)))

    def _knowledge(self, db: Session, event: KnowledgeValidated) -> None:
        """Upsert each validated group: first sight inserts it, later cycles refresh its figures."""
        rows = [{"run_id": self.run_id, "tenant": p["tenant"], "vertical": p["vertical"], "emotion": p["emotion"],
                 "section": p["section"], "geo": p["geo"], "sample_size": int(p["sample_size"]),
                 "confidence": float(p["confidence"]), "spike": bool(p["spike"]), "anomaly": bool(p["anomaly"]),
                 "z": float(p["z"]), "trend": str(p["trend"]), "first_validated_at": event.at,
                 "updated_at": event.at, "cycles": 1} for p in event.patterns]
        if not rows:
            return
        stmt = sqlite_insert(KnowledgePatternRecord)
        refreshed = {k: stmt.excluded[k] for k in ("sample_size", "confidence", "spike", "anomaly", "z", "trend",
                                                   "updated_at")}
        refreshed["cycles"] = KnowledgePatternRecord.cycles + 1  # type: ignore[assignment]
        db.execute(stmt.on_conflict_do_update(
            index_elements=["run_id", "tenant", "vertical", "emotion", "section", "geo"], set_=refreshed), rows)

    def _row_id(self, db: Session, session_id: str) -> int | None:
        db.flush()
        return db.exec(select(SessionRecord.id).where(SessionRecord.run_id == self.run_id,
                                                      SessionRecord.session_id == session_id)).first()


def _session_of(event: RunEvent) -> str | None:
    """The session an event is about, to name in an error."""
    if isinstance(event, PacketEmitted):
        return str(event.packet.get("sessionId"))
    if isinstance(event, BotVerdictEmitted):
        return str(event.detection.get("session_id"))
    session = getattr(event, "session_id", None)
    return None if session is None else str(session)
