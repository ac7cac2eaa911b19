"""Scoring (pure): expected against detected per session, per persona and for the run."""

from __future__ import annotations

import pytest

from synthetic.personas import CalmResearcher, FrustratedBuyer, NaiveBot
from workbench import scoring
from workbench.errors import UsageError
from workbench.scoring import GroundTruth, Observation, dominant, score_run, score_session

FRUSTRATED = GroundTruth("frustrated_buyer", frozenset({"frustration"}), signals=frozenset({"rage_click"}))
CALM = GroundTruth("calm_researcher", frozenset({"curiosity", "deliberation"}),
                   forbidden=frozenset({"frustration", "anxiety"}))
BOT = GroundTruth("naive_bot", bot=True, signals=frozenset({"click"}))


def obs(persona: str, *emotions: str, bot: str = "human", signals: tuple[str, ...] = (), status: str = "ended",
        sid: str | None = None, error: str | None = None) -> Observation:
    return Observation(sid or f"sq_{persona}_{len(emotions)}", persona, status, error, tuple(emotions),
                       dominant(emotions), bot, ("user_agent",) if bot == "bot" else (), frozenset(signals))


def statuses(score: scoring.SessionScore) -> dict[str, str]:
    return {c.name: c.status for c in score.checks}


def test_dominant_prefers_evidence_over_uncertainty():
    assert dominant(["uncertainty", "uncertainty", "frustration"]) == "frustration"
    assert dominant(["uncertainty"]) == "uncertainty"
    assert dominant([]) == "none"
    assert dominant(["curiosity", "confusion", "confusion"]) == "confusion"
    assert dominant(["curiosity", "confusion"]) == "curiosity"  # ties: first seen


def test_one_expected_emotion_is_enough():
    s = score_session(FRUSTRATED, obs("frustrated_buyer", "uncertainty", "frustration", signals=("rage_click",)))
    assert statuses(s) == {"emotion": "pass", "forbidden_emotions": "skip", "bot_verdict": "pass",
                           "signals": "pass", "intervention": "skip"}
    assert s.verdict == "pass" and s.detected == "frustration"


def test_missing_emotion_and_signal_fail_with_expected_and_actual():
    s = score_session(FRUSTRATED, obs("frustrated_buyer", "curiosity", "curiosity"))
    emotion, signals = s.check("emotion"), s.check("signals")
    assert emotion.status == "fail" and emotion.expected == "any of frustration" and emotion.actual == "curiosity×2"
    assert signals.status == "fail" and signals.actual == "missing rage_click"
    assert s.verdict == "fail"


def test_forbidden_emotions_fail_even_when_an_expected_one_appears():
    s = score_session(CALM, obs("calm_researcher", "curiosity", "anxiety"))
    assert statuses(s)["emotion"] == "pass"
    assert s.check("forbidden_emotions").status == "fail" and s.check("forbidden_emotions").actual == "anxiety"
    assert score_session(CALM, obs("calm_researcher", "curiosity")).check("forbidden_emotions").status == "pass"


def test_bot_verdicts_both_ways_and_uncertain_is_not_a_false_positive():
    assert score_session(BOT, obs("naive_bot", bot="bot", signals=("click",))).verdict == "pass"
    missed = score_session(BOT, obs("naive_bot", "purchase_intent", bot="human", signals=("click",)))
    assert missed.check("bot_verdict").status == "fail" and missed.check("bot_verdict").actual == "human"
    assert missed.check("emotion").status == "skip"  # bots never reach inference
    assert score_session(FRUSTRATED, obs("frustrated_buyer", "frustration", bot="uncertain",
                                         signals=("rage_click",))).verdict == "pass"
    flagged = score_session(FRUSTRATED, obs("frustrated_buyer", "frustration", bot="bot", signals=("rage_click",)))
    assert flagged.check("bot_verdict").status == "fail" and flagged.detected == "bot"


def test_intervention_is_skipped_until_a_consumer_exists_and_scored_when_one_does():
    check = score_session(FRUSTRATED, obs("frustrated_buyer", "frustration")).check("intervention")
    assert check.status == "skip" and check.actual == scoring.NO_CONSUMER
    truth = GroundTruth("x", frozenset({"frustration"}), intervention=True)
    seen = Observation("s", "x", "ended", emotions=("frustration",), interventions=0)
    assert score_session(truth, seen).check("intervention").status == "fail"


def test_a_failed_session_is_an_error_on_every_expectation():
    s = score_session(FRUSTRATED, obs("frustrated_buyer", status="failed", error="Target crashed"))
    assert {c.status for c in s.checks} == {"error"} and s.verdict == "error"
    assert all(c.actual == "Target crashed" for c in s.checks)


def test_run_verdict_confusion_matrix_and_precision_recall():
    run = score_run([
        (FRUSTRATED, obs("frustrated_buyer", "frustration", signals=("rage_click",), sid="a")),
        (FRUSTRATED, obs("frustrated_buyer", "confusion", signals=("rage_click",), sid="b")),
        (CALM, obs("calm_researcher", "curiosity", "deliberation", sid="c")),
        (BOT, obs("naive_bot", bot="bot", signals=("click",), sid="d")),
        (BOT, obs("naive_bot", "curiosity", bot="human", signals=("click",), sid="e")),
    ])
    assert run.verdict == "fail"
    assert run.confusion() == {"frustrated_buyer": {"frustration": 1, "confusion": 1},
                               "calm_researcher": {"curiosity": 1}, "naive_bot": {"bot": 1, "curiosity": 1}}
    pr = run.emotion_pr()
    assert pr["frustration"] == {"tp": 1, "fp": 0, "fn": 1, "covered": 0, "tn": 1, "precision": 1.0, "recall": 0.5}
    assert pr["confusion"]["fp"] == 1 and pr["confusion"]["precision"] == 0.0 and pr["confusion"]["recall"] is None
    assert run.bot_pr() == {"tp": 1, "fp": 0, "fn": 1, "tn": 3, "precision": 1.0, "recall": 0.5}
    per = run.per_persona()
    assert per["frustrated_buyer"]["sessions"] == 2 and per["frustrated_buyer"]["passed"] == 1
    assert per["frustrated_buyer"]["checks"]["emotion"] == {"pass": 1, "fail": 1}
    summary = run.summary()
    assert summary["verdict"] == "fail" and (summary["passed"], summary["failed"], summary["errors"]) == (3, 2, 0)
    assert summary["ground_truth"]["naive_bot"]["bot"] is True


@pytest.mark.parametrize(("observations", "verdict"), [
    ([obs("frustrated_buyer", "frustration", signals=("rage_click",))], "pass"),
    ([obs("frustrated_buyer", "curiosity", signals=("rage_click",))], "fail"),
    ([obs("frustrated_buyer", "curiosity"), obs("frustrated_buyer", status="failed", sid="z")], "error"),
    ([], "error"),
])
def test_run_verdict_precedence(observations, verdict):
    assert score_run((FRUSTRATED, o) for o in observations).verdict == verdict


def test_ground_truth_comes_from_the_persona_class():
    truth = GroundTruth.of(CalmResearcher)
    assert truth.forbidden >= {"frustration", "anxiety", "disengagement"} and not truth.bot
    assert GroundTruth.of(NaiveBot).bot
    assert GroundTruth.from_dict("frustrated_buyer", FrustratedBuyer.ground_truth()) == GroundTruth.of(FrustratedBuyer)


def test_session_scores_serialise_for_the_event_stream():
    d = score_session(FRUSTRATED, obs("frustrated_buyer", "frustration")).as_dict()
    assert d["verdict"] == "fail" and d["checks"][0] == {"name": "emotion", "status": "pass",
                                                         "expected": "any of frustration", "actual": "frustration×1"}


def test_attribution_counts_what_seer_observed_against_what_visitors_meant():
    found = scoring.attribution([("chat_engaged", "chat_engaged"), ("left", "no_response"), ("left", None),
                                 ("left", "left")])
    assert (found["answered"], found["agreed"]) == (4, 2)
    assert found["matrix"] == {"chat_engaged": {"chat_engaged": 1}, "left": {"left": 1, "no_response": 1, "pending": 1}}
    assert scoring.attribution([]) is None


PARALYSED = GroundTruth("paralysed_buyer", frozenset({"hesitation", "deliberation", "ambivalence"}))


def test_any_of_truths_count_a_listed_emotion_as_missed_only_when_none_was_said():
    run = score_run([
        (PARALYSED, obs("paralysed_buyer", "uncertainty", "hesitation", sid="a")),
        (PARALYSED, obs("paralysed_buyer", "hesitation", "deliberation", sid="b")),
        (PARALYSED, obs("paralysed_buyer", "curiosity", sid="c")),  # fails: none of the three
    ])
    pr = run.emotion_pr()
    assert {k: pr["hesitation"][k] for k in ("tp", "fn", "covered", "recall")} == \
        {"tp": 2, "fn": 1, "covered": 0, "recall": 0.667}
    assert {k: pr["deliberation"][k] for k in ("tp", "fn", "covered", "recall")} == \
        {"tp": 1, "fn": 1, "covered": 1, "recall": 0.5}
    assert {k: pr["ambivalence"][k] for k in ("tp", "fn", "covered", "recall")} == \
        {"tp": 0, "fn": 1, "covered": 2, "recall": 0.0}
    assert pr["curiosity"]["fp"] == 1 and pr["curiosity"]["precision"] == 0.0
    assert pr["uncertainty"]["fp"] == 1  # reported...
    # ...but the macro means leave the abstention out: precision over hesitation 1, deliberation 1, curiosity 0
    assert scoring.mean_over_emotions(pr, "precision") == 0.667
    assert scoring.mean_over_emotions(pr, "recall") == round((0.667 + 0.5 + 0.0) / 3, 3)


def test_a_passing_run_of_an_any_of_persona_has_full_recall():
    run = score_run([(PARALYSED, obs("paralysed_buyer", "hesitation", sid="a")),
                     (PARALYSED, obs("paralysed_buyer", "deliberation", sid="b"))])
    assert run.verdict == "pass"
    pr = run.emotion_pr()
    assert scoring.mean_over_emotions(pr, "recall") == 1.0
    assert pr["ambivalence"]["recall"] is None and pr["ambivalence"]["covered"] == 2


def test_two_ground_truths_for_one_persona_are_refused():
    a = GroundTruth("shopper", emotions=frozenset({"curiosity"}))
    b = GroundTruth("shopper", emotions=frozenset({"frustration"}))
    seen = Observation("s1", "shopper", "ended", emotions=("curiosity",))
    assert score_run([(a, seen), (a, seen)]).sessions  # the same truth twice is one truth
    with pytest.raises(UsageError, match="'shopper' has two different ground truths"):
        score_run([(a, seen), (b, seen)])
