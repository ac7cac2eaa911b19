"""What every ``workbench`` subcommand shares: exit codes, config and db options, output helpers."""

from __future__ import annotations

import argparse
import json
import sys
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.config import EITPConfig, parse_override
from workbench.errors import ConfigError, UsageError
from workbench.store.db import BUSY_TIMEOUT_S

if TYPE_CHECKING:
    from rich.console import Console


class ExitCode(IntEnum):
    """The CLI's exit codes: a documented API for CI."""

    OK = 0
    FAILED = 1  # a run missed its expectations, or a document is invalid
    USAGE = 2  # bad arguments or configuration
    NO_BROWSER = 3  # no usable Chromium
    INFRASTRUCTURE = 4  # a run could not be carried out (browser crash, bus unreachable ...)
    INTERRUPTED = 130
    PIPE_CLOSED = 141  # the reader of the output went away (`| head`): what a shell reports for SIGPIPE


def add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="TOML", help="threshold preset (EITP Appendix C keys; see `workbench config`)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override one threshold, e.g. --set signal.rage_window_ms=300 (repeatable)")


def _whole(text: str, minimum: int, too_small: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{value} {too_small}")
    return value


def seed(text: str) -> int:
    """``--seed``: a NumPy seed, so a whole number from 0 up."""
    return _whole(text, 0, "is negative; a seed is a whole number from 0 up")


def positive(text: str) -> int:
    """``--count``, ``--concurrency``, ``--limit``: a whole number from 1 up."""
    return _whole(text, 1, "is too small; give a whole number from 1 up")


def port(text: str) -> int:
    """``--port``: 0 (pick a free one) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port: 0 (pick a free one) to 65535")
    return value


def check_outputs(**paths: Any) -> None:
    """Refuse report paths that cannot be written before a long run, not after it (``UsageError``).

    Keyword names are the options' (``json=args.json``, ``trace_dir=...``); None means not asked for.
    """
    from workbench.report.files import unwritable

    for option, path in paths.items():
        if path is None:
            continue
        target = Path(path) / "trace.zip" if option.endswith("_dir") else Path(path)
        if why := unwritable(target):
            raise UsageError(f"--{option.replace('_', '-')} {path}: {why}")


#: the exit codes of the commands that read a store, for their ``--help``
STORE_EXIT_CODES = f"""exit codes: 0 ok
  2  the --db is missing, not SQLite, another application's database, a directory, or written by a
     version of the workbench whose tables this one cannot read; a RUN that is not stored
  4  the store is locked by another process (for over {BUSY_TIMEOUT_S:g} s), on a full disk or failing disk, or
     damaged (a damaged file, or rows the workbench did not write); the message names the file"""


def add_db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", help="SQLite file (default: $WORKBENCH_DB or ./workbench.db); the commands "
                                                "that only read never create it")


def load_config(args: argparse.Namespace, base: EITPConfig | None = None) -> EITPConfig:
    """The preset from ``--config`` (or ``base``, or the spec defaults) with every ``--set`` applied."""
    config = _preset(args.config) if getattr(args, "config", None) else base or EITPConfig()
    overrides = dict(parse_override(o) for o in getattr(args, "set", None) or [])
    return config.with_overrides(overrides) if overrides else config


def _preset(path: str) -> EITPConfig:
    """``--config PATH`` loaded; a path that is no readable UTF-8 file is a usage error naming it, not a bug of ours."""
    try:
        return EITPConfig.load(path)
    except ConfigError as exc:  # it names the file when reading failed; name it for a value that is refused too
        said = str(exc)
        raise UsageError(f"--config {said}" if said.startswith(f"{path}: ") else f"--config {path}: {said}") from None


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


#: columns a user copies into the next command: never cut short, whatever the terminal's width
WHOLE = ("id", "run_id", "session_id")


#: the narrowest a table is laid out (the classic terminal's): below it rich squeezes columns to nothing, blank
#: headers and ids cut to "…"; a narrower terminal folds the lines of this layout instead
MIN_WIDTH = 80


def table_console(*, stderr: bool = False, plain_width: int = 160, min_width: int = MIN_WIDTH) -> Console:
    """A console for a command's tables: the terminal's width (at least ``min_width``), or ``plain_width``
    when the output is a file or a pipe; rich's highlighting of numbers and words in plain text is off.
    ``min_width=0`` keeps a narrow terminal's own width, as a live progress bar needs (wider, it wraps)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    out = Console(highlight=False, stderr=stderr, width=None if stream.isatty() else plain_width)
    out.width = max(out.width, min_width)
    return out


def print_table(rows: list[dict[str, Any]], columns: list[str], title: str) -> None:
    from rich.table import Table

    from workbench.report.text import as_text

    table = Table(title=title)
    for col in columns:
        table.add_column(col, no_wrap=col in WHOLE, min_width=max((len(str(r.get(col) or "")) for r in rows),
                                                                  default=0) if col in WHOLE else None)
    for row in rows:
        table.add_row(*(as_text(row.get(c)) for c in columns))  # stored text, never rich markup
    table_console(plain_width=200).print(table)
