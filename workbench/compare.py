"""A stored run against a baseline run: the regression gate for CI (pure; reads two run reports).

Sessions are paired by persona and their order by seed index, so two runs with the same ``--seed`` and personas
(in the same order: each slot's seed is spawned from the run's by its index) compare the very same visits;
otherwise the pairs are the same personas' i-th sessions, and the comparison says so.
A pair is a **regression** when the baseline session passed and the candidate's did not (a candidate
session with no verdict did not pass), **fixed** the other way round, and **changed** when both kept
their verdict but a conclusion moved: the dominant emotion, the bot verdict, or one of the scoring checks.
A baseline session that passed and has no counterpart in the candidate (a persona dropped or renamed, a run
cut short) is **missing**: like a regression it fails the gate, since nothing shows it still passes.
Beside the sessions: the run-level scores of both, and the thresholds that differ between the two runs'
stored configs.
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
        """Both sessions have a verdict (``workbench run`` and ``demo`` score their sessions; ``serve`` does not)."""
        return self.base["verdict"] is not None and self.run["verdict"] is not None

    @property
    def same_visit(self) -> bool:
        """Both sessions ran from the same slot (seed index); with the same run seed, the very same visit."""
        return self.base.get("seed_index") is not None and self.base.get("seed_index") == self.run.get("seed_index")

    @property
    def kind(self) -> str:
        # a baseline pass the candidate did not repeat regressed, scored or not: no verdict is no pass, and a
        # CI gate that let an unscored candidate through would pass whatever it did
        if self.base["verdict"] == "pass" and self.run["verdict"] != "pass":
            return REGRESSION
        if self.scored and self.base["verdict"] != "pass" and self.run["verdict"] == "pass":
            return FIXED
        return CHANGED if self.changes() else SAME

    def changes(self) -> list[tuple[str, Any, Any]]:
        """(what, baseline, candidate) for every conclusion that differs (verdicts when the baseline is scored:
        an unscored baseline has nothing to compare a verdict with)."""
        out: list[tuple[str, Any, Any]] = []
        verdicts = (("verdict", self.base["verdict"], self.run["verdict"]),) if self.base["verdict"] is not None \
            else ()
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
        """Its changes in one line: ``what baseline → candidate; ...`` (a missing verdict reads "not scored")."""
        return "; ".join(f"{what} {_said(what, before)} → {_said(what, after)}"
                         for what, before, after in self.changes())


def _said(what: str, value: Any) -> Any:
    return "not scored" if what == "verdict" and value is None else value


def _quoted(value: Any) -> Any:
    return repr(value) if isinstance(value, str) else value


@dataclass
class Comparison:
    base_id: str
    run_id: str
    pairs: list[Pair]
    unpaired: list[str] = field(default_factory=list)  # "<persona> #<seed index> only in <run>"
    missing: list[str] = field(default_factory=list)  # baseline passes with no counterpart in the candidate
    scores: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # figure -> (baseline, candidate)
    thresholds: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # key -> (baseline, candidate)
    same_seed: bool = True

    def of_kind(self, kind: str) -> list[Pair]:
        return [p for p in self.pairs if p.kind == kind]

    @property
    def failed(self) -> bool:
        """The CI gate: a session regressed, or one the baseline passed is missing from the candidate."""
        return bool(self.missing) or any(p.kind == REGRESSION for p in self.pairs)

    @property
    def same_visits(self) -> bool:
        """Every pair is the very same visit: the same run seed and each pair from the same slot."""
        return self.same_seed and all(p.same_visit for p in self.pairs)

    def pairing(self) -> str:
        """Why the pairs are not the very same visits ("" when they are)."""
        if not self.same_seed:
            return "different seeds: paired by persona, not by the same visit"
        if self.same_visits:
            return ""
        return ("personas in another order or number (other seed indexes): paired by persona, not by the same "
                "visit")

    def counts(self) -> dict[str, int]:
        """Pairs per kind, every kind present (in :data:`KINDS` order)."""
        found = Counter(p.kind for p in self.pairs)
        return {k: found[k] for k in KINDS}

    def threshold_changes(self) -> str:
        """``key baseline → candidate, ...``; a string quoted, so an empty one (the default path) shows. Plain
        text: a path may hold ``[`` and ``]``, which a caller must not print as rich markup."""
        return ", ".join(f"{k} {_quoted(b)} → {_quoted(a)}" for k, (b, a) in self.thresholds.items())

    def lines(self, most: int = 6) -> list[str]:
        """The comparison in a few plain lines: counts, the first ``most`` differing sessions, unpaired ones."""
        counts = " · ".join(f"{n} {k}" for k, n in self.counts().items())
        out = [f"sessions of {self.run_id} against {self.base_id}: {counts}"
               + (f" ({self.pairing()})" if self.pairing() else "")]
        differing = [p for p in self.pairs if p.kind != SAME]
        for p in differing[:most]:
            out.append(f"{p.kind} {p.persona} #{p.nth + 1}: {p.describe()}")
        if len(differing) > most:
            out.append(f"... and {len(differing) - most} more (workbench compare {self.base_id} {self.run_id})")
        out += [f"missing: {m}" for m in self.missing]
        out += [f"unpaired: {u}" for u in self.unpaired]
        if self.thresholds:
            out.append(f"thresholds: {self.threshold_changes()}")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"base": self.base_id, "run": self.run_id, "same_seed": self.same_seed,
                "same_visits": self.same_visits, "failed": self.failed, "counts": self.counts(),
                "sessions": [{"persona": p.persona, "nth": p.nth + 1, "kind": p.kind,
                              "base_session": p.base["session_id"], "run_session": p.run["session_id"],
                              "changes": [{"what": w, "base": b, "run": a} for w, b, a in p.changes()]}
                             for p in self.pairs],
                "unpaired": self.unpaired, "missing": self.missing,
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
    base_id, run_id = base["run"]["id"], run["run"]["id"]
    gone = sorted(before.keys() - after.keys())
    unpaired = [f"{p} #{i + 1} only in {base_id}" for p, i in gone]
    unpaired += [f"{p} #{i + 1} only in {run_id}" for p, i in sorted(after.keys() - before.keys())]
    missing = [f"{p} #{i + 1} passed in {base_id} and is not in {run_id}" for p, i in gone
               if before[(p, i)]["verdict"] == "pass"]
    comparison = Comparison(base_id, run_id, pairs, unpaired, missing,
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
