"""``workbench personas``: the synthetic personas and their ground truth."""

from __future__ import annotations

import argparse

from workbench.cli.common import ExitCode, print_table

NAME = "personas"
ORDER = 40
HELP = "list the synthetic personas and their ground truth"
DESCRIPTION = f"""{HELP}: the site each one visits, whether it is a bot, whether Seer
should intervene, and the emotions `workbench run` expects of it.

examples:
  workbench personas
  workbench run --persona paralysed,frustrated    run two of them (or all, humans, bots, long)

exit codes: 0 ok
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from synthetic.personas import PERSONAS

    rows = [{"name": p.name, "site": p.site, "bot": p.expected_bot, "intervention": p.expects_intervention,
             "expected emotions": ", ".join(sorted(p.expected_emotions)), "description": p.description}
            for p in PERSONAS.values()]
    print_table(rows, ["name", "site", "bot", "intervention", "expected emotions", "description"], "personas")
    return ExitCode.OK
