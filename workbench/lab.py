"""The threshold lab: a stored run's telemetry replayed through the engine under other thresholds.

The engine takes time only from the telemetry (EITP v1.1 section 1.3's event time, Appendix C's
thresholds in :mod:`workbench.config`). Replaying a run's stored batches in the order the engine
received them, each connection closed at the page time the bridge stamped on it, through a fresh
:class:`~workbench.engine.core.Engine` with the run's own configuration therefore gives the packets
and bot verdicts the run gave live, which :func:`faithful` checks. Under other values of the
engine's own thresholds (``classifier.*``, ``bot.*``, ``inference.*``) the same telemetry shows what
those values would have concluded, scored against each persona's ground truth by
:mod:`workbench.scoring`. So a QA engineer can ask "at what jerk threshold does the frustrated buyer
stop being caught, and does the calm researcher start to be?" without running a browser again.

A run with the section 8.2 AI review stored each answer with the verdict it applied: the replay
asks for a review where the engine does and applies the stored answer of the same visit (the id and
its first event), so a session the model called a bot replays as one. A visit a replay finds
ambiguous that the run did not (other thresholds) has no answer to apply and keeps the rules'
verdict, as a failed call would live.

What a replay cannot change: thresholds the page applies (``signal.*``, ``transport.*``) shaped
the telemetry itself (change them with ``workbench run --set``; ``workbench rage`` replays the rage
click rule), and Seer (``intervention.*``) is not replayed, so intervention checks read n/a. Of the
engine's sections, a replay never reads what only the LLM tier does (:data:`LLM_ONLY`), and the
AI review's margins (:data:`REVIEW_ONLY`) act only on a run that stored AI reviews
(:func:`check_applies`): :func:`settings` refuses them, saying why, rather than report "changed 0".

Recorded corpora (:mod:`workbench.corpora`) are the exception for the page: their telemetry is
made from raw pointer recordings by a replay of the producer, so the page thresholds that replay
applies (:data:`workbench.corpora.PAGE_KEYS`) can vary too, the batches produced again per setting
(:func:`sweep`'s ``regenerate``). A corpus stores no AI review, so :data:`REVIEW_ONLY` cannot vary there.
Pure: stored telemetry in, observations and scores out; :mod:`workbench.cli.cmd_sweep` does the I/O.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from workbench import scoring
from workbench.config import EITPConfig, parse_override
from workbench.corpora import PAGE_KEYS
from workbench.engine.core import BotOut, Engine, Output, PacketOut, ReviewOut
from workbench.errors import ConfigError

#: config sections the engine applies to telemetry it is given, and so a replay can vary
REPLAYABLE = ("classifier", "bot", "inference")
#: keys of those sections that only the LLM tier reads (``workbench/pipeline.py``): a replay runs the engine alone
LLM_ONLY = frozenset({"inference.enrichment_timeout_ms"})
#: the section 8.2 AI review's margins: they act only in an engine that asks for reviews, which a replay
#: does only for a run that stored the answers (:func:`replay`)
REVIEW_ONLY = frozenset({"bot.ai_review_cv", "bot.ai_review_rate_share", "bot.ai_review_scroll_cv",
                         "bot.ai_review_min_confidence"})
MAX_SETTINGS = 64


@dataclass(frozen=True)
class StoredSession:
    session_id: str
    persona: str
    status: str  # ended | failed, as the run ended it
    error: str | None
    ground_truth: scoring.GroundTruth | None  # None: nothing to score against (e.g. a `workbench serve` visitor)
    closed_at: float | None  # the bridge's close stamp; None: not recorded (the engine closes at its last event)
    live_emotions: tuple[str, ...]  # what the run's packets said, in order
    live_bot: str
    reviews: tuple[dict[str, Any], ...] = ()  # the section 8.2 answers its verdicts applied, in order


class Batches(Protocol):
    """Telemetry batches in arrival order that can be read more than once (each setting replays them all):
    a list, or a reader that streams them from the store on each pass instead of holding every batch of
    a large run in memory at once."""

    def __iter__(self) -> Iterator[dict[str, Any]]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class Telemetry:
    """One stored run as the engine saw it: its batches in arrival order, and its sessions."""

    run_id: str
    batches: Batches
    sessions: Sequence[StoredSession]
    ends: Mapping[str, int] | None = None  # :func:`last_batches`, when the reader found them on its way


def last_batches(telemetry: Telemetry) -> dict[str, int]:
    """Session id -> the arrival index of its last batch, after which its connection closed live."""
    if telemetry.ends is not None:
        return dict(telemetry.ends)
    return {str(batch.get("sessionId")): i for i, batch in enumerate(telemetry.batches)}


def replay(telemetry: Telemetry, config: EITPConfig, ends: dict[str, int] | None = None,
           ) -> dict[str, scoring.Observation]:
    """What a fresh engine with ``config`` concludes from the run's telemetry, per session.

    Each session whose close the bridge stamped is closed right after its last batch, as it was live,
    not after the whole run: an open session holds its events, so a run of thousands of sessions
    replayed with every one open at once would hold all of its telemetry. ``ends``: :func:`last_batches`,
    when the caller replays the same telemetry more than once."""
    ends = last_batches(telemetry) if ends is None else ends
    closes = {s.session_id: s.closed_at for s in telemetry.sessions if s.closed_at is not None}
    answers = {s.session_id: list(s.reviews) for s in telemetry.sessions if s.reviews}
    engine = Engine(config, ai_review=bool(answers))
    emotions: dict[str, list[str]] = {s.session_id: [] for s in telemetry.sessions}
    bots: dict[str, tuple[str, tuple[str, ...]]] = {}
    signals: dict[str, set[str]] = {s.session_id: set() for s in telemetry.sessions}

    def take(outputs: Iterable[Output]) -> None:
        for out in outputs:
            if isinstance(out, PacketOut):
                emotions.setdefault(out.packet["sessionId"], []).append(out.packet["emotion"]["primary"])
            elif isinstance(out, BotOut):
                log = out.log()
                bots[log["session_id"]] = (log["classification"], tuple(log.get("signals", ())))
            elif isinstance(out, ReviewOut):  # what the model answered live, or none: the rules' verdict
                stored = answers.get(out.session_id, [])
                answer = next((a for a in stored if a.get("visit_start") == out.visit_start), None)
                if answer is None:
                    answer = {"classification": None, "reasoning": "no stored answer"}
                else:
                    stored.remove(answer)
                take(engine.apply_review(out.session_id, answer["classification"],
                                         float(answer.get("confidence") or 0.0), str(answer.get("reasoning", ""))))

    for i, batch in enumerate(telemetry.batches):
        sid = str(batch.get("sessionId"))
        signals.setdefault(sid, set()).update(str(e.get("type")) for e in batch.get("events", ()))
        take(engine.ingest(batch))
        if ends.get(sid) == i and sid in closes:
            take(engine.close_session(sid, at=closes.pop(sid)))
    for sid, at in closes.items():  # ends from another pass than this one: still closed at the stored stamp
        take(engine.close_session(sid, at=at))
    take(engine.close_all())
    observed = {}
    for s in telemetry.sessions:
        said = tuple(emotions.get(s.session_id, ()))
        bot, bot_signals = bots.get(s.session_id, ("uncertain", ()))
        observed[s.session_id] = scoring.Observation(
            s.session_id, s.persona, s.status, s.error, said, scoring.dominant(said), bot, bot_signals,
            frozenset(signals.get(s.session_id, ())), None)
    return observed


def faithful(telemetry: Telemetry, observed: dict[str, scoring.Observation]) -> list[StoredSession]:
    """The sessions whose replay differs from what the run concluded live (packets or bot verdict)."""
    return [s for s in telemetry.sessions
            if observed[s.session_id].emotions != s.live_emotions or observed[s.session_id].bot != s.live_bot]


def score(telemetry: Telemetry, observed: dict[str, scoring.Observation]) -> scoring.RunScore:
    return scoring.score_run((s.ground_truth, observed[s.session_id]) for s in telemetry.sessions
                             if s.ground_truth is not None)


def settings(varies: Sequence[str], *, rerun: bool = False, corpus: bool = False) -> list[dict[str, Any]]:
    """``["classifier.high_jerk_px_s3=5e5,1e6", "bot.min_timing_cv=0.05,0.1"]`` -> every combination,
    as override dicts. Values are read as TOML, like ``--set``; only :data:`REPLAYABLE` sections, less
    :data:`LLM_ONLY`, unless the personas are run again (``rerun``), when every threshold applies. A
    ``corpus`` sweep also takes :data:`~workbench.corpora.PAGE_KEYS` and never :data:`REVIEW_ONLY`.

    Every value is checked here, before anything is read or replayed: a typo in the last setting must
    not surface after minutes of replays (or, with ``rerun``, of browser runs). The grid's size is
    counted before it is built, so a runaway grid is refused at once rather than built in memory."""
    axes = [_axis(vary, rerun=rerun, corpus=corpus) for vary in varies]
    keys = [axis[0][0] for axis in axes]
    if twice := next((k for k in keys if keys.count(k) > 1), None):
        raise ConfigError(f"--vary gives {twice} twice: list all its values in one --vary ({twice}=v1,v2,...)")
    size = math.prod(len(axis) for axis in axes) if axes else 0
    if size > MAX_SETTINGS:
        raise ConfigError(f"{size} settings to replay; at most {MAX_SETTINGS} (fewer values per --vary)")
    return [dict(combo) for combo in itertools.product(*axes)] if axes else []


def _axis(vary: str, *, rerun: bool, corpus: bool) -> list[tuple[str, Any]]:
    """One ``--vary``'s (key, value) pairs, each value checked against the thresholds' own rules."""
    key, sep, values = vary.partition("=")
    key = key.strip()
    if not sep or not values.strip():
        raise ConfigError(f"--vary {vary!r} must look like section.key=value1,value2,...")
    if not rerun:
        _replayable(key, corpus=corpus)
    texts = [v.strip() for v in values.split(",")]
    if not any(texts):
        raise ConfigError(f"--vary {vary!r} gives no value: give {key}=value1,value2,...")
    if not all(texts):
        raise ConfigError(f"--vary {vary!r} has an empty value between its commas")
    read: list[tuple[str, Any]] = []  # (as given, as read): 5000 and 5000.0 are one value
    for text in texts:
        value = _checked(key, text)
        if (first := next((t for t, v in read if v == value), None)) is not None:
            raise ConfigError(f"--vary {key} gives {first} twice: each value is replayed once")
        read.append((text, value))
    return [(key, value) for _, value in read]


def _replayable(key: str, *, corpus: bool) -> None:
    """Refuse ``key`` when a replay (of a run, or of the recorded ``corpus``) would never apply it."""
    section = key.partition(".")[0]
    if corpus and key in PAGE_KEYS:
        return
    if section not in REPLAYABLE:
        if corpus:
            raise ConfigError(
                f"{key} cannot vary in a corpus sweep: it replays the engine's own thresholds "
                f"({', '.join(s + '.*' for s in REPLAYABLE)}) and the page thresholds the producer's replay of a "
                f"recording applies ({', '.join(sorted(PAGE_KEYS))}). The recordings hold only pointer moves and "
                "clicks, so the page's other thresholds have nothing to act on; intervention.* belongs to Seer, "
                "which a replay does not run")
        raise ConfigError(
            f"{key} cannot be replayed: the replay varies the engine's own thresholds "
            f"({', '.join(s + '.*' for s in REPLAYABLE)}). signal.* and transport.* are applied in the page, "
            "so they shaped the stored telemetry: add --rerun to run the personas again per setting (or "
            "see `workbench rage` for rage clicks); intervention.* belongs to Seer, which a replay does not run")
    if key in LLM_ONLY:
        raise ConfigError(
            f"{key} cannot be replayed: only the LLM tier reads it (workbench/pipeline.py), and a replay runs the "
            "engine alone, so every value would replay the same" + (
                "" if corpus else "; add --rerun, with the Claude tier on, to run the personas again per setting"))
    if corpus and key in REVIEW_ONLY:
        raise ConfigError(
            f"{key} cannot vary in a corpus sweep: it is a margin of the section 8.2 AI review, which a replay asks "
            "for only to apply a run's stored answers, and recordings have none, so every value would replay the "
            "same; vary it over a run made with the Claude tier on, or with --rerun")


def check_applies(grid: Sequence[Mapping[str, Any]], telemetry: Telemetry) -> None:
    """Refuse a :data:`REVIEW_ONLY` setting for a run that stored no AI review: its replay never asks for one
    (:func:`replay`), so every value would replay the same. Called once the run is read."""
    if any(s.reviews for s in telemetry.sessions):
        return
    if key := next((k for overrides in grid for k in overrides if k in REVIEW_ONLY), None):
        raise ConfigError(
            f"{key} cannot be replayed over run {telemetry.run_id}: it is a margin of the section 8.2 AI review, "
            "and the run stored no AI review (the Claude tier was off, or nothing was ambiguous), so its replay "
            "asks for none and every value would replay the same; vary it over a run that has them, or add "
            "--rerun with the Claude tier on")


def _checked(key: str, text: str) -> Any:
    """``text`` read as ``key``'s value, refused as ``--set`` would refuse it (unknown key, wrong type,
    true/false for a number, non-finite, negative)."""
    _, value = parse_override(f"{key}={text}")
    try:
        EITPConfig().with_overrides({key: value})
    except ConfigError as exc:
        raise ConfigError(f"--vary {key}={text}: {exc}") from None
    return value


def differences(base: EITPConfig, candidate: EITPConfig) -> tuple[dict[str, Any], list[str]]:
    """What ``candidate`` changes of ``base``: the replayable overrides, and the keys it changes that a
    replay cannot apply (the page's, Seer's and the LLM tier's)."""
    before, after = base.model_dump(), candidate.model_dump()
    replayable: dict[str, Any] = {}
    other: list[str] = []
    for section, values in after.items():
        for key, value in values.items():
            if before[section][key] != value:
                if section in REPLAYABLE and f"{section}.{key}" not in LLM_ONLY:
                    replayable[f"{section}.{key}"] = value
                else:
                    other.append(f"{section}.{key}")
    return replayable, other


@dataclass(frozen=True)
class Result:
    """One setting's replay: its overrides (empty: the run's own thresholds) and its scores."""

    overrides: dict[str, Any]
    score: scoring.RunScore
    differs: tuple[str, ...]  # sessions whose conclusions differ from the run's own replay
    observed: dict[str, scoring.Observation]  # every session, scored or not

    def as_dict(self) -> dict[str, Any]:
        per, emotions = self.score.per_persona(), self.score.emotion_pr()
        return {"overrides": self.overrides, "verdict": self.score.verdict,
                "passed": sum(1 for s in self.score.sessions if s.verdict == scoring.PASS),
                "sessions": len(self.score.sessions),
                "per_persona": {p: {"passed": r["passed"], "sessions": r["sessions"]} for p, r in per.items()},
                "dominant": {sid: o.dominant for sid, o in self.observed.items()},
                "bot_verdicts": {sid: o.bot for sid, o in self.observed.items()},
                "bot": self.score.bot_pr(), "emotion_recall": scoring.mean_over_emotions(emotions, "recall"),
                "emotion_precision": scoring.mean_over_emotions(emotions, "precision"),
                "differs": list(self.differs)}


def compare(overrides: dict[str, Any], run_score: scoring.RunScore, observed: dict[str, scoring.Observation],
            own: dict[str, scoring.Observation]) -> Result:
    """One setting's :class:`Result`, its ``differs`` taken against ``own`` (the base setting's), by key."""
    differs = tuple(k for k, o in observed.items() if k not in own or (o.emotions, o.bot) != (own[k].emotions,
                                                                                             own[k].bot))
    return Result(dict(overrides), run_score, differs, observed)


def regenerates(overrides: Iterable[str]) -> bool:
    """Does this setting change a page threshold, so that a corpus's batches must be produced again?"""
    return any(key.partition(".")[0] not in REPLAYABLE for key in overrides)


def _page(config: EITPConfig) -> dict[str, Any]:
    return {section: values for section, values in config.model_dump().items() if section not in REPLAYABLE}


def sweep(telemetry: Telemetry, base: EITPConfig, grid: Sequence[dict[str, Any]],
          progress: Callable[[int, int], None] | None = None, *,
          regenerate: Callable[[EITPConfig], Telemetry] | None = None) -> list[Result]:
    """The run's own thresholds first, then each setting of ``grid`` applied on top of ``base``;
    ``progress(done, total)`` after each replay. Every setting is applied to ``base`` before the first
    replay, so one the base's thresholds make invalid is refused before any work, not after.

    ``regenerate(config)``: for a recorded corpus, its telemetry as the producer would have sent it under
    ``config``; a setting whose page thresholds differ from ``base``'s replays that instead of ``telemetry``.
    Its sessions must keep their ids, so that ``differs`` compares the same recordings."""
    configs = [base.with_overrides(overrides) for overrides in grid]
    if regenerate is None and (page := next((k for o in grid for k in o if regenerates([k])), None)):
        raise ConfigError(f"{page} is applied in the page: only a corpus sweep, which can produce its telemetry "
                          "again per setting, can vary it")
    ends = last_batches(telemetry)
    own = replay(telemetry, base, ends)
    results = [Result({}, score(telemetry, own), (), own)]
    if progress:
        progress(1, len(grid) + 1)
    base_page = _page(base)
    for overrides, config in zip(grid, configs, strict=True):
        if regenerate is not None and _page(config) != base_page:  # else the base's batches serve
            produced = regenerate(config)
            observed = replay(produced, config)
            results.append(compare(overrides, score(produced, observed), observed, own))
        else:
            observed = replay(telemetry, config, ends)
            results.append(compare(overrides, score(telemetry, observed), observed, own))
        if progress:
            progress(len(results), len(grid) + 1)
    return results
