"""What an LLM prompt carries of an EITP packet (sections 9.1, 3.10, 7.4, 10.1): bounded and redacted.

Prompt size is bounded (section 9.1 context, section 3.10 limits): :func:`packet_context` puts at
most the spec's page content fields in the prompt, each within the section 3.10 limits (8 headings,
3 tables of 15 rows, 5 paragraphs) and the producer's own text lengths, all of it within
:data:`PAGE_CONTENT_CHARS`; any other dimension is cut at :data:`DIMENSION_CHARS` and the injected
knowledge (section 7.4) at :data:`KNOWLEDGE_CHARS`. A client cannot make every call of its
session carry a 50 kB batch's worth of text.

Privacy (sections 10.1, 10.3): every string of the packet a prompt carries (page content above all) is
:func:`~workbench.privacy.redacted` on the way in, so an email address, a phone, card or social security
number or an IP address the producer failed to redact never reaches the Messages API. The triage, deep
and composer prompts (:mod:`workbench.consumer.compose`) all take the packet from :func:`packet_context`.
What other sessions taught (the section 7.4 patterns, global intelligence's transferable patterns) is
shown as numbers, booleans and plain short names only (:func:`shared_pattern`): a section id or vertical
one client made up is no text pasted into another visitor's prompt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from workbench.privacy import redacted

#: the most characters of page content (its JSON) a prompt carries: the fixture packet's is ~360
PAGE_CONTENT_CHARS = 3000
#: the most characters of any other dimension's JSON in a prompt (longer is cut, marked)
DIMENSION_CHARS = 1500
#: the most characters of injected knowledge (section 7.4): whole patterns, in the order given, while they fit
KNOWLEDGE_CHARS = 3000
_CUT = "…"
#: how far past the characters a prompt shows of a string it is read for personal data, so that what the
#: cut would split (an email address is at most 254 characters) is redacted whole
_PII_REACH = 256


def _text(value: Any, chars: int) -> str | None:
    """A string field as the prompt shows it: redacted, then at most ``chars`` characters (None when not a string)."""
    if not isinstance(value, str):
        return None
    text = redacted(value[:chars + _PII_REACH])
    return text if len(text) <= chars else text[:chars - 1] + _CUT


def _key(key: Any, chars: int = 40) -> str:
    """An object key as the prompt shows it: redacted, cut at ``chars``."""
    return redacted(str(key)[:chars + _PII_REACH])[:chars]


def _clipped(value: Any, *, chars: int, items: int, depth: int) -> Any:
    """Any JSON value with its strings, lists and objects cut short and its nesting cut at ``depth``, and
    redacted (a number that reads as a phone or social security number too)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value if redacted(str(value)) == str(value) else "[REDACTED]"
    if isinstance(value, str):
        return _text(value, chars)
    if depth <= 0:
        return _CUT
    if isinstance(value, list):
        return [_clipped(v, chars=chars, items=items, depth=depth - 1) for v in value[:items]]
    if isinstance(value, dict):
        return {_key(k): _clipped(v, chars=chars, items=items, depth=depth - 1)
                for k, v in list(value.items())[:items]}
    return _text(str(value), chars)


def _table(table: Any) -> dict[str, Any] | None:
    if not isinstance(table, dict):
        return None
    headers, rows = table.get("headers"), table.get("rows")
    return {"headers": [_text(str(h), 80) for h in headers[:12]] if isinstance(headers, list) else [],
            "rows": [[_text(str(c), 120) for c in row[:12]] for row in rows[:15] if isinstance(row, list)]
            if isinstance(rows, list) else []}


def _paragraphs(value: Any) -> str | None:
    """``visibleContent``: at most 5 paragraphs (section 3.10; the producer joins them with newlines),
    each cut at 300 characters as the producer cuts them."""
    if not isinstance(value, str):
        return None
    return "\n".join(_text(line, 300) or "" for line in value.split("\n")[:5])


def prompt_page_content(page: Any) -> dict[str, Any] | None:
    """The page content dimension as a prompt shows it (section 3.10 fields and limits, then
    :data:`PAGE_CONTENT_CHARS` in all).

    Only the spec's fields, in the order a salesperson needs them (what the product is and costs,
    then the text around it): pageTitle, h1, structuredData (10 items), visibleContent (5 paragraphs),
    headings (8), tables (3 of 15 rows), meta (description, keywords). Strings are cut at the
    producer's own lengths. What does not fit the overall cap is left out, item by item."""
    if not isinstance(page, dict):
        return None
    fields: list[tuple[str, Any]] = [
        ("pageTitle", _text(page.get("pageTitle"), 200)),
        ("h1", _text(page.get("h1"), 200)),
        ("structuredData", [_clipped(d, chars=200, items=12, depth=3) for d in page["structuredData"][:10]]
         if isinstance(page.get("structuredData"), list) else None),
        ("visibleContent", _paragraphs(page.get("visibleContent"))),
        ("headings", [_text(str(h), 200) for h in page["headings"][:8]]
         if isinstance(page.get("headings"), list) else None),
        ("tables", [t for t in map(_table, page["tables"][:3]) if t is not None]
         if isinstance(page.get("tables"), list) else None),
        ("meta", {k: v for k in ("description", "keywords") if (v := _text(page["meta"].get(k), 300)) is not None}
         if isinstance(page.get("meta"), dict) else None),
    ]
    out: dict[str, Any] = {}
    for name, value in fields:
        if value is not None and (value := _fitting(out, name, value)):
            out[name] = value
    return out


def _fitting(out: dict[str, Any], name: str, value: Any) -> Any:
    """``value``, or as much of it as fits (a list's first items, a text's beginning) when ``out`` gets it
    as ``name`` within :data:`PAGE_CONTENT_CHARS`; None when nothing does."""
    def fits(v: Any) -> bool:
        return len(json.dumps({**out, name: v})) <= PAGE_CONTENT_CHARS

    if fits(value):
        return value
    if isinstance(value, list):
        n = len(value)
        while n and not fits(value[:n]):
            n -= 1
        return value[:n] or None
    if isinstance(value, str):
        while value and not fits(value + _CUT):
            value = value[:min(len(value) - 1, len(value) * 9 // 10)]
        return value + _CUT if value else None
    return None


def _redacted(value: Any, depth: int = 8) -> Any:
    """A JSON value with each string (and key) redacted, read as far as :data:`DIMENSION_CHARS` shows it."""
    if isinstance(value, str):
        return redacted(value[:DIMENSION_CHARS + _PII_REACH])
    if depth <= 0 and isinstance(value, list | dict):
        return _CUT
    if isinstance(value, list):
        return [_redacted(v, depth - 1) for v in value]
    if isinstance(value, dict):
        return {_key(k, DIMENSION_CHARS): _redacted(v, depth - 1) for k, v in value.items()}
    return value


def _dimension(value: Any) -> str:
    text = json.dumps(_redacted(value), sort_keys=True)
    return text if len(text) <= DIMENSION_CHARS else text[:DIMENSION_CHARS - 1] + _CUT


def _global(value: Any) -> Any:
    """Global intelligence (section 5.9) with its transferable patterns, learnt from other sessions, as
    :func:`shared_pattern` shows them."""
    if not isinstance(value, dict) or not isinstance(value.get("transferablePatterns"), list):
        return value
    return {**value, "transferablePatterns": [shared_pattern(p) for p in value["transferablePatterns"]
                                              if isinstance(p, dict)]}


def packet_context(packet: dict[str, Any]) -> str:
    """The packet's dimensions in the section 9.1 priority order (spatial first, global last): every prompt's
    view of the packet (triage, deep, composer).

    Bounded: page content as :func:`prompt_page_content` shows it, any other dimension cut at
    :data:`DIMENSION_CHARS`. Redacted: each string :func:`~workbench.privacy.redacted` (section 10.1)."""
    order = ("spatial", "temporal", "emotion", "behavioral", "patterns", "intent", "pageContent", "globalIntelligence")
    return "\n".join(f"{dim}: " + (json.dumps(prompt_page_content(packet.get(dim)), sort_keys=True)
                                   if dim == "pageContent" else
                                   _dimension(_global(packet.get(dim)) if dim == "globalIntelligence"
                                              else packet.get(dim))) for dim in order)


#: a name a pattern learnt from other sessions may show: letters, digits, - and _, at most 32 of them
_PLAIN = re.compile(r"[A-Za-z0-9_-]{1,32}")
#: a run of 9 or more digits, whatever separates them ("tel_509_555_0142", "call5095550142"): an SSN has 9, a
#: phone 10, a card 16; no section or vertical needs one, and the section 3.9 patterns do not know "_" as a separator
_DIGIT_RUN = re.compile(r"\d(?:[-_]*\d){8}")


def plain_name(value: object) -> str | None:
    """``value`` when it is a plain short identifier holding no personal data (``pricing``, ``floor-plan``,
    ``rv_dealer``), else None. Section ids and verticals are any 1-64 of ``[\\w.:-]`` a client sends
    (:func:`~workbench.protocol.taxonomy.name_token`): room for a sentence (``SYSTEM:ignore-the-rules...``)
    or a phone number, which would reach every visitor whose prompt shows the pattern; so a name with 9 or more
    digits in it, however they are separated, is none."""
    if isinstance(value, str) and _PLAIN.fullmatch(value) and redacted(value) == value and not _DIGIT_RUN.search(value):
        return value
    return None


def shared_pattern(pattern: dict[str, Any]) -> dict[str, Any]:
    """A pattern learnt from other sessions (section 7.4 knowledge, 5.9 transferable patterns) as a prompt shows
    it: its numbers, booleans and :func:`plain_name` names (a list keeps its plain names); any other field, a
    section id a client wrote as a sentence say, is left out, so the pattern still tells its emotion, numbers
    and geography."""
    shown: dict[str, Any] = {}
    for key, value in pattern.items():
        if plain_name(key) is None:
            continue
        if value is None or isinstance(value, bool | int | float):
            shown[key] = value
        elif isinstance(value, list):
            shown[key] = [v for v in value if plain_name(v) is not None]
        elif plain_name(value) is not None:
            shown[key] = value
    return shown


def knowledge_context(knowledge: Sequence[dict[str, Any]]) -> str:
    """The section 7.4 proven patterns as the prompt shows them (:func:`shared_pattern`): whole patterns, in the
    order given, while they fit :data:`KNOWLEDGE_CHARS` ("" when none does)."""
    shown: list[dict[str, Any]] = []
    for pattern in map(shared_pattern, knowledge):
        if len(json.dumps([*shown, pattern], sort_keys=True)) > KNOWLEDGE_CHARS:
            break
        shown.append(pattern)
    return "\nproven patterns: " + json.dumps(shown, sort_keys=True) if shown else ""
