"""The ``workbench`` command as a user runs it: a real process, its output and exit code."""

from __future__ import annotations

import subprocess
import sys


def workbench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench.cli.main", *args], capture_output=True, text=True,
                          timeout=timeout)


def descendants(pid: int) -> dict[int, str]:
    """The live processes below ``pid`` (from /proc), by pid: their command names."""
    from pathlib import Path

    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                names[int(entry.name)] = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if fields[0] != "Z":  # zombies are gone, only not reaped yet
                parents[int(entry.name)] = int(fields[1])
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = names.get(child, "?")
                frontier.append(child)
    return found


def still_alive(pids) -> list[int]:
    from pathlib import Path

    alive = []
    for pid in pids:
        try:
            if (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z":
                alive.append(pid)
        except OSError:
            pass
    return alive
