"""Synthetic cursor sessions against real humans (SapiMouse, Antal et al. 2021).

SapiMouse users play a browser game: click the target that appears, repeatedly, for 1 or 3
minutes (~70 clicks/min).  We play the same kind of game with the motion model: targets of
40 px at uniform random positions in a 1500 x 720 px page (the extent of SapiMouse clicks),
a reaction dwell before each aimed movement.  Both sides are sampled at 20 Hz like the EITP
producer (sample-and-hold of the last reported position) and compared on:

* median speed of moving samples (speed >= 20 px/s), per session, then the median,
* 90th percentile speed of moving samples and of all samples,
* EITP pauses per minute (speed < 20 px/s for > 500 ms).

Tolerance band, fixed before tuning: the synthetic figure (median over synthetic sessions)
must lie within the 10th-90th percentile of the per-session human figures of a seeded
sample of 30 sessions.  Run with ``-s`` to see the table.  The data is read from
``../shared/corpora`` and never copied; the test skips when it is absent.
"""

from __future__ import annotations

import numpy as np
import pytest

from synthetic import kinematics as K
from synthetic.motion import (
    AGITATED,
    CALM,
    HESITANT,
    MotorProfile,
    Trajectory,
    aimed_movement,
    chain,
    dwell,
    reaction_time,
)
from workbench import corpora

SAPIMOUSE = corpora.CORPORA_DIR / "sapimouse" / "raw"
N_HUMAN = 30
N_SYNTH = 12
PAGE = (1500.0, 720.0)
TARGET_PX = 40.0
FIGURES = ("median moving px/s", "p90 moving px/s", "p90 all px/s", "pauses/min")


def session_figures(traj: object) -> tuple[float, float, float, float]:
    ts, xs, ys = K.resample(traj, 20)  # type: ignore[arg-type]
    v = K.speeds((ts, xs, ys))
    moving = v[v >= K.DWELL_SPEED_PX_S]
    return (
        float(np.median(moving)),
        float(np.percentile(moving, 90)),
        float(np.percentile(v, 90)),
        K.pauses_per_minute(ts, xs, ys),
    )


def click_game(seed: int, profile: MotorProfile = CALM, minutes: float = 1.0) -> Trajectory:
    """A seeded SapiMouse-like session: react, move to the next random target, repeat."""
    rng = np.random.default_rng(seed)
    w, h = PAGE
    pos = (float(rng.uniform(0, w)), float(rng.uniform(0, h)))
    parts: list[Trajectory] = []
    elapsed = 0.0
    while elapsed < minutes * 60_000:
        target = (float(rng.uniform(TARGET_PX, w - TARGET_PX)), float(rng.uniform(TARGET_PX, h - TARGET_PX)))
        rest = dwell(pos, reaction_time(rng, profile), rng, profile)
        move = aimed_movement(rest.end(), target, TARGET_PX, rng, profile)
        parts += [rest, move]
        elapsed += rest.duration_ms() + move.duration_ms()
        pos = move.end()
    return chain(parts)


def test_synthetic_session_kinematics_match_real_humans() -> None:
    if not SAPIMOUSE.is_dir():
        pytest.skip("../shared/corpora not present: real-human comparison needs the shared corpora")
    human = np.array([session_figures(r) for r in corpora.recordings("sapimouse", limit=N_HUMAN, seed=0)])
    lo, med, hi = (np.percentile(human, q, axis=0) for q in (10, 50, 90))
    synth = {
        name: np.median([session_figures(click_game(s, p)) for s in range(N_SYNTH)], axis=0)
        for name, p in (("CALM", CALM), ("HESITANT", HESITANT), ("AGITATED", AGITATED))
    }

    print(f"\nSapiMouse: {len(human)} sessions; synthetic: {N_SYNTH} x 1 min click game per profile")
    print(f"{'figure':20s} {'human p10':>10s} {'p50':>8s} {'p90':>8s} " + " ".join(f"{n:>9s}" for n in synth))
    for i, name in enumerate(FIGURES):
        row = " ".join(f"{synth[n][i]:9.1f}" for n in synth)
        print(f"{name:20s} {lo[i]:10.1f} {med[i]:8.1f} {hi[i]:8.1f} {row}")

    # only CALM is meant to play the game like the recorded users; the other two are printed
    calm = synth["CALM"]
    for i, name in enumerate(FIGURES):
        assert lo[i] <= calm[i] <= hi[i], (
            f"{name}: synthetic {calm[i]:.1f} outside human p10-p90 [{lo[i]:.1f}, {hi[i]:.1f}]"
        )
