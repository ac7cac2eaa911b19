"""Audit of workbench.scoring: precision / recall, the confusion matrix, verdicts and determinism,
each against figures worked out by hand in the test."""

from __future__ import annotations

import json
import random

from workbench.scoring import (
    ERROR,
    FAIL,
    PASS,
    SKIP,
    GroundTruth,
    Observation,
    dominant,
    emotion_precision_recall,
    mean_over_emotions,
    score_run,
    score_session,
)

FRUSTRATED = GroundTruth("frustrated_buyer", frozenset({"frustration"}), signals=frozenset({"rage_click"}))
CALM = GroundTruth("calm_researcher", frozenset({"curiosity", "deliberation"}), forbidden=frozenset({"frustration"}))
BOT = GroundTruth("naive_bot", bot=True)
RECORDING = GroundTruth("sapimouse", bot=False)  # a recorded human: no emotion declared


def seen(sid: str, persona: str, *emotions: str, bot: str = "human", status: str = "ended",
         signals: tuple[str, ...] = ()) -> Observation:
    return Observation(sid, persona, status, None if status == "ended" else "Target crashed", tuple(emotions),
                       dominant(emotions), bot, (), frozenset(signals))


# --- findings -----------------------------------------------------------------------------------


def test_a_session_whose_persona_declares_no_emotion_stays_out_of_emotion_precision_recall():
    # its emotion check is "skip: nothing declared", so what it said is neither right nor wrong:
    # curiosity: one tp (the calm researcher), the recording's curiosity is not an fp -> precision 1/1
    pr = emotion_precision_recall([(CALM.emotions, ("curiosity",)), (RECORDING.emotions, ("curiosity", "anxiety"))])
    assert pr["curiosity"]["tp"] == 1 and pr["curiosity"]["fp"] == 0 and pr["curiosity"]["precision"] == 1.0
    assert "anxiety" not in pr  # said only by the recording: no row
    run = score_run([(RECORDING, seen("r", "sapimouse", "curiosity"))])
    assert run.sessions[0].check("emotion").status == SKIP
    assert run.emotion_pr() == {} and mean_over_emotions(run.emotion_pr(), "precision") is None


def test_per_persona_detected_counts_carried_out_sessions_only_as_the_confusion_matrix_does():
    run = score_run([(FRUSTRATED, seen("a", "frustrated_buyer", "frustration")),
                     (FRUSTRATED, seen("b", "frustrated_buyer", status="failed"))])
    row = run.per_persona()["frustrated_buyer"]
    assert (row["sessions"], row["errors"]) == (2, 1)
    assert row["detected"] == {"frustration": 1} == run.confusion()["frustrated_buyer"]


def test_the_summary_does_not_depend_on_the_order_sessions_arrive_in():
    pairs = [(FRUSTRATED, seen("a", "frustrated_buyer", "frustration", signals=("rage_click",))),
             (FRUSTRATED, seen("b", "frustrated_buyer", "confusion")),
             (FRUSTRATED, seen("c", "frustrated_buyer", "frustration", bot="bot")),
             (FRUSTRATED, seen("d", "frustrated_buyer", status="failed"))]
    first = json.dumps(score_run(pairs).summary())
    rng = random.Random(7)
    for _ in range(10):
        shuffled = pairs[:]
        rng.shuffle(shuffled)
        assert json.dumps(score_run(shuffled).summary()) == first


def test_a_zero_count_never_dominates():
    assert dominant({"frustration": 0, "uncertainty": 2}) == "uncertainty"
    assert dominant({"frustration": 0}) == "none"


# --- behaviour confirmed (no change) -------------------------------------------------------------


def test_emotion_figures_by_hand():
    # frustrated a: frustration (tp frustration); b: confusion only (fn frustration, fp confusion)
    # calm c: curiosity (tp curiosity, deliberation covered); d: frustration (fp frustration, fn curiosity and
    # deliberation); a bot's packets and a crashed session count nowhere
    run = score_run([(FRUSTRATED, seen("a", "frustrated_buyer", "frustration")),
                     (FRUSTRATED, seen("b", "frustrated_buyer", "confusion")),
                     (CALM, seen("c", "calm_researcher", "curiosity")),
                     (CALM, seen("d", "calm_researcher", "frustration")),
                     (BOT, seen("e", "naive_bot", "urgency", bot="human")),
                     (CALM, seen("f", "calm_researcher", "anxiety", status="failed"))])
    pr = run.emotion_pr()
    assert set(pr) == {"frustration", "confusion", "curiosity", "deliberation"}
    assert {k: pr["frustration"][k] for k in ("tp", "fp", "fn", "tn")} == {"tp": 1, "fp": 1, "fn": 1, "tn": 1}
    assert (pr["frustration"]["precision"], pr["frustration"]["recall"]) == (0.5, 0.5)
    assert pr["confusion"]["precision"] == 0.0 and pr["confusion"]["recall"] is None  # no positives: None
    assert {k: pr["curiosity"][k] for k in ("tp", "fn", "covered")} == {"tp": 1, "fn": 1, "covered": 0}
    assert {k: pr["deliberation"][k] for k in ("tp", "fn", "covered")} == {"tp": 0, "fn": 1, "covered": 1}
    assert pr["deliberation"]["precision"] is None and pr["deliberation"]["recall"] == 0.0
    assert run.summary()["errors"] == 1


def test_bot_figures_by_hand_uncertain_is_not_flagged():
    # bots: caught (tp), uncertain (fn); humans: flagged (fp), uncertain (tn), human (tn); crashed: out
    run = score_run([(BOT, seen("a", "naive_bot", bot="bot")),
                     (BOT, seen("b", "naive_bot", bot="uncertain")),
                     (CALM, seen("c", "calm_researcher", bot="bot")),
                     (CALM, seen("d", "calm_researcher", "curiosity", bot="uncertain")),
                     (CALM, seen("e", "calm_researcher", "curiosity")),
                     (BOT, seen("f", "naive_bot", bot="bot", status="failed"))])
    assert run.bot_pr() == {"tp": 1, "fp": 1, "fn": 1, "tn": 2, "precision": 0.5, "recall": 0.5}
    verdicts = {s.session_id: s.check("bot_verdict").status for s in run.sessions}
    assert verdicts == {"a": PASS, "b": FAIL, "c": FAIL, "d": PASS, "e": PASS, "f": ERROR}
    humans_only = score_run([(CALM, seen("g", "calm_researcher", "curiosity"))]).bot_pr()
    assert humans_only["precision"] is None and humans_only["recall"] is None


def test_confusion_matrix_rows_are_personas_columns_what_was_detected():
    run = score_run([(FRUSTRATED, seen("a", "frustrated_buyer")),  # no packets
                     (FRUSTRATED, seen("b", "frustrated_buyer", "uncertainty", "uncertainty", "confusion")),
                     (FRUSTRATED, seen("c", "frustrated_buyer", "curiosity", "confusion")),  # tie: first said
                     (BOT, seen("d", "naive_bot", bot="bot")),
                     (BOT, seen("e", "naive_bot", "urgency"))])
    assert run.confusion() == {"frustrated_buyer": {"none": 1, "confusion": 1, "curiosity": 1},
                               "naive_bot": {"bot": 1, "urgency": 1}}


def test_verdicts_skip_fail_error_and_the_empty_run():
    bot = score_session(BOT, seen("a", "naive_bot", bot="bot"))
    assert {c.name: c.status for c in bot.checks} == {"emotion": SKIP, "forbidden_emotions": SKIP,
                                                      "bot_verdict": PASS, "signals": SKIP, "intervention": SKIP}
    one_bad = score_session(FRUSTRATED, seen("b", "frustrated_buyer", "frustration"))  # rage_click missing
    assert one_bad.verdict == FAIL
    assert score_run([(FRUSTRATED, seen("c", "frustrated_buyer", "curiosity")),
                      (FRUSTRATED, seen("d", "frustrated_buyer", status="failed"))]).verdict == ERROR
    assert score_run([]).verdict == ERROR
