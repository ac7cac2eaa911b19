"""`make bench`: run every ``bench/bench_*.py`` and print the figures each reports.

Each benchmark is a script that prints its own figures (with ratios where an issue asks for
them) and writes them as JSON to ``bench/results/<name>.json``; this runner runs them one
after another (so they don't compete for the two cores) and prints a closing summary.
Pass names to run a subset: ``make bench BENCH="engine bridge"``; options after them go to each
selected benchmark: ``make bench BENCH="runner --quick"``. A name that matches no benchmark is refused
(exit 2). The summary shows only figures this run wrote: a benchmark's old result file is removed
before it runs, so one that is skipped or fails shows none.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _result(script: Path) -> Path:
    return script.parent / "results" / f"{script.stem.removeprefix('bench_')}.json"


def main(args: list[str], here: Path = HERE) -> int:
    selected = [a for a in args if not a.startswith("-")]
    options = [a for a in args if a.startswith("-")]
    scripts = sorted(here.glob("bench_*.py"))
    unknown = [name for name in selected if not any(name in s.stem for s in scripts)]
    if unknown:
        names = ", ".join(s.stem.removeprefix("bench_") for s in scripts)
        print(f"no benchmark is called {', '.join(unknown)}; there are: {names}", file=sys.stderr)
        return 2
    if selected:
        scripts = [s for s in scripts if any(name in s.stem for name in selected)]
    (here / "results").mkdir(exist_ok=True)
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} " + "=" * (60 - len(script.stem)), flush=True)
        _result(script).unlink(missing_ok=True)  # the summary shows this run's figures, or none
        started = time.monotonic()
        if subprocess.run([sys.executable, str(script), *options], cwd=here.parent).returncode != 0:
            failed.append(script.stem)
        print(f"--- {script.stem}: {time.monotonic() - started:.1f} s", flush=True)
    print("\n=== summary " + "=" * 52)
    for script in scripts:
        result = _result(script)
        if result.exists():
            figures = json.loads(result.read_text())
            line = ", ".join(f"{k}={v}" for k, v in figures.items() if not isinstance(v, dict | list))
            print(f"{script.stem.removeprefix('bench_'):>12}: {line}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
