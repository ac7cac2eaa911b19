"""The README's first command sets everything up (``scripts/setup.sh``, called by ``make demo``): it must
repair what an earlier run or the user left, and say what to do when it cannot. The fast cases run the
script on this checkout, whose venv is already made (set-up then only checks); the slow one makes venvs
in a copy of the checkout, so it needs the package index."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUP = ROOT / "scripts" / "setup.sh"


def setup(cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(cwd / "scripts" / "setup.sh")], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)


def test_a_browser_named_by_the_user_that_is_not_there_is_named_and_nothing_is_installed():
    done = setup(WORKBENCH_CHROMIUM="/nonexistent/chromium")
    assert done.returncode == 1
    assert "WORKBENCH_CHROMIUM=/nonexistent/chromium is not an executable file" in done.stderr
    assert "installing Chromium" not in done.stdout  # no download, no apt-get for a typo


def test_a_browser_that_does_not_start_is_reported_as_such_with_what_to_do():
    done = setup(WORKBENCH_CHROMIUM="/bin/false")
    assert done.returncode == 1
    assert "a browser was found but does not start" in done.stderr and "/bin/false" in done.stderr
    assert "install-deps" in done.stderr
    assert "installing Chromium" not in done.stdout


def test_the_browser_check_starts_the_browser_a_run_starts_and_tells_none_from_broken():
    check = [sys.executable, "-m", "workbench.sim.browser"]
    found = subprocess.run(check, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0 and Path(found.stdout.strip()).exists()
    broken = subprocess.run(check, cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "WORKBENCH_CHROMIUM": "/bin/false"})
    assert broken.returncode == 11 and "could not launch Chromium (/bin/false)" in broken.stderr


def _copy_checkout(to: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if (ROOT / name).is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, to / name)
    return to


@pytest.mark.slow
def test_set_up_repairs_a_venv_without_pip_a_removed_package_and_a_moved_checkout(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the checkout's files")
    first = _copy_checkout(tmp_path / "first")
    done = setup(first)
    assert done.returncode == 0, done.stderr
    assert "==> ready" in done.stdout
    assert "upgrading pip" not in done.stdout  # the venv's own pip installs the project: no wait on the network
    again = setup(first)
    assert again.returncode == 0 and again.stdout.startswith("==> ready")  # only checks

    # a venv whose pip is gone (what Debian's venv without python3-venv leaves) is made again
    for pip in (first / ".venv" / "lib").glob("python3*/site-packages/pip"):
        shutil.rmtree(pip)
    done = setup(first)
    assert done.returncode == 0, done.stderr
    assert "is unusable" in done.stdout and "==> ready" in done.stdout

    # a dependency removed from the venv is installed again, not taken for a missing browser; a pip too old
    # for an editable install of a pyproject.toml project (before 21.3) is upgraded first, and says so
    venv_python = first / ".venv" / "bin" / "python"
    subprocess.run([str(venv_python), "-m", "pip", "uninstall", "-q", "-y", "orjson"], check=True)
    subprocess.run([str(venv_python), "-m", "pip", "install", "-q", "pip==21.2.4"], check=True)
    done = setup(first)
    assert done.returncode == 0, done.stderr
    assert "installing the project" in done.stdout and "installing Chromium" not in done.stdout
    assert "upgrading pip (21.2.4 cannot install the project editable)" in done.stdout

    # a moved checkout: the console scripts and the editable install named the old path
    moved = first.rename(tmp_path / "moved")
    done = setup(moved)
    assert done.returncode == 0, done.stderr
    assert "installing the project" in done.stdout
    assert (moved / ".venv" / "bin" / "workbench").read_text().splitlines()[0] == f"#!{moved}/.venv/bin/python"
    shown = subprocess.run([str(moved / ".venv" / "bin" / "workbench"), "--help"], capture_output=True, text=True)
    assert shown.returncode == 0
