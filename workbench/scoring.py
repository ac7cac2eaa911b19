"""Expected against detected: per session, per persona and for the run (pure, no I/O).

A persona declares its ground truth (:class:`synthetic.personas.Persona`); a session's
observation is what the pipeline concluded. Each session is checked on five expectations, and a
check the persona declares nothing for is ``skip``, never ``pass``:

* ``emotion``: at least one of the persona's expected emotions appears among its packets
  (skipped for bots: section 8 keeps them away from inference; skipped when none is declared);
* ``forbidden_emotions``: none of the persona's forbidden emotions appears;
* ``bot_verdict``: a bot persona ends classified ``bot``; a human one never does. ``uncertain`` (a
  short session's verdict, section 8.3) is not ``bot``: the session was not filtered and its packets
  flowed, so it is a miss for a bot persona and no failure for a human one;
* ``signals``: the producer emitted every event type the persona is built to cause, which
  tells "the persona did not do its part" apart from "the engine did not conclude";
* ``intervention``: Seer intervened while the page could still receive it (or, for a persona that
  expects none, did not); skipped ("n/a") when no consumer ran, so none could be observed (a replay in
  the threshold lab). An intervention Seer decided after the page was gone (``undelivered``: the engine
  releases a short visit's packets only at its close, section 8.2's bot wait) reached nobody, so it
  counts for neither expectation; the check's text says how many there were.

A session that could not be carried out (browser crash, script error, a stopped run) gets ``error``
on every expectation. Session verdict: ``error`` if a check errored, else ``fail`` if one failed,
else ``pass``. Run verdict: ``error`` if any session errored or there is no session at all (nothing
was validated), else ``fail`` if any session failed, else ``pass``. The CLI maps them to exit codes
4, 1 and 0.

Across the run, over carried-out sessions only (a crashed one counts as an error, nowhere else): a
confusion matrix of persona (the expected class; rows in the order personas first appear) against
each session's detected class (its dominant emotion, :func:`dominant`; ``bot`` when the filter caught
it; ``none`` without packets), and precision / recall per emotion and for bot detection. A ratio
whose denominator is 0 is ``None``. Counts are keyed in name order, so the figures do not depend on
the order the sessions came in.

Bot detection: the positive class is ``bot``, over every carried-out session; a prediction is a
final verdict of ``bot`` (``uncertain`` and ``human`` are not). A human flagged as a bot is a false
positive, a bot left ``uncertain`` a false negative.

Emotions: a prediction is any packet saying E, not only the dominant one. A persona's emotions are
"any of" (the paralysed buyer lists six; saying one of them meets the expectation), so per emotion
E, over the carried-out sessions of human personas that list at least one emotion (bot personas and
personas with no emotion truth are left out, as their emotion check is skipped):

* ``tp``: the persona lists E and a packet says E;
* ``fp``: a packet says E and the persona does not list it;
* ``fn``: the persona lists E and the session said none of the emotions its persona lists (so a
  session that failed its emotion check is a miss for each of them; a human the bot filter took for a
  bot, whose packets were dropped, is one too);
* ``covered``: the persona lists E, E was not said, but another listed emotion met the expectation.
  That is no miss, so it counts towards neither ratio;
* ``tn``: neither listed nor said.

Emotion names are taken as given (the packet schema holds them to section 6's taxonomy); scoring sees
no confidences and no packet ids, so duplicate packets are its caller's to drop.

The macro means (:func:`mean_over_emotions`) leave out ``uncertainty``: it is the classifier's
abstention ("insufficient signal to classify further", section 6), which no persona lists. Its row
is still reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from workbench.errors import UsageError

EXPECTATIONS = ("emotion", "forbidden_emotions", "bot_verdict", "signals", "intervention")
PASS, FAIL, SKIP, ERROR = "pass", "fail", "skip", "error"
NO_CONSUMER = "n/a: no consumer yet, so no intervention can be observed"


class _PersonaLike(Protocol):
    name: str
    expected_emotions: frozenset[str]
    forbidden_emotions: frozenset[str]
    expected_signals: frozenset[str]
    expected_bot: bool
    expects_intervention: bool


@dataclass(frozen=True)
class GroundTruth:
    persona: str
    emotions: frozenset[str] = frozenset()
    forbidden: frozenset[str] = frozenset()
    signals: frozenset[str] = frozenset()
    bot: bool = False
    intervention: bool = False

    @classmethod
    def of(cls, persona: type[_PersonaLike] | _PersonaLike) -> GroundTruth:
        return cls(persona.name, frozenset(persona.expected_emotions), frozenset(persona.forbidden_emotions),
                   frozenset(persona.expected_signals), bool(persona.expected_bot),
                   bool(persona.expects_intervention))

    @classmethod
    def from_dict(cls, persona: str, d: Mapping[str, Any]) -> GroundTruth:
        """From :meth:`Persona.ground_truth` as stored with a session."""
        return cls(persona, frozenset(d.get("emotions", ())), frozenset(d.get("forbidden", ())),
                   frozenset(d.get("signals", ())), bool(d.get("bot", False)), bool(d.get("intervention", False)))


@dataclass(frozen=True)
class Observation:
    session_id: str
    persona: str
    status: str  # ended | failed
    error: str | None = None
    emotions: tuple[str, ...] = ()  # one per packet
    dominant: str = "none"
    bot: str = "uncertain"
    bot_signals: tuple[str, ...] = ()
    signals: frozenset[str] = frozenset()  # producer event types seen
    interventions: int | None = None  # ones the page could receive; None: nothing could have intervened
    undelivered: int = 0  # more, decided after the page was gone (Seer's "undelivered"): nobody saw them


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    expected: str
    actual: str


@dataclass(frozen=True)
class SessionScore:
    session_id: str
    persona: str
    status: str
    checks: tuple[Check, ...]
    emotions: dict[str, int] = field(default_factory=dict)
    dominant: str = "none"
    bot: str = "uncertain"
    detected: str = "none"

    @property
    def verdict(self) -> str:
        states = {c.status for c in self.checks}
        return ERROR if ERROR in states else FAIL if FAIL in states else PASS

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["verdict"] = self.verdict
        return d


def dominant(emotions: Mapping[str, int] | Iterable[str]) -> str:
    """The most frequent emotion; ``uncertainty`` only when nothing else was said; ``none`` when nothing was.

    Ties go to the emotion said first. A session's packets come in event-time order (the engine
    classifies its windows in time order, and the callers keep the packets in the order it emitted
    them), so this is the earliest in the visit. A count under 1 is no emission."""
    counts = +(Counter(emotions) if not isinstance(emotions, Mapping) else Counter(dict(emotions)))
    if not counts:
        return "none"
    informative = {e: n for e, n in counts.items() if e != "uncertainty"} or dict(counts)
    return max(informative, key=lambda e: informative[e])


def _counts(emotions: Sequence[str]) -> str:
    return ", ".join(f"{e}×{n}" for e, n in Counter(emotions).most_common()) or "no packets"


def score_session(truth: GroundTruth, obs: Observation) -> SessionScore:
    seen = set(obs.emotions)
    detected = "bot" if obs.bot == "bot" else obs.dominant
    if obs.status != "ended":
        why = obs.error or f"session {obs.status}"
        errors = tuple(Check(n, ERROR, "session carried out", why) for n in EXPECTATIONS)
        return SessionScore(obs.session_id, obs.persona, obs.status, errors, dict(Counter(obs.emotions)),
                            obs.dominant, obs.bot, detected)
    checks: list[Check] = []
    if truth.bot:
        checks.append(Check("emotion", SKIP, "none (bots never reach inference)", _counts(obs.emotions)))
    elif not truth.emotions:
        checks.append(Check("emotion", SKIP, "nothing declared", _counts(obs.emotions)))
    else:
        hit = truth.emotions & seen
        checks.append(Check("emotion", PASS if hit else FAIL, "any of " + ", ".join(sorted(truth.emotions)),
                            _counts(obs.emotions)))
    if truth.forbidden:
        bad = truth.forbidden & seen
        checks.append(Check("forbidden_emotions", FAIL if bad else PASS,
                            "none of " + ", ".join(sorted(truth.forbidden)),
                            ", ".join(sorted(bad)) if bad else "none of them"))
    else:
        checks.append(Check("forbidden_emotions", SKIP, "nothing declared", ""))
    verdict = obs.bot + (f" ({', '.join(obs.bot_signals)})" if obs.bot_signals else "")
    caught = obs.bot == "bot"
    checks.append(Check("bot_verdict", PASS if caught == truth.bot else FAIL, "bot" if truth.bot else "not bot",
                        verdict))
    if truth.signals:
        missing = truth.signals - obs.signals
        checks.append(Check("signals", FAIL if missing else PASS, ", ".join(sorted(truth.signals)),
                            "missing " + ", ".join(sorted(missing)) if missing else "all emitted"))
    else:
        checks.append(Check("signals", SKIP, "nothing declared", ""))
    wanted = "an intervention" if truth.intervention else "no intervention"
    if obs.interventions is None:
        checks.append(Check("intervention", SKIP, wanted, NO_CONSUMER))
    else:
        ok = (obs.interventions > 0) == truth.intervention
        late = f"; {obs.undelivered} more decided after the page closed (undelivered)" if obs.undelivered else ""
        checks.append(Check("intervention", PASS if ok else FAIL, wanted, f"{obs.interventions} intervention(s){late}"))
    return SessionScore(obs.session_id, obs.persona, obs.status, tuple(checks), dict(Counter(obs.emotions)),
                        obs.dominant, obs.bot, detected)


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


ABSTENTION = "uncertainty"


def mean_over_emotions(per_emotion: Mapping[str, Mapping[str, Any]], key: str) -> float | None:
    """The mean of ``key`` (``"precision"`` or ``"recall"``) over :meth:`RunScore.emotion_pr`'s emotions
    that have one (a macro average), to 3 places; None when none has. The classifier's abstention,
    ``uncertainty``, is left out."""
    values = [v[key] for e, v in per_emotion.items() if e != ABSTENTION and v.get(key) is not None]
    return round(sum(values) / len(values), 3) if values else None


def ratio_text(value: float | None) -> str:
    """A precision, recall or mean as people read it in a table: two places, ``-`` for none."""
    return "-" if value is None else f"{value:.2f}"


def precision_recall(pairs: Iterable[tuple[bool, bool]]) -> dict[str, Any]:
    """``pairs`` of (truth, prediction) -> tp, fp, fn, tn, precision, recall."""
    c = Counter((bool(t), bool(p)) for t, p in pairs)
    tp, fp, fn, tn = c[(True, True)], c[(False, True)], c[(True, False)], c[(False, False)]
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn)}


def emotion_precision_recall(sessions: Iterable[tuple[Iterable[str], Iterable[str]]]) -> dict[str, dict[str, Any]]:
    """Per emotion, over carried-out sessions of human personas given as (emotions the persona lists,
    emotions its packets said): tp, fp, fn, covered, tn, precision and recall (module docstring). A session
    whose persona lists no emotion has no emotion truth (its check is skipped) and counts nowhere."""
    pairs = [(frozenset(listed), set(said)) for listed, said in sessions]
    ended = [(listed, said) for listed, said in pairs if listed]
    out = {}
    for e in sorted({e for listed, said in ended for e in listed | said}):
        tally = Counter(_emotion_outcome(e, listed, said) for listed, said in ended)
        tp, fp, fn = tally["tp"], tally["fp"], tally["fn"]
        out[e] = {"tp": tp, "fp": fp, "fn": fn, "covered": tally["covered"], "tn": tally["tn"],
                  "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn)}
    return out


def _emotion_outcome(emotion: str, listed: frozenset[str], said: set[str]) -> str:
    """One session's part in ``emotion``'s tally: tp, fp, fn, covered or tn (module docstring)."""
    if emotion in said:
        return "tp" if emotion in listed else "fp"
    if emotion not in listed:
        return "tn"
    return "covered" if listed & said else "fn"


def _sorted(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts keyed in name order, so a run's figures do not depend on the order its sessions came in."""
    return dict(sorted(counts.items()))


@dataclass(frozen=True)
class RunScore:
    sessions: tuple[SessionScore, ...]
    truths: dict[str, GroundTruth]

    @property
    def verdict(self) -> str:
        verdicts = {s.verdict for s in self.sessions}
        if not self.sessions or ERROR in verdicts:
            return ERROR
        return FAIL if FAIL in verdicts else PASS

    def per_persona(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for s in self.sessions:
            row = out.setdefault(s.persona, {"sessions": 0, "passed": 0, "errors": 0, "detected": Counter(),
                                             "checks": {n: Counter() for n in EXPECTATIONS}})
            row["sessions"] += 1
            row["passed"] += s.verdict == PASS
            row["errors"] += s.verdict == ERROR
            if s.status == "ended":  # as in the confusion matrix: a crashed session detected nothing
                row["detected"][s.detected] += 1
            for c in s.checks:
                row["checks"][c.name][c.status] += 1
        return {p: {**r, "detected": _sorted(r["detected"]),
                    "checks": {n: _sorted(v) for n, v in r["checks"].items()}} for p, r in out.items()}

    def confusion(self) -> dict[str, dict[str, int]]:
        """persona (expected class) -> detected class -> sessions (carried-out sessions only; module docstring)."""
        matrix: dict[str, Counter[str]] = {}
        for s in self.sessions:
            if s.status == "ended":
                matrix.setdefault(s.persona, Counter())[s.detected] += 1
        return {p: _sorted(c) for p, c in matrix.items()}

    def emotion_pr(self) -> dict[str, dict[str, Any]]:
        """emotion -> tp, fp, fn, covered, tn, precision, recall, for "any of" truths (module docstring)."""
        return emotion_precision_recall((self.truths[s.persona].emotions, s.emotions) for s in self.sessions
                                        if s.status == "ended" and not self.truths[s.persona].bot)

    def bot_pr(self) -> dict[str, Any]:
        """Bot detection over carried-out sessions: positive class ``bot``, ``uncertain`` not flagged."""
        return precision_recall((self.truths[s.persona].bot, s.bot == "bot")
                                for s in self.sessions if s.status == "ended")

    def summary(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "sessions": len(self.sessions),
                "passed": sum(s.verdict == PASS for s in self.sessions),
                "failed": sum(s.verdict == FAIL for s in self.sessions),
                "errors": sum(s.verdict == ERROR for s in self.sessions),
                "per_persona": self.per_persona(), "confusion": self.confusion(),
                "emotion_precision_recall": self.emotion_pr(), "bot_precision_recall": self.bot_pr(),
                "ground_truth": {p: {"emotions": sorted(t.emotions), "forbidden": sorted(t.forbidden),
                                     "signals": sorted(t.signals), "bot": t.bot, "intervention": t.intervention}
                                 for p, t in self.truths.items()}}


def score_run(pairs: Iterable[tuple[GroundTruth, Observation]]) -> RunScore:
    """Each session against its persona's ground truth. The per-persona summary reads one truth per persona
    name, so two different truths for one name are refused rather than one of them silently winning."""
    pairs = list(pairs)
    truths: dict[str, GroundTruth] = {}
    for t, _ in pairs:
        if truths.setdefault(t.persona, t) != t:
            raise UsageError(f"persona {t.persona!r} has two different ground truths in one run, so its "
                             f"sessions cannot be scored together: {truths[t.persona]} and {t}")
    return RunScore(tuple(score_session(t, o) for t, o in pairs), truths)


def attribution(answers: Iterable[tuple[str, str | None]]) -> dict[str, Any] | None:
    """Seer's outcome attribution (sections 5.10, 7.5) against what simulated visitors did.

    ``answers`` are (expected, observed) pairs, observed ``None`` while still pending. Returns the
    number answered, how many Seer observed as expected, and a matrix expected -> observed -> n
    ("pending" for no outcome yet); ``None`` when no visitor answered anything.
    """
    matrix: dict[str, Counter[str]] = {}
    answered = agreed = 0
    for expected, observed in answers:
        answered += 1
        agreed += expected == observed
        matrix.setdefault(expected, Counter())[observed or "pending"] += 1
    if not answered:
        return None
    return {"answered": answered, "agreed": agreed,
            "matrix": {k: dict(sorted(v.items())) for k, v in sorted(matrix.items())}}
