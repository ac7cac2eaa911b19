"""SQLite tables of a workbench run (SQLModel).

Enough to replay a run: every raw batch is kept (with the bridge-injected IP removed:
section 10.3 says IPs are not persisted beyond the session), every packet and every bot
verdict. JSON bodies are stored as text so a row reads the same as the wire.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


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
    event_count: int = 0
    batch_count: int = 0
    packet_count: int = 0
    last_emotion: str | None = None
    bot_classification: str = "uncertain"
    bot_confidence: float | None = None


class BatchRecord(SQLModel, table=True):
    __tablename__ = "batch"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True)
    session_id: str = Field(index=True)
    timestamp: float
    event_count: int
    payload: str


class PacketRecord(SQLModel, table=True):
    __tablename__ = "packet"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True)
    session_id: str = Field(index=True)
    timestamp: float
    emotion: str
    confidence: float
    intensity: float
    trajectory: str
    section: str
    payload: str


class BotVerdictRecord(SQLModel, table=True):
    __tablename__ = "bot_verdict"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True)
    session_id: str = Field(index=True)
    timestamp: float
    classification: str
    confidence: float
    reasoning: str
    signals: str  # JSON array
    event_count: int
