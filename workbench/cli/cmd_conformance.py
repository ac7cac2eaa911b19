"""``workbench conformance [URL]``: the bridge conformance suite (:mod:`workbench.conformance`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from workbench import conformance as suite
from workbench.cli.common import ExitCode, add_config_args, check_outputs, load_config, table_console
from workbench.cli.printer import escape, printable
from workbench.errors import UsageError
from workbench.report.files import write_report
from workbench.report.text import as_text

NAME = "conformance"
ORDER = 55
HELP = "check a bridge against EITP v1.1's bridge rules (sections 2.3, 4, 10.4): Pass / Fail / Non-Strict / Info"
DESCRIPTION = f"""{HELP}.

A black-box client connects to the bridge's WebSocket and runs one case per requirement, in the
manner of Autobahn|Testsuite and h2spec. Fail: a MUST is broken. Non-Strict: a SHOULD is broken
(a failure only with --strict). Info: not judged, because the case cannot be observed from
outside (see --nats), the spec leaves it open, or a limit the bridge holds across connections
(per IP) was still spent by an earlier case. Limits are judged against the spec's reference
values (50,000 bytes, 500 events a second, 100 of one type) both ways: what is within them must be
taken and what is over them refused (with a batch of slack), so a bridge configured looser, or
stricter, fails them. A refusal counts only when a valid batch in its place is accepted.

Without URL the workbench's own bridge is started in-process (with --config / --set applied),
with a tap on the bus behind it. --stock-nats runs the suite against a plain nats-server's own
WebSocket listener instead, to show what a bridge adds to NATS.

cases:
""" + "\n".join(f"  {c.id:<7} {c.level:<6} {c.requirement}" for c in suite.CASES) + """

examples:
  workbench conformance                               the embedded bridge
  workbench conformance --junit conformance.xml       for CI (exit 1 on any Fail)
  workbench conformance ws://host:8080/bridge --tenant org_acme --nats nats://host:4222
  workbench conformance --stock-nats                  what plain nats-server lacks
  workbench conformance --set transport.max_message_bytes=100000   a looser config fails 4.6/1
  workbench conformance --set transport.max_events_per_wall_second=0   ...and this one 4.6/3

exit codes: 0 conformant · 1 a Fail (or a Non-Strict with --strict) · 2 a URL of the wrong scheme ·
  4 the bridge cannot be reached (refused, not a WebSocket, or silent after the upgrade)
"""
COLOURS = {suite.PASS: "green", suite.FAIL: "red", suite.NON_STRICT: "yellow", suite.INFO: "cyan"}


class Unreachable(Exception):
    """The target cannot be checked at all: refused, not a WebSocket, or silent after the upgrade."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"{target}: {reason}")
        self.target, self.reason = target, reason


def add_arguments(p: argparse.ArgumentParser) -> None:
    target = p.add_mutually_exclusive_group()
    target.add_argument("url", nargs="?", metavar="URL", help="the bridge's WebSocket, e.g. ws://host:8080/bridge "
                                                              "(default: start the workbench's own)")
    target.add_argument("--stock-nats", action="store_true",
                        help="start the bundled nats-server and check its own WebSocket listener")
    p.add_argument("--tenant", default=None, help="the tenant the bridge serves; without URL the workbench's own "
                                                  "bridge is started for it (default: the workbench's, org_workbench)")
    p.add_argument("--nats", metavar="URL", help="the NATS server behind the bridge: a tap on telemetry.raw "
                                                 "lets 4.5/1 see the forwarded IP and refusals be checked for leaks")
    p.add_argument("--post-url", metavar="URL", help="the bridge's HTTP POST fallback (section 4.4) for case 4.4/1, "
                                                     "recorded, not judged (default: the WebSocket URL as http(s) "
                                                     "+ /batch)")
    p.add_argument("--trusted-proxy", action="store_true",
                   help="this machine's address is one of the bridge's trusted proxies (transport.trusted_proxies): "
                        "the bridge then believes the X-Forwarded-For case 4.5/1 sends, by design, and 4.5/1 "
                        "does not hold that against it")
    p.add_argument("--strict", action="store_true", help="Non-Strict (a SHOULD broken) fails the run too")
    p.add_argument("--json", metavar="FILE", type=Path, help="write the results as JSON here ('-': stdout)")
    p.add_argument("--junit", metavar="FILE", type=Path, help="write JUnit XML here, one test case per case")
    add_config_args(p)


def check_urls(args: argparse.Namespace) -> None:
    """Refuse, before anything runs, a URL that cannot name what its option asks for: a mistyped
    scheme is the user's (exit 2), not a bridge that cannot be reached (exit 4)."""
    wanted = {"URL": (args.url, ("ws://", "wss://")), "--post-url": (args.post_url, ("http://", "https://"))}
    for option, (url, schemes) in wanted.items():
        if url is not None and not url.lower().startswith(schemes):
            raise UsageError(f"{option} {url!r}: must start with {' or '.join(schemes)}")


def run(args: argparse.Namespace) -> int:
    check_urls(args)
    check_outputs(json=None if str(args.json) == "-" else args.json, junit=args.junit)
    config = load_config(args)
    quiet = str(args.json) == "-"
    console = table_console(stderr=quiet)
    try:
        target, results = asyncio.run(_run(args, config, console))
    except Unreachable as exc:  # not even a WebSocket that speaks: nothing a case said would mean anything
        # the reason can quote the server (a close reason, its first words): no terminal controls from it
        print(f"workbench conformance: cannot reach the bridge at {printable(exc.target)}: {printable(exc.reason)}",
              file=sys.stderr)
        return ExitCode.INFRASTRUCTURE
    counts = suite.summary(results)
    document: dict[str, Any] = {"target": target, "strict": args.strict, "summary": counts,
                                "results": [r.as_dict() for r in results]}
    if quiet:
        print(json.dumps(document, indent=2, allow_nan=False))
    elif args.json:
        text = json.dumps(document, indent=2, allow_nan=False) + "\n"
        console.print("JSON:", as_text(write_report(args.json, text, "JSON results")))  # the user's path, as typed
    if args.junit:
        written = write_report(args.junit, suite.to_junit(results, target=target, strict=args.strict), "JUnit report")
        console.print("JUnit:", as_text(written))
    bad = suite.failed(results, strict=args.strict)
    console.print(f"[bold]{len(results)} cases[/] against {escape(target)}: "
                  + " · ".join(f"[{COLOURS[v]}]{n} {v}[/]" for v, n in counts.items())
                  + (" · [red]FAILED[/]" if bad else " · [green]conformant[/]")
                  + ("" if args.strict or not counts[suite.NON_STRICT] else " (Non-Strict passes without --strict)"))
    return ExitCode.FAILED if bad else ExitCode.OK


async def _run(args: argparse.Namespace, config: Any, console: Console) -> tuple[str, list[suite.CaseResult]]:
    from workbench.bridge.server import DEFAULT_TENANT, BridgeServer
    from workbench.bus import InProcessBus
    from workbench.natsbus import EmbeddedNatsServer, NatsBus

    table = Table(title="EITP v1.1 bridge conformance", title_justify="left")
    for column in ("case", "level", "verdict", "requirement", "what happened"):
        table.add_column(column, overflow="fold")

    tenant = args.tenant or DEFAULT_TENANT
    async with AsyncExitStack() as stack:
        tap, nats_url = suite.Tap(), args.nats
        if args.stock_nats:
            server = await stack.enter_async_context(EmbeddedNatsServer())
            url, nats_url = server.ws_url, server.url
        elif args.url:
            url = args.url
        else:
            bus = InProcessBus()
            bridge = BridgeServer(bus, config, tenant_id=tenant)  # serving the tenant the cases speak for
            await bus.subscribe("telemetry.raw", tap)
            url = (await bridge.start()).replace("http://", "ws://") + "/bridge"
            stack.push_async_callback(bus.close)
            stack.push_async_callback(bridge.stop)
        if nats_url:
            nats = await NatsBus.connect(nats_url)
            stack.push_async_callback(nats.close)
            await nats.subscribe("telemetry.raw", tap)
        observed = args.stock_nats or not args.url or bool(nats_url)
        probe = suite.Probe(url, tenant, tap if observed else None, post_url=args.post_url,
                            trusted_proxy=args.trusted_proxy)
        with console.status("running the conformance cases ..."):
            try:
                await suite.reach(probe)
            except suite.ConformanceError as exc:
                raise Unreachable(url, str(exc)) from None
            results = await suite.run_cases(probe)
    for r in results:  # in the order of the cases (they run the floods last)
        colour = COLOURS[r.verdict]
        happened = r.actual if r.verdict in (suite.PASS, suite.INFO) else f"expected {r.expected}; got {r.actual}"
        # what happened quotes the bridge's own -ERR text: neither markup nor terminal controls
        table.add_row(r.id, r.level, f"[{colour}]{r.verdict}[/]", escape(r.requirement), as_text(happened))
    console.print(table)
    return url, results
