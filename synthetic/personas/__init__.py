"""The persona catalogue: one file per persona, collected here by name."""

from __future__ import annotations

from synthetic.personas.base import Actor, Persona
from synthetic.personas.paralysed_buyer import ParalysedBuyer

PERSONAS: dict[str, type[Persona]] = {p.name: p for p in (ParalysedBuyer,)}

__all__ = ["PERSONAS", "Actor", "Persona", "ParalysedBuyer"]
