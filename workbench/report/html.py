"""A self-contained HTML report of a run: one file, no scripts, no external assets.

Per session: the cursor trail (as the producer sampled it, on page coordinates) drawn as SVG
over a downscaled full-page screenshot taken at the end of the session, the emotion timeline,
the bot verdict with the signals that fired, and the session's expectations. For the run: the
verdict, per-persona results, the confusion matrix and precision / recall.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

from workbench.protocol.taxonomy import category
from workbench.report.files import finite, write_report

COLOURS = {"cognitive": "#2b8cbe", "negative": "#d7301f", "positive": "#1a9850", "mixed": "#e6a100"}
STATUS = {"pass": ("✔", "#1a9850"), "fail": ("✘", "#d7301f"), "skip": ("–", "#888"), "error": ("!", "#8e44ad")}
TRAIL_COLOURS = ("#313695", "#4575b4", "#74add1", "#fdae61", "#f46d43", "#a50026")
TRAIL_WIDTH = 560  # px on screen

CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f4f6f9;color:#1d2733}
header{background:#14263f;color:#fff;padding:18px 28px}
header h1{margin:0 0 6px;font-size:21px} header .meta{opacity:.85}
main{padding:20px 28px;max-width:1400px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:700;color:#fff;margin-left:8px}
.pass{background:#1a9850}.fail{background:#d7301f}.error{background:#8e44ad}.none{background:#888}
table{border-collapse:collapse;background:#fff;margin:8px 0 18px;font-size:13px}
th,td{border:1px solid #d8dee6;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef2f7} section.session td:first-child{white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}
section.session{background:#fff;border:1px solid #d8dee6;border-radius:8px;margin:18px 0;padding:14px 18px}
section.session h3{margin:0 0 8px} .cols{display:flex;gap:24px;flex-wrap:wrap}
.cols>div{min-width:300px;flex:1} .muted{color:#6b7785} .mono{font-family:ui-monospace,monospace;font-size:12px}
.trail{border:1px solid #c8d0da;background:#fafbfc}
h2{margin:26px 0 6px;font-size:18px}
"""


def _badge(verdict: str | None) -> str:
    v = verdict or "none"
    return f'<span class="badge {escape(v)}">{escape(v.upper())}</span>'


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(value: Any) -> str:
    """A stored value for the page: numbers rounded, anything else escaped, since SQLite keeps text in a
    number column (type affinity) and a row the workbench did not write must show as text, not markup."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}"
    return escape(str(value))


def _text(value: Any) -> str:
    """Stored text escaped for the page, nothing for None (a walk-in visitor of ``workbench serve`` has no persona)."""
    return "" if value is None else escape(str(value))


def _drawable(rows: Any) -> list[list[Any]]:
    """The trail's ``[t, x, y, ...]`` rows whose x and y are finite numbers, x and y as floats.

    The trail is a JSON column: a row the workbench did not write is left out, not written into an attribute.
    """
    if not isinstance(rows, list):
        return []
    return [[row[0], float(row[1]), float(row[2]), *row[3:]] for row in rows if isinstance(row, list)
            and len(row) >= 3 and finite(row[1]) is not None and finite(row[2]) is not None]


def _width(trail: dict[str, Any]) -> float:
    """The page width the trail was sampled on (the SVG's scale); the default viewport's when none is usable."""
    viewport = trail.get("viewport")
    width = finite(viewport[0]) if isinstance(viewport, list) and viewport else None
    return width if width is not None and width > 0 else 1280.0


def _colour(emotion: str) -> str:
    try:
        return COLOURS[category(emotion)]
    except ValueError:
        return "#888"


# --- run-level tables ---------------------------------------------------------------------------

def _tally(counts: dict[str, int]) -> str:
    return " ".join(f'<b style="color:{STATUS[st][1]}" title="{st}">{STATUS[st][0]}{_fmt(n)}</b>'
                    for st, n in sorted(counts.items()) if st in STATUS)


def _overview(report: dict[str, Any]) -> str:
    summary = report.get("summary") or {}
    names = ("emotion", "forbidden_emotions", "bot_verdict", "signals", "intervention")
    rows = []
    for persona, r in (summary.get("per_persona") or {}).items():
        truth = (summary.get("ground_truth") or {}).get(persona, {})
        expected = "bot" if truth.get("bot") else ", ".join(truth.get("emotions", [])) or "–"
        detected = ", ".join(f"{escape(k)}×{_fmt(v)}" for k, v in sorted(r["detected"].items(), key=lambda kv: -kv[1]))
        rows.append([f'<a href="#p-{escape(persona)}">{escape(persona)}</a>', _fmt(r["sessions"]), _fmt(r["passed"]),
                     _fmt(r["errors"]), escape(expected), detected, *(_tally(r["checks"].get(n, {})) for n in names)])
    html = ("<h2>Personas</h2><p class='muted'>expectations: ✔ pass · ✘ fail · – skipped (n/a) · ! error</p>"
            + _table(["persona", "sessions", "passed", "errors", "expected (any of)", "detected (dominant)",
                      "emotion", "forbidden", "bot verdict", "signals", "intervention"], rows, {1, 2, 3}))
    confusion = summary.get("confusion") or {}
    cols = sorted({c for row in confusion.values() for c in row})
    if confusion:
        rows = [[escape(p)] + [_fmt(row.get(c, "")) for c in cols] for p, row in confusion.items()]
        html += ("<h2>Confusion matrix</h2><p class='muted'>rows: the persona (expected class); columns: each "
                 "session's dominant emotion, or <i>bot</i> when the filter caught it.</p>"
                 + _table(["persona \\ detected", *cols], rows, set(range(1, len(cols) + 1))))
    pr = summary.get("emotion_precision_recall") or {}
    rows = [[f'<span style="color:{_colour(e)}">■</span> {escape(e)}', *(_fmt(v[k]) for k in
             ("tp", "fp", "fn", "precision", "recall"))] for e, v in pr.items()]
    bot = summary.get("bot_precision_recall")
    if bot:
        rows.append(["<b>bot detection</b>", *(_fmt(bot[k]) for k in ("tp", "fp", "fn", "precision", "recall"))])
    if rows:
        html += ("<h2>Precision and recall</h2><p class='muted'>per emotion: a prediction when any packet says it; "
                 "a miss (fn) when its persona lists it and the session said none of the emotions the persona "
                 "lists. A listed emotion not said while another listed one was is <i>covered</i>, no miss. "
                 "The classifier's abstention, <i>uncertainty</i>, stays out of the means.</p>"
                 + _table(["", "tp", "fp", "fn", "precision", "recall"], rows, {1, 2, 3, 4, 5}))
    found = report.get("attribution")
    if found:
        rows = [[escape(expected), escape(observed), _fmt(n)] for expected, seen in found["matrix"].items()
                for observed, n in seen.items()]
        html += (f"<h2>Outcome attribution</h2><p class='muted'>Seer observed the expected outcome for "
                 f"<b>{_fmt(found['agreed'])} of {_fmt(found['answered'])}</b> interventions the personas answered. "
                 "Expected: the persona's answer if acted out inside the attribution window, <i>left</i> if the page "
                 "closed inside it, else <i>no_response</i>.</p>" + _table(["expected", "observed", "n"], rows, {2}))
    html += _rage(report.get("rage"))
    return html


def _rage(rage: dict[str, Any] | None) -> str:
    """The run's clicks by EITP's rage-click rule and four other tools' (``workbench rage``)."""
    if not rage or not any(s["clicks"] for s in rage["sessions"]):
        return ""
    defs = rage["definitions"]
    rows = [[escape(d["name"]), f"{_fmt(d['caught'])}/{_fmt(d['expected'])}",
             f"{_fmt(d['false_alarms'])}/{_fmt(d['unexpected'])}", _fmt(d["bursts"]), escape(d["rule"]),
             escape(d["source"])] for d in defs]
    per = [[f'<a href="#{escape(s["session_id"])}">{_text(s["persona"] or "visitor")}</a>',
            _text(s["expects"]), _fmt(s["clicks"]),
            _fmt(s["sent"]), *("n/a" if s["bursts"][d["definition"]] is None else _fmt(s["bursts"][d["definition"]])
                               for d in defs)] for s in rage["sessions"] if s["clicks"]]
    return ("<h2>Rage clicks, five ways</h2><p class='muted'>each session's clicks replayed through EITP's rule "
            "(this run's thresholds) and the other tools' defaults. <i>caught</i>: sessions whose persona is built "
            "to rage-click; <i>false alarms</i>: the other humans (bots are not counted). <i>sent</i>: what the "
            "producer reported live.</p>"
            + _table(["definition", "caught", "false alarms", "bursts", "rule", "source"], rows, {3})
            + _table(["session", "expects", "clicks", "sent", *(escape(d["name"]) for d in defs)], per,
                     set(range(2, 4 + len(defs)))))


# --- per-session figures ------------------------------------------------------------------------

# The stored screenshot is whatever DevTools' ``Page.captureScreenshot`` was asked for: PNG in databases
# written before WebP was used, WebP since (see ``workbench.sim.runner._screenshot``), JPEG if the runner is
# set to it. Each is told by its first bytes, not by the column's name (``png``, kept to spare a migration).
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_IHDR_END = 24  # signature 8, chunk length 4, "IHDR" 4, width 4, height 4
JPEG_SOI = b"\xff\xd8"
# Start-of-frame markers that carry the image size and that browsers decode: baseline, extended
# sequential, progressive. Others (lossless, arithmetic-coded) are left undrawn rather than drawn blank.
JPEG_SOF = (0xC0, 0xC1, 0xC2)
JPEG_SOS, JPEG_EOI = 0xDA, 0xD9  # past these no frame header can come: the data is entropy-coded
JPEG_NO_LENGTH = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RST0-7 stand alone, with no length field
WEBP_HEADER_END = 12  # "RIFF", the file's size, "WEBP"; then the first chunk's tag and size (8)
WEBP_VP8_START_CODE = b"\x9d\x01\x2a"  # a lossy key frame's, after its 3-byte frame tag
WEBP_VP8L_SIGNATURE = 0x2F
WEBP_DIMENSION_MASK = 0x3FFF  # VP8 and VP8L sizes are 14 bits (VP8's upper 2 bits are an upscaling hint)


def _png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the IHDR chunk, which the format puts first."""
    if len(data) < PNG_IHDR_END or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the start-of-frame header: walked to segment by segment (APPn, DQT, DHT
    come before it, each with its length), since where it lies depends on the encoder. None for data cut
    short, a length that cannot be, or no frame header before the scan."""
    i = len(JPEG_SOI)
    while i + 1 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # a fill byte before the marker
            i += 1
            continue
        if marker in JPEG_NO_LENGTH:
            i += 2
            continue
        if marker in (JPEG_SOS, JPEG_EOI) or i + 4 > len(data):
            return None
        length = int.from_bytes(data[i + 2:i + 4], "big")  # counts itself, not the marker
        if length < 2:
            return None
        if marker in JPEG_SOF:
            if length < 7 or i + 9 > len(data):  # precision 1, height 2, width 2 (and the components)
                return None
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the first chunk: the extended header's canvas (VP8X), else the lossy (VP8)
    or lossless (VP8L) bitstream's own header."""
    if len(data) < WEBP_HEADER_END + 8 or data[8:12] != b"WEBP":
        return None
    kind, body = data[12:16], data[20:]
    if kind == b"VP8X" and len(body) >= 10:  # flags 4, then canvas width - 1 and height - 1, 24 bits each
        return 1 + int.from_bytes(body[4:7], "little"), 1 + int.from_bytes(body[7:10], "little")
    if kind == b"VP8 " and len(body) >= 10 and body[3:6] == WEBP_VP8_START_CODE:
        return (int.from_bytes(body[6:8], "little") & WEBP_DIMENSION_MASK,
                int.from_bytes(body[8:10], "little") & WEBP_DIMENSION_MASK)
    if kind == b"VP8L" and len(body) >= 5 and body[0] == WEBP_VP8L_SIGNATURE:
        bits = int.from_bytes(body[1:5], "little")  # width - 1 and height - 1, 14 bits each
        return 1 + (bits & WEBP_DIMENSION_MASK), 1 + (bits >> 14 & WEBP_DIMENSION_MASK)
    return None


IMAGE_FORMATS = ((PNG_SIGNATURE, "image/png", _png_size), (JPEG_SOI, "image/jpeg", _jpeg_size),
                 (b"RIFF", "image/webp", _webp_size))


def _image_size(data: bytes) -> tuple[str, int, int] | None:
    """The MIME type and pixel size of a stored screenshot, told by its first bytes; None for anything
    else or a header cut short, so a damaged row leaves the trail without a background instead of
    drawing it at a wrong size."""
    for magic, mime, size in IMAGE_FORMATS:
        if data.startswith(magic):
            found = size(data)
            return (mime, *found) if found and found[0] and found[1] else None
    return None


def _screenshot_image(shot: tuple[bytes, float] | None) -> str | None:
    """The stored screenshot as an SVG ``<image>`` in the page's own CSS px (the trail's units), which
    is not the viewport's width: a full-page screenshot leaves out the scrollbar. Its size is read from
    the image's own header and the stored scale (image px per CSS px); None when either is unusable."""
    if shot is None:
        return None
    data, per_css_px = shot
    scale = finite(per_css_px)
    found = _image_size(data)
    if found is None or not scale or scale <= 0:
        return None
    mime, width, height = found
    return (f'<image href="data:{mime};base64,{base64.b64encode(data).decode()}" x="0" y="0" '
            f'width="{width / scale:.1f}" height="{height / scale:.1f}" preserveAspectRatio="none" opacity="0.55"/>')


def _trail_svg(session: dict[str, Any], shot: tuple[bytes, float] | None) -> str:
    trail = session.get("trail") or {}
    points = _drawable(trail.get("points"))
    clicks = _drawable(trail.get("clicks"))
    width = _width(trail)
    if not points and shot is None:
        return "<p class='muted'>no cursor samples</p>"
    ys = [p[2] for p in points] + [c[2] for c in clicks]
    top = max(0.0, min(ys) - 120) if ys else 0.0
    bottom = (max(ys) + 120) if ys else 800.0
    height = max(bottom - top, 300.0)
    scale = TRAIL_WIDTH / width
    parts = [f'<svg class="trail" width="{TRAIL_WIDTH}" height="{height * scale:.0f}" '
             f'viewBox="0 {top:.0f} {width:.0f} {height:.0f}" xmlns="http://www.w3.org/2000/svg">']
    image = _screenshot_image(shot)
    if image is not None:
        parts.append(image)
    if points:
        # Colour runs from blue (start) to red (end). Where the page scrolled under a resting
        # cursor, the cursor did not move on screen: a dashed grey connector, not trail.
        n = len(points)

        def colour(i: int) -> str:
            return TRAIL_COLOURS[min(i * len(TRAIL_COLOURS) // n, len(TRAIL_COLOURS) - 1)]

        segments: list[tuple[str, list[list[float]]]] = []
        run, run_colour = [points[0]], colour(0)
        for i in range(1, n):
            prev, cur = points[i - 1], points[i]
            if len(cur) > 3 and len(prev) > 3 and cur[3] != prev[3]:  # scrolled between the two samples
                segments.append((run_colour, run))
                parts.append(f'<line x1="{prev[1]}" y1="{prev[2]}" x2="{cur[1]}" y2="{cur[2]}" stroke="#8896a6" '
                             'stroke-width="1.2" stroke-dasharray="5 5"/>')
                run, run_colour = [cur], colour(i)
                continue
            run.append(cur)
            if colour(i) != run_colour:
                segments.append((run_colour, run))
                run, run_colour = [cur], colour(i)
        segments.append((run_colour, run))
        for stroke, seg in segments:
            if len(seg) > 1:
                coords = " ".join(f"{p[1]:.1f},{p[2]:.1f}" for p in seg)
                parts.append(f'<polyline points="{coords}" fill="none" stroke="{stroke}" stroke-width="2.2" '
                             'stroke-linejoin="round" stroke-opacity="0.9"/>')
        x0, y0 = points[0][1], points[0][2]
        x1, y1 = points[-1][1], points[-1][2]
        parts.append(f'<circle cx="{x0}" cy="{y0}" r="7" fill="#fff" stroke="#313695" stroke-width="3"/>')
        parts.append(f'<rect x="{x1 - 6}" y="{y1 - 6}" width="12" height="12" fill="#a50026"/>')
    for c in clicks:
        parts.append(f'<circle cx="{c[1]}" cy="{c[2]}" r="9" fill="none" stroke="#e6a100" stroke-width="3"/>'
                     f'<circle cx="{c[1]}" cy="{c[2]}" r="2.5" fill="#e6a100"/>')
    parts.append("</svg>")
    legend = ("<div class='muted'>trail: blue (start, ○) → red (end, ■); dashed: the page scrolled under "
              "the cursor; clicks ◎ amber; "
              f"{len(points)} samples, {len(clicks)} clicks"
              + ("" if image else "; no screenshot stored" if shot is None else "; the stored screenshot is not "
                 "a PNG, JPEG or WebP image with a size and scale, so it is not drawn") + "</div>")
    return "".join(parts) + legend


def _timeline_svg(session: dict[str, Any]) -> str:
    emotions = session.get("emotions") or []
    if not emotions:
        return "<p class='muted'>no packets (bots never reach inference)</p>"
    total = max(max(e["t_ms"] for e in emotions), (session.get("simulated_ms") or 0), 1.0)
    w, h, pad = 560.0, 64.0, 4.0
    parts = [f'<svg width="{w:.0f}" height="{h + 22:.0f}" xmlns="http://www.w3.org/2000/svg">',
             f'<rect x="0" y="0" width="{w}" height="{h}" fill="#eef2f7"/>']
    prev = 0.0
    for e in emotions:
        x0, x1 = prev / total * w, max(e["t_ms"] / total * w, prev / total * w + 3)
        bar = h * (0.35 + 0.65 * (finite(e.get("intensity")) or 0.0))
        parts.append(f'<rect x="{x0 + 1:.1f}" y="{h - bar:.1f}" width="{max(x1 - x0 - 2, 2):.1f}" height="{bar:.1f}" '
                     f'fill="{_colour(e["emotion"])}" '
                     f'opacity="{0.45 + 0.5 * (finite(e.get("confidence")) or 0.0):.2f}">'
                     f'<title>{_text(e["emotion"])} · conf {_fmt(e["confidence"])} · int {_fmt(e["intensity"])} · '
                     f'{_text(e["section"])} · {e["t_ms"] / 1000:.1f}s</title></rect>')
        if x1 - x0 > 40:
            parts.append(f'<text x="{x0 + pad:.1f}" y="14" font-size="10" fill="#1d2733">'
                         f'{_text(str(e["emotion"])[:int((x1 - x0) / 5.5)])}</text>')  # cut, then escaped
        prev = e["t_ms"]
    parts.append(f'<text x="0" y="{h + 16}" font-size="10" fill="#6b7785">0 s</text>'
                 f'<text x="{w - 40}" y="{h + 16}" font-size="10" fill="#6b7785">{total / 1000:.0f} s</text></svg>')
    seq = " → ".join(f'<span style="color:{_colour(e["emotion"])}">{escape(e["emotion"])}</span>' for e in emotions)
    return "".join(parts) + f"<div class='mono'>{seq}</div>"


def _bot(session: dict[str, Any]) -> str:
    verdicts = session.get("bot_verdicts") or []
    final = verdicts[-1] if verdicts else None
    if final is None:
        who = escape(session.get("bot") or "uncertain")
        return f"<p><b>{who}</b> <span class='muted'>(no verdict logged)</span></p>"
    signals = ", ".join(_text(s) for s in final["signals"]) or "none"
    return (f"<p><b>{_text(final['classification'])}</b> (confidence {_fmt(final['confidence'])}) · signals: "
            f"<b>{signals}</b><br><span class='muted'>{_text(final['reasoning'])}</span></p>")


def _seer(session: dict[str, Any]) -> str:
    said = session.get("interventions") or []
    if not said:
        return ""
    rows = [[f"{i['t_ms'] / 1000:.1f} s", escape(i["emotion"]), escape(i["strategy"]), escape(i["message"]),
             escape(i["outcome"] or "pending"), escape(i["expected"] or "–")] for i in said]
    return "<h4>Seer</h4>" + _table(["at", "emotion", "strategy", "message", "outcome", "expected"], rows)


def _session(session: dict[str, Any], shot: tuple[bytes, float] | None) -> str:
    checks = [[f'<b style="color:{STATUS.get(c["status"], ("?", "#888"))[1]}">'
               f'{STATUS.get(c["status"], ("?", "#888"))[0]} {escape(c["status"])}</b>',
               escape(c["name"]), escape(c["expected"]), escape(c["actual"])] for c in session.get("checks") or []]
    fid = session.get("fidelity") or {}
    facts = (f"{_fmt(session.get('clock'))} time · simulated {((session.get('simulated_ms') or 0) / 1000):.1f} s · "
             f"wall {((session.get('wall_ms') or 0) / 1000):.1f} s · seed {_fmt(session.get('seed'))}"
             f"/{_fmt(session.get('seed_index'))} · {_fmt(session.get('events'))} events · "
             f"{_fmt(session.get('packets'))} packets"
             f" · position error median {_fmt(fid.get('median_px'))} px, p95 {_fmt(fid.get('p95_px'))} px")
    error = f"<p style='color:#8e44ad'><b>error:</b> {escape(session['error'])}</p>" if session.get("error") else ""
    return (f'<section class="session" id="{escape(session["session_id"])}"><h3>{escape(session["persona"] or "")} '
            f'<span class="muted mono">{escape(session["session_id"])}</span>{_badge(session.get("verdict"))}</h3>'
            f'<div class="muted">{facts}</div>{error}<div class="cols"><div>{_trail_svg(session, shot)}</div>'
            f'<div><h4>Emotion timeline</h4>{_timeline_svg(session)}<h4>Bot verdict</h4>{_bot(session)}{_seer(session)}'
            f'<h4>Expectations</h4>{_table(["", "expectation", "expected", "actual"], checks)}</div></div></section>')


def render_html(report: dict[str, Any], screenshots: dict[str, tuple[bytes, float]] | None = None) -> str:
    screenshots = screenshots or {}
    run, config, summary = report["run"], report.get("config") or {}, report.get("summary") or {}
    wall, sim = run.get("wall_s"), run.get("simulated_s")
    ratio = f" ({sim / wall:.1f}× real time)" if wall and sim else ""
    meta = (f"{_text(config.get('clock') or '?')} time · concurrency {_fmt(config.get('concurrency', '?'))} · seed "
            f"{_fmt(run.get('seed'))} · site {escape(run.get('site') or '')} · started {escape(run['started_at'])} · "
            f"{len(report['sessions'])} sessions · {_fmt(summary.get('passed', 0))} passed, "
            f"{_fmt(summary.get('failed', 0))} failed, {_fmt(summary.get('errors', 0))} errors · "
            f"simulated {sim or 0:.0f} s in {wall or 0:.0f} s wall{ratio}")
    seen: set[str] = set()
    cards = []
    for s in report["sessions"]:
        anchor = "" if s["persona"] in seen else f'<a id="p-{escape(s["persona"] or "")}"></a>'
        seen.add(s["persona"])
        cards.append(anchor + _session(s, screenshots.get(s["session_id"])))
    body = "".join(cards)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>EITP Workbench run {escape(run['id'])}"
            f"</title><style>{CSS}</style></head><body><header><h1>EITP Workbench run {escape(run['id'])}"
            f"{_badge(report.get('verdict'))}</h1><div class='meta'>{meta}</div></header><main>"
            f"{_overview(report)}<h2>Sessions</h2>{body}</main></body></html>\n")


def write_html(report: dict[str, Any], path: str | Path,
               screenshots: dict[str, tuple[bytes, float]] | None = None) -> Path:
    return write_report(path, render_html(report, screenshots), "HTML report")
