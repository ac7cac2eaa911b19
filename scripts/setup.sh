#!/usr/bin/env bash
# Set up EITP Workbench: a .venv with the project, and a Chromium for Playwright.
# Idempotent: a second run checks and returns in a few seconds. A venv that is half made, made by
# another Python or for another checkout's path is made again; a browser must start, not only exist.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.installed
LOGS=$VENV/logs

fail() { printf '\n\033[31msetup failed:\033[0m %s\n' "$1" >&2; exit 1; }

# 0. A browser the user named must be there: said before anything is installed.
if [ -n "${WORKBENCH_CHROMIUM:-}" ] && [ ! -x "$WORKBENCH_CHROMIUM" ]; then
  fail "WORKBENCH_CHROMIUM=$WORKBENCH_CHROMIUM is not an executable file. Point it at a Chromium, or unset it."
fi

# 1. Python >= 3.11 and a venv that works: its Python >= 3.11 and its pip importable. A first run on
#    Debian without python3-venv leaves one without pip, which pip could never repair.
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || fail "Python 3.11 or newer is needed (found: $("$PY" --version 2>&1)). Set PYTHON=/path/to/python3.11 and rerun."
if [ -e "$VENV" ] && ! "$VENV/bin/python" -c 'import sys, pip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
  echo "==> $VENV is unusable (half made, no pip, or an older or removed Python): making it again"
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$PY" -m venv "$VENV" || { rm -rf "$VENV"; fail "could not create a venv. On Debian/Ubuntu: apt-get install python3-venv, then rerun."; }
fi
mkdir -p "$LOGS"

# 2. The project and its dependencies: again when pyproject.toml changed, when the checkout moved (the
#    editable install and the console scripts name its path) or when an import fails (a package removed).
installed() {
  [ -f "$STAMP" ] && [ ! pyproject.toml -nt "$STAMP" ] && [ "$(cat "$STAMP")" = "$ROOT" ] || return 1
  "$VENV/bin/python" -m pip check >/dev/null 2>&1 || return 1  # every dependency still there
  (cd / && "$ROOT/$VENV/bin/python" -c 'import sys, workbench.cli.main as m; sys.exit(not m.__file__.startswith(sys.argv[1]))' \
    "$ROOT/workbench/") >/dev/null 2>&1
}
ROOT=$(pwd -P)  # the editable install names real paths: a checkout reached through a symlink is its target
if ! installed; then
  # pip older than 21.3 cannot install a pyproject.toml project editable (PEP 660). A newer one (Python
  # 3.11's venv brings 22.3 or later) is left as it is: an upgrade for nothing was one more wait on the
  # network, and a silent one where the network drops packets.
  if ! "$VENV/bin/python" -c 'import re, sys, pip; sys.exit(tuple(map(int, re.match(r"(\d+)\.(\d+)", pip.__version__).groups())) < (21, 3))' 2>/dev/null; then
    echo "==> upgrading pip ($("$VENV/bin/python" -m pip --version | cut -d' ' -f2) cannot install the project editable)"
    "$VENV/bin/python" -m pip install -q --upgrade pip \
      || fail "pip could not upgrade itself (see above). Check your network or proxy, then rerun."
  fi
  echo "==> installing the project and its dependencies into $VENV"
  "$VENV/bin/python" -m pip install -q -e '.[dev]' \
    || fail "pip could not install the dependencies (see above). Check your network or proxy, then rerun."
  printf "%s" "$ROOT" > "$STAMP"
  installed || fail "the project was installed but the venv is not whole: $("$VENV/bin/python" -m pip check 2>&1 | head -3)
   (if pip check is clean: run $VENV/bin/python -c 'import workbench.cli.main' from another folder to see why)."
fi

# 3. A browser that starts: Playwright's own first; Debian's headless shell when its download fails.
#    The check starts the browser a run starts (exit 10: none found; 11: found, and it does not start).
check_browser() { "$VENV/bin/python" -m workbench.sim.browser 2>"$LOGS/browser-check.log"; }
cannot_start() {
  [ $status = 11 ] || fail "the browser check failed (exit $status): $(tail -c 400 "$LOGS/browser-check.log")"
  fail "a browser was found but does not start: $(head -c 300 "$LOGS/browser-check.log")
   Playwright's Chromium needs its system libraries: $VENV/bin/playwright install-deps chromium (as root).
   Or set WORKBENCH_CHROMIUM=/path/to/a/chromium that starts."
}
BROWSER=$(check_browser); status=$?
[ $status = 0 ] || [ $status = 10 ] || cannot_start
if [ $status = 10 ]; then
  echo "==> installing Chromium: trying 'playwright install chromium'"
  LIMIT=""; command -v timeout >/dev/null && LIMIT="timeout 300"  # GNU timeout: not on every system
  if ! $LIMIT "$VENV/bin/python" -m playwright install chromium >"$LOGS/playwright-install.log" 2>&1; then
    echo "    playwright's download failed: $(grep -m1 -iE 'error|failed' "$LOGS/playwright-install.log" | cut -c1-120) (log: $LOGS/playwright-install.log)"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "==> falling back to Debian's chromium-headless-shell (apt-get)"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell) >"$LOGS/apt.log" 2>&1 \
        || fail "apt-get could not install chromium-headless-shell (log: $LOGS/apt.log). Install a Chromium and set WORKBENCH_CHROMIUM=/path/to/it."
    else
      fail "no browser. Run as root: apt-get install chromium-headless-shell
   (or: sudo apt-get install chromium), or install any Chromium and set WORKBENCH_CHROMIUM=/path/to/it."
    fi
  fi
  BROWSER=$(check_browser); status=$?
  [ $status = 10 ] && fail "a browser was installed but Playwright cannot find it. Set WORKBENCH_CHROMIUM=/path/to/chromium."
  [ $status = 0 ] || cannot_start
fi
echo "==> ready: $("$VENV/bin/python" --version), browser: $BROWSER"
