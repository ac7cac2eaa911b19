"""The section 7.3 gate as it travels in a packet, from enrichment to the consumer.

The triage tier answers ``needsSonnet`` ("a proactive intervention might help this shopper
now"); the deep tier answers ``intervene``. "When false, the emotion is recorded for
dashboards but no intervention is triggered." :class:`~workbench.enrichment.Enricher` writes
the answer into ``patterns.detected`` (free-form pattern names, section 5.6) and
:class:`~workbench.consumer.seer.Seer` honours it before anything else is spent on the packet.
No marker (the tier is off, or it fell back to the rules) leaves the decision to the consumer.
Pure: no SDK import, so the consumer can read the gate without loading the LLM client.
"""

from __future__ import annotations

from typing import Any

GATE_INTERVENE = "llm_gate:intervene"
GATE_HOLD = "llm_gate:hold"


def marker(wants_intervention: bool) -> str:
    return GATE_INTERVENE if wants_intervention else GATE_HOLD


def llm_gate(packet: dict[str, Any]) -> bool | None:
    """True or False when the LLM tier ruled on intervening for this packet, None when it did not."""
    detected = (packet.get("patterns") or {}).get("detected") or []
    if GATE_HOLD in detected:
        return False
    if GATE_INTERVENE in detected:
        return True
    return None
