"""Rate limiting at the bridge (EITP v1.1 section 4.6), sans I/O: every time is passed in.

Time base (a design decision; the README states it too):

* **Event time for the event limits.** The section 4.6 limits (500 events per second per
  producer, 100 events per type per second) and the optional per-session quota (the original
  production system allowed 100 events per session per hour; off by default here) count each
  event in the second of its own ``timestamp``, i.e. the producer's clock. In virtual-time runs
  that clock is Playwright's fake clock, so a five-minute session replayed in three wall
  seconds spreads over five minutes of event seconds and is not throttled, while a real flood
  of events stamped with the same second is. Windows are fixed event-time seconds
  (``floor(timestamp / 1000)``); the quota counts the events of the 3,600 event seconds up to
  the newest timestamp of the session (a sliding hour).
  A batch is checked as a whole: it is accepted and counted, or refused and not counted.
* **Clients may lie about time, so event time is fenced.** A batch is refused (``Timestamp
  Violation``) when one of its event timestamps is more than ``max_clock_skew_ms`` away from
  its envelope timestamp, or when its envelope or an event is more than ``max_clock_skew_ms``
  older than the newest timestamp already accepted for the session (a legitimate producer's
  clock never runs backwards; events buffered during a reconnect are older than the envelope by
  the outage, which the 60 s default covers). Event seconds older than that fence can no longer
  be written, so they are forgotten and the state stays small.
* **Wall time for the frame guard.** Nothing above stops a client whose fake clock races
  ahead, so each WebSocket connection (each session, for the HTTP POST fallback) may send at
  most ``max_pubs_per_second`` PUB frames in any window of one wall-clock second. That bounds a
  flood in real time while leaving room for compressed virtual-time runs (about 30 batches per
  wall second at 100x); the runner's virtual clock paces itself to stay under it
  (:class:`workbench.sim.clock.FramePacer`).
* **Wall time for events, too.** A client that stamps each batch a second later than the last
  stays under the event-time limits however fast it sends, so a session's events are also
  counted on the wall clock, over its WebSocket connections and POSTs together: a token bucket
  that refills at ``max_events_per_wall_second`` (500, the 4.6 figure) and holds a second's worth
  plus the producer's whole buffer (``max_buffer``, 500). A producer paces its own flushes to 500
  a second, but arrivals bunch on the network, and a reconnect's catch-up or an unload flush sends
  the buffer at once; the bucket takes those, and holds a forged-clock flood to 500 a second
  after its first 1,000 events. Each event type has a bucket of its own as well, refilling at
  ``max_events_per_type_per_second`` (100) and holding that plus ``max_buffer``, so a forged clock
  cannot send one type at the total's 500 a second either. A virtual-time run compresses
  minutes of a real producer's events into seconds, so the runner's own embedded bridge turns
  this one off for virtual-time runs (:func:`workbench.sim.runner.embedded_config`); ``workbench
  serve`` keeps it.

Limiter state is kept per ``(tenant, session)`` in a :class:`LimiterRegistry` shared by the
WebSocket connections and the POST fallback of that session, so reconnecting does not reset
a budget; the registry forgets the least recently used sessions beyond ``limiter_max_sessions``.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.config import TransportConfig
from workbench.protocol.inbound import MAX_EPOCH_MS
from workbench.recent import Recent

QUOTA_WINDOW_S = 3600


@dataclass(frozen=True)
class Refusal:
    """Why a batch or frame was refused: ``kind`` is the counter name, ``message`` the -ERR text."""

    kind: str  # rate_frames | rate_events | rate_type | session_quota | clock
    message: str


class FrameGuard:
    """At most ``limit`` frames in any window of ``window`` seconds of wall time (sliding log)."""

    def __init__(self, limit: int, window: float = 1.0) -> None:
        self.limit, self.window = limit, window
        self._times: deque[float] = deque()

    def allow(self, now: float) -> Refusal | None:
        times = self._times
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return Refusal("rate_frames", f"Rate Limit Exceeded: more than {self.limit} PUBs in "
                                          f"{self.window:g} s of wall time")
        times.append(now)
        return None


class WallEventGuard:
    """A token bucket on the wall clock: ``rate`` events a second, at most ``burst`` at once; rate 0: off.

    :meth:`check` only judges; :meth:`add` counts a batch once every other limit accepted it, so
    a batch refused for another reason takes nothing from the budget."""

    def __init__(self, rate: int, burst: int, what: str = "events") -> None:
        self.rate, self.burst = rate, max(burst, rate)
        self.what = what  # what it counts, for the refusal: "events" or one type's "'click' events"
        self._tokens = float(self.burst)
        self._at: float | None = None

    def _refill(self, now: float) -> None:
        if self._at is not None and now > self._at:
            self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
        self._at = now if self._at is None else max(self._at, now)

    def check(self, now: float, count: int) -> Refusal | None:
        if not self.rate:
            return None
        self._refill(now)
        if count > self._tokens + 1e-6:  # the refill is a float: 0.2 s at 500/s is 99.99999999999964
            kind = "rate_events" if self.what == "events" else "rate_type"
            return Refusal(kind, f"Rate Limit Exceeded: {count} {self.what} with {int(self._tokens)} left of "
                                 f"the wall-clock budget ({self.rate} per second, {self.burst} at once)")
        return None

    def full(self, now: float) -> bool:
        """Whether the bucket is back to its burst: as good as a new one, so it can be forgotten."""
        self._refill(now)
        return self._tokens >= self.burst

    def add(self, now: float, count: int) -> None:
        if self.rate and count:
            self._refill(now)
            self._tokens -= count


@dataclass
class _Second:
    total: int = 0
    types: dict[str, int] = field(default_factory=dict)


class SessionLimiter:
    """Event-time limits and clock fences for one producer session (see the module docstring)."""

    def __init__(self, config: TransportConfig) -> None:
        self.per_second = config.max_events_per_second
        self.per_type = config.max_events_per_type_per_second
        self.quota = config.max_session_events_per_hour
        self.skew = config.max_clock_skew_ms
        self.post_frames = FrameGuard(config.max_pubs_per_second)  # the POST fallback's frame guard
        # both doors of the session; a second's worth plus a producer's whole buffer at once
        self.wall_events = WallEventGuard(config.max_events_per_wall_second,
                                          config.max_events_per_wall_second + config.max_buffer)
        self.buffer = config.max_buffer
        self.type_rate = self.per_type if config.max_events_per_wall_second else 0  # off with the total's
        self._wall_types: dict[str, WallEventGuard] = {}  # event type -> its wall-clock bucket, while not full
        self.newest: float | None = None  # newest accepted timestamp (envelope or event), ms
        self._seconds: dict[int, _Second] = {}
        self._quota_seconds: list[int] = []  # sorted keys of _quota_counts
        self._quota_counts: dict[int, int] = {}
        self._quota_total = 0

    def check(self, envelope_ts: float, events: Sequence[dict[str, Any]], now: float) -> Refusal | None:
        """Accept (and count) a batch, or return why not. ``events`` items have ``type`` and ``timestamp``;
        ``now`` is wall time in seconds, for the wall-time event guard."""
        stamps = [float(e["timestamp"]) for e in events]
        if refusal := self._check_clock(float(envelope_ts), stamps):
            return refusal
        if refusal := self.wall_events.check(now, len(events)):
            return refusal
        seconds: dict[int, dict[str, int]] = {}  # event second -> type -> count, for this batch
        types: dict[str, int] = {}  # type -> count, for this batch
        for event, ts in zip(events, stamps, strict=True):
            second = math.floor(ts / 1000)
            bucket = seconds.get(second)
            if bucket is None:
                bucket = seconds[second] = {}
            kind = str(event["type"])
            bucket[kind] = bucket.get(kind, 0) + 1
            types[kind] = types.get(kind, 0) + 1
        if self.type_rate:
            for kind, count in types.items():
                if refusal := self._wall_type(kind).check(now, count):
                    return refusal
        for second, add in seconds.items():
            have = self._seconds.get(second)
            total = sum(add.values()) + (have.total if have else 0)
            if total > self.per_second:
                return Refusal("rate_events", f"Rate Limit Exceeded: {total} events in event second {second} "
                                              f"(max {self.per_second} per second)")
            for kind, count in add.items():
                total = count + (have.types.get(kind, 0) if have else 0)
                if total > self.per_type:
                    return Refusal("rate_type", f"Rate Limit Exceeded: {total} {kind!r} events in event second "
                                                f"{second} (max {self.per_type} per type per second)")
        if self.quota and (refusal := self._check_quota(seconds)):
            return refusal
        self._commit(float(envelope_ts), stamps, seconds)
        self.wall_events.add(now, len(events))
        if self.type_rate:
            for kind, count in types.items():
                self._wall_type(kind).add(now, count)
            if len(self._wall_types) > 16:  # types are the client's own strings: keep only the buckets in use
                self._wall_types = {k: g for k, g in self._wall_types.items() if not g.full(now)}
        return None

    def _wall_type(self, kind: str) -> WallEventGuard:
        guard = self._wall_types.get(kind)
        if guard is None:
            guard = self._wall_types[kind] = WallEventGuard(self.type_rate, self.type_rate + self.buffer,
                                                            f"{kind[:64]!r} events")
        return guard

    def _check_clock(self, envelope: float, stamps: list[float]) -> Refusal | None:
        if not 0 <= envelope <= MAX_EPOCH_MS:  # else it would fence every later batch of the session out
            return Refusal("clock", f"Timestamp Violation: batch timestamp {envelope:.6g} is not epoch milliseconds "
                                    f"(0 to {MAX_EPOCH_MS}, the end of year 9999)")
        for ts in stamps:
            if abs(ts - envelope) > self.skew:
                return Refusal("clock", f"Timestamp Violation: event timestamp {ts:.0f} is {abs(ts - envelope):.0f} ms "
                                        f"from the batch timestamp {envelope:.0f} (max {self.skew} ms)")
        if self.newest is not None:
            oldest = min([envelope, *stamps])
            if oldest < self.newest - self.skew:
                return Refusal("clock", f"Timestamp Violation: timestamp {oldest:.0f} is {self.newest - oldest:.0f} ms "
                                        f"before the newest one accepted for this session (max {self.skew} ms)")
        return None

    def _check_quota(self, seconds: dict[int, dict[str, int]]) -> Refusal | None:
        if not seconds:
            return None  # a batch with no events adds nothing to the quota
        newest = max(seconds) if self.newest is None else max(max(seconds), math.floor(self.newest / 1000))
        start = newest - QUOTA_WINDOW_S + 1
        lo = bisect.bisect_left(self._quota_seconds, start)
        counted = sum(self._quota_counts[s] for s in self._quota_seconds[lo:])
        total = counted + sum(sum(b.values()) for s, b in seconds.items() if s >= start)
        if total > self.quota:
            return Refusal("session_quota", f"Rate Limit Exceeded: session quota of {self.quota} events per hour "
                                            f"({total} in the hour up to event second {newest})")
        return None

    def _commit(self, envelope: float, stamps: list[float], seconds: dict[int, dict[str, int]]) -> None:
        self.newest = max([envelope, *stamps, *([] if self.newest is None else [self.newest])])
        for second, add in seconds.items():
            have = self._seconds.get(second)
            if have is None:
                have = self._seconds[second] = _Second()
            added = sum(add.values())
            have.total += added
            for kind, count in add.items():
                have.types[kind] = have.types.get(kind, 0) + count
            if self.quota:
                if second not in self._quota_counts:
                    bisect.insort(self._quota_seconds, second)
                    self._quota_counts[second] = 0
                self._quota_counts[second] += added
        # Seconds behind the clock fence can never be written again: forget them.
        fence = math.floor((self.newest - self.skew) / 1000)
        if any(s < fence for s in self._seconds):
            self._seconds = {s: b for s, b in self._seconds.items() if s >= fence}
        quota_fence = fence - QUOTA_WINDOW_S
        while self._quota_seconds and self._quota_seconds[0] < quota_fence:
            self._quota_counts.pop(self._quota_seconds.pop(0))


class LimiterRegistry:
    """The :class:`SessionLimiter` of each ``(tenant, session)``, least recently used dropped past ``capacity``."""

    def __init__(self, config: TransportConfig) -> None:
        self.config = config
        self.capacity = config.limiter_max_sessions
        self._sessions: Recent[tuple[str, str], SessionLimiter] = Recent(self.capacity)

    def get(self, tenant: str, session: str) -> SessionLimiter:
        key = (tenant, session)
        return self._sessions.put(key, self._sessions.get(key) or SessionLimiter(self.config))

    def __len__(self) -> int:
        return len(self._sessions)
