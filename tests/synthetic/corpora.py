"""Loader for the shared real-mouse corpora (tests only; the data never enters the project).

The corpora live beside the repository in ``../shared/corpora`` (``/work/shared/corpora``
next to ``/work/main``; CI clones the project with ``shared`` alongside).  Formats are those
of the README.txt in each corpus folder:

* SapiMouse (Antal, Fejer, Buza 2021), ``sapimouse/raw/userN/session_<date>_{1min,3min}.csv``:
  header ``client timestamp,button,state,x,y``; integer ms; states Move/Drag/Pressed/Released.
* DELBOT-Mouse (Grandmont 2022), ``delbot/<folder>/<file>``: first line ``resolution:W,H``,
  then ``t_ms,event,x,y``; some files hold coordinates normalised to 0..1.

Tests call :func:`require_corpora` to skip cleanly when the folder is absent.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

CORPORA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
SAPIMOUSE_RAW = CORPORA_DIR / "sapimouse" / "raw"
DELBOT_DIR = CORPORA_DIR / "delbot"
SKIP_REASON = "../shared/corpora not present: real-human comparison needs the shared corpora"


@dataclass(frozen=True, eq=False)
class Recording:
    """One recorded session: time (ms, from 0), position (px) and press/release events."""

    name: str
    t: NDArray[np.float64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    #: times (ms, same origin as ``t``) of button presses
    presses: NDArray[np.float64]

    @property
    def duration_ms(self) -> float:
        return float(self.t[-1] - self.t[0]) if self.t.size else 0.0


def require_corpora(sub: Path = SAPIMOUSE_RAW) -> Path:
    """Return ``sub`` or skip the calling test when the shared corpora are absent."""
    import pytest

    if not sub.is_dir():
        pytest.skip(SKIP_REASON)
    return sub


def sapimouse_files(limit: int | None = None, seed: int = 0) -> list[Path]:
    """All SapiMouse session files (sorted), or a seeded sample of ``limit`` of them."""
    files = sorted(SAPIMOUSE_RAW.glob("user*/session_*.csv"))
    if limit is not None and limit < len(files):
        pick = np.random.default_rng(seed).choice(len(files), size=limit, replace=False)
        files = [files[i] for i in sorted(pick)]
    return files


def load_sapimouse(path: Path) -> Recording:
    """Read one SapiMouse CSV; every row with a position becomes a sample.

    Rows with a repeated timestamp keep the last position (the sampler would see that one).
    """
    ts: list[float] = []
    xs: list[float] = []
    ys: list[float] = []
    presses: list[float] = []
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or header[0].strip() != "client timestamp":
            raise ValueError(f"{path}: not a SapiMouse raw file")
        for row in reader:
            if len(row) < 5:
                continue
            t, x, y = float(row[0]), float(row[3]), float(row[4])
            if row[2] == "Pressed":
                presses.append(t)
            if ts and t == ts[-1]:
                xs[-1], ys[-1] = x, y
                continue
            if ts and t < ts[-1]:  # clock went backwards: drop the row
                continue
            ts.append(t)
            xs.append(x)
            ys.append(y)
    t0 = ts[0] if ts else 0.0
    return Recording(
        name=f"{path.parent.name}/{path.name}",
        t=np.asarray(ts, dtype=np.float64) - t0,
        x=np.asarray(xs, dtype=np.float64),
        y=np.asarray(ys, dtype=np.float64),
        presses=np.asarray(presses, dtype=np.float64) - t0,
    )


def delbot_files(folder: str) -> list[Path]:
    """Files of one DELBOT folder (e.g. ``circles_human_pc1``), sorted."""
    return sorted(p for p in (DELBOT_DIR / folder).glob("*") if p.is_file())


def load_delbot(path: Path) -> Recording:
    """Read one DELBOT trajectory; normalised coordinates are scaled by the resolution line."""
    lines = path.read_text().splitlines()
    if not lines or not lines[0].startswith("resolution:"):
        raise ValueError(f"{path}: missing resolution line")
    w, h = (float(v) for v in lines[0].split(":", 1)[1].split(","))
    rows = [ln.split(",") for ln in lines[1:] if ln.strip()]
    t = np.array([float(r[0]) for r in rows])
    x = np.array([float(r[2]) for r in rows])
    y = np.array([float(r[3]) for r in rows])
    presses = np.array([float(r[0]) for r in rows if r[1].startswith("Pressed")])
    ok = np.isfinite(x) & np.isfinite(y)
    t, x, y = t[ok], x[ok], y[ok]
    if x.size and max(np.abs(x).max(), np.abs(y).max()) <= 1.5:
        x, y = x * w, y * h
    t0 = t[0] if t.size else 0.0
    return Recording(name=f"{path.parent.name}/{path.name}", t=t - t0, x=x, y=y, presses=presses - t0)
