"""Aggregate intelligence across sessions: the feedback loop (section 7.6) and global intelligence (5.9).

Pure and in event time. Feed every classified emotion with :meth:`Intelligence.add` and
each intervention outcome with :meth:`Intelligence.add_outcome`; every 60 s of event time a
cycle runs, per tenant (section 10.4: each tenant's loop runs on its own events and clock).
Event times come from visitors' browsers, whose clocks disagree, so one call runs at most one
catch-up cycle, stamped when it was due, and the next is due one cycle after it: a visitor whose
clock is a day ahead costs one early cycle, not 1440 at once followed by a day without any.
(The price: after a long quiet spell the tenant's cycles catch up one per event.) A cycle:

* groups by (tenant, vertical, emotion, section, geography), each with a Wilson lower
  bound on its success rate, a 24 h vs 7-day spike ratio, a z-score of this cycle's count
  against the group's previous cycles, and a trend against the previous cycle;
* validated patterns (n >= 10) go to the tenant's knowledge store that the LLM prompt draws on,
  and to ``on_knowledge(cycle_time, patterns)`` when given (the pipeline records them in SQLite);
  a tenant's packets carry only what its own sessions taught (section 5.9: "for a tenant"),
  including patterns validated in two or more of its verticals (``transferablePatterns``);
* per tenant, the Emotional Volatility Index (EVI): over the last 5 minutes, the mean
  distress of each active session's latest state (negative 1.0, cognitive 0.7, mixed 0.4,
  positive 0) times its intensity; its trend, percentile against the tenant's EVI history,
  anomaly (|z| > 2) with severity, a 30-minute prediction by least squares over the recent
  EVI series, and contagion: geographies whose EVI started rising right after another's did.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.consumer.stats import is_anomaly, spike_ratio, trend, wilson_lower_bound, z_score
from workbench.protocol.taxonomy import category

CYCLE_MS = 60_000
EVI_WINDOW_MS = 300_000
DAY_MS = 86_400_000
MIN_SAMPLE = 10
DISTRESS = {"negative": 1.0, "cognitive": 0.7, "mixed": 0.4, "positive": 0.0}


@dataclass(frozen=True)
class EmotionalEvent:
    tenant: str
    vertical: str
    session: str
    emotion: str
    section: str
    geo: str
    timestamp: float
    intensity: float = 0.5
    success: bool | None = None  # an intervention outcome, when known


Group = tuple[str, str, str, str, str]  # tenant, vertical, emotion, section, geo
KnowledgeListener = Callable[[float, list[dict[str, Any]]], None]


@dataclass
class _GroupState:
    times: deque[float] = field(default_factory=deque)  # last 7 days of event times
    successes: int = 0
    outcomes: int = 0
    cycle_counts: list[int] = field(default_factory=list)
    current: int = 0


class Intelligence:
    def __init__(self, *, cycle_ms: int = CYCLE_MS, min_sample: int = MIN_SAMPLE,
                 on_knowledge: KnowledgeListener | None = None) -> None:
        self.cycle_ms = cycle_ms
        self.min_sample = min_sample
        self.on_knowledge = on_knowledge
        self.groups: dict[Group, _GroupState] = defaultdict(_GroupState)
        self.latest: dict[tuple[str, str], EmotionalEvent] = {}  # (tenant, session) -> latest state
        self.evi_history: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.geo_evi: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.knowledge_of: dict[str, list[dict[str, Any]]] = {}  # tenant -> its validated patterns
        self.next_cycle: dict[str, float] = {}  # tenant -> when its next cycle is due

    @property
    def knowledge(self) -> list[dict[str, Any]]:
        """Every tenant's validated patterns; a tenant's own are :attr:`knowledge_of` ``[tenant]``."""
        return [p for patterns in self.knowledge_of.values() for p in patterns]

    # --- input ----------------------------------------------------------------------------
    def add(self, event: EmotionalEvent) -> None:
        due = self.next_cycle.get(event.tenant)
        if due is None:
            self.next_cycle[event.tenant] = event.timestamp + self.cycle_ms
        elif event.timestamp >= due:  # one catch-up cycle at most, and the next one after it (see above)
            self.cycle(due, tenant=event.tenant)
            self.next_cycle[event.tenant] = due + self.cycle_ms
        g = self.groups[(event.tenant, event.vertical, event.emotion, event.section, event.geo)]
        g.times.append(event.timestamp)
        g.current += 1
        if event.success is not None:
            g.outcomes += 1
            g.successes += int(event.success)
        self.latest[(event.tenant, event.session)] = event

    def add_outcome(self, tenant: str, session: str, emotion: str, section: str, success: bool) -> bool:
        """An intervention's outcome, for the group of the packet it answered (its Wilson confidence).

        The session's vertical and geography are those of its latest emotional event; the outcome
        is not an occurrence, so the sample size does not change. False when the session was never
        seen (nothing to attribute it to).
        """
        latest = self.latest.get((tenant, session))
        if latest is None:
            return False
        g = self.groups[(tenant, latest.vertical, emotion, section, latest.geo)]
        g.outcomes += 1
        g.successes += int(success)
        return True

    # --- the 60 s cycle -------------------------------------------------------------------
    def cycle(self, now: float, *, tenant: str | None = None) -> list[dict[str, Any]]:
        """Score the tenant's groups (every tenant's when None), refresh its knowledge store and EVI
        series; return the patterns."""
        tenants = ({key[0] for key in self.groups} | {t for t, _ in self.latest}) if tenant is None else {tenant}
        patterns = []
        for key, g in self.groups.items():
            if key[0] not in tenants:
                continue
            while g.times and now - g.times[0] > 7 * DAY_MS:
                g.times.popleft()
            recent = sum(1 for t in g.times if now - t <= DAY_MS)
            previous = g.cycle_counts[-1] if g.cycle_counts else 0
            pattern: dict[str, Any] = {
                "tenant": key[0], "vertical": key[1], "emotion": key[2], "section": key[3], "geo": key[4],
                "sample_size": len(g.times),
                "confidence": round(100 * wilson_lower_bound(g.successes, g.outcomes), 1),
                "spike": spike_ratio(recent, len(g.times)) > 1.5 if len(g.times) > recent else False,
                "anomaly": is_anomaly(g.current, g.cycle_counts),
                "z": round(z_score(g.current, g.cycle_counts), 2),
                "trend": trend(g.current, previous),
            }
            g.cycle_counts.append(g.current)
            g.current = 0
            patterns.append(pattern)
        validated = [p for p in patterns if p["sample_size"] >= self.min_sample]
        for t in sorted(tenants):
            self.knowledge_of[t] = [p for p in validated if p["tenant"] == t]
        if validated and self.on_knowledge is not None:
            self.on_knowledge(now, [dict(p) for p in validated])
        for t in sorted(tenants & {k[0] for k in self.latest}):
            self.evi_history[t].append((now, self.evi(t, now)))
            for geo in {e.geo for (u, _), e in self.latest.items() if u == t}:
                self.geo_evi[(t, geo)].append(self.evi(t, now, geo=geo))
        return patterns

    # --- section 5.9 ----------------------------------------------------------------------
    def evi(self, tenant: str, now: float, *, geo: str | None = None) -> float:
        states = [e for (t, _), e in self.latest.items()
                  if t == tenant and now - e.timestamp <= EVI_WINDOW_MS and (geo is None or e.geo == geo)]
        if not states:
            return 0.0
        return float(np.mean([DISTRESS[category(e.emotion)] * e.intensity for e in states]))

    def global_intelligence(self, tenant: str, now: float) -> dict[str, Any] | None:
        """The packet's ``globalIntelligence`` dimension, or None before the first cycle."""
        series = self.evi_history.get(tenant)
        if not series:
            return None
        values = [v for _, v in series]
        current = self.evi(tenant, now)
        history = values[:-1] if len(values) > 1 else values
        z = z_score(current, history)
        severity = "none" if abs(z) <= 2 else "low" if abs(z) <= 3 else "medium" if abs(z) <= 4 else "high"
        predicted, direction, confidence = self._predict(series)
        return {
            "evi": round(current, 3),
            "trend": {"increasing": "rising", "decreasing": "falling"}.get(trend(current, values[-2] if len(values) > 1
                                                                             else current), "stable"),
            "percentile": round(100 * float(np.mean([v <= current for v in values])), 1),
            "isAnomaly": abs(z) > 2,
            "anomalySeverity": severity,
            "predictedEvi": predicted,
            "predictedDirection": direction,
            "predictionConfidence": confidence,
            "contagion": self._contagion(tenant),
            "transferablePatterns": self.transferable_patterns(tenant),
        }

    def _predict(self, series: list[tuple[float, float]]) -> tuple[float, str, float]:
        """Least-squares line over the last 10 EVI points, 30 minutes ahead; confidence = R² x coverage."""
        recent = series[-10:]
        if len(recent) < 3:
            return round(recent[-1][1], 3), "flat", 0.0
        t = np.array([p[0] for p in recent]) / 60_000.0
        v = np.array([p[1] for p in recent])
        slope, intercept = np.polyfit(t, v, 1)
        fitted = slope * t + intercept
        ss_res, ss_tot = float(np.sum((v - fitted) ** 2)), float(np.sum((v - v.mean()) ** 2))
        r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0
        predicted = float(np.clip(slope * (t[-1] + 30) + intercept, 0.0, 1.0))
        direction = "up" if slope > 1e-4 else "down" if slope < -1e-4 else "flat"
        return round(predicted, 3), direction, round(max(0.0, r2) * min(1.0, len(recent) / 10), 2)

    def _contagion(self, tenant: str) -> dict[str, Any] | None:
        """A geography that started rising this cycle right after another started rising the cycle before."""
        def rising(values: list[float], back: int) -> bool:
            if len(values) < back + 2:
                return False
            now, before = values[-1 - back], values[-2 - back]
            return now > 0 and trend(now, before) == "increasing"

        geos = {g: v for (t, g), v in self.geo_evi.items() if t == tenant}
        sources = [g for g, v in geos.items() if rising(v, 1)]
        spread = [g for g, v in geos.items() if rising(v, 0) and not rising(v, 1) and g not in sources]
        if not sources or not spread:
            return None
        return {"sources": sorted(sources), "spreadTo": sorted(spread), "lagMs": self.cycle_ms}

    def transferable_patterns(self, tenant: str) -> list[dict[str, Any]]:
        """(emotion, section) patterns validated in two or more of the tenant's verticals, from its own sessions."""
        seen: dict[tuple[str, str], set[str]] = defaultdict(set)
        for p in self.knowledge_of.get(tenant, []):
            seen[(p["emotion"], p["section"])].add(p["vertical"])
        return [{"emotion": e, "section": s, "verticals": sorted(v)}
                for (e, s), v in sorted(seen.items()) if len(v) > 1]
