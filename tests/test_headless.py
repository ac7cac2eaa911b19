"""The headless path (library and CLI) never imports Textual (style: harlequin's contract)."""

import subprocess
import sys

PROBE = """
import sys
import workbench.cli.main, workbench.pipeline, workbench.sim.runner
import workbench.engine.service, workbench.store.recorder, synthetic.personas
from workbench.cli.main import main
main(["config"])
bad = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print("TEXTUAL:", bad)
"""


def test_cli_and_library_never_import_textual():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    assert "TEXTUAL: []" in out


def test_help_teaches(capsys):
    from workbench.cli.main import main

    assert main([]) == 2
    text = capsys.readouterr().out
    for word in ("demo", "serve", "validate", "sessions", "examples:", "WORKBENCH_DB"):
        assert word in text
