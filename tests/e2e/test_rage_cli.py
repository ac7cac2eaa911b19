"""``workbench rage`` on a real run: the frustrated buyer's clicks set off every definition, the calm
researcher's none, and EITP's rule replayed agrees with what the producer reported live."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.wbcli import workbench
from workbench.cli.common import ExitCode

pytestmark = pytest.mark.browser


def test_rage_judges_a_stored_run_by_every_definition(tmp_path: Path):
    db = str(tmp_path / "wb.db")
    traces = tmp_path / "traces"
    ran = workbench("run", "--persona", "frustrated,calm", "--seed", "11", "--db", db, "--no-progress",
                    "--trace", "on-failure", "--trace-dir", str(traces))
    assert ran.returncode == ExitCode.OK, ran.stdout + ran.stderr
    assert "traces: none kept (every session passed)" in ran.stdout and not list(traces.glob("*.zip"))

    proc = workbench("rage", "--db", db, "--json")
    assert proc.returncode == ExitCode.OK, proc.stderr
    report = json.loads(proc.stdout)
    by_persona = {s["persona"]: s for s in report["sessions"]}
    angry, calm = by_persona["frustrated_buyer"], by_persona["calm_researcher"]
    assert angry["expects"] == "rage" and calm["expects"] == "none"
    assert angry["sent"] >= 1 and angry["bursts"]["eitp"] == angry["sent"]  # the replay is the producer's rule
    assert all(n and n >= 1 for n in angry["bursts"].values()), angry["bursts"]
    assert not any(calm["bursts"].values()) and calm["sent"] == 0
    rows = {r["definition"]: r for r in report["definitions"]}
    assert all((r["caught"], r["expected"], r["false_alarms"], r["unexpected"]) == (1, 1, 0, 1) for r in rows.values())

    # a stricter EITP threshold, replayed on the same clicks: fewer or no bursts, and the table says so
    strict = workbench("rage", "--db", db, "--set", "signal.rage_clicks=6")
    assert strict.returncode == ExitCode.OK
    assert "6 clicks within 500 ms" in strict.stdout and "the producer sent" in strict.stdout
    assert "Mixpanel" in strict.stdout and "OpenReplay" in strict.stdout

    missing = workbench("rage", "nope", "--db", db)  # not stored: a usage error, not a missed expectation
    assert missing.returncode == ExitCode.USAGE and "no run 'nope'" in missing.stderr
