"""Real recorded mouse sessions, replayed as the EITP producer would have sent them (section 8 measured).

Reads the shared corpora that sit beside the repository (``../shared/corpora``, never copied
into the project; see its README.md):

* SapiMouse (Antal, Fejer, Buza 2021): 120 humans clicking targets in a browser game,
  ``sapimouse/raw/userN/session_*.csv`` (``client timestamp,button,state,x,y``).
* DELBOT-Mouse (Grandmont 2022): humans and bot libraries drawing a circle in a browser,
  ``delbot/<group>/<file>`` (``resolution:W,H`` then ``t_ms,event,x,y``; some files are
  normalised to 0..1; dotfiles such as ``.DS_Store`` are not recordings). The GAN group is left
  out: its timestamps never went through a browser.

Files are UTF-8 (a byte-order mark is allowed). A file that does not follow its format (a byte
that is not UTF-8, a row with a missing field or a value that is not a number, a resolution line
without both sizes) is a :class:`CorpusFileError` (a :class:`~workbench.errors.ConfigError`)
naming the file and the line, not a recording quietly left out. A well-formed file with fewer
than 2 pointer positions has nothing to replay: :func:`recordings` leaves it out and lists it in
``skipped``, for the caller to report.

:func:`producer_batches` turns one recording into what ``sites/producer/eitp-producer.js``
would have published for it: a ``connection`` event, a 20 Hz sampler that holds the latest
pointer position and emits a ``mouse`` sample only when the position changed (plus one stop
sample), with the producer's kinematic chain and rounding; ``mouse_pause``, ``circular_motion``
and ``direction_changes`` from the same rules; a ``click`` at every left-button release (the
browser fires ``click`` on mouseup) with ``rage_click`` bursts; batches flushed every 3 s, at
50 events, or early at 40 when a priority event waits; a desktop user agent and a
documentation-range IP, as the bridge would inject them. :func:`evaluate` runs recordings through
the :class:`~workbench.engine.core.Engine` and counts bot verdicts per group.
"""

from __future__ import annotations

import csv
import io
import math
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from workbench.config import EITPConfig
from workbench.errors import ConfigError

CORPORA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
DESKTOP_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/124.0.0.0 Safari/537.36")
MOBILE_UA = ("Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/124.0.0.0 Mobile Safari/537.36")
RESIDENTIAL_IP = "198.51.100.23"  # RFC 5737 documentation range: in no datacenter list
EPOCH_MS = 1_740_700_800_000.0  # recordings have arbitrary time origins; replay them from here

HUMAN_GROUPS = ("sapimouse", "circles_human_pc1", "circles_human_pc2", "circles_human_pc2_pad",
                "circles_human_vm", "circles_human_fast", "circles_human_tel")
BOT_GROUPS = ("circles_bot_pynput", "circles_bot_pyhm", "circles_bot_naturalmousemotion")
PRIORITY_TYPES = frozenset({"click", "rage_click", "form_submit", "text_selection_with_price",
                            "viewport_approach", "mouse_pause"})
#: the page's thresholds :func:`producer_batches` applies to a recording (the sampler, pauses, gestures and
#: rage clicks of :func:`producer_events`, and the batching), so a corpus sweep can vary them by producing the
#: batches again. Not ``signal.history_size``: the producer's gestures read only its last 10 samples.
PAGE_KEYS = frozenset({
    *(f"signal.{k}" for k in ("sampling_hz", "micro_movement_px_s", "dwell_ms", "inactivity_ms", "circularity",
                              "circle_min_radius_px", "zigzag_changes", "zigzag_min_move_px", "zigzag_debounce_ms",
                              "rage_clicks", "rage_window_ms")),
    *(f"transport.{k}" for k in ("batch_size", "flush_interval_ms", "priority_flush")),
})


@dataclass(frozen=True, eq=False)
class Recording:
    """One recorded session: raw pointer positions and left-button releases (ms from the first row)."""

    name: str
    group: str
    label: str  # "human" | "bot"
    t: NDArray[np.float64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    click_t: NDArray[np.float64]
    click_x: NDArray[np.float64]
    click_y: NDArray[np.float64]
    touch: bool = False

    @property
    def duration_ms(self) -> float:
        return float(self.t[-1] - self.t[0]) if self.t.size else 0.0


def available(root: Path = CORPORA_DIR) -> bool:
    return (root / "sapimouse" / "raw").is_dir() and (root / "delbot").is_dir()


def resolve_groups(spec: str) -> list[str]:
    """``"humans"``, ``"bots"``, ``"all"`` or group names, comma-separated -> the groups, in order, once each."""
    known = (*HUMAN_GROUPS, *BOT_GROUPS)
    named = {"humans": HUMAN_GROUPS, "bots": BOT_GROUPS, "all": known}
    groups: list[str] = []
    for word in (w.strip() for w in spec.split(",") if w.strip()):
        if word not in named and word not in known:
            raise ConfigError(f"--corpus: {word!r} is not a group; known: humans, bots, all, {', '.join(known)}")
        groups += named.get(word, (word,))
    if not groups:
        raise ConfigError(f"--corpus {spec!r} names no group; give humans, bots, all or group names, "
                          f"comma-separated: {', '.join(known)}")
    return list(dict.fromkeys(groups))


def label(group: str) -> str:
    """``"bot"`` for a bot library's group, else ``"human"``."""
    return "bot" if "_bot_" in group else "human"


def require() -> Path:
    """The corpora's folder (``CORPORA_DIR``, read when called); a :class:`ConfigError` when it is not there."""
    if not available(CORPORA_DIR):
        raise ConfigError(f"--corpus needs the shared corpora at {CORPORA_DIR}, which is not there")
    return CORPORA_DIR


@dataclass(frozen=True)
class Skipped:
    """A well-formed recording file left out: too little in it to replay."""

    group: str
    name: str
    why: str


def skipped_note(skipped: Iterable[Skipped], shown: int = 3) -> str:
    """One line saying which files were left out and why ("" when none were)."""
    files = list(skipped)
    if not files:
        return ""
    names = ", ".join(f.name for f in files[:shown]) + (f" and {len(files) - shown} more" if len(files) > shown
                                                        else "")
    reasons = "; ".join(dict.fromkeys(f.why for f in files))
    return f"left out {len(files)} recording file{'s' * (len(files) != 1)} ({reasons}): {names}"


class CorpusFileError(ConfigError, ValueError):
    """A recording file does not follow its format: a usage error (exit 2) naming the file and the line.
    Also a ``ValueError``, which is what the loaders raised for a file that was not theirs before."""


def _bad(path: Path, line: int | None, what: str) -> CorpusFileError:
    where = f"{path}, line {line}" if line is not None else str(path)
    return CorpusFileError(f"corpus file {where}: {what}")


def _text(path: Path) -> str:
    """The file as text: UTF-8, with or without a byte-order mark."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _bad(path, None, f"cannot be read ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise _bad(path, line, f"byte 0x{raw[exc.start]:02x} is not UTF-8 text (saved in another encoding?)") from None


def _number(path: Path, line: int, field: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _bad(path, line, f"{field} {text!r} is not a number") from None


def _recording(name: str, group: str, rows: list[tuple[float, str, float, float]], touch: bool = False,
               load_t: float | None = None) -> Recording:
    """Rows (t, state, x, y) in file order -> a Recording; clicks at left-button releases.

    ``load_t`` is when the page loaded on the file's clock (``None``: at the first row); the
    recording's times are counted from it."""
    rows = [r for r in rows if math.isfinite(r[0])]
    t0 = (rows[0][0] if rows else 0.0) if load_t is None else load_t
    ts: list[float] = []
    xs: list[float] = []
    ys: list[float] = []
    clicks: list[tuple[float, float, float]] = []
    last = (0.0, 0.0)
    for t, state, x, y in rows:
        finite = math.isfinite(x) and math.isfinite(y)
        if state == "release":
            clicks.append((t - t0, *(last if not finite else (x, y))))
        if not finite:
            continue
        last = (x, y)
        if ts and t - t0 < ts[-1]:
            continue  # the clock went backwards: the browser would not have reported it so
        if ts and t - t0 == ts[-1]:
            xs[-1], ys[-1] = x, y
            continue
        ts.append(t - t0)
        xs.append(x)
        ys.append(y)
    c = np.asarray(clicks, dtype=np.float64).reshape(-1, 3)
    return Recording(name, group, label(group), np.asarray(ts), np.asarray(xs),
                     np.asarray(ys), c[:, 0], c[:, 1], c[:, 2], touch)


SAPIMOUSE_FIELDS = ("client timestamp", "button", "state", "x", "y")
DELBOT_FIELDS = ("t_ms", "event", "x", "y")


def load_sapimouse(path: Path) -> Recording:
    """One SapiMouse raw file; a :class:`ConfigError` naming the line when it does not follow the format."""
    rows: list[tuple[float, str, float, float]] = []
    reader = csv.reader(io.StringIO(_text(path), newline=""))
    header = next(reader, None)
    if not header or header[0].strip() != SAPIMOUSE_FIELDS[0]:
        raise _bad(path, 1, f"not a SapiMouse raw file (its header must be {','.join(SAPIMOUSE_FIELDS)})")
    for row in reader:
        line = reader.line_num
        if not row:
            continue  # a blank line
        if len(row) != len(SAPIMOUSE_FIELDS):
            raise _bad(path, line, f"{len(row)} field{'s' * (len(row) != 1)}, expected {len(SAPIMOUSE_FIELDS)} "
                                   f"({','.join(SAPIMOUSE_FIELDS)})")
        t, x, y = (_number(path, line, SAPIMOUSE_FIELDS[i], row[i]) for i in (0, 3, 4))
        state = "release" if (row[1], row[2]) == ("Left", "Released") else "move"
        rows.append((t, state, x, y))
    return _recording(f"{path.parent.name}/{path.name}", "sapimouse", rows)


def load_delbot(path: Path) -> Recording:
    """One DELBOT file; a :class:`ConfigError` naming the line when it does not follow the format."""
    lines = [ln.removesuffix("\r") for ln in _text(path).split("\n")]
    if not lines[0].startswith("resolution:"):
        raise _bad(path, 1, "not a DELBOT file (its first line must be resolution:W,H)")
    size = lines[0].split(":", 1)[1].split(",")
    if len(size) != 2:
        raise _bad(path, 1, f"{lines[0]!r} must give both sizes, as resolution:W,H")
    w, h = (_number(path, 1, name, v) for name, v in zip(("width", "height"), size, strict=True))
    if not (math.isfinite(w) and math.isfinite(h) and w > 0 and h > 0):
        raise _bad(path, 1, f"{lines[0]!r}: the sizes must be positive numbers")
    raw: list[tuple[float, str, float, float]] = []
    for line, text in enumerate(lines[1:], start=2):
        if not text.strip():
            continue
        p = text.split(",")
        if len(p) != len(DELBOT_FIELDS):
            raise _bad(path, line, f"{len(p)} field{'s' * (len(p) != 1)}, expected {len(DELBOT_FIELDS)} "
                                   f"({','.join(DELBOT_FIELDS)})")
        t, x, y = (_number(path, line, DELBOT_FIELDS[i], p[i]) for i in (0, 2, 3))
        raw.append((t, p[1], x, y))
    coords = [abs(v) for _, _, x, y in raw for v in (x, y) if math.isfinite(v)]
    scale = (w, h) if coords and max(coords) <= 1.5 else (1.0, 1.0)
    rows: list[tuple[float, str, float, float]] = []
    pressed = released = False
    for t, event, x, y in raw:
        state = "move"
        pressed = pressed or event.startswith("Pressed")
        if event.startswith("Released") and pressed and not released:
            # One drag per file; its mouseup fires the click. A "Released" row before the press
            # is the end of a previous drag, recorded as the page opened: not a click.
            state, released = "release", True
        rows.append((t, state, x * scale[0], y * scale[1]))
    group = path.parent.name
    # t is event.timeStamp, relative to page load: the producer started (and sent "connection") then.
    load = min(0.0, raw[0][0]) if raw else 0.0
    return _recording(f"{group}/{path.name}", group, rows, touch=group.endswith("_tel"), load_t=load)


def recordings(group: str, *, root: Path = CORPORA_DIR, limit: int | None = None, seed: int = 0,
               skipped: list[Skipped] | None = None) -> list[Recording]:
    """All recordings of ``group`` (``sapimouse`` or a DELBOT folder), or a seeded sample of ``limit``.

    A file with fewer than 2 pointer positions has nothing to replay: it is left out, and appended to
    ``skipped`` (when given) so that the caller can say so. A malformed file is a :class:`ConfigError`."""
    folder = root / "sapimouse" / "raw" if group == "sapimouse" else root / "delbot" / group
    if not folder.is_dir():
        raise ConfigError(f"corpus group {group!r} has no folder at {folder}")
    if group == "sapimouse":
        files = sorted(folder.glob("user*/session_*.csv"))
    else:
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if limit is not None and limit < len(files):
        pick = np.random.default_rng(seed).choice(len(files), size=limit, replace=False)
        files = [files[i] for i in sorted(pick)]
    load = load_sapimouse if group == "sapimouse" else load_delbot
    kept: list[Recording] = []
    for path in files:
        rec = load(path)
        if rec.t.size >= 2:
            kept.append(rec)
        elif skipped is not None:
            skipped.append(Skipped(group, rec.name, "fewer than 2 pointer positions: nothing to replay"))
    return kept


# --- the producer, replayed --------------------------------------------------------------------

def _r1(v: float) -> float:
    return round(v * 10) / 10


def _ri(v: float) -> int:
    return int(math.floor(v + 0.5)) or 0  # JavaScript Math.round, and no -0


def _octant(dx: float, dy: float) -> int:
    return (_ri(math.atan2(dy, dx) / (math.pi / 4)) % 8 + 8) % 8


class _Sampler:
    """``sampleTick`` of the producer: kinematics, history, pauses and gestures on one tick."""

    def __init__(self, config: EITPConfig, emit: Any) -> None:
        self.s = config.signal
        self.emit = emit
        self.state: dict[str, float] | None = None
        self.last_emitted: dict[str, float] | None = None
        self.history: deque[dict[str, float]] = deque(maxlen=max(10, config.signal.history_size))
        self.count = 0
        self.last_circular = -math.inf
        self.last_zigzag = -math.inf
        self.pause: dict[str, Any] | None = None
        self.last_tick: float | None = None

    def tick(self, t: float, x: float, y: float, *, last_move: float, first_move: float | None) -> None:
        """One sampler tick at ``t``; ``last_move`` is the time of the latest raw pointer event and
        ``first_move`` the first one since the previous tick (``None`` if there was none)."""
        prev = self.state
        if prev is None:
            s = dict(x=x, y=y, t=t, vx=0.0, vy=0.0, ax=0.0, ay=0.0, jx=0.0, jy=0.0, speed=0.0, jerk=0.0)
        else:
            dt = (t - prev["t"]) / 1000
            vx, vy = (x - prev["x"]) / dt, (y - prev["y"]) / dt
            ax, ay = (vx - prev["vx"]) / dt, (vy - prev["vy"]) / dt
            jx, jy = (ax - prev["ax"]) / dt, (ay - prev["ay"]) / dt
            s = dict(x=x, y=y, t=t, vx=vx, vy=vy, ax=ax, ay=ay, jx=jx, jy=jy,
                     speed=math.hypot(vx, vy), jerk=math.hypot(jx, jy))
        self.state = s
        le = self.last_emitted
        moved = le is None or x != le["x"] or y != le["y"]
        if moved or (le is not None and le["speed"] > 0):
            self.last_emitted = s
            self.history.append(s)
            self.count += 1
            self.emit("mouse", t, {k: (_r1(s[k]) if k in "xy" else _ri(s[k]))
                                   for k in ("x", "y", "vx", "vy", "ax", "ay", "jx", "jy", "speed", "jerk")})
            if moved:
                self._gestures(t)
        self._pause(s, t, moved, last_move, first_move)
        self.last_tick = t

    def _pause(self, s: dict[str, float], t: float, moved: bool, last_move: float, first_move: float | None) -> None:
        # updatePause: the pause's ends come from the raw pointer times, not from the ticks
        if s["speed"] < self.s.micro_movement_px_s:
            if self.pause is None:
                start = self.last_tick if (moved and self.last_tick is not None) else min(t, last_move or t)
                self.pause = {"start": start, "x": s["x"], "y": s["y"], "reported": False}
            if not self.pause["reported"] and t - self.pause["start"] >= self.s.inactivity_ms:
                self._emit_pause(t, t - self.pause["start"], inactive=True)
        elif self.pause is not None:
            end = first_move if first_move is not None else t
            self.end_pause(t, max(end, self.pause["start"]))

    def end_pause(self, at: float, end: float | None = None) -> None:
        """The pause ends at ``end`` (default ``at``); a report, if due, is tracked at ``at``."""
        p = self.pause
        end = at if end is None else end
        if p is not None and not p["reported"] and end - p["start"] > self.s.dwell_ms:
            self._emit_pause(at, end - p["start"], inactive=False)
        self.pause = None

    def _emit_pause(self, t: float, duration: float, *, inactive: bool) -> None:
        assert self.pause is not None
        self.pause["reported"] = True
        data: dict[str, Any] = {"duration": _ri(duration), "x": _r1(self.pause["x"]), "y": _r1(self.pause["y"]),
                                "viewport": {"relX": 0.5, "relY": 0.5}}
        if inactive:
            data["inactive"] = True
        self.emit("mouse_pause", t, data)

    def _gestures(self, t: float) -> None:
        if len(self.history) < 10:
            return
        w = list(self.history)[-10:]
        duration = w[-1]["t"] - w[0]["t"]
        if self.count - self.last_circular >= 10:
            cx = sum(p["x"] for p in w) / len(w)
            cy = sum(p["y"] for p in w) / len(w)
            radii = [math.hypot(p["x"] - cx, p["y"] - cy) for p in w]
            avg = sum(radii) / len(radii)
            circ = max(0.0, 1 - (sum((r - avg) ** 2 for r in radii) / len(radii)) / avg ** 2) if avg > 0 else 0.0
            # the producer's extra guards (one-way turn, half a sweep, 4 octants) only matter for a candidate
            if circ > self.s.circularity and avg > self.s.circle_min_radius_px:
                angles = [math.atan2(p["y"] - cy, p["x"] - cx) for p in w]
                octs = {(_ri(a / (math.pi / 4)) % 8 + 8) % 8 for a in angles}
                swept = pos = neg = 0.0
                for a, b in zip(angles, angles[1:], strict=False):
                    da = (b - a + math.pi) % (2 * math.pi) - math.pi
                    swept += da
                    pos += da > 0
                    neg += da < 0
                if abs(swept) >= math.pi and len(octs) >= 4 and max(pos, neg) >= 0.8 * (len(w) - 1):
                    self.last_circular = self.count
                    self.emit("circular_motion", t, {"circularity": round(circ, 2), "radius": _ri(avg),
                                                     "duration": _ri(duration)})
        if t - self.last_zigzag >= self.s.zigzag_debounce_ms:
            changes, last_oct, anchor, speed_sum = 0, None, w[0], 0.0
            for p in w[1:]:
                speed_sum += p["speed"]
                dx, dy = p["x"] - anchor["x"], p["y"] - anchor["y"]
                if math.hypot(dx, dy) < self.s.zigzag_min_move_px:
                    continue
                oct_ = _octant(dx, dy)
                if last_oct is not None and oct_ != last_oct:
                    changes += 1
                last_oct, anchor = oct_, p
            if changes > self.s.zigzag_changes:
                self.last_zigzag = t
                self.emit("direction_changes", t, {"count": changes, "duration": _ri(duration),
                                                   "avgSpeed": _ri(speed_sum / (len(w) - 1))})


def producer_events(rec: Recording, config: EITPConfig | None = None, *, t0: float = EPOCH_MS,
                    user_agent: str = DESKTOP_UA, section: str = "main") -> list[dict[str, Any]]:
    """The event stream the producer would have tracked for ``rec``, in tracking order."""
    config = config or EITPConfig()
    sig = config.signal
    events: list[dict[str, Any]] = []

    def emit(kind: str, ts: float, data: dict[str, Any]) -> None:
        events.append({"type": kind, "timestamp": _ri(t0 + ts), "currentSection": section, "data": data})

    emit("connection", 0.0, {"userAgent": user_agent, "viewport": {"width": 1536, "height": 864}, "referrer": ""})
    sampler = _Sampler(config, emit)
    period = 1000 / sig.sampling_hz
    end = float(rec.t[-1]) + 2 * period
    ticks = np.arange(period, end + period, period)
    raw_idx = np.searchsorted(rec.t, ticks, side="right") - 1
    click_order = np.argsort(rec.click_t, kind="stable")
    ci = 0
    recent: list[tuple[float, float, float]] = []
    burst, last_click = False, -math.inf
    prev_i = -1
    for tick, i in zip(ticks.tolist(), raw_idx.tolist(), strict=True):
        while ci < click_order.size and rec.click_t[click_order[ci]] <= tick:
            k = click_order[ci]
            ct, cx, cy = float(rec.click_t[k]), float(rec.click_x[k]), float(rec.click_y[k])
            st = sampler.state or {"speed": 0.0, "jerk": 0.0}
            emit("click", ct, {"x": _r1(cx), "y": _r1(cy),
                               "target": {"tag": "canvas" if rec.group != "sapimouse" else "div", "class": "",
                                          "id": "", "text": ""},
                               "mouseVelocity": _ri(st["speed"]), "mouseJerk": _ri(st["jerk"])})
            if ct - last_click > sig.rage_window_ms:
                burst = False
            last_click = ct
            recent = [c for c in recent + [(ct, cx, cy)] if ct - c[0] <= sig.rage_window_ms]
            if not burst and len(recent) >= sig.rage_clicks:
                burst = True
                xs, ys = [c[1] for c in recent], [c[2] for c in recent]
                emit("rage_click", ct, {"count": len(recent), "area": _ri((max(xs) - min(xs)) * (max(ys) - min(ys)))})
            ci += 1
        if i < 0:
            continue  # no pointer position yet: the producer's sampler waits for the first move
        first_move = float(rec.t[prev_i + 1]) if i > prev_i else None
        sampler.tick(tick, float(rec.x[i]), float(rec.y[i]), last_move=float(rec.t[i]), first_move=first_move)
        prev_i = i
    if rec.touch:
        sampler.end_pause(end)  # the finger lifts: the cursor leaves the document
    events.sort(key=lambda e: e["timestamp"])  # stable: same-time events keep tracking order
    return events


def producer_batches(rec: Recording, config: EITPConfig | None = None, *, session_id: str | None = None,
                     tenant_id: str = "org_corpora", t0: float = EPOCH_MS, user_agent: str | None = None,
                     ip: str = RESIDENTIAL_IP) -> list[dict[str, Any]]:
    """Section 4.3 batches (as the bridge forwards them) for one recording."""
    config = config or EITPConfig()
    tr = config.transport
    ua = user_agent or (MOBILE_UA if rec.touch else DESKTOP_UA)
    sid = session_id or "sq_" + rec.name.replace("/", "_").replace(".", "_")
    events = producer_events(rec, config, t0=t0, user_agent=ua)
    batches: list[dict[str, Any]] = []

    def flush(buffer: list[dict[str, Any]], at: float) -> None:
        for i in range(0, len(buffer), tr.batch_size):
            batches.append({"type": "telemetry_batch", "events": buffer[i:i + tr.batch_size], "sessionId": sid,
                            "tenantId": tenant_id, "vertical": "corpus", "pageContent": None,
                            "timestamp": _ri(at), "ip": ip, "userAgent": ua})

    buffer: list[dict[str, Any]] = []
    priority = 0
    next_flush = t0 + tr.flush_interval_ms
    for e in events:
        while e["timestamp"] >= next_flush:
            if buffer:
                flush(buffer, next_flush)
                buffer, priority = [], 0
            next_flush += tr.flush_interval_ms
        buffer.append(e)
        priority += e["type"] in PRIORITY_TYPES
        if len(buffer) >= tr.batch_size or (priority and len(buffer) >= tr.priority_flush):
            flush(buffer, e["timestamp"])
            buffer, priority = [], 0
    if buffer:
        flush(buffer, buffer[-1]["timestamp"])  # pagehide
    return batches


# --- measuring the bot filter -------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    name: str
    group: str
    label: str
    flagged: bool
    signals: tuple[str, ...]
    events: int


def run_session(rec: Recording, config: EITPConfig | None = None) -> Outcome:
    """Replay one recording through a fresh engine; flagged when any verdict said ``bot``."""
    from workbench.engine.core import BotOut, Engine

    config = config or EITPConfig()
    engine = Engine(config)
    batches = producer_batches(rec, config)
    outputs = [o for b in batches for o in engine.ingest(b)]
    outputs += engine.close_session(batches[0]["sessionId"], at=batches[-1]["timestamp"]) if batches else []
    verdicts = [o.verdict for o in outputs if isinstance(o, BotOut)]
    bot = [v for v in verdicts if v.classification == "bot"]
    return Outcome(rec.name, rec.group, rec.label, bool(bot), bot[0].signals if bot else (),
                   sum(len(b["events"]) for b in batches))


def evaluate(recs: Iterable[Recording], config: EITPConfig | None = None) -> dict[str, dict[str, Any]]:
    """Per group: sessions, how many were flagged as bots, the rate, and which signals fired."""
    by_group: dict[str, dict[str, Any]] = {}
    for outcome in (run_session(r, config) for r in recs):
        g = by_group.setdefault(outcome.group, {"label": outcome.label, "sessions": 0, "flagged": 0, "signals": {}})
        g["sessions"] += 1
        g["flagged"] += outcome.flagged
        for s in outcome.signals:
            g["signals"][s] = g["signals"].get(s, 0) + 1
    for g in by_group.values():
        g["rate"] = round(g["flagged"] / g["sessions"], 4) if g["sessions"] else 0.0
    return by_group


def iter_groups(groups: Iterable[str], *, limit: int | None = None, seed: int = 0,
                root: Path = CORPORA_DIR, skipped: list[Skipped] | None = None) -> Iterator[Recording]:
    """:func:`recordings` of each group in turn; ``skipped`` collects the files left out."""
    for group in groups:
        yield from recordings(group, root=root, limit=limit, seed=seed, skipped=skipped)
