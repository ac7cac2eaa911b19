"""``workbench config``: the effective thresholds as a TOML preset."""

from __future__ import annotations

import argparse

from workbench.cli.common import ExitCode, add_config_args, load_config

NAME = "config"
ORDER = 70
HELP = "print the effective thresholds (Appendix C and the workbench's own) as a TOML preset"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_args(p)


def run(args: argparse.Namespace) -> int:
    print(load_config(args).to_toml())
    return ExitCode.OK
