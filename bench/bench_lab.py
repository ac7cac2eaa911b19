"""The threshold lab's replay speed (workbench.lab, `workbench sweep`).

A sweep replays every session's stored telemetry through a fresh engine once per setting, so its
cost is the engine's throughput times the settings. Measured on the shared corpora's human
recordings (40 per group, as the producer would have sent them): events replayed per second,
seconds per setting, and the wall time of a 3-setting sweep of them.

    .venv/bin/python bench/bench_lab.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import report  # noqa: E402
from workbench import corpora, lab  # noqa: E402
from workbench.cli.cmd_sweep import load_corpus  # noqa: E402
from workbench.config import EITPConfig  # noqa: E402


def main() -> None:
    if not corpora.available():
        print(f"skipped: {corpora.CORPORA_DIR} not present")
        return
    config = EITPConfig()
    started = time.perf_counter()
    telemetry = load_corpus(list(corpora.HUMAN_GROUPS), 40, config)
    loaded = time.perf_counter() - started
    events = sum(len(b["events"]) for b in telemetry.batches)
    grid = lab.settings(["bot.min_timing_cv=0.1,0.5", "bot.min_cv_intervals=3"])
    started = time.perf_counter()
    results = lab.sweep(telemetry, config, grid)
    swept = time.perf_counter() - started
    report("lab", {
        "sessions": len(telemetry.sessions), "batches": len(telemetry.batches), "events": events,
        "settings_replayed": len(results), "sweep_s": round(swept, 2),
        "s_per_setting": round(swept / len(results), 2),
        "events_replayed_per_s": round(events * len(results) / swept),
        "corpus_load_s": round(loaded, 2),
        "humans_judged_bots": [r.as_dict()["bot"].get("fp") for r in results],
    })


if __name__ == "__main__":
    main()
