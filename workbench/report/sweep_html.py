"""A self-contained HTML page of a threshold sweep (``workbench sweep --html``): one file, no scripts.

The settings, each persona's result under each of them, the run-level figures, and, when one
threshold varies over numbers, a chart of those figures against its value, which is where a
threshold's trade-off shows: how many sessions still pass, how many bots are caught, how many
people are judged bots.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from workbench.report.files import write_report
from workbench.report.html import CSS, _table

SERIES = (("passed", "sessions passing", "#1a9850"), ("bots_caught", "bots caught", "#2b8cbe"),
          ("humans_flagged", "humans judged bots", "#d7301f"), ("changed", "concluded differently", "#e6a100"))
W, H, PAD = 640, 260, 44


def _figures(row: dict[str, Any]) -> dict[str, float]:
    bot = row.get("bot") or {}
    return {"passed": row["passed"], "bots_caught": bot.get("tp") or 0, "humans_flagged": bot.get("fp") or 0,
            "changed": len(row.get("differs") or ())}


def _numeric_axis(rows: list[dict[str, Any]]) -> tuple[str, list[float]] | None:
    """The one threshold the settings vary over numbers, with its values (the base setting left out)."""
    keys = {k for r in rows[1:] for k in r["overrides"]}
    if len(keys) != 1 or len(rows) < 3:
        return None
    key = keys.pop()
    values = [r["overrides"].get(key) for r in rows[1:]]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return None
    return key, [float(v) for v in values]


def chart_svg(rows: list[dict[str, Any]]) -> str:
    """A line per figure against the varied threshold's value; empty when the settings are not one numeric axis."""
    axis = _numeric_axis(rows)
    if axis is None:
        return ""
    key, xs = axis
    data = [_figures(r) for r in rows[1:]]
    top = max(1.0, max(max(d.values()) for d in data), float(rows[0]["sessions"]))
    lo, hi = min(xs), max(xs)

    def px(x: float) -> float:
        return PAD + (W - 2 * PAD) * ((x - lo) / (hi - lo) if hi > lo else 0.5)

    def py(y: float) -> float:
        return H - PAD + (2 * PAD - H) * y / top

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img" '
             f'aria-label="figures against {escape(key)}" style="background:#fff;border:1px solid #d8dee6">',
             f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#888"/>',
             f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#888"/>',
             f'<text x="{W / 2}" y="{H - 8}" text-anchor="middle" font-size="12">{escape(key)}</text>',
             f'<text x="{PAD - 6}" y="{PAD}" text-anchor="end" font-size="11">{top:g}</text>',
             f'<text x="{PAD - 6}" y="{H - PAD}" text-anchor="end" font-size="11">0</text>']
    for x in xs:
        parts.append(f'<text x="{px(x):.1f}" y="{H - PAD + 14}" text-anchor="middle" font-size="11">{x:g}</text>')
    for i, (name, label, colour) in enumerate(SERIES):
        points = " ".join(f"{px(x):.1f},{py(d[name]):.1f}" for x, d in zip(xs, data, strict=True))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        parts += [f'<circle cx="{px(x):.1f}" cy="{py(d[name]):.1f}" r="3" fill="{colour}"/>'
                  for x, d in zip(xs, data, strict=True)]
        parts.append(f'<text x="{W - PAD + 4 - 150}" y="{PAD + 14 * i}" font-size="11" fill="{colour}">'
                     f'■ {escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_sweep_html(title: str, notes: list[str], rows: list[dict[str, Any]], labels: list[str],
                      personas: list[str]) -> str:
    """``rows``: :meth:`workbench.lab.Result.as_dict` per setting, the base first; ``labels`` name them."""
    legend = _table(["", "setting"], [[f"S{i}", escape(label)] for i, label in enumerate(labels)])
    per = []
    for p in personas:
        cells = []
        for r in rows:
            got = r["per_persona"].get(p, {"passed": 0, "sessions": 0})
            ok = got["passed"] == got["sessions"]
            text = ("✔" if ok else "✘") if got["sessions"] == 1 else f"{got['passed']}/{got['sessions']}"
            cells.append(f'<span style="color:{"#1a9850" if ok else "#d7301f"}">{text}</span>')
        per.append([escape(p), *cells])
    figures = [[label, *(str(_figures(r)[name]) for r in rows)] for name, label, _ in SERIES]
    figures[0] = ["sessions passing", *(f"{r['passed']}/{r['sessions']}" for r in rows)]
    heads = ["", *(f"S{i}" for i in range(len(rows)))]
    chart = chart_svg(rows)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{CSS}</style></head><body><header><h1>{escape(title)}</h1><div class='meta'>"
            + " · ".join(escape(n) for n in notes) + "</div></header><main><h2>Settings</h2>" + legend
            + (f"<h2>Figures against the threshold</h2>{chart}" if chart else "")
            + "<h2>Per persona</h2><p class='muted'>sessions passing their expectations under each setting</p>"
            + _table(["persona", *heads[1:]], per)
            + "<h2>Run figures</h2>" + _table(heads, figures, set(range(1, len(heads))))
            + "</main></body></html>\n")


def write_sweep_html(path: str | Path, *args: Any) -> Path:
    return write_report(path, render_sweep_html(*args), "sweep report")
