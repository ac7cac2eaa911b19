"""``workbench config``: the effective thresholds as a TOML preset."""

from __future__ import annotations

import argparse

from workbench.cli.common import ExitCode, add_config_args, load_config

NAME = "config"
ORDER = 70
HELP = "print the effective thresholds (Appendix C and the workbench's own) as a TOML preset"
DESCRIPTION = f"""{HELP}: the spec's defaults, or --config's preset, with every --set applied.
Every key is written, so the output is itself a preset to edit and pass back with --config.

examples:
  workbench config > preset.toml
  workbench config --config preset.toml --set signal.rage_clicks=4

exit codes: 0 ok · 2 a --config that cannot be read or is not a valid preset, or a bad --set
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_args(p)


def run(args: argparse.Namespace) -> int:
    print(load_config(args).to_toml())
    return ExitCode.OK
