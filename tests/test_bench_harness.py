"""`make bench` (bench/run_all.py): the summary shows only what this run measured, a name that matches no
benchmark is refused, and options after the names reach the benchmarks. Runs fake benchmarks in a
folder of their own, laid out as bench/ is."""

from __future__ import annotations

import json
from pathlib import Path

from bench.run_all import main

MEASURES = """import json, sys
from pathlib import Path
out = Path(__file__).parent / "results" / "measures.json"
out.write_text(json.dumps({"figure": 42, "options": " ".join(sys.argv[1:]) or "none"}))
"""
SKIPS = 'print("skipped: ../shared/corpora not present")\n'
CRASHES = 'raise RuntimeError("nats-server not found")\n'


def bench_folder(tmp_path: Path) -> Path:
    here = tmp_path / "bench"
    (here / "results").mkdir(parents=True)
    (here / "bench_measures.py").write_text(MEASURES)
    (here / "bench_skips.py").write_text(SKIPS)
    (here / "bench_crashes.py").write_text(CRASHES)
    for stale in ("skips", "crashes"):  # what an earlier run left
        (here / "results" / f"{stale}.json").write_text(json.dumps({"figure": 3000}))
    return here


def test_the_summary_shows_no_figures_from_an_earlier_run(tmp_path, capsys):
    assert main([], here=bench_folder(tmp_path)) == 1  # one benchmark failed
    summary = capsys.readouterr().out.split("=== summary")[1]
    assert "measures: figure=42, options=none" in summary
    assert "skips" not in summary and "figure=3000" not in summary
    assert "FAILED: bench_crashes" in summary


def test_a_name_that_matches_no_benchmark_is_refused_with_the_names_there_are(tmp_path, capsys):
    assert main(["measures", "bogus"], here=bench_folder(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "no benchmark is called bogus" in err and "crashes, measures, skips" in err


def test_options_after_the_names_go_to_the_selected_benchmarks(tmp_path, capsys):
    assert main(["measures", "--quick"], here=bench_folder(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "measures: figure=42, options=--quick" in out and "bench_skips" not in out
