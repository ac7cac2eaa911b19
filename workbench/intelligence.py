"""Aggregate intelligence across sessions: the feedback loop (section 7.6) and global intelligence (5.9).

Pure and in event time. Feed every classified emotion with :meth:`Intelligence.add`, each
intervention outcome with :meth:`Intelligence.add_outcome`, and a settled outcome that changed
with :meth:`Intelligence.revise_outcome` (charged to the group it was counted in); every 60 s
of event time a cycle runs, per tenant (section 10.4: each tenant's loop runs on its own
events and clock).
Event times come from visitors' browsers, whose clocks disagree, so one call runs at most one
catch-up cycle, stamped when it was due, and the next is due one cycle after it: a visitor whose
clock is a day ahead costs one early cycle, not 1440 at once followed by a day without any.
(The price: after a long quiet spell the tenant's cycles catch up one per event.) But after a cycle run
by an event more than ``evi_ahead_ms`` past its due time (a clock running ahead, or the end of a quiet
spell), the next such event runs the next one only when more than half the tenant's events since, itself
included, came at or past its due time: after a quiet spell all of them do, while a visitor whose clock is a day ahead
among others whose clocks are not sends few of them, and the tenant's cycles stay within a cycle or two
of the present. (Without it each of that visitor's packets ran one more early cycle, stamped in the
future with no state in its EVI window: an hour's visit put the tenant's cycles hours ahead, none ran
until the present caught up, and the EVI history filled with zeros, every later packet an anomaly.
A burst of such packets with nothing between them still counts as the present, as after a quiet spell:
only a fence on the wall clock, at the bridge, could tell the two apart.) Until a tenant's
first cycle, its earliest clock sets the first one: a first packet from a clock a day ahead does not
put the tenant's cycles off until the present reaches it. A cycle:

* groups by (tenant, vertical, emotion, section, geography), each with a Wilson lower
  bound on its success rate, its sample (its events of the last 7 days, up to ``evi_ahead_ms`` after
  the cycle: later ones are a clock running ahead, left out until the present nears them, so a visitor
  whose clock reads the year 9999 cannot plant a validated pattern that never expires under names it
  chose; a group with no event in its sample is forgotten), a 24 h vs 7-day spike ratio (the 7 days,
  or the days the group has existed when fewer; none before it has a full day before the last 24 h),
  a z-score of this cycle's count against the group's previous cycles (a day of them, kept as running
  sums: a cycle costs O(1) per group), and a trend against the previous cycle. A tenant keeps at most
  :data:`MAX_GROUPS_PER_TENANT` groups, the least recently active dropped first;
* validated patterns (n >= 10) go to the tenant's knowledge store that the LLM prompt draws on,
  and to ``on_knowledge(cycle_time, patterns)`` when given (the pipeline records them in SQLite);
  a tenant's packets carry only what its own sessions taught (section 5.9: "for a tenant"),
  including patterns validated in two or more of its verticals (``transferablePatterns``);
* per tenant, the Emotional Volatility Index (EVI): over the last 5 minutes, the mean
  distress of each active session's latest state (negative 1.0, cognitive 0.7, mixed 0.4,
  positive 0) times its intensity, and no state more than :data:`EVI_AHEAD_MS` after now (a
  visitor whose clock runs ahead must not weigh on every packet until the present reaches it). A
  session's latest state is forgotten an hour after it (:data:`SESSION_RETENTION_MS`), or at the
  tenant's next cycle when it is more than :data:`AHEAD_KEPT_MS` after that cycle, as such event
  times are: a clock in the year 9999 would otherwise leave its sessions there for good;
  its trend, percentile against the tenant's EVI history, anomaly (|z| > 2) with severity, a
  30-minute prediction by least squares over the recent EVI series, and contagion: geographies
  whose EVI started rising right after another's did.
"""

from __future__ import annotations

import math
import weakref
from bisect import bisect_left, bisect_right, insort
from collections import ChainMap, OrderedDict, defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np

from workbench.consumer.stats import ANOMALY_Z, CountWindow, is_spike, trend, wilson_lower_bound, z_score
from workbench.protocol.taxonomy import CANONICAL, category
from workbench.recent import Recent

CYCLE_MS = 60_000
EVI_WINDOW_MS = 300_000
#: how far after a packet's time another session's latest state still counts in its EVI. The packet's time is
#: one visitor's clock; the others' run a little ahead of it (clocks differ, and the bridge accepts a batch up to
#: ``transport.max_clock_skew_ms`` behind its session's newest, so packets reach this in no strict time order).
#: The window's own 5 minutes, either side, covers that with room; a state later than that is a clock running
#: ahead, which would otherwise weigh on every packet of the tenant until the present caught up with it
EVI_AHEAD_MS = EVI_WINDOW_MS
DAY_MS = 86_400_000
MIN_SAMPLE = 10
#: how long (event time) a session's latest state is kept after it: the EVI needs 5 minutes, an
#: outcome (section 7.6) arrives within Seer's 2-minute attribution window or at the close; an hour
#: covers both with room, and keeps a long ``workbench serve`` from remembering every visitor ever
SESSION_RETENTION_MS = 3_600_000
#: how far after a cycle an event time, or a session's latest state, is kept: one further ahead is a clock running
#: days ahead (the schema takes the year 9999), which would count in no sample or EVI for a week and, kept, never
#: leave (an hour after it, for a state: in the year 9999). A state a day ahead is kept, and counts once the
#: present nears it, as before
AHEAD_KEPT_MS = 7 * DAY_MS
#: cycles of history kept per group (z-score baseline) and per tenant (EVI percentile, z): one day at
#: 60 s, so the per-cycle and per-packet cost stays flat however long the process runs
HISTORY_CYCLES = 1440
#: a group is keyed on the page's section name, which the client chooses: without a bound, one visitor
#: inventing names would cost every cycle of the tenant (and memory) for 7 days. Past this many groups, the
#: tenant's least recently active one is dropped (with its outcomes). 5,000 holds 22 emotions x 6 regions x
#: 37 sections of one vertical, and a cycle over all of them costs tens of ms (a candidate for the config:
#: ``intelligence.max_groups_per_tenant``)
MAX_GROUPS_PER_TENANT = 5_000
#: a spike compares the last 24 h with the days before: a group needs one full day before them to have one
SPIKE_MIN_AGE_MS = 2 * DAY_MS
#: sessions whose counted outcomes are remembered (least recent forgotten), so that a revision (section 7.6:
#: an answer after the intervention was settled) moves the count in the group the outcome was counted in,
#: whatever the session's vertical or geography is by then; a revision comes within Seer's attribution window
#: or at the close, so the sessions of the last hour or so are the ones that matter. And outcomes (distinct
#: groups) remembered per session.
OUTCOME_SESSIONS = 100_000
OUTCOMES_PER_SESSION = 64
DISTRESS = {"negative": 1.0, "cognitive": 0.7, "mixed": 0.4, "positive": 0.0}
_DISTRESS_OF = {emotion: DISTRESS[category(emotion)] for emotion in CANONICAL}


def _distress(emotion: str) -> float:
    """:data:`DISTRESS` of an emotion's section 6 group, looked up (the EVI reads it per state per packet)."""
    known = _DISTRESS_OF.get(emotion)
    return DISTRESS[category(emotion)] if known is None else known  # category() refuses a label outside section 6


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


@dataclass(eq=False)
class _GroupState:
    times: list[float] = field(default_factory=list)  # last 7 days of event times, sorted (events arrive out of order)
    successes: int = 0
    outcomes: int = 0
    cycle_counts: CountWindow = field(default_factory=lambda: CountWindow(HISTORY_CYCLES))
    current: int = 0
    born: float = math.inf  # its earliest event time: how many days its 7-day count covers


@dataclass(eq=False)
class _Counted:
    """A session's outcomes counted in one group (for one emotion and section): what a revision may move.
    The group is held weakly: once dropped (for room, or after 7 idle days) it is gone, not kept alive here."""

    key: Group
    group: weakref.ref[_GroupState]
    successes: int = 0
    failures: int = 0


def confidence(successes: int, outcomes: int) -> float:
    """The Wilson lower bound as 0-100, one decimal: clamped, since float rounding can put p = 0 a hair
    below zero (``-0.0`` in a knowledge row) and nothing may read above 100."""
    return round(min(100.0, max(0.0, 100 * wilson_lower_bound(successes, outcomes))), 1)


def expire(times: list[float], now: float) -> None:
    """Drop the event times more than 7 days before ``now`` from the sorted list, in place, and those more than
    7 days after it: a clock that far ahead (the schema takes the year 9999) would be in no sample for a week,
    and kept it would never leave an active group."""
    del times[bisect_right(times, now + AHEAD_KEPT_MS):]
    del times[:bisect_left(times, now - 7 * DAY_MS)]


def _spike(g: _GroupState, recent: int, sample: int, now: float) -> bool:
    """Section 7.6's spike: the last 24 h against the daily average of the days the 7-day count (``sample``)
    covers (7, or the group's age when younger), once the group has a full day before the last 24 h."""
    age = now - g.born
    if age < SPIKE_MIN_AGE_MS or sample <= recent:
        return False
    return is_spike(recent, sample, days=min(7.0, age / DAY_MS))


def last_day(times: list[float], now: float, until: float = math.inf) -> int:
    """How many of the sorted event times fall in the 24 h before ``now``, or after it up to ``until`` (a clock
    a little ahead)."""
    return bisect_right(times, until) - bisect_left(times, now - DAY_MS)


class Intelligence:
    def __init__(self, *, cycle_ms: int = CYCLE_MS, min_sample: int = MIN_SAMPLE,
                 on_knowledge: KnowledgeListener | None = None, evi_ahead_ms: float = EVI_AHEAD_MS) -> None:
        """``evi_ahead_ms``: how far after a packet's time another session's latest state still counts in
        its EVI (:data:`EVI_AHEAD_MS`)."""
        self.cycle_ms = cycle_ms
        self.min_sample = min_sample
        self.on_knowledge = on_knowledge
        self.evi_ahead_ms = evi_ahead_ms
        # tenant -> its groups, in the order they were made (the order of its patterns), and the same keys
        # least recently active first (the one dropped past MAX_GROUPS_PER_TENANT)
        self._groups: dict[str, dict[Group, _GroupState]] = {}
        self._active: dict[str, OrderedDict[Group, None]] = {}
        # (tenant, session) -> the outcomes counted for it, by group: what revise_outcome may move
        self._counted: Recent[tuple[str, str], list[_Counted]] = Recent(OUTCOME_SESSIONS)
        # tenant -> session -> its latest state in event time; per tenant so one tenant's traffic costs another nothing
        self.latest: dict[str, dict[str, EmotionalEvent]] = defaultdict(dict)
        # tenant -> (time, session) of each session's latest state, sorted: the EVI reads its last 5 minutes only
        self.by_time: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self.evi_history: dict[str, deque[tuple[float, float]]] = defaultdict(lambda: deque(maxlen=HISTORY_CYCLES))
        self.geo_evi: dict[tuple[str, str], deque[float]] = defaultdict(lambda: deque(maxlen=3))  # contagion reads 3
        self.knowledge_of: dict[str, list[dict[str, Any]]] = {}  # tenant -> its validated patterns
        self.next_cycle: dict[str, float] = {}  # tenant -> when its next cycle is due
        # tenant -> [events since its previous cycle, those of them at or past its due time]
        self._since: dict[str, list[int]] = {}
        self._early: set[str] = set()  # tenants whose last cycle was run by an event far past it (see above)
        self._cycled: set[str] = set()  # tenants that had a cycle

    @property
    def groups(self) -> Mapping[Group, _GroupState]:
        """Every tenant's groups, read only (a tenant's cycle reads its own)."""
        return ChainMap(*self._groups.values())

    def _group(self, key: Group) -> _GroupState:
        """The group, made if new, as the tenant's most recently active (its least recent dropped past the cap)."""
        groups = self._groups.setdefault(key[0], {})
        active = self._active.setdefault(key[0], OrderedDict())
        g = groups.get(key)
        if g is not None:
            active.move_to_end(key)
            return g
        g = groups[key] = _GroupState()
        active[key] = None
        while len(active) > MAX_GROUPS_PER_TENANT:
            del groups[active.popitem(last=False)[0]]
        return g

    @property
    def knowledge(self) -> list[dict[str, Any]]:
        """Every tenant's validated patterns; a tenant's own are :attr:`knowledge_of` ``[tenant]``."""
        return [p for patterns in self.knowledge_of.values() for p in patterns]

    # --- input ----------------------------------------------------------------------------
    def add(self, event: EmotionalEvent) -> None:
        due = self.next_cycle.get(event.tenant)
        since = self._since.setdefault(event.tenant, [0, 0])
        ran = False
        if due is None or (event.tenant not in self._cycled and event.timestamp + self.cycle_ms < due):
            # the first cycle is one after the earliest event: not after a first packet from a clock running ahead
            self.next_cycle[event.tenant] = event.timestamp + self.cycle_ms
        elif event.timestamp >= due:  # one catch-up cycle at most, and the next one after it (see above)
            far = event.timestamp > due + self.evi_ahead_ms  # a clock running ahead, or a quiet spell's end
            # after a cycle so run, the next one needs more than half the tenant's events since it, this one
            # included, at or past its due time (half: one visitor ahead and one not would still run one each)
            if not far or event.tenant not in self._early or 2 * (since[1] + 1) > since[0] + 1:
                self.cycle(due, tenant=event.tenant)
                self.next_cycle[event.tenant] = due + self.cycle_ms
                ran = True
                if far:
                    self._early.add(event.tenant)
                else:
                    self._early.discard(event.tenant)
        if not ran:  # the event that ran a cycle does not count again for the next one
            since[0] += 1
            since[1] += event.timestamp >= self.next_cycle[event.tenant]
        g = self._group((event.tenant, event.vertical, event.emotion, event.section, event.geo))
        insort(g.times, event.timestamp)
        g.born = min(g.born, event.timestamp)
        g.current += 1
        if event.success is not None:
            g.outcomes += 1
            g.successes += int(event.success)
        sessions, by_time = self.latest[event.tenant], self.by_time[event.tenant]
        known = sessions.get(event.session)
        if known is None or event.timestamp >= known.timestamp:  # a late, older event is not the latest state
            if known is not None:
                del by_time[bisect_left(by_time, (known.timestamp, event.session))]
            sessions[event.session] = event
            insort(by_time, (event.timestamp, event.session))

    def add_outcome(self, tenant: str, session: str, emotion: str, section: str, success: bool) -> bool:
        """An intervention's outcome, for the group of the packet it answered (its Wilson confidence).

        The session's vertical and geography are those of its latest emotional event; the outcome
        is not an occurrence, so the sample size does not change. False when the session was never
        seen (nothing to attribute it to). The group it went to is remembered for :meth:`revise_outcome`.
        """
        latest = self.latest.get(tenant, {}).get(session)
        if latest is None:
            return False
        key = (tenant, latest.vertical, emotion, section, latest.geo)
        g = self._group(key)
        g.outcomes += 1
        g.successes += int(success)
        counted = self._counted.get((tenant, session)) or []
        entry = next((c for c in counted if c.group() is g), None)
        if entry is None:
            entry = _Counted(key, weakref.ref(g))
            counted.append(entry)
            del counted[:-OUTCOMES_PER_SESSION]
        if success:
            entry.successes += 1
        else:
            entry.failures += 1
        self._counted.put((tenant, session), counted)
        return True

    def revise_outcome(self, tenant: str, session: str, emotion: str, section: str, was_success: bool,
                       success: bool) -> bool:
        """An outcome :meth:`add_outcome` counted was revised (an answer came after the intervention was settled
        as "left" or "no_response"): the same one outcome, now a success or not, in the group it was counted in
        (the session's vertical or geography may have changed since). False, and nothing moves, when that
        outcome is not known (never counted, or forgotten: its session, or its group, dropped for room or
        after 7 idle days): a guess could put a group's successes above its outcomes."""
        counted = self._counted.get((tenant, session)) or []
        groups = self._groups.get(tenant, {})
        for entry in reversed(counted):  # the latest such outcome: the one a revision most likely answers
            g = entry.group()
            if g is None or entry.key[2:4] != (emotion, section) or groups.get(entry.key) is not g:
                continue
            if was_success == success:
                return True
            if (entry.successes if was_success else entry.failures) == 0:
                continue
            moved = int(success) - int(was_success)
            entry.successes += moved
            entry.failures -= moved
            g.successes += moved
            return True
        return False

    # --- the 60 s cycle -------------------------------------------------------------------
    def cycle(self, now: float, *, tenant: str | None = None) -> list[dict[str, Any]]:
        """Score the tenant's groups (every tenant's when None), refresh its knowledge store and EVI
        series; return the patterns."""
        tenants = sorted(set(self._groups) | set(self.latest)) if tenant is None else [tenant]
        patterns: list[dict[str, Any]] = []
        for t in tenants:
            self._cycled.add(t)
            self._since[t] = [0, 0]
            mine = self._score(t, now)
            self.knowledge_of[t] = [p for p in mine if p["sample_size"] >= self.min_sample]
            patterns += mine
        validated = [p for p in patterns if p["sample_size"] >= self.min_sample]
        if validated and self.on_knowledge is not None:
            self.on_knowledge(now, [dict(p) for p in validated])
        for t in tenants:
            if t in self.latest:
                self.evi_history[t].append((now, self.evi(t, now)))
                for geo in sorted({e.geo for e in self.latest[t].values()}):
                    self.geo_evi[(t, geo)].append(self.evi(t, now, geo=geo))
        self._forget(set(tenants), now)
        return patterns

    def _score(self, tenant: str, now: float) -> list[dict[str, Any]]:
        """The tenant's patterns this cycle, in the order its groups were made; a group with no event in its
        sample (7 days back, :attr:`evi_ahead_ms` ahead) is forgotten (sample size 0, never knowledge; its
        outcomes, and any events from a clock further ahead, go with it)."""
        groups, patterns, idle = self._groups.get(tenant, {}), [], []
        until = now + self.evi_ahead_ms  # later is a clock running ahead: out of the sample until the present nears it
        for key, g in groups.items():
            expire(g.times, now)
            sample = bisect_right(g.times, until)
            if not sample and not g.current:
                idle.append(key)
                continue
            recent, history = last_day(g.times, now, until), g.cycle_counts
            z = history.z_score(g.current)
            patterns.append({
                "tenant": key[0], "vertical": key[1], "emotion": key[2], "section": key[3], "geo": key[4],
                "sample_size": sample,
                "confidence": confidence(g.successes, g.outcomes),
                "spike": _spike(g, recent, sample, now),
                "anomaly": abs(z) > ANOMALY_Z,
                "z": round(z, 2),
                "trend": trend(g.current, history.last),
            })
            history.append(g.current)
            g.current = 0
        for key in idle:
            del groups[key]
            del self._active[tenant][key]
        return patterns

    def _forget(self, tenants: set[str], now: float) -> None:
        """Bound a long-running process's memory: sessions quiet for :data:`SESSION_RETENTION_MS`, and those whose
        latest state is more than :data:`AHEAD_KEPT_MS` after ``now`` (a clock days ahead: else kept until the
        present passed it, never for the year 9999; an outcome for such a session is then one never seen)."""
        for t in tenants & set(self.latest):
            sessions, by_time = self.latest[t], self.by_time[t]
            gone = bisect_left(by_time, (now - SESSION_RETENTION_MS,))  # the states older than that come first
            ahead = bisect_right(by_time, now + AHEAD_KEPT_MS, lo=gone, key=itemgetter(0))  # and those later last
            for _, sid in by_time[ahead:]:
                del sessions[sid]
            del by_time[ahead:]
            for _, sid in by_time[:gone]:
                del sessions[sid]
            del by_time[:gone]

    # --- section 5.9 ----------------------------------------------------------------------
    def evi(self, tenant: str, now: float, *, geo: str | None = None) -> float:
        """The mean distress x intensity of the sessions' latest states from 5 minutes before ``now`` to
        :attr:`evi_ahead_ms` after it (later is a clock running ahead, not the present); a packet's cost: that span."""
        sessions, by_time = self.latest.get(tenant, {}), self.by_time.get(tenant, [])
        start = bisect_left(by_time, (now - EVI_WINDOW_MS,))
        recent = by_time[start:bisect_right(by_time, now + self.evi_ahead_ms, lo=start, key=itemgetter(0))]
        states = [e for e in (sessions[sid] for _, sid in recent) if geo is None or e.geo == geo]
        if not states:
            return 0.0
        return float(np.mean([_distress(e.emotion) * e.intensity for e in states]))

    def global_intelligence(self, tenant: str, now: float) -> dict[str, Any] | None:
        """The packet's ``globalIntelligence`` dimension, or None before the first cycle."""
        series = list(self.evi_history.get(tenant, ()))
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
        def rising(values: deque[float], back: int) -> bool:
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
