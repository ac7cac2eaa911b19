"""The persona catalogue (no browser): declarations, ground truth, name resolution, the Locust-style
task API, every script against a recording actor, and the ghost-cursor path generator."""

from __future__ import annotations

import asyncio
import inspect
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synthetic import personas as catalogue
from synthetic.personas import (
    BOTS,
    HUMANS,
    LONG,
    PERSONAS,
    Actor,
    Persona,
    UnknownPersona,
    between,
    constant,
    resolve,
    resolve_many,
    task,
)
from synthetic.personas.bezier_bot import OVERSHOOT_PX, bezier_path, ghost_move
from workbench.protocol.taxonomy import CANONICAL, NEGATIVE
from workbench.sitepages import render

ROOT = Path(__file__).resolve().parents[2]
RV_IDS = set(re.findall(r'id="([^"]+)"', render(ROOT / "sites" / "rv" / "index.html")))
PROTOCOL = {name for name, _ in inspect.getmembers(Actor, inspect.isfunction)} | {"elapsed_ms"}


class RecordingActor:
    """Implements the Actor protocol by recording calls; time advances by what each call says."""

    viewport = (1280.0, 800.0)

    def __init__(self, seed: int = 1) -> None:
        self.rng = np.random.default_rng(seed)
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.t = 0.0

    @property
    def elapsed_ms(self) -> float:
        return self.t

    def __getattr__(self, name: str) -> Any:
        if name not in PROTOCOL:
            raise AttributeError(f"{name!r} is not part of the Actor protocol")

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            ms = next((a for a in args if isinstance(a, int | float) and not isinstance(a, bool)), None)
            self.t += float(kwargs.get("ms", ms if name in ("dwell", "idle", "read", "wait", "leave_tab",
                                                               "erratic") and ms is not None else 300.0))
            if name == "center_of":
                return (640.0, 400.0)
            if name == "scroll_state":
                return (1200.0, 4000.0)
            return None

        return call

    def selectors(self) -> list[str]:
        return [a for _, args, kw in self.calls for a in (*args, *kw.values()) if isinstance(a, str) and "#" in a]


def run_script(persona: type[Persona], seed: int = 1) -> RecordingActor:
    actor = RecordingActor(seed)
    asyncio.run(persona().run(actor))  # type: ignore[arg-type]
    return actor


def test_catalogue_one_file_per_persona_with_declarations():
    assert set(PERSONAS) == {p.name for p in (*HUMANS, *BOTS, *LONG)} and len(PERSONAS) == 14
    modules = {p.__module__ for p in PERSONAS.values()}
    assert len(modules) == len(PERSONAS), "one file per persona"
    for p in PERSONAS.values():
        assert (ROOT / "synthetic" / "personas" / f"{p.__module__.rsplit('.', 1)[1]}.py").exists()
        assert p.description and p.site == "rv"


def test_ground_truth_is_declared_honestly():
    for p in (*HUMANS, *LONG):
        assert not p.expected_bot and p.expected_emotions, p.name
        assert p.expected_emotions <= set(CANONICAL) and p.forbidden_emotions <= set(CANONICAL), p.name
        assert not p.expected_emotions & p.forbidden_emotions, p.name
        assert p.expected_signals, p.name
        assert p.user_agent and "Headless" not in p.user_agent, p.name
    for p in BOTS:
        assert p.expected_bot and not p.expected_emotions and p.expected_signals, p.name
    assert {e.value for e in NEGATIVE} <= catalogue.CalmResearcher.forbidden_emotions
    assert catalogue.HeadlessCrawler.user_agent is None  # the browser's own: it says HeadlessChrome
    assert catalogue.ConnectionProbe.real_time_only and not any(p.real_time_only for p in HUMANS)
    gt = catalogue.FrustratedBuyer.ground_truth()
    assert gt == {"emotions": ["frustration"], "forbidden": [], "signals": ["click", "direction_changes",
                  "rage_click"], "bot": False, "intervention": True}


@pytest.mark.parametrize(("name", "expected"), [
    ("paralysed", "paralysed_buyer"), ("paralyzed", "paralysed_buyer"), ("frustrated", "frustrated_buyer"),
    ("Confused-Visitor", "confused_visitor"), ("calm", "calm_researcher"), ("probe", "connection_probe"),
    ("ghost_cursor", "bezier_bot"), ("headless_c", "headless_crawler"), ("linear_bot", "linear_bot"),
])
def test_names_aliases_and_prefixes_resolve(name, expected):
    assert resolve(name).name == expected


def test_unknown_and_ambiguous_names_say_what_exists():
    with pytest.raises(UnknownPersona, match="is not a persona.*paralysed_buyer"):
        resolve("grumpy")
    with pytest.raises(UnknownPersona, match="ambiguous"):
        resolve("co")  # comparison_shopper, confused_visitor, confident_purchaser, connection_probe
    assert [p.name for p in resolve_many("paralysed, frustrated")] == ["paralysed_buyer", "frustrated_buyer"]
    assert resolve_many("bots") == list(BOTS) and resolve_many("all") == [*HUMANS, *BOTS, *LONG]
    assert resolve_many("long") == [catalogue.LongVisitBuyer] and resolve_many("humans") == list(HUMANS)


@pytest.mark.parametrize("persona", list(PERSONAS.values()), ids=list(PERSONAS))
def test_every_script_runs_on_the_actor_protocol_with_real_rv_ids(persona):
    actor = run_script(persona)
    assert actor.calls, persona.name
    for selector in actor.selectors():
        for ident in re.findall(r"#([\w-]+)", selector):
            assert ident in RV_IDS, f"{persona.name} uses #{ident}, which the RV site does not have"
    names = {c[0] for c in actor.calls}
    if persona.expected_bot:
        assert not names & {"move_to", "read", "oscillate", "circle", "erratic"}, "bots do not use the motor model"
    else:
        assert not any(n.startswith("robot_") for n in names), "people do not use scripted input"


def test_scripts_do_what_their_ground_truth_needs():
    def calls(p: type[Persona]) -> list[str]:
        return [c[0] for c in run_script(p).calls]

    assert calls(catalogue.FrustratedBuyer).count("click_burst") >= 2 and "erratic" in calls(catalogue.FrustratedBuyer)
    assert calls(catalogue.ConfusedVisitor).count("circle") >= 3
    shopper = run_script(catalogue.ComparisonShopper)
    away = [c[1][0] for c in shopper.calls if c[0] == "leave_tab"]
    assert max(away) > 30_000, "a long tab return is an absence of more than 30 s"
    assert calls(catalogue.ExitIntentVisitor).count("exit_top") == 2
    assert [c for c in calls(catalogue.ConfidentPurchaser) if c == "type_text"] == ["type_text"] * 4
    linear = run_script(catalogue.LinearStepsBot)
    assert all(c[2].get("steps") == 25 for c in linear.calls if c[0] == "robot_move")
    assert [c[1][0] for c in run_script(catalogue.ConnectionProbe).calls] == [12_000]


def test_task_decorator_weights_and_wait_time():
    class Randomised(Persona):
        name = "randomised"
        description = "test"
        wait_time = between(100, 200)
        session_ms = 5_000.0

        @task(3)
        async def often(self, actor: Actor) -> None:
            await actor.dwell(100)

        @task
        async def rarely(self, actor: Actor) -> None:
            await actor.dwell(100)

    assert Randomised.tasks() == {"often": 3, "rarely": 1}
    actor = RecordingActor(seed=3)
    asyncio.run(Randomised().run(actor))  # type: ignore[arg-type]
    assert actor.t >= 5_000
    waits = [c[1][0] for c in actor.calls if c[0] == "dwell" and c[1][0] != 100]
    assert waits and all(100 <= w <= 200 for w in waits)
    assert constant(250)(np.random.default_rng(0)) == 250
    with pytest.raises(ValueError):
        task(0)
    with pytest.raises(NotImplementedError):
        asyncio.run(Persona().run(RecordingActor()))  # type: ignore[arg-type]


def test_overwhelmed_visitor_is_task_driven_and_mostly_flicks():
    assert catalogue.OverwhelmedVisitor.tasks() == {"flick_down": 5, "flick_up": 2, "glance": 1}
    actor = run_script(catalogue.OverwhelmedVisitor, seed=4)
    flicks = [c for c in actor.calls if c[0] == "flick"]
    assert len(flicks) >= 20 and actor.t >= catalogue.OverwhelmedVisitor.session_ms


def test_ghost_cursor_paths_are_one_sided_fitts_counted_and_overshoot_far_targets():
    rng = np.random.default_rng(11)
    path = bezier_path((100, 100), (500, 300), 24, rng)
    assert path[-1] == (500.0, 300.0) and 40 <= len(path) <= 60  # ghost-cursor: 3 x (log2(fitts + 1) + 12.5)
    # both control points on one side: the path never crosses the chord
    sides = {np.sign((x - 100) * 200 - (y - 100) * 400) for x, y in path[:-1]} - {0.0}
    assert len(sides) == 1
    near = ghost_move((100, 100), (300, 200), 24, rng)
    far = ghost_move((50, 50), (1200, 700), 24, rng)
    assert math.dist(far[-1], (1200, 700)) < 24 and len(far) > len(near)
    assert math.dist((50, 50), (1200, 700)) > OVERSHOOT_PX
    # a far move first goes to a point 120 px off the landing point, then corrects
    assert any(abs(math.dist(p, far[-1]) - 120) < 1e-6 for p in far[:-1])
    assert not any(abs(math.dist(p, near[-1]) - 120) < 1e-6 for p in near[:-1])


def test_expected_emotions_do_not_contradict_each_other_by_section_6():
    """Section 6 defines deliberation as "active weighing of options — not stuck": a persona built to
    be stuck (decision or analysis paralysis) cannot also pass by being read as deliberating, or the
    buyer who needs guidance scores the same as the one who needs space."""
    stuck = {"decision_paralysis", "analysis_paralysis"}
    for p in (*HUMANS, *LONG):
        if p.expected_emotions & stuck:
            assert "deliberation" not in p.expected_emotions, p.name


def test_the_long_visit_lasts_as_long_as_production_measured_with_no_quiet_stretch_past_the_timeout():
    """Section 6: decision_paralysis sessions averaged 38.9 minutes. The visit's script fills that time,
    and no stretch without input (another tab, a wait) reaches the section 1.3 session timeout of 5 min,
    or the engine would end the session halfway."""
    persona = catalogue.LongVisitBuyer
    for seed in range(1, 6):
        actor = run_script(persona, seed)
        assert persona.session_ms / 60_000 == pytest.approx(38.9)
        assert persona.session_ms <= actor.t < persona.session_ms + 8 * 60_000, (seed, actor.t)
        quiet = [args[0] for name, args, _ in actor.calls if name in ("leave_tab", "wait")]
        assert quiet and max(quiet) < 5 * 60_000, (seed, max(quiet, default=0))
        assert sum(name == "oscillate" for name, _, _ in actor.calls) >= 8, seed  # bouts at the packages
