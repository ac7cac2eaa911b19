"""``workbench``: the headless command line. It never imports Textual.

Each subcommand lives in its own ``workbench/cli/cmd_<name>.py`` module exposing ``NAME``,
``ORDER``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; they are found by
name, so adding a command touches no shared file. Exit codes: :class:`ExitCode`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import signal
import sys
import threading
import traceback
from types import ModuleType

from rich.console import Console

import workbench.cli as cli_package
from workbench.cli.common import ExitCode, print_json  # noqa: F401  (re-exported for callers)
from workbench.errors import BrowserError, BusError, ConfigError, UsageError, WorkbenchError
from workbench.store.db import BUSY_TIMEOUT_S, StoreUnavailable

EPILOG = f"""\
examples:
  workbench demo                       paralysed buyer on the RV site, packets printed live
  workbench run --persona all --junit results.xml   every persona, scored; exit 1 on a miss
  workbench compare latest --base-db main.db        exit 1 when a session regressed
  workbench conformance --junit conformance.xml     the bridge against the spec's MUSTs
  workbench serve --port 8080          open http://127.0.0.1:8080/rv/ in your own browser
  workbench sessions --json            what was stored, for scripts
  workbench schema packet > packet.json
  workbench validate packet.json       exit 0 when valid, 1 with the reasons when not
  workbench demo --set signal.dwell_ms=800 --config preset.toml

exit codes: 0 ok · 1 expectations missed or document invalid · 2 usage/config error
            3 no browser · 4 infrastructure error (or a bug of ours) · 130 interrupted
runs are stored in SQLite: --db PATH, or $WORKBENCH_DB, default ./workbench.db
  exit 2: a --db that is missing (for the commands that only read), not SQLite, another
          application's, a directory, read-only where runs are written, or written by a version
          whose tables this one cannot read; a run id that is not stored
  exit 4: a store locked by another process for over {BUSY_TIMEOUT_S:g} s, a full disk, an I/O error, a damaged
          file or rows the workbench did not write
"""


def command_modules() -> list[ModuleType]:
    names = [m.name for m in pkgutil.iter_modules(cli_package.__path__) if m.name.startswith("cmd_")]
    modules = [importlib.import_module(f"workbench.cli.{name}") for name in names]
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = argparse.ArgumentParser(
        prog="workbench", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="EITP Workbench: drive synthetic shoppers through dealer sites in headless Chromium, "
                    "turn their telemetry into EITP v1.1 packets, and store every run.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log bridge and engine warnings")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    by_name: dict[str, ModuleType] = {}
    for module in command_modules():
        p = sub.add_parser(module.NAME, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        by_name[module.NAME] = module
    return parser, by_name


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _reader_gone(console: Console) -> None:
    """A rich console whose reader went away (`workbench runs | head`) raises BrokenPipeError for
    :func:`_run` to turn into exit 141, instead of rich's own ``SystemExit(1)``, which CI reads as
    "expectations missed"."""
    console.quiet = True  # nothing more is written to a pipe that is gone
    raise BrokenPipeError


def main(argv: list[str] | None = None) -> int:
    parser, commands = build_parser()
    args = parser.parse_args(argv)
    # every command's consoles, in one place (rich's own docs suggest overriding this method)
    Console.on_broken_pipe = _reader_gone  # type: ignore[method-assign,assignment]
    # a `kill` (SIGTERM, as CI does at a timeout) or a closed terminal (SIGHUP) ends a command as ctrl-c
    # does: browsers are closed and the run is stored as interrupted, none left running (each Chromium
    # has a session of its own, so the signal never reaches it)
    signals = (signal.SIGTERM, signal.SIGHUP) if threading.current_thread() is threading.main_thread() else ()
    before = {sig: signal.signal(sig, _interrupt) for sig in signals}
    try:
        return _run(args, parser, commands)
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser, commands: dict[str, ModuleType]) -> int:
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return ExitCode.USAGE
    try:
        return int(commands[args.command].run(args))
    except (ConfigError, UsageError) as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except BrowserError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return ExitCode.NO_BROWSER
    except (BusError, StoreUnavailable) as exc:  # a bus it cannot reach; a store that is locked, full or damaged
        print(f"workbench: {exc}", file=sys.stderr)
        return ExitCode.INFRASTRUCTURE
    except WorkbenchError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return ExitCode.FAILED
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # `workbench config | head`: the reader has what it wanted, not a bug of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit's own flush must not fail again
        return ExitCode.PIPE_CLOSED
    except Exception as exc:  # a bug of ours: never exit 1, which CI reads as "expectations missed"
        traceback.print_exc(file=sys.stderr)
        print(f"workbench: internal error ({type(exc).__name__}: {exc}); this is a bug in the workbench, "
              "not a result: please report it with the traceback above", file=sys.stderr)
        return ExitCode.INFRASTRUCTURE


if __name__ == "__main__":
    sys.exit(main())
