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

from workbench.report.files import write_report

# characters XML 1.0 cannot hold (ElementTree writes them anyway, and the CI parser then drops the file)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _seconds(ms: float | None) -> str:
    return f"{(ms or 0) / 1000:.3f}"


def to_junit(report: dict[str, Any]) -> str:
    run = report["run"]
    root = ET.Element("testsuites", name=f"workbench run {run['id']}")
    by_persona: dict[str, list[dict[str, Any]]] = {}
    for s in report["sessions"]:
        by_persona.setdefault(s["persona"] or "visitor", []).append(s)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for persona, sessions in by_persona.items():
        suite = ET.SubElement(root, "testsuite", name=persona)
        props = ET.SubElement(suite, "properties")
        for key, value in (("run_id", run["id"]), ("seed", run["seed"]),
                           ("clock", (report.get("config") or {}).get("clock", ""))):
            ET.SubElement(props, "property", name=key, value=str(value))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        # The persona's nth session (in seed-index order, as `workbench compare` pairs them) names a case,
        # not its session id, which changes every run: CI keeps each case's history across builds.
        ordered = sorted(sessions, key=lambda s: (s.get("seed_index") is None, s.get("seed_index") or 0))
        for nth, s in enumerate(ordered, 1):
            checks = s["checks"] or [{"name": "session", "status": "error", "expected": "session scored",
                                      "actual": s.get("error") or "no scores stored"}]
            for c in checks:
                case = ET.SubElement(suite, "testcase", classname=f"{persona}.session_{nth}", name=_text(c["name"]),
                                     time=_seconds(s.get("wall_ms") if c is checks[0] else 0))
                counts["tests"] += 1
                text = _text(f"expected: {c['expected']}\nactual:   {c['actual']}\nsession:  {s['session_id']}")
                if c["status"] == "fail":
                    counts["failures"] += 1
                    el = ET.SubElement(case, "failure", message=_text(f"expected {c['expected']}; got {c['actual']}"),
                                       type="expectation")
                    el.text = text
                elif c["status"] == "error":
                    counts["errors"] += 1
                    el = ET.SubElement(case, "error", message=_text(c["actual"]), type="infrastructure")
                    el.text = text
                elif c["status"] == "skip":
                    counts["skipped"] += 1
                    ET.SubElement(case, "skipped", message=_text(c["actual"] or c["expected"]))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", _seconds(sum(s.get("wall_ms") or 0 for s in sessions)))
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(report: dict[str, Any], path: str | Path) -> Path:
    return write_report(path, to_junit(report), "JUnit report")
