"""A stored run against a baseline run: the regression gate for CI (pure; reads two run reports).

Sessions are paired by persona and their order by seed index, so two runs with the same ``--seed`` and personas
compare the very same visits; with other seeds the pairs are the same personas' i-th sessions.
A pair is a **regression** when the baseline session passed and the candidate's did not, **fixed**
the other way round, and **changed** when both kept their verdict but a conclusion moved: the
dominant emotion, the bot verdict, or one of the scoring checks. Beside the sessions: the run-level
scores of both, and the thresholds that differ between the two runs' stored configs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from workbench import scoring

REGRESSION, FIXED, CHANGED, SAME = "regression", "fixed", "changed", "same"
KINDS = (REGRESSION, FIXED, CHANGED, SAME)


@dataclass(frozen=True)
class Pair:
    persona: str
    nth: int  # the persona's nth session in each run (0-based), in seed-index order
    base: dict[str, Any]  # the baseline's session (a run-report session)
    run: dict[str, Any]

    @property
    def scored(self) -> bool:
        """Both sessions have a verdict (``workbench run`` scores its sessions; a demo or serve run does not)."""
        return self.base["verdict"] is not None and self.run["verdict"] is not None

    @property
    def kind(self) -> str:
        if self.scored and self.base["verdict"] == "pass" and self.run["verdict"] != "pass":
            return REGRESSION
        if self.scored and self.base["verdict"] != "pass" and self.run["verdict"] == "pass":
            return FIXED
        return CHANGED if self.changes() else SAME

    def changes(self) -> list[tuple[str, Any, Any]]:
        """(what, baseline, candidate) for every conclusion that differs (verdicts only when both are scored)."""
        out: list[tuple[str, Any, Any]] = []
        verdicts = (("verdict", self.base["verdict"], self.run["verdict"]),) if self.scored else ()
        for what, before, after in (*verdicts,
                                    ("dominant emotion", dominant(self.base), dominant(self.run)),
                                    ("bot verdict", self.base["bot"], self.run["bot"])):
            if before != after:
                out.append((what, before, after))
        before_checks = {c["name"]: c["status"] for c in self.base["checks"]}
        for c in self.run["checks"]:
            if before_checks.get(c["name"], c["status"]) != c["status"]:
                out.append((f"check {c['name']}", before_checks[c["name"]], f"{c['status']} ({c['actual']})"))
        return out

    def describe(self) -> str:
        """Its changes in one line: ``what baseline → candidate; ...``."""
        return "; ".join(f"{what} {before} → {after}" for what, before, after in self.changes())


@dataclass
class Comparison:
    base_id: str
    run_id: str
    pairs: list[Pair]
    unpaired: list[str] = field(default_factory=list)  # "<persona> #<seed index> only in <run>"
    scores: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # figure -> (baseline, candidate)
    thresholds: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # key -> (baseline, candidate)
    same_seed: bool = True

    def of_kind(self, kind: str) -> list[Pair]:
        return [p for p in self.pairs if p.kind == kind]

    def counts(self) -> dict[str, int]:
        """Pairs per kind, every kind present (in :data:`KINDS` order)."""
        found = Counter(p.kind for p in self.pairs)
        return {k: found[k] for k in KINDS}

    def threshold_changes(self) -> str:
        return ", ".join(f"{k} {b} → {a}" for k, (b, a) in self.thresholds.items())

    def lines(self, most: int = 6) -> list[str]:
        """The comparison in a few plain lines: counts, the first ``most`` differing sessions, unpaired ones."""
        counts = " · ".join(f"{n} {k}" for k, n in self.counts().items())
        out = [f"sessions of {self.run_id} against {self.base_id}: {counts}"
               + ("" if self.same_seed else " (different seeds: paired by persona, not by the same visit)")]
        differing = [p for p in self.pairs if p.kind != SAME]
        for p in differing[:most]:
            out.append(f"{p.kind} {p.persona} #{p.nth + 1}: {p.describe()}")
        if len(differing) > most:
            out.append(f"... and {len(differing) - most} more (workbench compare {self.base_id} {self.run_id})")
        out += [f"unpaired: {u}" for u in self.unpaired]
        if self.thresholds:
            out.append(f"thresholds: {self.threshold_changes()}")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"base": self.base_id, "run": self.run_id, "same_seed": self.same_seed,
                "counts": self.counts(),
                "sessions": [{"persona": p.persona, "nth": p.nth + 1, "kind": p.kind,
                              "base_session": p.base["session_id"], "run_session": p.run["session_id"],
                              "changes": [{"what": w, "base": b, "run": a} for w, b, a in p.changes()]}
                             for p in self.pairs],
                "unpaired": self.unpaired,
                "scores": {k: {"base": b, "run": a} for k, (b, a) in self.scores.items()},
                "thresholds": {k: {"base": b, "run": a} for k, (b, a) in self.thresholds.items()}}


def dominant(session: dict[str, Any]) -> str | None:
    """The session's dominant emotion as scoring judges it (:func:`workbench.scoring.dominant`: the most
    frequent, ``uncertainty`` only when nothing else was said); None when it sent no packet."""
    said = [e["emotion"] for e in session["emotions"]]
    return scoring.dominant(said) if said else None


def compare_reports(base: dict[str, Any], run: dict[str, Any], *, base_config: dict[str, Any] | None = None,
                    run_config: dict[str, Any] | None = None) -> Comparison:
    """Pair the sessions of two run reports (:func:`workbench.store.repo.run_report`) and score the change.

    ``*_config``: the runs' thresholds (``EITPConfig.model_dump()``), for the list of keys that differ."""
    def keyed(report: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
        out: dict[tuple[str, int], dict[str, Any]] = {}
        per_persona: Counter[str] = Counter()
        for s in sorted(report["sessions"], key=lambda s: (s["seed_index"] is None, s["seed_index"] or 0)):
            out[(s["persona"], per_persona[s["persona"]])] = s  # the persona's i-th session
            per_persona[s["persona"]] += 1
        return out

    before, after = keyed(base), keyed(run)
    pairs = [Pair(persona, i, before[(persona, i)], after[(persona, i)])
             for persona, i in sorted(before.keys() & after.keys())]
    unpaired = [f"{p} #{i + 1} only in {base['run']['id']}" for p, i in sorted(before.keys() - after.keys())]
    unpaired += [f"{p} #{i + 1} only in {run['run']['id']}" for p, i in sorted(after.keys() - before.keys())]
    comparison = Comparison(base["run"]["id"], run["run"]["id"], pairs, unpaired,
                            same_seed=base["run"]["seed"] == run["run"]["seed"])
    for name, pick in (("sessions passed", _passed), ("bot precision", _bot("precision")),
                       ("bot recall", _bot("recall")), ("emotion recall (mean)", _emotions("recall")),
                       ("emotion precision (mean)", _emotions("precision"))):
        comparison.scores[name] = (pick(base), pick(run))
    if base_config is not None and run_config is not None:
        for section, values in run_config.items():
            for key, value in values.items():
                if base_config.get(section, {}).get(key) != value:
                    comparison.thresholds[f"{section}.{key}"] = (base_config.get(section, {}).get(key), value)
    return comparison


def _passed(report: dict[str, Any]) -> str:
    sessions = report["sessions"]
    return f"{sum(1 for s in sessions if s['verdict'] == 'pass')}/{len(sessions)}"


def _bot(key: str) -> Any:
    return lambda report: ((report.get("summary") or {}).get("bot_precision_recall") or {}).get(key)


def _emotions(key: str) -> Any:
    return lambda report: scoring.mean_over_emotions(
        (report.get("summary") or {}).get("emotion_precision_recall") or {}, key)
