"""Read-side queries for the CLI and the TUI (keyword-only ``db=`` in the SQLModel style)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import func
from sqlmodel import Session, select

from workbench.store.models import BatchRecord, BotVerdictRecord, PacketRecord, Run, SessionRecord


def list_runs(*, db: Session, limit: int = 50) -> list[dict[str, Any]]:
    counts = dict(db.exec(select(SessionRecord.run_id, func.count()).group_by(SessionRecord.run_id)).all())
    runs = db.exec(select(Run).order_by(Run.started_at.desc()).limit(limit)).all()  # type: ignore[attr-defined]
    return [{"id": r.id, "kind": r.kind, "site": r.site, "status": r.status, "seed": r.seed,
             "started_at": r.started_at.isoformat(timespec="seconds"), "sessions": counts.get(r.id, 0)} for r in runs]


def list_sessions(*, db: Session, run_id: str | None = None) -> list[dict[str, Any]]:
    query = select(SessionRecord).order_by(SessionRecord.id)  # type: ignore[arg-type]
    if run_id:
        query = query.where(SessionRecord.run_id == run_id)
    return [{"run_id": s.run_id, "session_id": s.session_id, "persona": s.persona, "site": s.site,
             "status": s.status, "events": s.event_count, "batches": s.batch_count, "packets": s.packet_count,
             "last_emotion": s.last_emotion, "bot": s.bot_classification} for s in db.exec(query).all()]


def packets(*, db: Session, run_id: str, session_id: str | None = None) -> list[dict[str, Any]]:
    query = select(PacketRecord).where(PacketRecord.run_id == run_id).order_by(PacketRecord.id)  # type: ignore[arg-type]
    if session_id:
        query = query.where(PacketRecord.session_id == session_id)
    return [orjson.loads(p.payload) for p in db.exec(query).all()]


def batches(*, db: Session, run_id: str, session_id: str | None = None) -> list[dict[str, Any]]:
    query = select(BatchRecord).where(BatchRecord.run_id == run_id).order_by(BatchRecord.id)  # type: ignore[arg-type]
    if session_id:
        query = query.where(BatchRecord.session_id == session_id)
    return [orjson.loads(b.payload) for b in db.exec(query).all()]


def bot_verdicts(*, db: Session, run_id: str) -> list[BotVerdictRecord]:
    query = select(BotVerdictRecord).where(BotVerdictRecord.run_id == run_id).order_by(BotVerdictRecord.id)  # type: ignore[arg-type]
    return list(db.exec(query).all())
