"""SQLite tables of a workbench run (SQLModel).

Enough to replay a run: every raw batch is kept (with the bridge-injected IP removed:
section 10.3 says IPs are not persisted beyond the session), every packet and every bot
verdict. JSON bodies are stored as text so a row reads the same as the wire.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Run(SQLModel, table=True):
    id: str = Field(primary_key=True)
    kind: str  # demo | serve | run
    site: str = ""
    seed: int | None = None
    status: str = "running"  # running | passed | failed | ended
    started_at: datetime = Field(default_factory=utcnow)  # wall clock: metadata, never logic
    ended_at: datetime | None = None
    config_toml: str = ""
    summary_json: str = "{}"


class SessionRecord(SQLModel, table=True):
    __tablename__ = "session"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    session_id: str = Field(index=True)
    tenant_id: str = ""
    persona: str | None = None
    site: str = ""
    status: str = "running"  # running | ended | failed
    error: str | None = None
    user_agent: str = ""
    first_event_ts: float | None = None
    last_event_ts: float | None = None
    closed_at: float | None = None  # page time the bridge stamped on the connection's end (replays judge by it)
    event_count: int = 0
    batch_count: int = 0
    packet_count: int = 0
    last_emotion: str | None = None
    bot_classification: str = "uncertain"
    bot_confidence: float | None = None


class SessionRow(SQLModel):
    """The columns every per-session row starts with: its own id, then the run and session it belongs to."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True)
    session_id: str = Field(index=True)


class SessionEventRow(SessionRow):
    """A per-session row about one moment of the session: ``timestamp`` is its event time (epoch ms)."""

    timestamp: float


class BatchRecord(SessionEventRow, table=True):
    __tablename__ = "batch"
    event_count: int
    payload: str


class PacketRecord(SessionEventRow, table=True):
    __tablename__ = "packet"
    emotion: str
    confidence: float
    intensity: float
    trajectory: str
    section: str
    payload: str


class BotVerdictRecord(SessionEventRow, table=True):
    __tablename__ = "bot_verdict"
    classification: str
    confidence: float
    reasoning: str
    signals: str  # JSON array
    event_count: int
    review: str | None = None  # JSON: the section 8.2 answer the verdict applied (BotOut.review), if any


# --- simulation runs (``workbench run``): configuration, personas and seeds, scores ----------

class RunConfigRecord(SQLModel, table=True):
    """How a run was set up: clock, concurrency, the persona of every session, CLI settings."""

    __tablename__ = "run_config"
    run_id: str = Field(primary_key=True)
    clock: str = "real"  # virtual | real
    concurrency: int = 1
    personas: str = "[]"  # JSON array, one persona name per session in session order
    browser_endpoint: str | None = None
    settings: str = "{}"  # JSON object


class SessionTraceRecord(SessionRow, table=True):
    """A simulated session's persona, seed, ground truth, timing, fidelity and cursor trail."""

    __tablename__ = "session_trace"
    persona: str
    seed: int
    seed_index: int  # the session's child of SeedSequence(seed); replays the same motion
    clock: str
    ground_truth: str  # JSON, Persona.ground_truth()
    simulated_ms: float
    wall_ms: float
    fidelity: str  # JSON: samples, median_px, p95_px, max_px
    trail: str = "{}"  # JSON: sampled cursor and clicks on page coordinates


class ScreenshotRecord(SessionRow, table=True):
    __tablename__ = "screenshot"
    scale: float = 1.0  # image px per CSS px
    png: bytes


class ScoreRecord(SessionRow, table=True):
    """One expectation of one session: expected against actual (``workbench.scoring``)."""

    __tablename__ = "score"
    persona: str
    expectation: str  # emotion | forbidden_emotions | bot_verdict | signals | intervention
    status: str  # pass | fail | skip | error
    expected: str
    actual: str


class RunScoreRecord(SQLModel, table=True):
    """The run's verdict and its confusion matrix, precision and recall (JSON)."""

    __tablename__ = "run_score"
    run_id: str = Field(primary_key=True)
    verdict: str
    summary: str


class InterventionRecord(SessionEventRow, table=True):
    """What Seer said to a session and what came of it (issue 7: persistence)."""

    __tablename__ = "intervention"
    emotion: str
    section: str
    strategy: str
    message: str
    source: str
    outcome: str | None = None  # what Seer observed (section 7.5)
    expected: str | None = None  # what Seer should observe: simulated visitors only (``workbench run``)
    experiment: str | None = None  # section 5.10 experimentContext as JSON, when the packet had one


class KnowledgePatternRecord(SQLModel, table=True):
    """A validated pattern of the section 7.6 feedback loop (n >= 10): the knowledge store of a run.

    One row per group (tenant, vertical, emotion, section, geo) and run, updated by every cycle
    that validates it: the figures are those of the latest such cycle. Times are event time (ms).
    """

    __tablename__ = "knowledge_pattern"
    __table_args__ = (UniqueConstraint("run_id", "tenant", "vertical", "emotion", "section", "geo"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True)
    tenant: str
    vertical: str
    emotion: str
    section: str
    geo: str
    sample_size: int
    confidence: float  # Wilson lower bound of the intervention success rate, 0-100
    spike: bool
    anomaly: bool
    z: float
    trend: str  # increasing | decreasing | stable
    first_validated_at: float
    updated_at: float
    cycles: int = 1  # cycles that validated it
