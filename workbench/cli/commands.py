"""The subcommands behind ``workbench``. Each returns an :class:`ExitCode`."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections import Counter
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from workbench.cli.main import ExitCode, print_json
from workbench.cli.printer import Printer
from workbench.config import EITPConfig
from workbench.events import EventStream, RunStarted
from workbench.protocol import schema as schemas
from workbench.store import repo
from workbench.store.db import default_path, open_db
from workbench.store.recorder import Recorder

ConfigFn = Callable[[argparse.Namespace], EITPConfig]


def cmd_demo(args: argparse.Namespace, get_config: ConfigFn) -> int:
    from synthetic.personas import ParalysedBuyer
    from workbench.sim.runner import RunSpec, run

    config = get_config(args)
    db_path = args.db or default_path()
    console = Console(highlight=False, soft_wrap=True)
    stream = EventStream(Recorder(open_db(db_path)), Printer(console))
    console.print("[bold]EITP Workbench demo[/]: a paralysed buyer on Prosser's Premium RV (about 70 s)\n")
    result = asyncio.run(run(RunSpec([ParalysedBuyer], seed=args.seed, kind="demo"), config=config, stream=stream))
    console.print()
    for s in result.sessions:
        emotions = ", ".join(f"{e} ×{n}" for e, n in Counter(s.emotions).most_common()) or "none"
        console.print(f"[bold]summary[/] {s.persona} · {s.status}" + (f" ({s.error})" if s.error else ""))
        console.print(f"  emotions seen : {emotions}")
        console.print(f"  bot verdict   : {s.bot}")
        console.print(f"  packets       : {s.packets}")
        verdict = "yes" if s.matched(ParalysedBuyer) else "no"
        console.print(f"  ground truth  : expected one of {', '.join(sorted(ParalysedBuyer.expected_emotions))} "
                      f"→ matched: {verdict}")
    console.print(f"  stored in     : {db_path} (run {result.run_id}; `workbench sessions --run {result.run_id}`)")
    return ExitCode.OK if result.ok else ExitCode.FAILED


def cmd_serve(args: argparse.Namespace, get_config: ConfigFn) -> int:
    from workbench.pipeline import Pipeline
    from workbench.sim.runner import new_run_id

    config = get_config(args)
    db_path = args.db or default_path()
    console = Console(highlight=False, soft_wrap=True)
    stream = EventStream(Recorder(open_db(db_path)), Printer(console))

    async def serve() -> None:
        from workbench.natsbus import open_bus

        bus, nats_server = await open_bus(args.nats)
        pipeline = Pipeline(config, stream=stream, bus=bus)
        try:
            base = await pipeline.start(args.host, args.port)
            stream.emit(RunStarted(new_run_id("serve"), "serve", "rv", None, config.to_toml(), base))
            via = f"NATS {nats_server.url if nats_server else args.nats}" if args.nats else "in-process bus"
            console.print(f"serving {base}/rv/ · bridge ws://{base.removeprefix('http://')}/bridge · {via} · db {db_path}")
            console.print("open the site in a browser; Ctrl-C to stop")
            stop = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):  # stop cleanly, so a NATS child never outlives us
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            await pipeline.stop()
            if nats_server is not None:
                await nats_server.stop()

    asyncio.run(serve())
    console.print("stopped")
    return ExitCode.OK


def cmd_schema(args: argparse.Namespace, get_config: ConfigFn) -> int:
    print(json.dumps(schemas.schema(args.kind), indent=2))
    return ExitCode.OK


def cmd_validate(args: argparse.Namespace, get_config: ConfigFn) -> int:
    status = ExitCode.OK
    for path in args.files:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            print(f"{path}: no such file")
            status = ExitCode.FAILED
            continue
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            print(f"{path}: not JSON: {exc}")
            status = ExitCode.FAILED
            continue
        kind = args.kind or schemas.guess_kind(document)
        problems = schemas.errors(document, kind)
        if problems:
            status = ExitCode.FAILED
            print(f"{path}: INVALID {kind}")
            for problem in problems:
                print(f"  - {problem}")
        else:
            print(f"{path}: valid EITP v1.1 {kind}")
    return status


def _table(rows: list[dict[str, Any]], columns: list[str], title: str) -> None:
    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    Console().print(table)


def cmd_runs(args: argparse.Namespace, get_config: ConfigFn) -> int:
    with Session(open_db(args.db)) as db:
        rows = repo.list_runs(db=db)
    if args.json:
        print_json(rows)
    else:
        _table(rows, ["id", "kind", "site", "status", "seed", "sessions", "started_at"], "runs")
    return ExitCode.OK


def cmd_sessions(args: argparse.Namespace, get_config: ConfigFn) -> int:
    with Session(open_db(args.db)) as db:
        rows = repo.list_sessions(db=db, run_id=args.run)
    if args.json:
        print_json(rows)
    else:
        _table(rows, ["run_id", "session_id", "persona", "status", "events", "packets", "last_emotion", "bot"],
               "sessions")
    return ExitCode.OK


def cmd_personas(args: argparse.Namespace, get_config: ConfigFn) -> int:
    from synthetic.personas import PERSONAS

    rows = [{"name": p.name, "site": p.site, "bot": p.expected_bot, "intervention": p.expects_intervention,
             "expected emotions": ", ".join(sorted(p.expected_emotions)), "description": p.description}
            for p in PERSONAS.values()]
    _table(rows, ["name", "site", "bot", "intervention", "expected emotions", "description"], "personas")
    return ExitCode.OK


def cmd_config(args: argparse.Namespace, get_config: ConfigFn) -> int:
    print(get_config(args).to_toml())
    return ExitCode.OK
