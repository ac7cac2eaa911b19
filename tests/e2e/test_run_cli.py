"""``workbench run`` and ``workbench show`` as a user runs them: a real process, reports, exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from tests.e2e.wbcli import descendants, still_alive, workbench
from workbench.cli.common import ExitCode
from workbench.cli.main import main

pytestmark = pytest.mark.browser


def test_run_writes_json_junit_html_and_exits_zero_when_every_expectation_holds(tmp_path: Path):
    db, out = tmp_path / "wb.db", tmp_path / "reports"
    proc = workbench("run", "--persona", "frustrated,naive", "--seed", "7", "--concurrency", "2", "--db", str(db),
                     "--json", str(out / "run.json"), "--junit", str(out / "run.xml"), "--html", str(out / "run.html"),
                     "--no-progress")
    assert proc.returncode == ExitCode.OK, proc.stdout + proc.stderr
    assert "verdict PASS" in proc.stdout and "frustrated_buyer" in proc.stdout

    report = json.loads((out / "run.json").read_text())
    assert report["verdict"] == "pass" and report["config"]["clock"] == "virtual"
    assert report["config"]["personas"] == ["frustrated_buyer", "naive_bot"]
    frustrated, naive = report["sessions"]
    assert frustrated["persona"] == "frustrated_buyer" and frustrated["seed"] == 7 and frustrated["seed_index"] == 0
    assert "frustration" in {e["emotion"] for e in frustrated["emotions"]}
    assert naive["bot"] == "bot" and naive["bot_verdicts"][-1]["signals"]
    assert report["summary"]["bot_precision_recall"]["recall"] == 1.0
    assert "frustrated_buyer" in report["summary"]["confusion"]
    rage = {r["definition"]: r for r in report["rage"]["definitions"]}
    assert rage["eitp"]["caught"] == rage["posthog"]["caught"] == 1 and rage["eitp"]["false_alarms"] == 0

    suites = ET.parse(out / "run.xml").getroot()
    assert suites.get("tests") == "10" and suites.get("failures") == "0" and suites.get("errors") == "0"
    cases = suites.findall(".//testcase")
    assert {c.get("name") for c in cases} == {"emotion", "forbidden_emotions", "bot_verdict", "signals",
                                              "intervention"}
    assert any(c.find("skipped") is not None for c in cases)  # no consumer yet: intervention is n/a

    html = (out / "run.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "data:image/webp;base64," in html and "<polyline" in html
    assert "Confusion matrix" in html and "frustration" in html and "<script" not in html
    assert "Rage clicks, five ways" in html

    # the threshold lab: the stored telemetry replays exactly as the run went, and a confidence
    # floor no rule can reach leaves the frustrated buyer undetected while the bot is still caught
    swept = workbench("sweep", "--db", str(db), "--vary", "classifier.min_confidence=1.01", "--json")
    assert swept.returncode == ExitCode.OK, swept.stderr
    lab = json.loads(swept.stdout)
    assert lab["replay_differs_from_live"] == []
    own, unreachable = lab["settings"]
    assert own["passed"] == 2 and own["dominant"][frustrated["session_id"]] == "frustration"
    assert unreachable["per_persona"]["frustrated_buyer"]["passed"] == 0
    assert unreachable["per_persona"]["naive_bot"]["passed"] == 1
    assert unreachable["differs"] == [frustrated["session_id"]]
    page = out / "sweep.html"
    table = workbench("sweep", "--db", str(db), "--vary", "classifier.min_confidence=0.5,1.01", "--html", str(page))
    assert "replay check: all 2 sessions replay exactly as they ran live" in table.stdout
    assert "S2 classifier.min_confidence=1.01" in table.stdout and "frustrated_buyer" in table.stdout
    assert f"HTML report: {page}" in table.stdout
    assert "Figures against the threshold" in page.read_text() and "<polyline" in page.read_text()
    refused = workbench("sweep", "--db", str(db), "--vary", "signal.rage_clicks=2")
    assert refused.returncode == ExitCode.USAGE and "applied in the page" in refused.stderr

    shown = workbench("show", "--db", str(db))
    assert shown.returncode == 0 and "frustrated_buyer" in shown.stdout and "verdict PASS" in shown.stdout
    as_json = json.loads(workbench("show", "--db", str(db), "--json").stdout)
    assert as_json["run"]["id"] == report["run"]["id"]


def test_a_failed_expectation_exits_one_with_expected_and_actual(tmp_path: Path):
    # Exit intent needs the cursor faster than this near the top edge: the producer never fires.
    junit, traces = tmp_path / "fail.xml", tmp_path / "traces"
    proc = workbench("run", "--persona", "exit", "--db", str(tmp_path / "wb.db"), "--junit", str(junit),
                     "--set", "signal.exit_velocity_px_s=100000", "--no-progress",
                     "--trace", "on-failure", "--trace-dir", str(traces))
    assert proc.returncode == ExitCode.FAILED, proc.stdout + proc.stderr
    assert "verdict FAIL" in proc.stdout and "missing viewport_approach" in proc.stdout
    # the failed session's Playwright trace is kept, for `playwright show-trace`
    (kept,) = traces.glob("*.zip")
    assert "traces: 1 kept" in proc.stdout and kept.name in proc.stdout
    with zipfile.ZipFile(kept) as z:
        assert any(name.endswith(".trace") for name in z.namelist())
    failures = ET.parse(junit).getroot().findall(".//failure")
    assert any("viewport_approach" in (f.text or "") and "expected:" in (f.text or "") for f in failures)


def test_usage_and_infrastructure_errors_have_their_exit_codes(tmp_path: Path, capsys):
    db = str(tmp_path / "wb.db")
    assert main(["run", "--persona", "grumpy", "--db", db]) == ExitCode.USAGE
    assert "not a persona" in capsys.readouterr().err
    assert main(["run", "--persona", "calm", "--db", db, "--no-progress",
                 "--browser-endpoint", "http://127.0.0.1:9/"]) == ExitCode.INFRASTRUCTURE
    assert main(["show", "nope", "--db", db]) == ExitCode.USAGE  # not stored: a usage error, not a missed expectation
    assert "no run 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_kill_mid_run_closes_the_browser_and_stores_the_run(sig, tmp_path):
    # CI kills a job at its timeout with SIGTERM; a closed terminal sends SIGHUP. Chromium runs in a
    # session of its own, so the signal never reaches it: the workbench must close it, as on ctrl-c.
    db = tmp_path / "wb.db"
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli.main", "run", "--persona", "calm", "--real-time",
                             "--no-progress", "--db", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 60
    while not any("chrom" in name for name in descendants(proc.pid).values()):
        assert proc.poll() is None and time.monotonic() < deadline, "no browser started"
        time.sleep(0.2)
    time.sleep(2)  # the visit is under way
    browser = descendants(proc.pid)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    deadline = time.monotonic() + 10
    while still_alive(browser) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert still_alive(browser) == [], f"left running: {descendants(os.getpid())}"
    runs = workbench("runs", "--db", str(db), "--json")
    assert [r["status"] for r in json.loads(runs.stdout)] == ["failed"]  # stored, not left "running"
