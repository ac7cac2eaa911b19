"""Stored runs for the history screens, read through :mod:`workbench.store.repo` (no Textual).

Every function opens its own SQLite session, so the screens call them from thread workers.
Comparing runs shows the scores stored with each run (``workbench.scoring`` through
``repo.run_report``) beside per-run counts; runs that were never scored get the counts
only, and the label says so (:data:`COUNTS_LABEL`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from workbench import lab, rageclicks
from workbench.compare import compare_reports
from workbench.config import EITPConfig
from workbench.protocol.taxonomy import category
from workbench.scoring import ratio_text
from workbench.store import repo
from workbench.tui.untrusted import line, number, part, text

COUNTS_LABEL = "per-run counts (these runs have no stored scores)"
OUTSIDE = "not in the taxonomy"
"""The category of a stored emotion that is none of section 6's 22 (another engine's label, a damaged row)."""
NO_EMOTION = "(none)"
"""The emotion of a stored packet that has none."""
SCORES_LABEL = "stored scores (workbench.scoring) and per-run counts"

def list_runs(engine: Engine, limit: int = 200) -> tuple[list[dict[str, Any]], int]:
    """The newest ``limit`` runs, and how many are stored."""
    with Session(engine) as db:
        return repo.list_runs(db=db, limit=limit), repo.count_runs(db=db)


@dataclass
class RunDetail:
    """One stored run: its sessions and its packets in event-time order."""

    run: dict[str, Any]
    sessions: list[dict[str, Any]]
    packets: list[dict[str, Any]]
    """The packets that have a numeric timestamp, in that order (the scrubber places them by it)."""
    personas: dict[str, str] = field(default_factory=dict)
    """session id -> persona name."""
    rage: dict[str, rageclicks.Verdicts] = field(default_factory=dict)
    """session id -> its clicks judged by EITP's rage-click rule and the other tools' (``workbench rage``)."""
    unplaced: int = 0
    """Stored packets left out of ``packets``: no numeric timestamp to place them by (an older or damaged row)."""

    @property
    def start(self) -> float:
        return min((float(p["timestamp"]) for p in self.packets), default=0.0)

    @property
    def end(self) -> float:
        return max((float(p["timestamp"]) for p in self.packets), default=0.0)


def load_run(engine: Engine, run_id: str) -> RunDetail:
    """A stored run; its packets in event-time order, those without a timestamp to order them by counted apart."""
    with Session(engine) as db:
        run = next((r for r in repo.list_runs(db=db, limit=10_000) if r["id"] == run_id), {"id": run_id})
        sessions = repo.list_sessions(db=db, run_id=run_id)
        stored = repo.packets(db=db, run_id=run_id)
        defs = rageclicks.definitions(repo.run_config(db=db, run_id=run_id))
        events = repo.events_by_session(db=db, run_id=run_id)
    placed = [p for p in stored if number(p.get("timestamp")) is not None]
    packets = sorted(placed, key=lambda p: float(p["timestamp"]))
    rage = {s["session_id"]: rageclicks.judge(events.get(s["session_id"], []), defs) for s in sessions}
    personas = {s["session_id"]: s["persona"] or "visitor" for s in sessions}
    return RunDetail(run, sessions, packets, personas, rage, unplaced=len(stored) - len(placed))


def rage_cell(verdicts: rageclicks.Verdicts | None) -> str:
    """One session's rage clicks for a table cell: EITP's bursts, and how many other tools' rules fired."""
    if verdicts is None or not verdicts.clicks:
        return "-"
    others = {k: n for k, n in verdicts.bursts.items() if k != "eitp" and n is not None}
    fired = sum(1 for n in others.values() if n)
    return f"{verdicts.bursts.get('eitp') or 0} EITP · {fired}/{len(others)} others"


def has_scores() -> bool:
    """Whether the store can report scores (``repo.run_report`` over the ``score``/``run_score`` tables)."""
    return callable(getattr(repo, "run_report", None))


def run_scores(engine: Engine, run_id: str) -> dict[str, Any] | None:
    """A run's stored scores as display figures, or None when the run was never scored."""
    if not has_scores():
        return None
    with Session(engine) as db:
        report = repo.run_report(db=db, run_id=run_id, rage=False)
    if not report or report.get("verdict") is None:
        return None
    summary = report.get("summary") or {}
    bot = summary.get("bot_precision_recall") or {}
    checks: Counter[str] = Counter()
    for session in report.get("sessions", []):
        for check in session.get("checks", []):
            checks[f"{check['name']} {check['status']}"] += 1
    return {
        "score verdict": report["verdict"],
        "sessions passed": summary.get("passed"), "sessions failed": summary.get("failed"),
        "sessions in error": summary.get("errors"),
        "bot precision": ratio_text(bot.get("precision")), "bot recall": ratio_text(bot.get("recall")),
        "checks": dict(sorted(checks.items())),
        "emotion recall": {e: ratio_text(pr.get("recall"))
                           for e, pr in (summary.get("emotion_precision_recall") or {}).items()},
    }


def compare(engine: Engine, run_ids: list[str]) -> tuple[str, list[dict[str, Any]]]:
    """Side-by-side figures of runs: their stored scores when they have them, and per-run counts."""
    scores = [run_scores(engine, rid) for rid in run_ids]
    counts = [run_counts(engine, rid) for rid in run_ids]
    if not any(scores):
        return COUNTS_LABEL, counts
    unscored = [rid for rid, sc in zip(run_ids, scores, strict=True) if sc is None]
    label = SCORES_LABEL + (f" ({', '.join(unscored)} has no stored score)" if unscored else "")
    return label, [{"run": c["run"], **(sc or {"score verdict": "not scored"}),
                    **{k: v for k, v in c.items() if k != "run"}} for sc, c in zip(scores, counts, strict=True)]


def session_changes(engine: Engine, run_a: str, run_b: str) -> list[str]:
    """:mod:`workbench.compare`'s lines for two stored runs, the older one as the baseline."""
    loaded: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    with Session(engine) as db:
        for rid in (run_a, run_b):
            report, stored = repo.run_report(db=db, run_id=rid, rage=False), repo.run_config(db=db, run_id=rid)
            if report is None:
                return []
            loaded.append((report, stored.model_dump() if stored is not None else None))
    (base, base_config), (run, run_config) = sorted(loaded, key=lambda rc: str(rc[0]["run"]["started_at"]))
    return compare_reports(base, run, base_config=base_config, run_config=run_config).lines()


def run_counts(engine: Engine, run_id: str) -> dict[str, Any]:
    """Sessions, events, packets, emotions (and their section 6 categories), bot verdicts of one run."""
    with Session(engine) as db:
        sessions = repo.list_sessions(db=db, run_id=run_id)
        packets = repo.packets(db=db, run_id=run_id)
        verdicts = repo.bot_verdicts(db=db, run_id=run_id)
    emotions = Counter(line(part(p, "emotion", "primary")) or NO_EMOTION for p in packets)
    categories: Counter[str] = Counter()
    for emotion, n in emotions.items():
        categories[category_of(emotion)] += n
    return {
        "run": run_id,
        "sessions": len(sessions),
        "ended sessions": sum(1 for s in sessions if s["status"] == "ended"),
        "events": sum(int(s["events"] or 0) for s in sessions),
        "packets": len(packets),
        "bot verdicts": dict(Counter(s["bot"] for s in sessions)),
        "verdicts flagged bot": sum(1 for v in verdicts if v.classification == "bot"),
        "categories": dict(categories.most_common()),
        "emotions": dict(emotions.most_common()),
    }


def category_of(emotion: str) -> str:
    """An emotion's section 6 category, or :data:`OUTSIDE` (a stored label that is none of the 22 raised
    ValueError, which ended the compare screen's worker and the app)."""
    try:
        return category(emotion)
    except ValueError:
        return OUTSIDE


@dataclass
class Replay:
    """The latest stored run replayed under the thresholds on the form (:mod:`workbench.lab`)."""

    run_id: str
    own: lab.Result  # with the run's own thresholds
    edited: lab.Result  # with the form's engine thresholds
    not_replayed: list[str]  # keys the form changes that a replay cannot apply

    def line(self) -> Text:
        """What the replay found, as :class:`Text`: the run id, persona and emotion names are stored text."""
        own, edited = self.own.as_dict(), self.edited.as_dict()
        out = Text.assemble("latest run ", text(self.run_id), " replayed with these thresholds: ")
        if not self.edited.overrides:
            out.append("the form sets the engine's thresholds as the run had them")
        else:
            out.append(f"{len(self.edited.overrides)} engine threshold(s) differ from the run's; "
                       f"{len(self.edited.differs)} of {len(self.edited.observed)} sessions concluded differently")
        if edited["sessions"]:
            out.append(" · ")
            out.append(f"{edited['passed']}/{edited['sessions']}", "b")
            out.append(f" pass ({own['passed']}/{own['sessions']} as run)")
            failing = [p for p, r in edited["per_persona"].items() if r["passed"] < r["sessions"]]
            if failing:
                out.append(" · failing: " + ", ".join(line(p) for p in failing))
        for sid in self.edited.differs[:4]:
            who = self.edited.observed[sid].persona
            before, after = self.own.observed[sid], self.edited.observed[sid]
            change = (f"{before.dominant} → {after.dominant}" if before.dominant != after.dominant
                      else f"bot {before.bot} → {after.bot}" if before.bot != after.bot else "packets changed")
            out.append(f"\n  {line(who)} {line(sid[-9:])}: {line(change)}")
        if self.not_replayed:
            out.append(f"\n{', '.join(self.not_replayed)}: for new runs only (a replay cannot apply them)", "dim")
        return out


def replay_latest(engine: Engine, config: EITPConfig) -> Replay | None:
    """Replay the latest stored run that has telemetry with ``config``'s engine thresholds; None when
    no run has any."""
    with Session(engine) as db:
        run_id = repo.latest_run_id(db=db, with_telemetry=True)
        telemetry = repo.stored_telemetry(db=db, run_id=run_id) if run_id else None
        own = repo.run_config(db=db, run_id=run_id) if run_id else None
    if telemetry is None or run_id is None:
        return None
    base = own or EITPConfig()
    overrides, other = lab.differences(base, config)
    results = lab.sweep(telemetry, base, [overrides] if overrides else [])  # no change: the base replay serves
    return Replay(run_id, results[0], results[-1], other)
