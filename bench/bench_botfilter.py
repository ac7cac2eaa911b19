"""The bot filter against real recordings (issue 5, point 5; EITP v1.1 section 8).

Every SapiMouse session and every DELBOT human and bot file (pynput, pyHM, NaturalMouseMotion;
not the GAN files, whose timestamps never went through a browser) is replayed as the producer
would have sent it (``workbench/corpora.py``: 20 Hz sample-and-hold, the producer's kinematics
and gestures, clicks at their raw times, 3 s batches, a desktop user agent) and run through the
``Engine``. Reported per group: sessions, flagged as bot, the rate, which signals fired.

Then, because the bots are barely caught, the candidate trajectory features a rule could use
are measured on the same replayed streams: for each, the highest value any human group
reached, and the share of each bot group above it (what a rule with ~0% human false positives
would catch).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import report  # noqa: E402
from workbench import corpora  # noqa: E402

NOTES = (
    "DELBOT bot files are one mouse drag of 1-15 s: 1-5 batches, one click, no scroll, no form, no hover, a "
    "browser user agent, so the 8.1 rules (action timing, batch rates, connection-only, user agent) and the 8.2 "
    "rules (IP, linear scroll, instant navigation, hover bursts, ghost submits) have nothing to fire on. What does "
    "separate these libraries in the raw files is event timing (pynput's fixed waits, pyHM's regular bursts: the "
    "corpora README measures CV < 0.1 inside movement bursts for 9% / 38% of them and 0% of humans), and the "
    "producer's 20 Hz sample-and-hold erases exactly that. The trajectory features left after resampling overlap "
    "with real people (see trajectory_candidates): a rule at the human maximum would catch almost nothing, so none "
    "was added."
)


def trajectory_features(rec: corpora.Recording) -> dict[str, float]:
    """Shape features of the replayed 20 Hz samples (what the engine could see)."""
    samples = [e for e in corpora.producer_events(rec) if e["type"] == "mouse"]
    t = np.array([e["timestamp"] for e in samples], dtype=float)
    x = np.array([e["data"]["x"] for e in samples], dtype=float)
    y = np.array([e["data"]["y"] for e in samples], dtype=float)
    dt, dx, dy = np.diff(t), np.diff(x), np.diff(y)
    step = np.hypot(dx, dy)
    moving = (dt <= 55) & (step >= 5)
    pairs = moving[:-1] & moving[1:]
    rel = np.abs(np.diff(step)) / np.maximum(step[:-1], 1)
    run = best = 0
    for ok in pairs & (rel < 0.05):  # consecutive samples moving the same distance: constant speed
        run = run + 1 if ok else 0
        best = max(best, run)
    accel = np.hypot(np.diff(dx), np.diff(dy))
    uniform = float(np.mean(accel[pairs] <= 1.5)) if pairs.sum() >= 5 else 0.0  # identical displacement vectors
    step_cv = float(step[moving].std() / step[moving].mean()) if moving.sum() >= 5 else float("inf")
    return {"constant_speed_run": float(best), "uniform_motion_share": uniform, "low_step_cv": -step_cv}


def candidates(groups: dict[str, list[corpora.Recording]]) -> dict[str, Any]:
    feats = {g: [trajectory_features(r) for r in recs] for g, recs in groups.items()}
    out: dict[str, Any] = {}
    for name in ("constant_speed_run", "uniform_motion_share", "low_step_cv"):
        human_max = max(f[name] for g in corpora.HUMAN_GROUPS for f in feats[g])
        out[name] = {"human_max": round(human_max, 3)} | {
            g: round(float(np.mean([f[name] > human_max for f in feats[g]])), 4) for g in corpora.BOT_GROUPS}
    return out


def main() -> None:
    if not corpora.available():
        print(f"skipped: {corpora.CORPORA_DIR} not present")
        return
    started = time.monotonic()
    skipped: list[corpora.Skipped] = []  # files too short to replay: counted, so the figures say what they cover
    groups = {g: corpora.recordings(g, skipped=skipped) for g in (*corpora.HUMAN_GROUPS, *corpora.BOT_GROUPS)}
    result = corpora.evaluate(r for recs in groups.values() for r in recs)
    humans = [result[g] for g in corpora.HUMAN_GROUPS]
    bots = [result[g] for g in corpora.BOT_GROUPS]
    human_sessions, human_flagged = sum(r["sessions"] for r in humans), sum(r["flagged"] for r in humans)
    figures: dict[str, Any] = {
        "human_fp_rate": round(human_flagged / human_sessions, 4),
        "human_sessions": human_sessions,
        "human_flagged": human_flagged,
        "skipped_recordings": len(skipped),
        "bot_detection_rate": round(sum(r["flagged"] for r in bots) / sum(r["sessions"] for r in bots), 4),
    }
    figures |= {f"fp_{g}": result[g]["rate"] for g in corpora.HUMAN_GROUPS}
    figures |= {f"detect_{g.removeprefix('circles_bot_')}": result[g]["rate"] for g in corpora.BOT_GROUPS}
    figures["per_group"] = result
    figures["trajectory_candidates"] = candidates(groups)
    figures["seconds"] = round(time.monotonic() - started, 1)
    figures["notes"] = NOTES
    report("botfilter", figures)


if __name__ == "__main__":
    main()
