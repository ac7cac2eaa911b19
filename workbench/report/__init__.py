"""Reports of a stored run: JSON, JUnit XML, a self-contained HTML page and terminal tables.

Every report is rendered from :func:`workbench.store.repo.run_report`, so ``workbench run``
and ``workbench show RUN`` print and write the same thing from the same SQLite rows.
"""

from workbench.report.html import render_html, write_html
from workbench.report.json_report import to_json, write_json
from workbench.report.junit import to_junit, write_junit

__all__ = ["render_html", "write_html", "to_json", "write_json", "to_junit", "write_junit"]
