"""``workbench sweep --rerun``: page-side thresholds, varied by running the personas again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.wbcli import workbench
from workbench.cli.common import ExitCode

pytestmark = pytest.mark.browser


def test_a_rerun_sweep_varies_what_the_page_applies(tmp_path: Path):
    db = str(tmp_path / "wb.db")
    ran = workbench("run", "--persona", "frustrated", "--seed", "3", "--db", db, "--no-progress")
    assert ran.returncode == ExitCode.OK, ran.stdout + ran.stderr

    # without --rerun the page's thresholds are refused, with the way out
    refused = workbench("sweep", "--db", db, "--vary", "signal.rage_clicks=6")
    assert refused.returncode == ExitCode.USAGE and "add --rerun" in refused.stderr

    swept = workbench("sweep", "--db", db, "--rerun", "--vary", "signal.rage_clicks=3,6", "--json")
    assert swept.returncode == ExitCode.OK, swept.stderr
    assert "S2: running 1 session(s) again" in swept.stderr  # progress goes to stderr beside --json
    base, same, strict = json.loads(swept.stdout)["settings"]
    assert base["per_persona"]["frustrated_buyer"] == {"passed": 1, "sessions": 1}
    # virtual time is deterministic: the same thresholds run again give the same visit and verdicts
    assert same["differs"] == [] and same["dominant"] == base["dominant"]
    # no burst of the persona's reaches 6 clicks: no rage_click signal, the expectation fails
    assert strict["per_persona"]["frustrated_buyer"]["passed"] == 0 and strict["differs"] == ["0:frustrated_buyer"]
