"""The demo's ground-truth line and the run summary's ``matched_ground_truth`` read the scoring verdict:
every expectation, not the emotions alone."""

from __future__ import annotations

from synthetic.personas import FrustratedBuyer
from workbench import scoring
from workbench.cli.cmd_demo import ground_truth_line
from workbench.sim.runner import RunSpec, SessionOutcome, _summary, _Tally

TRUTH = scoring.GroundTruth.of(FrustratedBuyer)


def outcome(sid: str, *, signals: tuple[str, ...]) -> SessionOutcome:
    s = SessionOutcome(sid, FrustratedBuyer.name, status="ended", bot="human")
    s.emotions.update({"frustration": 2})
    s.event_types.update(signals)
    return s


def scored(*sessions: SessionOutcome) -> tuple[_Tally, scoring.RunScore]:
    tally = _Tally()
    tally.by_session = {s.session_id: s for s in sessions}
    return tally, scoring.score_run((TRUTH, s.observation()) for s in sessions)


def test_a_session_with_the_right_emotion_but_a_missing_signal_did_not_match():
    tally, score = scored(outcome("a", signals=tuple(FrustratedBuyer.expected_signals)),
                          outcome("b", signals=("click",)))
    summary = _summary(tally, RunSpec([FrustratedBuyer]), score)
    assert {s["session_id"]: s["matched_ground_truth"] for s in summary["sessions"]} == {"a": True, "b": False}


def test_the_demo_line_names_each_check_and_what_a_failed_one_saw():
    _, score = scored(outcome("a", signals=tuple(FrustratedBuyer.expected_signals)), outcome("b", signals=("click",)))
    good, bad = score.sessions
    assert ground_truth_line(good).startswith("pass: emotion ✓")
    line = ground_truth_line(bad)
    assert line.startswith("fail: ") and "signals ✗ (expected " in line and "saw missing " in line
    assert "intervention" not in line  # skipped checks are left out
    assert ground_truth_line(None) == "not scored"


def test_the_summary_shows_a_persona_error_and_message_as_written():
    import io

    from rich.console import Console

    from workbench.cli.cmd_demo import print_summary
    from workbench.sim.runner import RunResult

    s = outcome("a", signals=())
    s.persona, s.status, s.error = "[bold]x[/]", "failed", "page crashed: [/] \x1b[2J"
    s.intervention_messages.append("Need a hand? :warning: [link=https://evil]here[/link]")
    out = io.StringIO()
    print_summary(Console(file=out, color_system=None, width=300), RunResult("run1", "http://x", [s]), "/tmp/[db]")
    text = out.getvalue()
    assert "[bold]x[/]" in text and "page crashed: [/] \ufffd[2J" in text and "\x1b" not in text
    assert ":warning: [link=https://evil]here[/link]" in text and "⚠" not in text
    assert "/tmp/[db]" in text
