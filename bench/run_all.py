"""`make bench`: run every ``bench/bench_*.py`` and print the figures each reports.

Each benchmark is a script that prints its own figures (with ratios where an issue asks for
them) and writes them as JSON to ``bench/results/<name>.json``; this runner runs them one
after another (so they don't compete for the two cores) and prints a closing summary.
Pass names to run a subset: ``make bench BENCH="engine bridge"``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def main(selected: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if any(name in s.stem for name in selected)]
    RESULTS.mkdir(exist_ok=True)
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} " + "=" * (60 - len(script.stem)), flush=True)
        started = time.monotonic()
        if subprocess.run([sys.executable, str(script)], cwd=HERE.parent).returncode != 0:
            failed.append(script.stem)
        print(f"--- {script.stem}: {time.monotonic() - started:.1f} s", flush=True)
    print("\n=== summary " + "=" * 52)
    for script in scripts:
        result = RESULTS / f"{script.stem.removeprefix('bench_')}.json"
        if result.exists():
            figures = json.loads(result.read_text())
            line = ", ".join(f"{k}={v}" for k, v in figures.items() if not isinstance(v, dict | list))
            print(f"{script.stem.removeprefix('bench_'):>12}: {line}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
