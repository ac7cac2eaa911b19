"""``workbench compare`` on real runs: a threshold that blinds the rage-click detector is a regression
of the frustrated buyer alone, gated by the exit code; undoing it is a fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.wbcli import workbench
from workbench.cli.common import ExitCode

pytestmark = pytest.mark.browser


def _run(db: str, *extra: str) -> str:
    ran = workbench("run", "--persona", "frustrated,calm", "--seed", "3", "--db", db, "--no-progress", *extra)
    assert ran.returncode in (ExitCode.OK, ExitCode.FAILED), ran.stdout + ran.stderr
    return json.loads(workbench("runs", "--db", db, "--json").stdout)[0]["id"]  # newest first


def test_compare_gates_on_regressions_and_names_what_changed(tmp_path: Path):
    base_db, db = str(tmp_path / "base.db"), str(tmp_path / "wb.db")
    base = _run(base_db)
    blinded = _run(db, "--set", "signal.rage_clicks=6")

    proc = workbench("compare", "latest", "--base-db", base_db, "--db", db, "--json")
    assert proc.returncode == ExitCode.FAILED, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["base"], out["run"], out["same_seed"]) == (base, blinded, True)
    kinds = {s["persona"]: s for s in out["sessions"]}
    assert kinds["frustrated_buyer"]["kind"] == "regression" and kinds["calm_researcher"]["kind"] == "same"
    changed = {c["what"]: (c["base"], c["run"]) for c in kinds["frustrated_buyer"]["changes"]}
    assert changed["verdict"] == ("pass", "fail") and "missing rage_click" in changed["check signals"][1]
    assert out["thresholds"] == {"signal.rage_clicks": {"base": 3, "run": 6}}
    assert out["scores"]["sessions passed"] == {"base": "2/2", "run": "1/2"}

    missing = workbench("compare", blinded, base, "--db", db)  # the baseline run is in base.db, not here
    assert missing.returncode == ExitCode.USAGE and f"no run {base!r} in {db}" in missing.stderr
    fixed = workbench("compare", blinded, base, "--base-db", db, "--db", base_db)
    assert fixed.returncode == ExitCode.OK, fixed.stdout + fixed.stderr
    assert "1 fixed" in fixed.stdout and "no regression" in fixed.stdout

    same = workbench("compare", blinded, "--db", db)
    assert same.returncode == ExitCode.USAGE and "BASE and RUN are the same run" in same.stderr
