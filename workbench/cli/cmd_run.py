"""``workbench run``: personas in headless Chromium, scored against their ground truth, with reports.

Exit codes (:class:`~workbench.cli.common.ExitCode`): 0 every expectation held; 1 at least one
expectation failed; 2 bad arguments (an unknown persona ...); 3 no usable Chromium; 4 the run
could not be carried out (a session crashed, the remote browser was unreachable, or a page no
longer has what the persona's script clicks), which wins over 1; an unexpected internal error is 4 too.
A reader of the output that goes away (``| head -1``) changes none of them: the run goes on quietly, writes
its reports and exits with its own code (other commands exit 141 then).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from rich.console import Console
from sqlmodel import Session

from workbench.cli.common import (
    ExitCode,
    add_config_args,
    add_db_arg,
    check_outputs,
    load_config,
    positive,
    seed,
    table_console,
)
from workbench.cli.printer import escape
from workbench.errors import BrowserError
from workbench.events import (
    BotVerdictEmitted,
    EventStream,
    OpenRun,
    PacketEmitted,
    RunEvent,
    SessionEnded,
    SessionStarted,
)
from workbench.sim import TRACE_MODES
from workbench.store.db import default_path, open_db
from workbench.store.recorder import Recorder

if TYPE_CHECKING:
    from workbench.sim.runner import RunResult

NAME = "run"
ORDER = 15
HELP = "run personas (virtual or real time), score them against their ground truth, write reports"
DESCRIPTION = """\
Drive synthetic personas through a dealer site in headless Chromium, concurrently, and score what
the engine concluded against each persona's ground truth (expected emotions, bot verdict, signals).
Everything is stored in SQLite; --json / --junit / --html write reports.

examples:
  workbench run --persona paralysed,frustrated --count 2 --seed 7
  workbench run --persona all --concurrency 8 --junit results.xml --html report.html
  workbench run --persona bots --real-time
  workbench run --persona calm --browser-endpoint ws://127.0.0.1:9222/devtools/browser/<id>
  workbench run --persona paralysed --count 20 --responses rv_default --geography us-east

--responses makes personas answer Seer's messages in the site's chat (reply, submit the lead form,
leave, or ignore them) by a scenario's hidden rates; the outcomes Seer observes are stored with its
interventions and teach its bandit. Beside each, the run stores the outcome the simulation expects
and prints how often Seer observed it ("outcome attribution"; the misreadings are listed). It is off
by default: an answer changes the visit (a persona that leaves stops early), so the scores would no
longer measure the persona's script alone.
--geography places every session in one region (default: each persona's own); the browser's
requests then carry an X-Forwarded-For address of that region, which the run's own bridge trusts.

persona names: full names, aliases (paralysed -> paralysed_buyer), unique prefixes, or the groups
all / humans / bots / long (see `workbench personas`). humans are people whose visit takes about a
minute; long is the long_visit_buyer, a 39-minute visit as production measured them (section 6): about
25 s in virtual time, 39 minutes with --real-time.
exit codes: 0 all expectations held · 1 an expectation failed · 2 usage · 3 no browser ·
            4 infrastructure error: a session could not be carried out (a crash, or a page the
              persona's script no longer fits, a browser that died or stopped answering); it wins over
              1, since the run's scores are then incomplete, and the reports still list every
              expectation that failed
            130 interrupted (ctrl-c, SIGTERM, SIGHUP): the browser is closed and the run stored, the
              sessions that finished with their scores, the unfinished ones as failed
            a reader of the output that goes away (`| head -1`) changes none of these: the run still
              writes its reports and exits with its own code, not 141
"""
VERDICT_EXIT = {"pass": ExitCode.OK, "fail": ExitCode.FAILED, "error": ExitCode.INFRASTRUCTURE}
# Named here so that building the parser imports neither numpy nor the LLM client; run() checks
# them against synthetic.response.SCENARIOS and workbench.enrichment.REGIONS (and a test does).
RESPONSE_SCENARIOS = ("rv_default", "always_chat", "never_engage")
GEOGRAPHIES = ("us-west", "us-east", "ca-central")
ENDPOINT_SCHEMES = ("ws://", "wss://", "http://", "https://")
T = TypeVar("T")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--persona", default="humans", metavar="NAMES",
                   help="comma-separated personas or groups (all, humans, bots, long); default: humans")
    p.add_argument("--site", choices=["rv", "auto", "powersports"], default=None,
                   help="run every persona on this site (default: each persona's own, the RV site)")
    p.add_argument("--count", type=positive, default=1, metavar="N", help="sessions per persona (default 1)")
    p.add_argument("--seed", type=seed, default=7, help="run seed; session i moves with child i of it (default 7)")
    clock = p.add_mutually_exclusive_group()
    clock.add_argument("--virtual-time", dest="virtual_time", action="store_true", default=True,
                       help="drive each page's clock: long visits run much faster than real time (default)")
    clock.add_argument("--real-time", dest="virtual_time", action="store_false",
                       help="wall-clock time, as in the demo")
    p.add_argument("--concurrency", type=positive, default=4, metavar="K", help="sessions at once (default 4)")
    p.add_argument("--browser-endpoint", metavar="URL", default=None,
                   help="use a running browser: a Playwright server ws:// URL, or a Chromium DevTools endpoint "
                        "(http://host:port or ws://.../devtools/browser/...)")
    p.add_argument("--json", metavar="FILE", type=Path, help="write the JSON report here")
    p.add_argument("--junit", metavar="FILE", type=Path, help="write JUnit XML here (one testcase per expectation)")
    p.add_argument("--html", metavar="FILE", type=Path, help="write the self-contained HTML report here")
    p.add_argument("--screenshots", action=argparse.BooleanOptionalAction, default=None,
                   help="store an end-of-session screenshot per session (default: only with --html)")
    p.add_argument("--session-timeout", type=float, default=None, metavar="S",
                   help="wall-clock seconds a session may take (default: 300 per minute of the persona's visit, "
                        "so 300 for all but the long-visit buyer's 39 minutes)")
    p.add_argument("--responses", metavar="SCENARIO", default="none", choices=["none", *RESPONSE_SCENARIOS],
                   help="personas answer interventions in the chat by this scenario's hidden rates: "
                        f"{', '.join(RESPONSE_SCENARIOS)} (default: none, they leave the chat alone)")
    p.add_argument("--geography", metavar="REGION", default=None, choices=GEOGRAPHIES,
                   help=f"every session comes from this region: {', '.join(GEOGRAPHIES)} "
                        "(default: each persona's own)")
    p.add_argument("--trace", choices=TRACE_MODES, default="off",
                   help="record a Playwright trace per session (screenshots, DOM snapshots, network) and keep it "
                        "for sessions that failed or missed an expectation (on-failure) or for all (on); open one "
                        "with `.venv/bin/playwright show-trace FILE` (default off)")
    p.add_argument("--trace-dir", metavar="DIR", type=Path, help="where traces go (default ./traces/<run id>)")
    p.add_argument("--no-progress", action="store_true", help="no live progress bar")
    add_db_arg(p)
    add_config_args(p)


class LiveCounts:
    """Sink for the progress bar: sessions done, failed and errors, packets, bots; a line per finished session.

    "failed" and "errors" are what the run's final line counts (:mod:`workbench.scoring`): a session that missed
    an expectation, and one that could not be carried out. The runner scores each session as it ends
    (``SessionEnded.verdict``); one it did not score (a stopped run's) counts as an error."""

    def __init__(self, console: Console, total: int, *, bar: bool = True) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.total = total
        self.done = self.failed = self.errors = self.packets = 0
        self.personas: dict[str, str] = {}
        self.emotions: dict[str, dict[str, int]] = {}
        self.bot: dict[str, str] = {}
        self.progress = Progress(TextColumn("[bold]sessions"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                                 disable=not bar)
        self.task = self.progress.add_task(self._describe(), total=total)

    def _describe(self) -> str:
        bots = sum(1 for v in self.bot.values() if v == "bot")
        return (f"failed [red]{self.failed}[/] · errors [red]{self.errors}[/] · "
                f"running {len(self.personas) - self.done} · packets {self.packets} · bots {bots}")

    def __call__(self, event: RunEvent) -> None:
        match event:
            case SessionStarted():
                self.personas[event.session_id] = event.persona or "visitor"
            case PacketEmitted(packet=p):
                self.packets += 1
                seen = self.emotions.setdefault(p["sessionId"], {})
                seen[p["emotion"]["primary"]] = seen.get(p["emotion"]["primary"], 0) + 1
            case BotVerdictEmitted(detection=d):
                self.bot[d["session_id"]] = d["classification"]
            case SessionEnded():
                self.done += 1
                verdict = event.verdict if event.status == "ended" and event.verdict else "error"
                self.failed += verdict == "fail"
                self.errors += verdict == "error"
                seen = self.emotions.get(event.session_id, {})
                top = ", ".join(f"{e}×{n}" for e, n in sorted(seen.items(), key=lambda kv: -kv[1])[:3]) or "no packets"
                mark = "[green]■[/]" if verdict == "pass" else "[red]■[/]"
                note = f" · [red]{escape(event.error)}[/]" if event.error else \
                    " · [red]missed an expectation[/]" if verdict == "fail" else ""
                self.progress.console.print(
                    f"{mark} {self.personas.get(event.session_id, '?'):<20} {event.session_id[-9:]} "
                    f"bot {self.bot.get(event.session_id, 'uncertain'):<9} {top}{note}", highlight=False)
                self.progress.advance(self.task)
            case _:
                return
        self.progress.update(self.task, description=self._describe())


def run_stoppable(coro: Coroutine[Any, Any, T], stream: EventStream) -> tuple[T | None, str | None]:
    """``asyncio.run(coro)``, which ctrl-c, SIGTERM (CI at its timeout) and SIGHUP (a closed terminal)
    stop alike: the run is cancelled between two awaits, closes its browser and stores itself, and what
    it left open is then stored as interrupted. Returns the result, or None and the reason.

    Otherwise SIGTERM and SIGHUP (``workbench.cli.main``'s handler), and a second ctrl-c (asyncio's),
    raise ``KeyboardInterrupt`` wherever the program happens to be: in a store write, a bus handler,
    the middle of closing the browser. A signal after the first is ignored: the stop is bounded (a
    browser that does not close is killed), and cutting it short could leave Chromium running."""
    unfinished = OpenRun()
    stream.add(unfinished)
    received: list[str] = []

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def stop(sig: signal.Signals) -> None:
            if not received:
                received.append("ctrl-c" if sig == signal.SIGINT else sig.name)
                task.cancel()

        installed = []
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                installed.append((sig, signal.getsignal(sig)))
                loop.add_signal_handler(sig, stop, sig)
        try:
            return await coro
        finally:
            for sig, previous in installed:
                loop.remove_signal_handler(sig)
                signal.signal(sig, previous)

    try:
        return asyncio.run(main()), None
    except (KeyboardInterrupt, asyncio.CancelledError) as exc:
        if isinstance(exc, asyncio.CancelledError) and not received:
            raise  # not a signal of ours
        # a signal before the handlers are in place or after they are gone names itself (SIGTERM) or not (ctrl-c)
        signame = received[0] if received else str(exc.args[0]) if exc.args else "ctrl-c"
        reason = f"interrupted ({signame})"
        unfinished.close(stream, reason, status="failed", note_key="interrupted", mark_sessions=True)
        if unfinished.never_started:
            reason += f"; {unfinished.never_started} of {unfinished.planned} sessions never started"
        return None, reason


def quiet_when_reader_goes(console: Console) -> Console:
    """``console``, which prints nothing more once the reader of stdout has gone (`workbench run ... | head -1`)
    and sends what is left there to /dev/null (Python's advice for SIGPIPE), instead of raising: the run goes on
    to store itself, write its reports and exit with its own code, not 141."""

    def gone() -> None:
        console.quiet = True
        silence(sys.stdout)

    console.on_broken_pipe = gone  # type: ignore[method-assign]
    return console


def silence(*streams: TextIO) -> None:
    """Send what is left to write to ``streams`` (stdout and stderr by default) to /dev/null: the terminal hung
    up (SIGHUP), or the reader went, and a write fails, as it would again when Python flushes its output at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in streams or (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            os.dup2(devnull, stream.fileno())
    os.close(devnull)


def say(message: str) -> None:
    """A line on stderr, which may be a terminal that hung up."""
    try:
        print(message, file=sys.stderr, flush=True)
    except OSError:
        silence()


def traces_line(mode: str, traces: list[Any], verdict: str | None) -> str:
    """What ``--trace`` kept: each session's trace, or why there is none."""
    if traces:
        return (f"traces: {len(traces)} kept" + "".join(f"\n  {s.persona}: {s.trace}" for s in traces)
                + "\n  open one with `.venv/bin/playwright show-trace FILE`")
    if mode == "on-failure" and verdict == "pass":
        return "traces: none kept (every session passed)"
    return "traces: none kept (the browser saved none: it died or stopped answering before it could)"


def run(args: argparse.Namespace) -> int:
    from synthetic.personas import UnknownPersona, resolve_many
    from synthetic.response import SCENARIOS
    from workbench.privacy import shown_url
    from workbench.report import write_reports
    from workbench.report.text import print_attribution, print_scores
    from workbench.sim.runner import RunSpec
    from workbench.sim.runner import run as run_personas
    from workbench.store import repo

    try:
        personas = resolve_many(args.persona)
    except UnknownPersona as exc:
        print(f"workbench run: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    if not personas:
        print("workbench run: need at least one persona", file=sys.stderr)
        return ExitCode.USAGE
    if args.session_timeout is not None and not args.session_timeout > 0:
        print(f"workbench run: --session-timeout is in seconds and must be above 0 (got {args.session_timeout:g})",
              file=sys.stderr)
        return ExitCode.USAGE
    if args.browser_endpoint is not None and not args.browser_endpoint.startswith(ENDPOINT_SCHEMES):
        print(f"workbench run: --browser-endpoint {args.browser_endpoint!r} is not a browser's address: give a "
              "Playwright server's ws:// URL or a Chromium DevTools endpoint (http://host:port or "
              "ws://.../devtools/browser/...)", file=sys.stderr)
        return ExitCode.USAGE
    config = load_config(args)
    check_outputs(json=args.json, junit=args.junit, html=args.html, trace_dir=args.trace_dir)
    db_path = args.db or default_path()
    engine = open_db(db_path)
    console = quiet_when_reader_goes(table_console(min_width=0))  # the live bar: the terminal's own width
    sessions = [p for p in personas for _ in range(args.count)]
    argv = sys.argv[1:]
    if args.browser_endpoint:  # stored and reported: without the endpoint's secrets
        argv = [a.replace(args.browser_endpoint, shown_url(args.browser_endpoint)) for a in argv]
    settings: dict[str, Any] = {"argv": argv, "persona": args.persona, "count": args.count,
                                "site": args.site, "session_timeout_s": args.session_timeout,
                                "responses": args.responses, "geography": args.geography}
    spec = RunSpec(sessions, seed=args.seed, kind="run", site=args.site, virtual_time=args.virtual_time,
                   concurrency=args.concurrency, browser_endpoint=args.browser_endpoint,
                   screenshots=args.html is not None if args.screenshots is None else args.screenshots,
                   session_timeout_s=args.session_timeout, settings=settings,
                   response=None if args.responses == "none" else SCENARIOS[args.responses], geography=args.geography,
                   trace=args.trace, trace_dir=args.trace_dir)
    live = LiveCounts(console, len(sessions), bar=not args.no_progress)
    recorder = Recorder(engine)
    stream = EventStream(recorder, live)
    clock = "virtual" if args.virtual_time else "real"
    names = ", ".join(dict.fromkeys(p.name for p in sessions))
    console.print(f"[bold]workbench run[/]: {len(sessions)} sessions ({names})"
                  f" · {clock} time · concurrency {args.concurrency} · seed {args.seed} · db {db_path}")
    ran: tuple[RunResult | None, str | None] | None = None
    try:
        with live.progress:
            ran = run_stoppable(run_personas(spec, config=config, stream=stream), stream)
    except BrowserError as exc:
        print(f"workbench run: {exc}", file=sys.stderr)
        return ExitCode.INFRASTRUCTURE if args.browser_endpoint else ExitCode.NO_BROWSER
    except OSError:  # the progress bar's last frame: a terminal that hung up (SIGHUP) takes no more output
        if ran is None or ran[0] is not None:
            raise
        silence()
    result, interrupted = ran
    if not recorder.flush():  # the store refused writes to the end: what it holds is not the run
        which = f"run {result.run_id}" if result is not None else "the interrupted run"
        say(f"workbench run: {recorder.unwritten} event(s) of {which} could not be stored in {db_path}, so "
            f"neither its scores nor a report are given: {recorder.failure}")
        return ExitCode.INFRASTRUCTURE
    if recorder.refused:  # its id was a stored run's (two runs in one second): that run's report is not ours
        say(f"workbench run: {recorder.refused} event(s) of the run were refused by {db_path} (its id is a "
            "stored run's), so neither its scores nor a report are given; run it again")
        return ExitCode.INFRASTRUCTURE
    if result is None:
        say(f"workbench run: {interrupted}; the browser is closed and the run is stored in {db_path}, its "
            "unfinished sessions as failed (`workbench runs`)")
        return ExitCode.INTERRUPTED
    with Session(engine) as db:
        # the rage-click tables read every stored batch: only the JSON and HTML reports show them
        report = repo.run_report(db=db, run_id=result.run_id, rage=bool(args.json or args.html))
        shots = repo.screenshots(db=db, run_id=result.run_id) if args.html else {}
    assert report is not None
    # the reports before any table: a reader of the output that went away (`| head -1`) must not cost them
    written, failure = write_reports(report, shots, json=args.json, junit=args.junit, html=args.html)
    # at least 80 columns: a narrow terminal folds the tables rather than squeezing them
    tables = quiet_when_reader_goes(table_console())
    print_scores(report, tables)
    print_attribution(report, tables)
    for line in written:
        console.print(line, markup=False)
    if failure is not None:
        say(f"workbench run: {failure}; the run is stored in {db_path} (`workbench show {result.run_id}` "
            "writes its reports again)")
        return ExitCode.INFRASTRUCTURE
    traces = [s for s in result.sessions if s.trace]
    if args.trace != "off":
        console.print(traces_line(args.trace, traces, report.get("verdict")))
    console.print(f"stored in {escape(db_path)} (run {result.run_id}; `workbench show {result.run_id}`)")
    return VERDICT_EXIT.get(report.get("verdict") or "error", ExitCode.INFRASTRUCTURE)
