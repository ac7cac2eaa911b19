#!/usr/bin/env bash
# Set up EITP Workbench: a .venv with the project, and a Chromium for Playwright.
# Idempotent: a second run checks and returns in a few seconds.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.installed

fail() { printf '\n\033[31msetup failed:\033[0m %s\n' "$1" >&2; exit 1; }

# 1. Python >= 3.11 and a venv.
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || fail "Python 3.11 or newer is needed (found: $("$PY" --version 2>&1)). Set PYTHON=/path/to/python3.11 and rerun."
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$PY" -m venv "$VENV" || fail "could not create a venv. On Debian/Ubuntu: apt-get install python3-venv"
fi

# 2. The project and its dependencies (again only when pyproject.toml changed).
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  echo "==> installing the project and its dependencies into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1
  "$VENV/bin/python" -m pip install -q -e '.[dev]' \
    || fail "pip could not install the dependencies (see above). Check your network or proxy, then rerun."
  touch "$STAMP"
fi

# 3. A browser. Playwright's own first; Debian's headless shell when its download fails.
have_browser() {
  [ -n "${WORKBENCH_CHROMIUM:-}" ] && [ -x "$WORKBENCH_CHROMIUM" ] && return 0
  "$VENV/bin/python" - <<'PY' 2>/dev/null
import sys
from workbench.sim.browser import find_chromium
from playwright.sync_api import sync_playwright
with sync_playwright() as pw:
    find_chromium(pw)
PY
}
if ! have_browser; then
  echo "==> installing Chromium: trying 'playwright install chromium'"
  if ! timeout 300 "$VENV/bin/python" -m playwright install chromium >/tmp/eitp-playwright-install.log 2>&1; then
    echo "    playwright's download failed: $(grep -m1 -iE 'error|failed' /tmp/eitp-playwright-install.log | cut -c1-120)"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "==> falling back to Debian's chromium-headless-shell (apt-get)"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell) >/tmp/eitp-apt.log 2>&1 \
        || fail "apt-get could not install chromium-headless-shell (log: /tmp/eitp-apt.log). Install a Chromium and set WORKBENCH_CHROMIUM=/path/to/it."
    else
      fail "no browser. Run as root: apt-get install chromium-headless-shell
   (or: sudo apt-get install chromium), or install any Chromium and set WORKBENCH_CHROMIUM=/path/to/it."
    fi
  fi
  have_browser || fail "a browser was installed but Playwright cannot find it. Set WORKBENCH_CHROMIUM=/path/to/chromium."
fi
echo "==> ready: $("$VENV/bin/python" --version), browser: $("$VENV/bin/python" -c 'from workbench.sim.browser import find_chromium; from playwright.sync_api import sync_playwright
with sync_playwright() as pw: print(find_chromium(pw) or "playwright bundled chromium")')"
