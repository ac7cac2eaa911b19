"""Reports of a stored run: JSON, JUnit XML, a self-contained HTML page and terminal tables.

Every report is rendered from :func:`workbench.store.repo.run_report`, so ``workbench run``
and ``workbench show RUN`` print and write the same thing from the same SQLite rows.
"""

from __future__ import annotations

from typing import Any

from workbench.errors import UsageError
from workbench.report.html import render_html, write_html
from workbench.report.json_report import to_json, write_json
from workbench.report.junit import to_junit, write_junit

__all__ = ["render_html", "write_html", "to_json", "write_json", "to_junit", "write_junit", "write_reports"]


def write_reports(report: dict[str, Any], shots: dict[str, tuple[bytes, float]], *, json: str | None = None,
                  junit: str | None = None, html: str | None = None) -> tuple[list[str], UsageError | None]:
    """Write the reports asked for, in that order: a line naming each one written, and the failure that
    stopped the rest (a full disk; the paths were checked before the run or the read) or None.

    ``run`` and ``show`` write them before printing anything, so that a reader of the output that goes
    away (``| head -1``, exit 141) does not cost them."""
    written: list[str] = []
    try:
        if json:
            written.append(f"JSON report: {write_json(report, json)}")
        if junit:
            written.append(f"JUnit report: {write_junit(report, junit)}")
        if html:
            written.append(f"HTML report: {write_html(report, html, shots)}")
    except UsageError as exc:
        return written, exc
    return written, None
