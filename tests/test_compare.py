"""The run comparison's pure core: pairing, kinds of change, scores and thresholds."""

from __future__ import annotations

from typing import Any

from workbench.compare import CHANGED, FIXED, REGRESSION, SAME, compare_reports, dominant


def session(persona: str, index: int, verdict: str, emotions: list[str], bot: str = "human",
            checks: dict[str, str] | None = None) -> dict[str, Any]:
    return {"session_id": f"sq_{persona}_{index}", "persona": persona, "seed_index": index, "verdict": verdict,
            "bot": bot, "emotions": [{"emotion": e} for e in emotions],
            "checks": [{"name": n, "status": s, "actual": "x"} for n, s in (checks or {"emotion": verdict}).items()]}


def report(run_id: str, seed: int, *sessions: dict[str, Any]) -> dict[str, Any]:
    return {"run": {"id": run_id, "seed": seed}, "sessions": list(sessions),
            "summary": {"bot_precision_recall": {"precision": 1.0, "recall": 0.5},
                        "emotion_precision_recall": {"frustration": {"precision": 1.0, "recall": 0.5},
                                                     "curiosity": {"precision": None, "recall": 1.0}}}}


def test_sessions_pair_by_persona_and_order_and_each_change_has_its_kind():
    base = report("A", 7, session("frustrated", 0, "pass", ["frustration"]),
                  session("calm", 1, "fail", ["anxiety"]),
                  session("naive_bot", 2, "pass", [], bot="bot"),
                  session("paralysed", 3, "pass", ["hesitation", "deliberation", "hesitation"]),
                  session("frustrated", 4, "pass", ["frustration"]))
    run = report("B", 7, session("frustrated", 0, "fail", ["purchase_intent"]),
                 session("calm", 1, "pass", ["curiosity"]),
                 session("naive_bot", 2, "pass", [], bot="uncertain", checks={"emotion": "pass"}),
                 session("paralysed", 3, "pass", ["deliberation", "hesitation", "hesitation"]),
                 session("confused", 4, "pass", ["confusion"]))
    c = compare_reports(base, run, base_config={"signal": {"rage_clicks": 3, "dwell_ms": 500}},
                        run_config={"signal": {"rage_clicks": 6, "dwell_ms": 500}})
    kinds = {(p.persona, p.nth): p.kind for p in c.pairs}
    assert kinds == {("frustrated", 0): REGRESSION, ("calm", 0): FIXED, ("naive_bot", 0): CHANGED,
                     ("paralysed", 0): SAME}
    assert c.unpaired == ["frustrated #2 only in A", "confused #1 only in B"]
    bot = next(p for p in c.pairs if p.persona == "naive_bot")
    assert bot.changes() == [("bot verdict", "bot", "uncertain")]
    assert c.thresholds == {"signal.rage_clicks": (3, 6)}
    assert c.scores["sessions passed"] == ("4/5", "4/5") and c.scores["emotion precision (mean)"] == (1.0, 1.0)
    assert c.as_dict()["counts"] == {REGRESSION: 1, FIXED: 1, CHANGED: 1, SAME: 1} and c.same_seed


def test_the_dominant_emotion_is_scorings_most_frequent_and_the_first_on_a_tie():
    assert dominant(session("p", 0, "pass", ["a", "b", "b"])) == "b"
    assert dominant(session("p", 0, "pass", ["a", "b"])) == "a"
    assert dominant(session("p", 0, "pass", [])) is None
    # as scoring judges it: uncertainty only when nothing else was said
    assert dominant(session("p", 0, "pass", ["uncertainty", "uncertainty", "curiosity"])) == "curiosity"
    assert dominant(session("p", 0, "pass", ["uncertainty"])) == "uncertainty"


def test_unscored_sessions_compare_conclusions_only_and_the_lines_say_so():
    base = report("demo", 7, {**session("paralysed", 0, "pass", ["hesitation"]), "verdict": None})
    run = report("run", 8, session("paralysed", 0, "pass", ["deliberation"]), session("naive_bot", 1, "pass", []))
    c = compare_reports(base, run)
    (pair,) = c.pairs
    assert pair.kind == CHANGED and pair.changes() == [("dominant emotion", "hesitation", "deliberation")]
    assert c.lines() == [
        "sessions of run against demo: 0 regression · 0 fixed · 1 changed · 0 same "
        "(different seeds: paired by persona, not by the same visit)",
        "changed paralysed #1: dominant emotion hesitation → deliberation",
        "unpaired: naive_bot #1 only in run"]
