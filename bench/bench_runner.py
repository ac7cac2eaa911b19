"""Runner throughput: simulated minutes per wall minute at 1, 4, 8 and 16 concurrent sessions.

Two workloads. *Minute-long personas*: the eight human personas (cycled, each
with its own seed), which pack a visit's behaviour into about a minute: the worst case for virtual
time, since nearly every simulated second holds input. *Production-length visits*: the
long-visit buyer (``synthetic/personas/long_visit_buyer.py``), a paralysed buyer over the
38.9 minutes section 6 measured for such sessions, with long reads and trips to other tabs between
its bouts at the prices: what virtual time is for. The aim of 100 simulated minutes per wall minute
is judged on both, and the figures say which meets it. The long visits run one batch per level (k
sessions at k at once), and with ``--quick`` only at 4.

Virtual time (the Playwright clock) runs them through the whole pipeline: producer, bridge,
engine, scoring. Beside each figure: the
position fidelity (how far the producer's 20 Hz samples were from the persona's intended
path at the same page-clock instant) and the peak resident memory of this process tree
(Python, the Playwright driver and every Chromium process). For the minute-long personas each
level runs twice as many sessions as it runs at once, so the figure is the steady state rather
than one batch's start and tail (``--quick``: one batch). Where the CPU goes is split by process role: page
renderers, Chromium's display compositor (``gpu-process``, software compositing here), the
browser process, the Playwright driver, and this Python process (runner and pipeline). One
short real-time session gives the real-time fidelity for comparison.

The *session overhead* is what each visit costs before and after its persona: context, DevTools
session and clock, loading the site until the producer is connected, and closing, by phase.

The *input floor* says how much of that is the hot path itself: the runner's own
:class:`~workbench.sim.clock.VirtualClock` and DevTools pointer play a hand that moves at every
20 Hz tick over a blank page whose only script is a 20 Hz timer (no producer, no pipeline, no
rendering to speak of). Its CPU per move, times the moves per simulated minute the personas
actually send, is what their cursor input costs before any page or pipeline work. The *scroll
floor* does the same for the wheel: the runner's own notch (a trusted wheel event, the wait until
the page scrolled, the clock run to the next) on a plain text page with no producer. A page that
scrolls draws a frame, so no page does a notch for less. The floors and the set-up together say
how many simulated minutes per wall minute these CPUs could give if the pages, the producer and
the pipeline cost nothing. It takes about 9 minutes (``--quick``: one batch per level, the long
visits at 4 sessions only; about 4).

    .venv/bin/python bench/bench_runner.py [--quick]
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from playwright.async_api import Page, async_playwright  # noqa: E402

from bench.common import bars, report  # noqa: E402
from synthetic.motion import Trajectory  # noqa: E402
from synthetic.personas import HUMANS, FrustratedBuyer, LongVisitBuyer, Persona  # noqa: E402
from workbench.events import EventStream  # noqa: E402
from workbench.sim import browser as browsers  # noqa: E402
from workbench.sim.cdp import CdpPointer  # noqa: E402
from workbench.sim.clock import VirtualClock  # noqa: E402
from workbench.sim.runner import RunResult, RunSpec, run  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")
LEVELS = (1, 4, 8, 16)
AIM = 100.0  # simulated minutes per wall minute (issue #6)


def role(pid: int) -> str:
    """What a process of the tree is for, from its command line."""
    if pid == os.getpid():
        return "python"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return "other"
    if Path(argv[0].decode(errors="replace").split(" ")[0]).name == "node":
        return "driver"
    # Chromium rewrites its children's command lines into one space-separated string
    kind = re.search(rb"--type=([\w-]+)", b" ".join(argv))
    if kind is None:
        return "browser" if b"chrom" in argv[0] else "other"
    return {b"renderer": "renderers", b"zygote": "renderers", b"gpu-process": "compositor"}.get(kind.group(1), "other")


def process_tree(root: int) -> dict[int, tuple[float, float]]:
    """pid -> (RSS MiB, CPU seconds) for ``root`` and all its descendants (from /proc)."""
    parents: dict[int, int] = {}
    stats: dict[int, tuple[float, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            stats[int(entry)] = (int(fields[21]) * PAGE / 2**20, (int(fields[11]) + int(fields[12])) / TICK)
        except (OSError, IndexError, ValueError):
            continue
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            tree[pid] = stats[pid]
        todo += children.get(pid, [])
    return tree


class Resources:
    """Samples the process tree every 0.25 s on a thread: peak RSS, and CPU time per process
    (the last value seen before it exits; Chromium is not our child's child once its wrapper is
    gone, so rusage of reaped children would miss it)."""

    def __init__(self) -> None:
        self.peak_mib = 0.0
        self.cpu: dict[int, float] = {}
        self.roles: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self) -> None:
        """Read the tree now (the thread also does, every 0.25 s)."""
        tree = process_tree(os.getpid())
        self.peak_mib = max(self.peak_mib, sum(rss for rss, _ in tree.values()))
        for pid, (_, cpu) in tree.items():
            self.cpu[pid] = max(self.cpu.get(pid, 0.0), cpu)
            if pid not in self.roles:
                self.roles[pid] = role(pid)

    def _loop(self) -> None:
        while not self._stop.wait(0.25):
            self.sample()

    def __enter__(self) -> Resources:
        self.sample()
        self.base = dict(self.cpu)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    @property
    def cpu_s(self) -> float:
        return sum(cpu - self.base.get(pid, 0.0) for pid, cpu in self.cpu.items())

    def by_role(self) -> dict[str, float]:
        split: dict[str, float] = {}
        for pid, cpu in self.cpu.items():
            key = self.roles.get(pid, "other")
            split[key] = split.get(key, 0.0) + cpu - self.base.get(pid, 0.0)
        return dict(sorted(split.items(), key=lambda kv: -kv[1]))


def fidelity(result: RunResult) -> dict[str, float]:
    ok = [s for s in result.sessions if s.fidelity.samples]
    if not ok:
        return {"median_px": 0.0, "p95_px_worst": 0.0}
    return {"median_px": round(max(s.fidelity.median_px for s in ok), 2),
            "p95_px_worst": round(max(s.fidelity.p95_px for s in ok), 2)}


BLANK = ("data:text/html,<html><body><script>let at = [0, 0], n = 0;"
         "addEventListener('pointermove', (e) => { at = [e.clientX, e.clientY]; });"
         "setInterval(() => { n++; }, 50);</script></body></html>")


FLOOR_PAGES = 4  # the floors run this many pages at once, as the cheapest level usually does


async def _bare_pages(handle: browsers.BrowserHandle, url: str, n: int) -> list[tuple[Page, CdpPointer, VirtualClock]]:
    """``n`` pages on ``url``, each with the runner's own DevTools pointer and virtual clock."""
    from workbench.sim.runner import VIEWPORT

    assert handle.cdp is not None, "the floors need the runner's own DevTools socket"
    pages = []
    for _ in range(n):
        context = await handle.browser.new_context(viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]})
        page = await context.new_page()
        session = await handle.cdp.attach(page)
        await handle.cdp.unbuffer_input(session)
        pointer = CdpPointer(handle.cdp, session)
        clock = VirtualClock(evaluate=pointer.evaluate, unbuffered=True)
        await clock.prepare(page)
        await page.goto(url)
        await clock.ready(page)
        pages.append((page, pointer, clock))
    return pages


async def input_floor(simulated_s: float = 120.0, pages: int = FLOOR_PAGES) -> dict[str, float]:
    """CPU per tick of the runner's hot path alone: one trusted move and one clock run."""
    async with async_playwright() as pw:
        handle = await browsers.open_browser(pw)
        try:
            bare = await _bare_pages(handle, BLANK, pages)
            t = np.arange(0.0, simulated_s * 1000.0, 10.0)
            circle = Trajectory(t, 640 + 300 * np.cos(t / 3000.0), 400 + 200 * np.sin(t / 3000.0))
            with Resources() as used:
                await asyncio.gather(*(clock.play(circle, pointer.move, lambda *_: None) for _, pointer, clock in bare))
            ticks = sum([int(await page.evaluate("n")) for page, _, _ in bare])
            moves = sum(clock.moves for _, _, clock in bare)
        finally:
            await handle.close()
    return {"cpu_ms_per_move": round(1000.0 * used.cpu_s / max(moves, 1), 3),
            "moves": moves, "sampler_ticks": ticks, "pages": pages}


# Plain text, no producer and no site script: what a wheel notch costs any page here
TEXT = ("data:text/html,<html><body style='font:16px sans-serif'>"
        + "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.</p>" * 400
        + "<script>let n = 0; setInterval(() => { n++; }, 50);</script></body></html>")


async def scroll_floor(flicks: int = 40, pages: int = FLOOR_PAGES) -> dict[str, float]:
    """CPU per wheel notch of the runner's own scroll path (a trusted wheel event, the wait for
    the page to scroll, the clock run between notches) on a plain text page. Each notch
    scrolls, and a page that scrolls draws a frame: this is the cheapest a notch can be."""
    from synthetic.motion import MotorProfile
    from workbench.sim.actor import PlaywrightActor

    async def wheel(actor: PlaywrightActor) -> None:
        await actor.start()
        for i in range(flicks):  # down the page and back up, 4 notches a flick
            await actor.flick(480.0 if (i // 5) % 2 == 0 else -480.0, notches=4)

    async with async_playwright() as pw:
        handle = await browsers.open_browser(pw)
        try:
            bare = await _bare_pages(handle, TEXT, pages)
            actors = [PlaywrightActor(page, np.random.default_rng(i), MotorProfile(), clock=clock, pointer=pointer)
                      for i, (page, pointer, clock) in enumerate(bare)]
            with Resources() as used:
                await asyncio.gather(*(wheel(actor) for actor in actors))
        finally:
            await handle.close()
    notches = sum(actor.notches for actor in actors)
    return {"cpu_ms_per_notch": round(1000.0 * used.cpu_s / max(notches, 1), 2), "notches": notches,
            "scrolled": sum(len(actor.scroll_log) - 1 for actor in actors), "pages": pages}


async def session_overhead(sessions: int = 8) -> dict[str, float]:
    """CPU ms per session, by phase, of a visit's set-up and tear-down with no persona in it.

    The phases are the runner's own: a context and page; the DevTools session and the page
    clock; loading the site until the producer is connected; one second of idle page time; and
    stopping the producer and closing the context. Measured one session at a time over the
    whole process tree, dead renderers included (their last CPU reading is kept)."""
    from workbench.config import EITPConfig
    from workbench.pipeline import Pipeline
    from workbench.sim.runner import VIEWPORT, embedded_config

    phases: dict[str, float] = {}
    tree = Resources()

    def now() -> float:
        tree.sample()
        return tree.cpu_s

    def mark(name: str, since: float) -> float:
        at = now()
        phases[name] = phases.get(name, 0.0) + at - since
        return at

    pipeline = Pipeline(embedded_config(EITPConfig(), virtual_time=True), stream=EventStream())
    base = await pipeline.start()
    try:
        with tree:
            async with async_playwright() as pw:
                handle = await browsers.open_browser(pw)
                assert handle.cdp is not None, "the overhead is measured on the runner's own DevTools socket"
                try:
                    for i in range(sessions):
                        t = now()
                        context = await handle.browser.new_context(
                            viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]})
                        page = await context.new_page()
                        t = mark("context and page", t)
                        session = await handle.cdp.attach(page)
                        await handle.cdp.unbuffer_input(session)
                        pointer = CdpPointer(handle.cdp, session)
                        clock = VirtualClock(evaluate=pointer.evaluate, unbuffered=True)
                        await clock.prepare(page)
                        t = mark("DevTools session and clock", t)
                        await page.goto(f"{base}/rv/?eitp_session=sq_{1_700_000_000_000 + i}_overhead",
                                        wait_until="load")
                        while not await pointer.evaluate("!!(window.EITP && window.EITP.stats().open === true)"):
                            await asyncio.sleep(0.02)
                        t = mark("load until the producer is connected", t)
                        await clock.ready(page)
                        await clock.advance(1000)
                        t = mark("one idle page second", t)
                        await page.evaluate("window.EITP.stop()")
                        await handle.cdp.detach(session)
                        await context.close()
                        await asyncio.sleep(0.3)  # let the renderer exit, so its last CPU is read
                        mark("stop and close", t)
                finally:
                    await handle.close()
    finally:
        await pipeline.stop()
    return {name: round(1000.0 * used / sessions, 1) for name, used in phases.items()}


async def level(k: int, sessions: int, seed: int, cast: tuple[type[Persona], ...] = HUMANS) -> dict[str, object]:
    personas = [cast[i % len(cast)] for i in range(sessions)]
    spec = RunSpec(personas, seed=seed, kind="bench", virtual_time=True, concurrency=k)
    with Resources() as used:
        started = time.perf_counter()
        result = await run(spec, stream=EventStream())
        wall = time.perf_counter() - started
    cpu = used.cpu_s
    failed = [s for s in result.sessions if s.status != "ended"]
    for s in failed:
        print(f"    failed: {s.persona} {s.session_id}: {s.error}", flush=True)
    sim_min = result.simulated_s / 60.0
    return {"sessions": sessions, "failed": len(failed), "simulated_min": round(sim_min, 2),
            "wall_min": round(wall / 60.0, 3), "sim_min_per_wall_min": round(sim_min / (wall / 60.0), 1),
            "fidelity": fidelity(result), "peak_rss_mib": round(used.peak_mib),
            # CPU the run used (ours, the driver's and Chromium's): what a machine of our own would be bound by
            "cpu_s_per_sim_min": round(cpu / max(sim_min, 1e-9), 2),
            "cpu_s_per_sim_min_by_role": {k: round(v / max(sim_min, 1e-9), 2) for k, v in used.by_role().items()},
            "cpu_share_used": round(cpu / wall / (os.cpu_count() or 1), 2),
            "moves": sum(s.moves for s in result.sessions),
            "notches": sum(s.notches for s in result.sessions),
            "verdict": result.score.verdict if result.score else "error"}


def describe(k: int, res: dict[str, object], *, label: str = "", of: str = "") -> str:
    """One level's figures on a line: ``label`` names the workload, ``of`` the sessions' persona."""
    return (f"  {label}concurrency {k:>2}: {res['sim_min_per_wall_min']:>6} simulated min / wall min "
            f"({res['simulated_min']} min in {res['wall_min']} min, {res['sessions']} sessions{of}, "
            f"{res['failed']} failed, verdict {res['verdict']}) · fidelity {res['fidelity']} · "
            f"peak RSS {res['peak_rss_mib']} MiB · {res['cpu_s_per_sim_min']} CPU s per simulated min, "
            f"{res['cpu_share_used']:.0%} of the CPUs")


def per_sim_min(figures: dict[str, object], key: str, *, digits: int = 0) -> float:
    """``key`` (moves, notches, sessions) per simulated minute over every concurrency level."""
    total = sum(figures[f"k{k}"][key] for k in LEVELS)  # type: ignore[index,misc]
    return round(total / sum(figures[f"k{k}"]["simulated_min"] for k in LEVELS), digits or None)  # type: ignore[index,misc]


def priced(floor: dict[str, float], cpu_ms_key: str, count: float, cheapest: float, count_key: str) -> dict[str, float]:
    """A floor's CPU per unit, times the units a simulated minute of the personas holds."""
    floor[count_key] = count
    floor["cpu_s_per_sim_min"] = round(floor[cpu_ms_key] * count / 1000.0, 2)
    floor["share_of_measured"] = round(floor["cpu_s_per_sim_min"] / cheapest, 2)
    return floor


async def main(quick: bool) -> None:
    figures: dict[str, object] = {}
    plan = {k: k if quick else 2 * k for k in LEVELS}
    for i, k in enumerate(LEVELS):
        res = await level(k, plan[k], seed=100 + i)
        figures[f"k{k}"] = res
        print(describe(k, res), flush=True)
        print("      CPU s per simulated min by role: " + ", ".join(
            f"{k} {v}" for k, v in res["cpu_s_per_sim_min_by_role"].items()), flush=True)  # type: ignore[attr-defined]
    # Production-length visits: one batch of k long visits per level (a batch of 16 is ~650 simulated min)
    for i, k in enumerate((4,) if quick else LEVELS):
        res = await level(k, k, seed=300 + i, cast=(LongVisitBuyer,))
        figures[f"long_k{k}"] = res
        print(describe(k, res, label="production-length visits, ", of=f" of {LongVisitBuyer.name}"), flush=True)
    spec = RunSpec([FrustratedBuyer], seed=5, kind="bench", virtual_time=False)
    real = await run(spec, stream=EventStream())
    figures["real_time_fidelity"] = {**fidelity(real), "persona": FrustratedBuyer.name,
                                     "samples": real.sessions[0].fidelity.samples}
    long_levels = [k for k in LEVELS if f"long_k{k}" in figures]
    for prefix, levels in (("", LEVELS), ("long_", long_levels)):  # each workload's best level and worst p95
        best = max(levels, key=lambda k: figures[f"{prefix}k{k}"]["sim_min_per_wall_min"])  # type: ignore[index]
        figures[f"{prefix}best_sim_min_per_wall_min"] = figures[f"{prefix}k{best}"]["sim_min_per_wall_min"]  # type: ignore[index]
        figures[f"{prefix}best_concurrency"] = best
        figures[f"{prefix}virtual_p95_px_worst"] = max(figures[f"{prefix}k{k}"]["fidelity"]["p95_px_worst"]  # type: ignore[index]
                                                       for k in levels)
    figures["real_p95_px_worst"] = figures["real_time_fidelity"]["p95_px_worst"]  # type: ignore[index]
    figures["cpus"] = os.cpu_count()
    # With the CPUs to ourselves, throughput is bounded by CPU per simulated minute:
    cheapest = min(figures[f"k{k}"]["cpu_s_per_sim_min"] for k in LEVELS)  # type: ignore[index]
    figures["cpu_bound_sim_min_per_wall_min"] = round(60.0 * (os.cpu_count() or 1) / cheapest, 1)
    figures["aim_sim_min_per_wall_min"] = AIM
    # what the aim would take on these CPUs, all of them busy
    figures["cpu_s_per_sim_min_for_aim"] = round(60.0 * (os.cpu_count() or 1) / AIM, 2)
    # The hot path alone: a trusted move and a clock run per moving tick, on a blank page
    floor = priced(await input_floor(), "cpu_ms_per_move", per_sim_min(figures, "moves"), cheapest,
                   "persona_moves_per_sim_min")
    moves = floor["persona_moves_per_sim_min"]
    figures["input_floor"] = floor
    # The wheel: each notch is a frame the page draws, on a page as plain as pages get
    scroll = priced(await scroll_floor(), "cpu_ms_per_notch", per_sim_min(figures, "notches"), cheapest,
                    "persona_notches_per_sim_min")
    notches = scroll["persona_notches_per_sim_min"]
    figures["scroll_floor"] = scroll
    # What every visit costs before and after its persona, whatever the persona does
    overhead = await session_overhead()
    per_session = sum(overhead.values()) - overhead["one idle page second"]
    sessions_per_min = per_sim_min(figures, "sessions", digits=2)
    figures["session_overhead"] = {"cpu_ms_by_phase": overhead, "cpu_ms_per_session": round(per_session),
                                   "sessions_per_sim_min": round(sessions_per_min, 2),
                                   "cpu_s_per_sim_min": round(per_session * sessions_per_min / 1000.0, 2)}
    # the three together: what a simulated minute costs before any page, producer or pipeline work
    figures["floors_cpu_s_per_sim_min"] = round(floor["cpu_s_per_sim_min"] + scroll["cpu_s_per_sim_min"]
                                                + figures["session_overhead"]["cpu_s_per_sim_min"], 2)  # type: ignore[index]
    figures["load_average_at_end"] = round(os.getloadavg()[0], 2)
    report("runner", figures)
    print(bars("simulated min per wall min, by concurrent sessions (minute-long personas)",
               [(str(k), float(figures[f"k{k}"]["sim_min_per_wall_min"])) for k in LEVELS],  # type: ignore[index]
               aim=AIM))
    print(bars(f"simulated min per wall min, by concurrent sessions (production-length visits, {LongVisitBuyer.name})",
               [(str(k), float(figures[f"long_k{k}"]["sim_min_per_wall_min"])) for k in long_levels],  # type: ignore[index]
               aim=AIM))
    for label, best, p95 in (("minute-long personas", figures["best_sim_min_per_wall_min"],
                              figures["virtual_p95_px_worst"]),
                             ("production-length visits", figures["long_best_sim_min_per_wall_min"],
                              figures["long_virtual_p95_px_worst"])):
        held = "meets" if float(best) >= AIM else "does not meet"  # type: ignore[arg-type]
        print(f"  {label}: at best {best} simulated min per wall min, p95 position error {p95} px at worst: "
              f"{held} the aim of {AIM:.0f}")
    print(f"  input floor: {floor['cpu_ms_per_move']} CPU ms per move on {floor['pages']} blank pages at once "
          f"x {moves} moves per simulated min = {floor['cpu_s_per_sim_min']} CPU s per simulated min, "
          f"{floor['share_of_measured']:.0%} of the {cheapest} measured; the aim needs "
          f"{figures['cpu_s_per_sim_min_for_aim']} in all")
    print(f"  scroll floor: {scroll['cpu_ms_per_notch']} CPU ms per wheel notch on {scroll['pages']} plain text "
          f"pages at once x {notches} notches per simulated min = {scroll['cpu_s_per_sim_min']} CPU s per "
          f"simulated min, {scroll['share_of_measured']:.0%} of the {cheapest} measured")
    so = figures["session_overhead"]
    print(f"  per-session set-up and tear-down: {so['cpu_ms_per_session']} CPU ms "  # type: ignore[index]
          f"({', '.join(f'{k} {v}' for k, v in overhead.items() if k != 'one idle page second')}) x "
          f"{so['sessions_per_sim_min']} sessions per simulated min = {so['cpu_s_per_sim_min']} CPU s "  # type: ignore[index]
          f"per simulated min; an idle page second costs {overhead['one idle page second']} CPU ms")
    floors = float(figures["floors_cpu_s_per_sim_min"])  # type: ignore[arg-type]
    print(f"  the cursor's and the wheel's floors and the visits' set-up alone: {floors} CPU s per simulated min, "
          f"before any page, producer or pipeline work; the aim allows {figures['cpu_s_per_sim_min_for_aim']} "
          f"for everything ({60.0 * (os.cpu_count() or 1) / floors:.0f} simulated min per wall min at most)")


if __name__ == "__main__":
    asyncio.run(main("--quick" in sys.argv))
