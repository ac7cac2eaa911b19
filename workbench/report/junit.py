"""JUnit XML: one testsuite per persona, one testcase per session expectation.

A failed expectation is a ``<failure>`` carrying expected and actual; a session that could
not be carried out is an ``<error>``; an expectation that cannot be observed (no consumer
yet, nothing declared) is ``<skipped>``. CI systems read this without knowing EITP.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from workbench.report.files import finite, write_report

# characters XML 1.0 cannot hold (ElementTree writes them anyway, and the CI parser then drops the file)
_NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: Any, *, codes: bool = False) -> str:
    """``value`` as text any XML 1.0 reader takes: what it cannot hold becomes U+FFFD, or with ``codes``
    ``\\xNN`` (where the byte itself is the news: a bridge's -ERR in the conformance report)."""
    if codes:
        return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))
    return _NOT_XML.sub("\ufffd", str(value))


def _ms(value: Any) -> float:
    """A stored wall time in ms, 0 when it is not a finite number: ``time="nan"`` or ``"inf"`` fails CI readers."""
    found = finite(value)
    return 0.0 if found is None else found


def _seconds(ms: Any) -> str:
    return f"{_ms(ms) / 1000:.3f}"


def _unique(names: list[str]) -> list[str]:
    """``names`` with a repeat numbered (``emotion (2)``): CI keys a case's history by classname and name, so
    two cases of one session under one name (a session scored twice) would merge or replace each other."""
    used: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate in used:
            n += 1
            candidate = f"{name} ({n})"
        used.add(candidate)
        out.append(candidate)
    return out


def to_junit(report: dict[str, Any]) -> str:
    run = report["run"]
    root = ET.Element("testsuites", name=xml_text(f"workbench run {run['id']}"))
    by_persona: dict[str, list[dict[str, Any]]] = {}
    for s in report["sessions"]:
        # grouped by the name as written: two personas that differ only by a character XML cannot hold share a
        # suite (and its session numbering), so their cases cannot end up with one classname
        by_persona.setdefault(xml_text(s["persona"] or "visitor"), []).append(s)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for persona, sessions in by_persona.items():
        suite = ET.SubElement(root, "testsuite", name=persona)
        props = ET.SubElement(suite, "properties")
        for key, value in (("run_id", run["id"]), ("seed", run["seed"]),
                           ("clock", (report.get("config") or {}).get("clock", ""))):
            ET.SubElement(props, "property", name=key, value=xml_text(value))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        # The persona's nth session (in seed-index order, as `workbench compare` pairs them) names a case,
        # not its session id, which changes every run: CI keeps each case's history across builds.
        ordered = sorted(sessions, key=lambda s: (s.get("seed_index") is None, s.get("seed_index") or 0))
        for nth, s in enumerate(ordered, 1):
            checks = s["checks"] or [{"name": "session", "status": "error", "expected": "session scored",
                                      "actual": s.get("error") or "no scores stored"}]
            for c, name in zip(checks, _unique([xml_text(c["name"]) for c in checks]), strict=True):
                case = ET.SubElement(suite, "testcase", classname=f"{persona}.session_{nth}", name=name,
                                     time=_seconds(s.get("wall_ms") if c is checks[0] else 0))
                counts["tests"] += 1
                text = xml_text(f"expected: {c['expected']}\nactual:   {c['actual']}\nsession:  {s['session_id']}")
                if c["status"] == "fail":
                    counts["failures"] += 1
                    got = xml_text(f"expected {c['expected']}; got {c['actual']}")
                    el = ET.SubElement(case, "failure", message=got, type="expectation")
                    el.text = text
                elif c["status"] == "error":
                    counts["errors"] += 1
                    el = ET.SubElement(case, "error", message=xml_text(c["actual"]), type="infrastructure")
                    el.text = text
                elif c["status"] == "skip":
                    counts["skipped"] += 1
                    ET.SubElement(case, "skipped", message=xml_text(c["actual"] or c["expected"]))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", _seconds(sum(_ms(s.get("wall_ms")) for s in sessions)))
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(report: dict[str, Any], path: str | Path) -> Path:
    return write_report(path, to_junit(report), "JUnit report")
