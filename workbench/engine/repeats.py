"""Exact repeats of a session's events: a batch delivered twice, dropped before the engine reads it.

Delivery is at least once. The producer puts the events of an HTTP POST that failed or went unanswered
for ``transport.keepalive_ms`` back at the front of its buffer and sends them again
(``sites/producer/eitp-producer.js``, ``requeue``), though the bridge may have published them already:
the answer, not the request, was lost. Read twice, every hand action of such a batch is 0 ms from its
copy, three of them are the section 8.1 "consecutive event intervals < 15 ms", and a person is judged a
bot; the windows would count every sample twice. A repeat carries the same type, timestamp, section and
data (the producer re-sends the same objects, in a new envelope, maybe beside newer events), and no event
of a page is exactly another: the sampler stamps each tick once, and events that share a tick differ in
type or data. So an event equal to one the session already had, or to one earlier in its batch, is that
one again, and is dropped.

Bounded: a session remembers the fingerprints (8 bytes each) of its last :func:`kept` events. The
producer re-sends at most its buffer (``transport.max_buffer`` events), and only events it sent last:
POSTs go one at a time, so nothing else of the page was sent while the lost one hung. Pure: the
fingerprints are a digest of the event's sorted JSON, the same on every run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import orjson

FINGERPRINT = np.dtype("<u8")


def kept(max_buffer: int) -> int:
    """How many of a session's latest events are remembered: the most the producer ever sends again."""
    return max(1, max_buffer)


def _canonical(event: Mapping[str, Any]) -> bytes:
    """The event as sorted JSON (a re-sent event is rebuilt with its keys in another order); any other
    text for one JSON cannot write (a batch given to :meth:`Engine.ingest` directly), the same each run."""
    try:
        return orjson.dumps(event, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return repr(event).encode("utf-8", "surrogatepass")


def fingerprints(events: Sequence[Mapping[str, Any]]) -> np.ndarray:
    return np.frombuffer(b"".join(hashlib.blake2b(_canonical(e), digest_size=8).digest() for e in events),
                         dtype=FINGERPRINT)


def fresh(remembered: bytes, prints: np.ndarray) -> np.ndarray:
    """Which of a batch's events (by fingerprint) are new: not remembered, and not earlier in the batch."""
    new = ~np.isin(prints, np.frombuffer(remembered, dtype=FINGERPRINT))
    _, first = np.unique(prints, return_index=True)
    once = np.zeros(prints.size, dtype=bool)
    once[first] = True
    return new & once


def remember(remembered: bytes, prints: np.ndarray, limit: int) -> bytes:
    """``remembered`` with ``prints`` after it, the latest ``limit`` only."""
    return (remembered + prints.tobytes())[-limit * FINGERPRINT.itemsize:]
