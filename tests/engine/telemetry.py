"""A scripted visitor that writes producer-shaped telemetry (sites/producer/eitp-producer.js).

Tests describe a visit step by step (move, pause, hover a CTA, scroll, click, switch tabs...)
and get the section 4.3 batches the producer would have sent: 20 Hz ``mouse`` samples with
the producer's kinematic chain (a stop sample when the cursor comes to rest), ``mouse_pause``
when a rest longer than 500 ms ends, proximity enter / hover / leave with ``elementId`` and
``dwellMs``, and batches flushed every 3 s.
"""

from __future__ import annotations

import math
from typing import Any

from workbench.engine.core import BotOut, Engine, PacketOut

T0 = 1_740_700_800_000
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
RESIDENTIAL_IP = "198.51.100.7"
TICK = 50


class Visit:
    def __init__(self, *, section: str = "hero", session: str = "sq_1740700800000_visit", tenant: str = "org_test",
                 t0: float = T0, user_agent: str = UA, ip: str = RESIDENTIAL_IP, x: float = 600, y: float = 400,
                 page_content: dict[str, Any] | None = None) -> None:
        self.t = float(t0)
        self.t0 = float(t0)
        self.section = section
        self.session, self.tenant, self.user_agent, self.ip = session, tenant, user_agent, ip
        self.page_content = page_content
        self.x, self.y = float(x), float(y)
        self.depth: float | None = None
        self.events: list[dict[str, Any]] = []
        self._k = {"vx": 0.0, "vy": 0.0, "ax": 0.0, "ay": 0.0}
        self.emit("connection", userAgent=user_agent, viewport={"width": 1440, "height": 900}, referrer="")

    # --- primitives -------------------------------------------------------------------------
    def emit(self, kind: str, *, at: float | None = None, section: str | None = None, **data: Any) -> Visit:
        self.events.append({"type": kind, "timestamp": round(self.t if at is None else at),
                            "currentSection": section or self.section, "data": data})
        return self

    def _sample(self, x: float, y: float) -> None:
        dt = TICK / 1000
        vx, vy = (x - self.x) / dt, (y - self.y) / dt
        ax, ay = (vx - self._k["vx"]) / dt, (vy - self._k["vy"]) / dt
        jx, jy = (ax - self._k["ax"]) / dt, (ay - self._k["ay"]) / dt
        self._k = {"vx": vx, "vy": vy, "ax": ax, "ay": ay}
        self.x, self.y = x, y
        self.t += TICK
        self.emit("mouse", x=round(x, 1), y=round(y, 1), vx=round(vx), vy=round(vy), ax=round(ax), ay=round(ay),
                  jx=round(jx), jy=round(jy), speed=round(math.hypot(vx, vy)), jerk=round(math.hypot(jx, jy)))

    def move(self, x: float, y: float, ms: float = 600, *, section: str | None = None, wobble: float = 0.0) -> Visit:
        """A minimum-jerk stroke to (x, y) in ``ms``, then the producer's stop sample."""
        if section:
            self.section = section
        x0, y0 = self.x, self.y
        n = max(2, round(ms / TICK))
        for i in range(1, n + 1):
            s = i / n
            p = 10 * s**3 - 15 * s**4 + 6 * s**5
            w = wobble * math.sin(math.pi * s * 3)
            self._sample(x0 + (x - x0) * p + w, y0 + (y - y0) * p - w)
        self._sample(self.x, self.y)  # stop sample (speed 0)
        return self

    def drift(self, ms: float, *, speed: float = 40.0) -> Visit:
        """Slow, steady reading movement (left to right) for ``ms``."""
        for _ in range(round(ms / TICK)):
            self._sample(self.x + speed * TICK / 1000, self.y)
        return self

    def rest(self, ms: float) -> Visit:
        """The cursor rests: no samples. The producer reports a ``mouse_pause`` (> 500 ms) when the
        rest ends, or at 5 s (``inactive``) if it lasts that long."""
        start = self.t
        self.t += ms
        if ms >= 5000:
            self.emit("mouse_pause", at=start + 5000, duration=5000, x=self.x, y=self.y,
                      viewport={"relX": 0.4, "relY": 0.4}, inactive=True)
        elif ms > 500:
            self.emit("mouse_pause", duration=round(ms), x=self.x, y=self.y, viewport={"relX": 0.4, "relY": 0.4})
        self._k = {"vx": 0.0, "vy": 0.0, "ax": 0.0, "ay": 0.0}
        return self

    def idle(self, ms: float) -> Visit:
        """Time passes with nothing tracked at all (cursor outside, reading on a phone...)."""
        self.t += ms
        return self

    def goto(self, section: str) -> Visit:
        self.section = section
        return self

    # --- section 3 trackers ---------------------------------------------------------------------
    def near(self, kind: str, element_id: str, *, dwell_ms: float = 1200, hover: bool = True, click: bool = False,
             pause_ms: float = 0, x: float | None = None, y: float | None = None, move_ms: float = 400,
             **extra: Any) -> Visit:
        """Approach an element (3.5): enter, maybe hover (and pause, and click), then leave."""
        self.move(x if x is not None else self.x + 120, y if y is not None else self.y, move_ms)
        entered = self.t
        self.emit(f"{kind}_proximity_enter", distance=30, over=False, element_type=kind, elementId=element_id,
                  intent="high", signals={"hasDiscount": False, "hasTrial": False, "hasUrgency": False}, **extra)
        if hover:
            self.move(self.x + 15, self.y + 5, 150)
            self.emit(f"{kind}_hover", over=True, element_type=kind, elementId=element_id, meta={})
        if pause_ms:
            self.rest(pause_ms)
        remaining = dwell_ms - (self.t - entered)
        if remaining > 0:
            self.drift(remaining, speed=30)
        if click:
            self.click(tag="button", cls="btn cta", text="Buy", id=element_id)
        self.move(self.x - 260, self.y + 120, move_ms)
        self.emit(f"{kind}_proximity_leave", element_type=kind, elementId=element_id, dwellMs=round(self.t - entered))
        return self

    def click(self, *, tag: str = "button", cls: str = "", text: str = "", id: str = "") -> Visit:
        self.t += 120
        return self.emit("click", x=self.x, y=self.y, target={"tag": tag, "class": cls, "id": id, "text": text},
                         mouseVelocity=0, mouseJerk=0)

    def rage(self, n: int = 4, *, tag: str = "button", text: str = "Check availability") -> Visit:
        first = self.t
        for i in range(n):
            self.t = first + 110 * (i + 1)
            self.emit("click", x=self.x, y=self.y, target={"tag": tag, "class": "", "id": "", "text": text},
                      mouseVelocity=0, mouseJerk=0)
            if i == 2:
                self.emit("rage_click", count=3, area=40)
        return self

    def scroll(self, depths: list[float], *, every_ms: float = 400, speed: float = 800.0) -> Visit:
        for d in depths:
            self.t += every_ms
            direction = "up" if self.depth is not None and d < self.depth else "down"
            self.emit("scroll", depth=d, maxDepth=d, velocity=speed if direction == "down" else -speed,
                      direction=direction)
            self.depth = d
        return self

    def tab_away(self, ms: float) -> Visit:
        self.emit("tab_switch", action="away", activeTime=round(self.t - self.t0))
        self.t += ms
        self.emit("tab_switch", action="return", awayDuration=round(ms), totalSwitches=1)
        if ms > 30_000:
            self.emit("long_tab_return", awayDuration=round(ms), sessionTime=round(self.t - self.t0))
        return self

    def field(self, name: str, ms: float, *, has_value: bool, kind: str = "text") -> Visit:
        self.t += 200
        self.emit("form_focus", type=kind, name=name, id=name)
        self.t += ms
        return self.emit("form_blur", type=kind, name=name, id=name, duration=round(ms), hasValue=has_value)

    def submit(self, form_id: str = "lead-form") -> Visit:
        self.t += 300
        return self.emit("form_submit", id=form_id, action="/lead", method="POST")

    def select(self, text: str, *, price: str | None = None) -> Visit:
        self.t += 400
        self.emit("text_selection", text=text, length=len(text), hasPrice=price is not None)
        if price:
            self.emit("text_selection_with_price", text=text, price=price, length=len(text))
        return self

    def exit_intent(self) -> Visit:
        self.move(self.x, 60, 250)
        return self.emit("viewport_approach", edge="top", distance=40, velocity=900, vector={"vx": 0, "vy": -900})

    def circle(self, radius: float = 60, ms: float = 1000) -> Visit:
        cx, cy = self.x - radius, self.y
        n = round(ms / TICK)
        for i in range(1, n + 1):
            a = 2 * math.pi * i / n
            self._sample(cx + radius * math.cos(a), cy + radius * math.sin(a))
        return self.emit("circular_motion", circularity=0.93, radius=round(radius), duration=round(ms))

    def zigzag(self, n: int = 10, amplitude: float = 80) -> Visit:
        for i in range(n):
            self._sample(self.x + (amplitude if i % 2 == 0 else -amplitude), self.y + (30 if i % 3 else -30))
        return self.emit("direction_changes", count=n - 2, duration=n * TICK, avgSpeed=3000)

    def comparison(self, tiers: tuple[str, ...] = ("Base", "Adventure", "Ultimate")) -> Visit:
        return self.emit("pricing_comparison", tier_count=len(tiers), tiers=list(tiers),
                         elementIds=[f"tier-{t.lower()}" for t in tiers])

    # --- output -----------------------------------------------------------------------------------
    def batches(self, every_ms: float = 3000) -> list[dict[str, Any]]:
        """Section 4.3 batches, flushed every ``every_ms`` of event time, as the bridge forwards them."""
        events = sorted(self.events, key=lambda e: e["timestamp"])
        out: list[dict[str, Any]] = []
        start = self.t0
        chunk: list[dict[str, Any]] = []
        for e in events:
            while e["timestamp"] >= start + every_ms:
                if chunk:
                    out.append(self._batch(chunk, start + every_ms))
                chunk, start = [], start + every_ms
            chunk.append(e)
        if chunk:
            out.append(self._batch(chunk, chunk[-1]["timestamp"]))
        return out

    def _batch(self, events: list[dict[str, Any]], ts: float) -> dict[str, Any]:
        return {"type": "telemetry_batch", "events": events, "sessionId": self.session, "tenantId": self.tenant,
                "vertical": "rv_dealer", "pageContent": self.page_content, "timestamp": round(ts),
                "userAgent": self.user_agent, "ip": self.ip}


def run(batches: list[dict[str, Any]], engine: Engine | None = None) -> tuple[list[dict[str, Any]], list[BotOut]]:
    """Every batch through one engine, then the session closed: (packets, bot outputs)."""
    engine = engine or Engine()
    out = [o for b in batches for o in engine.ingest(b)] + engine.close_all()
    return [o.packet for o in out if isinstance(o, PacketOut)], [o for o in out if isinstance(o, BotOut)]
