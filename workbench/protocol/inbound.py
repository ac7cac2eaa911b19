"""Telemetry as a service takes it off the bus (sections 4.2, 4.3, 4.6): checked whole, before any of it is used.

The bridge checks what it publishes, but a bus is not the bridge's alone: with ``--nats URL`` any publisher can
put a message on ``telemetry.raw`` or ``telemetry.closed``. So the engine and Seer both check each one here, the
same way, and act on a message only once it has passed: a message that fails is :class:`Refused` whole, for the
caller to log and count (``rejected[refused.reason]``), and costs nothing but itself.

A batch (:func:`read_batch`) must be JSON, match the section 4.3 schema, have a session and tenant id that can
be a subject token, be no deeper than orjson writes (it reads 1,024 levels but writes 254, so a page content nested
deeper would make every packet of the session unpublishable; the bridge refuses such a batch too, in
``encode_batch``), and have every event within ``max_clock_skew_ms`` of the batch's timestamp (section 4.6, as
the bridge fences it). A close (:func:`read_close`) must name its session and give its time as a number of
epoch ms, or none.

What the engine publishes is on the same bus, so the pipeline, which reports it to the run's printer, store and
TUI, checks it as well: a packet (:func:`read_packet`) against the section 5 schema, a bot verdict
(:func:`read_detection`) for the section 8.3 log fields.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

import orjson

from workbench.protocol.fastschema import batch_checker
from workbench.protocol.schema import errors as schema_errors
from workbench.protocol.schema import schema
from workbench.protocol.taxonomy import BOT_CLASSIFICATIONS, IDENTITY

_valid_batch, _ = batch_checker()  # the readable reasons only for a batch that fails it
#: the latest event time the batch schema allows (the end of year 9999): a close is no later
MAX_EPOCH_MS: float = schema("batch")["properties"]["timestamp"]["maximum"]


@dataclass(frozen=True)
class Refused:
    """Why a message from the bus is not used: ``reason`` is the counter key, ``message`` the log line."""

    reason: str  # json | schema | identity | depth | clock (a batch); close (a close); packet; detection
    message: str


def shown(value: object) -> str:
    """A value for a log line, cut short (a refused message may carry anything)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def read_batch(payload: bytes, *, max_clock_skew_ms: float) -> dict[str, Any] | Refused:
    """The batch in ``payload``, or why it must not be used (see the module docstring)."""
    try:
        batch = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        return Refused("json", f"a batch that is not JSON: {exc}")
    problems = [] if _valid_batch(batch) else schema_errors(batch, "batch", limit=3)
    if problems:
        return Refused("schema", f"an invalid batch: {'; '.join(problems)}")
    sid, tenant = batch["sessionId"], batch["tenantId"]
    if not (IDENTITY.fullmatch(sid) and IDENTITY.fullmatch(tenant)):  # the bridge refuses these
        return Refused("identity", "a batch whose session or tenant id is not a name (1-128 of A-Z a-z 0-9 _ -), "
                                   f"which would become part of a subject: {sid!r:.80} / {tenant!r:.80}")
    try:  # what the bridge's encode_batch checks: every packet carries the page content at the same depth
        orjson.dumps(batch)
    except orjson.JSONEncodeError as exc:
        return Refused("depth", f"batch of session {sid}: nested too deeply to write out ({exc}), so no packet "
                                "of it could be published")
    if problem := off_its_batch(batch, max_clock_skew_ms):
        return Refused("clock", f"a batch off its own clock: {problem}")
    return batch  # type: ignore[no-any-return]


def off_its_batch(batch: Mapping[str, Any], max_clock_skew_ms: float) -> str | None:
    """The Timestamp Violation (section 4.6, as the bridge fences it) of an event more than ``max_clock_skew_ms``
    from its batch's timestamp (or, without one, from the batch's last event), or None."""
    events = batch.get("events") or ()
    if not events:
        return None
    envelope = float(batch.get("timestamp", events[-1]["timestamp"]))
    for ts in (float(e["timestamp"]) for e in events):
        if not abs(ts - envelope) <= max_clock_skew_ms:  # also a NaN
            return (f"Timestamp Violation: batch of session {batch['sessionId']} has an event at {ts:.0f}, "
                    f"{abs(ts - envelope):.0f} ms from the batch timestamp {envelope:.0f} (max {max_clock_skew_ms} ms)")
    return None


def behind_the_session(session_id: str, oldest: float, newest: float, max_clock_skew_ms: float) -> str | None:
    """The Timestamp Violation of a batch whose ``oldest`` event is more than ``max_clock_skew_ms`` before the
    ``newest`` event time its session has shown (its clock went past it, section 4.6), or None."""
    if not oldest < newest - max_clock_skew_ms:
        return None
    return (f"Timestamp Violation: batch of session {session_id} has an event at {oldest:.0f}, "
            f"{newest - oldest:.0f} ms before the session's newest (max {max_clock_skew_ms} ms)")


def is_time(value: object, maximum: float = math.inf) -> TypeGuard[int | float]:
    """An event time or a duration in ms as section 5 has it: a finite number from 0 to ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value) and 0 <= value <= maximum
    except OverflowError:  # an int too large for a float is no time either
        return False


def read_close(payload: bytes) -> dict[str, Any] | Refused:
    """The ``telemetry.closed`` message in ``payload`` (``{"tenantId", "sessionId", "at"}``), or why it must
    not be used: ``sessionId`` a non-empty string, ``tenantId`` a string or null (a connection that never
    named one), ``at`` epoch ms or null/absent (the bridge could not place the close)."""
    info = _json_object(payload, "close", "a close")
    if isinstance(info, Refused):
        return info
    sid = info.get("sessionId")
    if not isinstance(sid, str) or not sid:
        return Refused("close", f"a close whose sessionId {shown(sid)} is not a non-empty string")
    tenant = info.get("tenantId")
    if tenant is not None and not isinstance(tenant, str):
        return Refused("close", f"the close of session {shown(sid)}: tenantId {shown(tenant)} is not a string "
                                "or null")
    at = info.get("at")
    if at is not None and not is_time(at, MAX_EPOCH_MS):
        return Refused("close", f"the close of session {shown(sid)}: at {shown(at)} is not a number of epoch ms "
                                f"(0 to {MAX_EPOCH_MS:.0f}) or null")
    return info


def read_packet(message: object) -> dict[str, Any] | Refused:
    """An EITP packet parsed from the bus, or why not: it must match the packet schema (sections 5, 6, 10.3)."""
    if problems := schema_errors(message, "packet", limit=3):
        sid = message.get("sessionId") if isinstance(message, dict) else None
        return Refused("packet", f"an invalid packet of session {shown(sid)}: {'; '.join(problems)}")
    return message  # type: ignore[return-value]


DETECTION_FIELDS: dict[str, type | tuple[type, ...]] = {  # section 8.3, with the tenant and time we add
    "session_id": str, "tenant_id": str, "timestamp": (int, float), "classification": str,
    "confidence": (int, float), "reasoning": str, "signals": list, "event_count": int,
}


def read_detection(payload: bytes) -> dict[str, Any] | Refused:
    """A section 8.3 bot verdict from ``bot.{t}.detection.{s}``, or why it must not be used."""
    d = _json_object(payload, "detection", "a bot verdict")
    if isinstance(d, Refused):
        return d
    for key, kind in DETECTION_FIELDS.items():
        if not isinstance(d.get(key), kind) or isinstance(d.get(key), bool):
            return Refused("detection", f"a bot verdict of session {shown(d.get('session_id'))}: {key} "
                                        f"{shown(d.get(key))} is missing or of the wrong type (section 8.3)")
    if not IDENTITY.fullmatch(d["session_id"]) or d["classification"] not in BOT_CLASSIFICATIONS:
        return Refused("detection", f"a bot verdict whose session {shown(d['session_id'])} is not a name or whose "
                                    f"classification {shown(d['classification'])} is not human, bot or uncertain")
    if not (is_time(d["timestamp"], MAX_EPOCH_MS) and 0 <= d["confidence"] <= 1 and d["event_count"] >= 0
            and all(isinstance(s, str) for s in d["signals"])):
        return Refused("detection", f"a bot verdict of session {d['session_id']}: its timestamp, confidence (0-1), "
                                    "event count or signals (strings) are out of range")
    if d.get("review") is not None and not isinstance(d["review"], dict):
        return Refused("detection", f"a bot verdict of session {d['session_id']}: review is not an object")
    return d


def _json_object(payload: bytes, reason: str, what: str) -> dict[str, Any] | Refused:
    """The JSON object in ``payload``, or why not (``what``: "a close", for the message)."""
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        return Refused(reason, f"{what} that is not JSON: {exc}")
    if not isinstance(value, dict):
        return Refused(reason, f"{what} that is a JSON {type(value).__name__}, not an object")
    return value
