"""Audit of ``workbench compare`` as a CI gate: sessions present in one run only, personas renamed,
unscored runs and visits that only look the same, on stores written by the Recorder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import batch, mouse_path
from workbench.cli.common import ExitCode
from workbench.cli.main import main
from workbench.compare import REGRESSION, compare_reports
from workbench.events import (
    BatchReceived,
    RunEnded,
    RunScored,
    RunStarted,
    SessionEnded,
    SessionStarted,
    SessionTraced,
)
from workbench.store.db import open_db
from workbench.store.recorder import Recorder

Slot = tuple[str, int, str | None]  # persona, seed index, verdict (None: not scored)


def stored_run(path: Path, run_id: str, seed: int, slots: list[Slot]) -> None:
    """A run as `workbench run` records it: each slot's session, its trace (seed index) and its checks."""
    engine = open_db(path)
    rec = Recorder(engine)
    rec(RunStarted(run_id, "run", "rv", seed, "", "http://x"))
    scored = []
    for persona, index, verdict in slots:
        sid = f"sq_{run_id}_{index}"
        rec(SessionStarted(sid, "org_test", persona, "rv"))
        rec(SessionTraced(sid, persona, seed, index, "virtual", {"emotions": ["curiosity"]}, 0.0, 0.0, {}))
        rec(BatchReceived(sid, "org_test", batch(mouse_path(1000, 5), session=sid)))
        rec(SessionEnded(sid, "ended"))
        if verdict is not None:
            scored.append({"session_id": sid, "persona": persona,
                           "checks": [{"name": "emotion", "status": verdict, "expected": "any of curiosity",
                                       "actual": "x"}]})
    if scored:
        rec(RunScored(run_id, "pass", scored, {}))
    rec(RunEnded(run_id, "ended", {}))
    engine.dispose()


def compare(tmp_path: Path, base: list[Slot], run: list[Slot], capsys: Any, *, seeds: tuple[int, int] = (7, 7)
            ) -> tuple[int, dict[str, Any], str]:
    stored_run(tmp_path / "base.db", "run_base", seeds[0], base)
    stored_run(tmp_path / "wb.db", "run_new", seeds[1], run)
    dbs = ["--base-db", str(tmp_path / "base.db"), "--db", str(tmp_path / "wb.db")]
    code = main(["compare", "latest", *dbs, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert main(["compare", "latest", *dbs]) == code  # the table and the JSON agree on the gate
    return code, out, capsys.readouterr().out


def test_a_baseline_session_that_passed_and_is_missing_from_the_run_fails_the_gate(tmp_path, capsys):
    # the run lost a session (cut short, --count lowered, a persona dropped): nothing shows it did not regress
    code, out, text = compare(tmp_path, [("calm", 0, "pass"), ("frustrated", 1, "pass")],
                              [("calm", 0, "pass")], capsys)
    assert code == ExitCode.FAILED
    assert out["missing"] == ["frustrated #1 passed in run_base and is not in run_new"]
    assert "frustrated #1 passed in run_base and is not in run_new" in text and "REGRESSED" in text


def test_a_renamed_persona_fails_the_gate_and_names_both_names(tmp_path, capsys):
    code, out, text = compare(tmp_path, [("calm", 0, "pass"), ("frustrated_buyer", 1, "pass")],
                              [("calm", 0, "pass"), ("angry_buyer", 1, "fail")], capsys)
    assert code == ExitCode.FAILED  # the failing angry_buyer is the old frustrated_buyer: never a silent pass
    assert out["unpaired"] == ["frustrated_buyer #1 only in run_base", "angry_buyer #1 only in run_new"]
    assert "frustrated_buyer #1 passed in run_base and is not in run_new" in text


def test_what_only_the_run_has_or_the_baseline_failed_anyway_does_not_fail_the_gate(tmp_path, capsys):
    code, out, _ = compare(tmp_path, [("calm", 0, "pass"), ("frustrated", 1, "fail")],
                           [("calm", 0, "pass"), ("confused", 2, "fail")], capsys)
    assert code == ExitCode.OK and out["missing"] == []
    assert out["unpaired"] == ["frustrated #1 only in run_base", "confused #1 only in run_new"]


def test_a_session_the_baseline_passed_and_the_run_did_not_score_is_a_regression(tmp_path, capsys):
    # a run that stopped before scoring, or a serve/demo run named as RUN: no verdict is no pass
    code, out, text = compare(tmp_path, [("calm", 0, "pass")], [("calm", 0, None)], capsys)
    assert code == ExitCode.FAILED
    (pair,) = out["sessions"]
    assert pair["kind"] == REGRESSION and {"what": "verdict", "base": "pass", "run": None} in pair["changes"]
    assert "verdict pass → not scored" in text


def test_the_same_seed_in_another_persona_order_is_not_called_the_same_visit(tmp_path, capsys):
    # slot i's seed is spawned from the run seed by its index: calm at index 1 is another visit than at 0
    code, out, text = compare(tmp_path, [("calm", 0, "pass"), ("frustrated", 1, "pass")],
                              [("frustrated", 0, "pass"), ("calm", 1, "pass")], capsys)
    assert code == ExitCode.OK and out["same_seed"] is True and out["same_visits"] is False
    assert "paired by persona, not by the same visit" in text


def test_the_same_seed_and_order_are_the_same_visits(tmp_path, capsys):
    code, out, text = compare(tmp_path, [("calm", 0, "pass")], [("calm", 0, "pass")], capsys)
    assert code == ExitCode.OK and out["same_visits"] is True and "not by the same visit" not in text


def test_the_plain_lines_name_what_is_missing():
    def report(run_id: str, *sessions: dict[str, Any]) -> dict[str, Any]:
        return {"run": {"id": run_id, "seed": 7}, "sessions": list(sessions), "summary": None}

    def session(persona: str, index: int, verdict: str) -> dict[str, Any]:
        return {"session_id": f"sq_{index}", "persona": persona, "seed": 7, "seed_index": index, "verdict": verdict,
                "bot": "human", "emotions": [], "checks": [{"name": "emotion", "status": verdict, "actual": "x"}]}

    c = compare_reports(report("A", session("calm", 0, "pass"), session("bot", 1, "pass")),
                        report("B", session("calm", 0, "pass")))
    assert c.missing == ["bot #1 passed in A and is not in B"] and c.failed
    assert "missing: bot #1 passed in A and is not in B" in c.lines()
