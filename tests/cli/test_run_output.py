"""What ``workbench run`` prints while it runs and what a reader that goes away costs: the live counter says
what the run's final line says (a missed expectation is a failure), and `| head -1` costs a run neither its
reports nor its own exit code (``workbench show`` writes its reports before printing too). The browser is
left out: a fake runner stores a run whose one session missed an expectation, as the real one would."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from tests.cli.test_cli_store_audit import stored_runs
from tests.conftest import ROOT
from workbench import scoring
from workbench.cli.cmd_run import LiveCounts
from workbench.cli.common import ExitCode
from workbench.events import (
    EventStream,
    RunConfigured,
    RunEnded,
    RunScored,
    RunStarted,
    SessionEnded,
    SessionStarted,
)

SID = "sq_1795465876620_pwpukon8k"


async def fake_run(spec: Any, *, config: Any = None, stream: EventStream) -> Any:
    """Stands in for :func:`workbench.sim.runner.run`: one calm researcher that ended and missed its emotion."""
    from workbench.sim.runner import RunResult, SessionOutcome

    run_id = "run_20261123_000000_0000abcd"
    truth = scoring.GroundTruth.of(spec.personas[0])
    observed = scoring.Observation(SID, truth.persona, "ended", emotions=("uncertainty",), bot="human",
                                   signals=truth.signals, interventions=0)
    score = scoring.score_run([(truth, observed)])
    stream.emit(RunStarted(run_id, "run", "rv", spec.seed, "", "http://x"))
    stream.emit(RunConfigured(run_id, "virtual", 1, [truth.persona]))
    stream.emit(SessionStarted(SID, "org_test", truth.persona, "rv"))
    stream.emit(SessionEnded(SID, "ended", None, score.sessions[0].verdict))
    stream.emit(RunScored(run_id, score.verdict, [s.as_dict() for s in score.sessions], score.summary()))
    stream.emit(RunEnded(run_id, "ended", {"verdict": score.verdict}))
    return RunResult(run_id, "http://x", [SessionOutcome(SID, truth.persona, status="ended")], score)


def with_gone_reader(*args: str, fake: bool) -> subprocess.CompletedProcess[str]:
    """``workbench ARGS`` whose stdout's reader is gone before the first write (the failure is certain, not a race)."""
    patch = "import workbench.sim.runner as r; from tests.cli.test_run_output import fake_run; r.run = fake_run; " \
        if fake else ""
    script = (f"import sys; sys.path.insert(0, '.'); {patch}"
              "from workbench.cli.main import main; sys.exit(main(sys.argv[1:]))")
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    finally:
        os.close(write)


def test_a_reader_that_goes_away_costs_a_run_neither_its_reports_nor_its_exit_code(tmp_path: Path):
    # `workbench run ... --no-progress --junit F | head -1`: the session's line, the tables and the report
    # lines all meet a closed pipe
    junit, report = tmp_path / "r.xml", tmp_path / "r.json"
    proc = with_gone_reader("run", "--persona", "calm", "--db", str(tmp_path / "wb.db"), "--no-progress",
                            "--junit", str(junit), "--json", str(report), fake=True)
    assert (proc.returncode, proc.stderr) == (ExitCode.FAILED, "")  # the run's own code, no traceback
    assert junit.exists() and report.exists()
    assert 'failures="1"' in junit.read_text()


def test_show_writes_its_reports_before_its_reader_can_go(tmp_db: Path, tmp_path: Path):
    stored_runs(tmp_db, "run_a")
    junit, page = tmp_path / "s.xml", tmp_path / "s.html"
    proc = with_gone_reader("show", "run_a", "--db", str(tmp_db), "--junit", str(junit), "--html", str(page),
                            fake=False)
    assert (proc.returncode, proc.stderr) == (ExitCode.PIPE_CLOSED, "")  # show's own code for it
    assert junit.exists() and page.exists()


def test_the_live_counter_says_what_the_final_line_says():
    out = io.StringIO()
    live = LiveCounts(Console(file=out, width=160, color_system=None), 3, bar=False)
    for sid, persona in (("sq_a", "calm_researcher"), ("sq_b", "frustrated_buyer"), ("sq_c", "naive_bot")):
        live(SessionStarted(sid, "org_test", persona, "rv"))
    live(SessionEnded("sq_a", "ended", None, scoring.FAIL))  # carried out, an expectation missed
    live(SessionEnded("sq_b", "ended", None, scoring.PASS))
    live(SessionEnded("sq_c", "failed", "the page crashed", scoring.ERROR))
    assert (live.done, live.failed, live.errors) == (3, 1, 1)
    description = live.progress.tasks[0].description
    assert "failed [red]1[/]" in description and "errors [red]1[/]" in description
    lines = out.getvalue().splitlines()
    assert "calm_researcher" in lines[0] and "missed an expectation" in lines[0]
    assert "frustrated_buyer" in lines[1] and "missed" not in lines[1]
    assert "the page crashed" in lines[2]


def test_a_session_the_runner_did_not_score_counts_as_an_error():
    live = LiveCounts(Console(file=io.StringIO()), 1, bar=False)
    live(SessionStarted("sq_a", "org_test", "calm_researcher", "rv"))
    live(SessionEnded("sq_a", "failed", "interrupted (ctrl-c)"))  # a stopped run's: OpenRun ends it, unscored
    assert (live.failed, live.errors) == (0, 1)
