"""Packet enrichment after the rules: global intelligence (5.9) and the optional LLM tier (7.3).

Composed into :class:`~workbench.engine.service.EngineService` by the pipeline when enabled.
The rules' packet is the floor: the LLM may replace the emotion only with a strictly parsed,
canonical answer; any failure leaves the rules' emotion and records why in
``patterns.detected`` (``llm_fallback:<reason>``). With the tier on, the section 5.2 trajectory
is recomputed over the emotions the session's packets published, so it follows the tier's
answers rather than the rules' ones they replaced, over one visit only: a session id back after
the section 1.3 timeout is a new session, whose trajectory starts afresh as the engine's does
(:meth:`Enricher.history_of`); enrichment itself never raises, so one bad
reply cannot cost the engine the rest of a batch's outputs. A verdict also records the section
7.3 gate (triage's ``needsSonnet``, the deep tier's ``intervene``) as ``llm_gate:intervene`` or
``llm_gate:hold`` (:mod:`workbench.llm.gate`), which the consumer honours before it composes.
The geography used for grouping comes from the bridge-injected IP through an offline table and
never appears in the packet.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

from workbench.config import InferenceConfig
from workbench.engine.core import trajectory
from workbench.intelligence import EmotionalEvent, Intelligence
from workbench.llm.gate import marker
from workbench.llm.tier import LLMTier, LLMVerdict, select_knowledge
from workbench.protocol.inbound import is_time
from workbench.recent import Recent

log = logging.getLogger(__name__)

# Offline geography for the documentation ranges personas use (RFC 5737) and loopback.
GEO_TABLE: tuple[tuple[str, str], ...] = (
    ("198.51.100.0/24", "us-west"),
    ("203.0.113.0/24", "us-east"),
    ("192.0.2.0/24", "ca-central"),
    ("127.0.0.0/8", "local"),
)
_NETWORKS = [(ipaddress.ip_network(cidr), geo) for cidr, geo in GEO_TABLE]
#: the regions a simulated visitor can come from (every table entry but loopback)
REGIONS: tuple[str, ...] = tuple(geo for cidr, geo in GEO_TABLE if not ipaddress.ip_network(cidr).is_loopback)


def address_in(region: str, index: int) -> str:
    """A host address of ``region``'s documentation range (``index`` picks which, wrapping around).

    What a simulated visitor's proxy reports in ``X-Forwarded-For``, so the bridge-injected IP
    (section 4.5) places the session in that region through :func:`geo_of`.
    """
    net = next((n for n, geo in _NETWORKS if geo == region and not n.is_loopback), None)
    if net is None:
        raise ValueError(f"unknown region {region!r}; known: {', '.join(REGIONS)}")
    hosts = net.num_addresses - 2  # no network or broadcast address
    return str(net.network_address + 1 + index % hosts)


def geo_of(ip: str | None) -> str:
    """The region of ``ip`` (section 10.3: the address serves geolocation, only the region travels on).

    A dual-stack listener reports an IPv4 client as ``::ffff:a.b.c.d`` and a batch replayed from a
    corpus may carry any spelling, so the address is normalised first: an IPv4-mapped address is
    its IPv4 one and IPv6 loopback is ``local`` like 127/8. Unparseable text is ``unknown``;
    anything outside the table (private ranges included) is ``other``.
    """
    if not ip:
        return "unknown"
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_loopback:
            return "local"
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
    return next((geo for net, geo in _NETWORKS if address.version == net.version and address in net), "other")


#: sessions whose published emotions the enricher remembers for their trajectory (oldest forgotten first)
SESSIONS_REMEMBERED = 10_000


@dataclass
class Visit:
    """What one visit (a session, section 1.3) of a session id published, for its trajectory (section 5.2)."""

    #: the newest packet's timestamp
    last: float
    #: (timestamp, emotion, intensity) of its last packets (``trajectory_history`` of them), oldest first
    history: deque[tuple[float, str, float]]


def visit_start(packet: dict[str, Any]) -> float | None:
    """When the packet's session began (its first event), from its ``temporal.sessionDuration``; None when the
    packet does not say."""
    temporal = packet.get("temporal")
    duration = temporal.get("sessionDuration") if isinstance(temporal, dict) else None
    return float(packet["timestamp"]) - float(duration) if is_time(duration) else None


class Enricher:
    def __init__(self, *, intelligence: Intelligence | None = None, llm: LLMTier | None = None,
                 inference: InferenceConfig | None = None) -> None:
        self.intelligence = intelligence
        self.llm = llm
        self.inference = inference or InferenceConfig()
        # what each session's packets said, as published (after the LLM tier): the section 5.2
        # trajectory must follow the emotions the consumer sees, not the rules' ones it replaced
        self.published: Recent[str, Visit] = Recent(SESSIONS_REMEMBERED)

    def history_of(self, packet: dict[str, Any]) -> deque[tuple[float, str, float]]:
        """The emotions published by the packet's visit so far: those of its session id, unless the packet
        belongs to a new session of that id (section 1.3: the engine starts one when an event comes more
        than ``session_timeout_ms`` after the last), and then none.

        A new session's first event comes more than the timeout after the last event of the one before,
        so after every packet of it (each is stamped at one of its events), while a continuing session
        began before any of its packets (a late batch can only move its start earlier): the packet is a
        new visit exactly when the start it tells (:func:`visit_start`) is later than the newest packet
        seen. The time between packets would not tell it exactly: a continuing session's packets may be up
        to a window further apart than the timeout (each is stamped at its window's newest event). It serves
        only for a packet that does not tell its start: more than the timeout plus a window
        (``buffer_window_ms``) after the newest is a new visit then."""
        ts, start = float(packet["timestamp"]), visit_start(packet)
        visit = self.published.get(packet["sessionId"])
        if visit is not None:
            gap = self.inference.session_timeout_ms + self.inference.buffer_window_ms
            if start > visit.last if start is not None else ts - visit.last > gap:
                visit = None
        if visit is None:
            visit = Visit(ts, deque(maxlen=self.inference.trajectory_history))
        visit.last = max(visit.last, ts)
        return self.published.put(packet["sessionId"], visit).history

    def _retrace(self, packet: dict[str, Any]) -> None:
        emotion = packet["emotion"]
        history = self.history_of(packet)
        emotion["trajectory"] = trajectory(history, emotion["primary"], float(emotion["intensity"]), self.inference)
        history.append((float(packet["timestamp"]), emotion["primary"], float(emotion["intensity"])))

    async def __call__(self, packet: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        packet = copy.deepcopy(packet)
        tenant, vertical = packet["tenantId"], str(context.get("vertical", ""))
        if self.llm is not None:
            knowledge = (select_knowledge(self.intelligence.knowledge_of.get(tenant, []), tenant=tenant,
                                          vertical=vertical) if self.intelligence else [])
            verdict: LLMVerdict | None
            try:
                verdict, reason = await self.llm.enrich(packet, knowledge=knowledge)
            except Exception:  # the tier's own bug must not lose this packet or the rest of the batch
                log.exception("LLM tier failed; keeping the rules' packet")
                self.llm.counters["fallback:error"] += 1
                verdict, reason = None, "error"
            detected = packet["patterns"]["detected"]
            if verdict is None:
                detected.append(f"llm_fallback:{reason}")
            else:
                packet["emotion"].update(primary=verdict.emotion, confidence=round(verdict.confidence, 2),
                                         intensity=round(verdict.intensity, 2))
                wants = bool(verdict.intervene) if verdict.tier == "deep" else verdict.needs_deep
                detected += [f"llm_{verdict.tier}", marker(wants)]
            self._retrace(packet)
        if self.intelligence is not None:
            self.intelligence.add(EmotionalEvent(
                tenant, vertical, packet["sessionId"], packet["emotion"]["primary"],
                packet["spatial"]["currentSection"], geo_of(context.get("ip")), float(packet["timestamp"]),
                float(packet["emotion"]["intensity"])))
            packet["globalIntelligence"] = self.intelligence.global_intelligence(tenant, float(packet["timestamp"]))
        return packet
