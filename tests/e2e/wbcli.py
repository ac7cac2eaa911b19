"""The ``workbench`` command as a user runs it: a real process, its output and exit code."""

from __future__ import annotations

import subprocess
import sys


def workbench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench.cli.main", *args], capture_output=True, text=True,
                          timeout=timeout)
