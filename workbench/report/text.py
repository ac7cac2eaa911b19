"""Scores of a stored run as terminal tables (rich); ``workbench run`` and ``workbench show``."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from workbench.cli.printer import printable
from workbench.scoring import dominant

MARK = {"pass": "[green]✔[/]", "fail": "[red]✘[/]", "skip": "[dim]–[/]", "error": "[magenta]![/]"}
VERDICT = {"pass": "[bold green]PASS[/]", "fail": "[bold red]FAIL[/]", "error": "[bold magenta]ERROR[/]"}
CHECKS = ("emotion", "forbidden_emotions", "bot_verdict", "signals", "intervention")
CHECK_LABELS = ("emotion", "forbidden", "bot ok", "signals", "interv.")


def as_text(value: Any) -> Text:
    """Stored text (page text, LLM output, error strings) as printed: a :class:`Text` is never read as rich
    markup, where ``[/]`` alone raises and ``[link=...]`` makes a link, nor as ``:emoji:`` codes, which
    ``markup.escape`` leaves to turn ``:warning:`` into a symbol; and its control characters are U+FFFD
    (:func:`~workbench.cli.printer.printable`), so it cannot retitle or clear the operator's terminal."""
    return Text("" if value is None else printable(value))


def _dominant(session: dict[str, Any]) -> str:
    return dominant(e["emotion"] for e in session.get("emotions") or [])


def _sessions_table(report: dict[str, Any], *, compact: bool) -> Table:
    """One row per session. ``compact`` stacks persona over session id and dominant over bot verdict and
    gathers the five checks in one column, so that a terminal of 80 columns shows every name whole."""
    title = Text(f"sessions of {report['run']['id']}", style="table.title")
    if compact:
        table = Table(title=title, title_justify="left", caption_justify="left",
                      caption="checks, in order: " + " · ".join(CHECK_LABELS)
                      + " (✔ held, ✘ failed, – not checked, ! error)")
        for col in ("visit", "detected", "checks", "sim s", "p95 px"):
            table.add_column(col, justify="right" if col in ("sim s", "p95 px") else "left",
                             no_wrap=col in ("visit", "detected"))
    else:
        table = Table(title=title, title_justify="left")
        for col in ("persona", "session", "status", "dominant", "bot", *CHECK_LABELS, "sim s", "p95 px"):
            table.add_column(col, justify="right" if col in ("sim s", "p95 px") else "left")
    for s in report["sessions"]:
        by_name = {c["name"]: MARK.get(c["status"], "?") for c in s.get("checks") or []}
        marks = [by_name.get(c, " ") for c in CHECKS]
        fid = s.get("fidelity") or {}
        numbers = (f"{(s.get('simulated_ms') or 0) / 1000:.1f}", f"{fid.get('p95_px', 0):.2f}")
        persona, sid, status = as_text(s["persona"]), as_text(s["session_id"][-9:]), as_text(s["status"])
        found, bot = as_text(_dominant(s)), as_text(s["bot"])
        if compact:
            table.add_row(Text.assemble(persona, "\n", sid, " ", status), Text.assemble(found, "\n", bot),
                          " ".join(marks), *numbers)
        else:
            table.add_row(persona, sid, status, found, bot, *marks, *numbers)
    return table


def print_scores(report: dict[str, Any], console: Console | None = None, *, details: bool = True) -> None:
    console = console or Console(highlight=False)
    run, summary = report["run"], report.get("summary") or {}
    sessions = _sessions_table(report, compact=False)
    if Measurement.get(console, console.options.update_width(10_000), sessions).maximum > console.width:
        sessions = _sessions_table(report, compact=True)  # rather than cutting every name to three letters
    console.print(sessions)
    if details:
        for s in report["sessions"]:
            for c in s.get("checks") or []:
                if c["status"] in ("fail", "error"):
                    console.print(Text.assemble(
                        "  ", Text.from_markup(MARK[c["status"]]), " ", as_text(s["persona"]), " ",
                        as_text(s["session_id"][-9:]), " ", as_text(c["name"]), ": expected ", as_text(c["expected"]),
                        "; got ", as_text(c["actual"])))
    confusion = summary.get("confusion") or {}
    if confusion:
        cols = sorted({c for row in confusion.values() for c in row})
        table = Table(title="confusion matrix (persona × dominant detected)", title_justify="left")
        table.add_column("persona", no_wrap=True)  # the row's name whole; a narrow terminal folds the headers
        for c in cols:
            table.add_column(as_text(c), justify="right", overflow="fold")
        for persona, row in confusion.items():
            table.add_row(as_text(persona), *(as_text(row.get(c, "")) for c in cols))
        console.print(table)
    pr = summary.get("emotion_precision_recall") or {}
    bot = summary.get("bot_precision_recall")
    if pr or bot:
        table = Table(title="precision / recall", title_justify="left", caption_justify="left",
                      caption="fn: the persona lists the emotion and the session said none of its emotions")
        for col in ("", "tp", "fp", "fn", "precision", "recall"):
            table.add_column(col, justify="left" if not col else "right")
        rows = list(pr.items()) + ([("bot detection", bot)] if bot else [])
        for name, v in rows:
            table.add_row(as_text(name), *(as_text("–" if v[k] is None else v[k]) for k in
                                          ("tp", "fp", "fn", "precision", "recall")))
        console.print(table)
    wall, sim = run.get("wall_s"), run.get("simulated_s")
    speed = f" · simulated {sim:.0f} s in {wall:.0f} s wall ({sim / wall:.1f}×)" if wall and sim else ""
    verdict = Text.from_markup(VERDICT.get(report.get("verdict") or "", "[dim]not scored[/]"))
    console.print(Text.assemble("verdict ", verdict, f" · {summary.get('passed', 0)} passed, "
                                f"{summary.get('failed', 0)} failed, {summary.get('errors', 0)} errors{speed}"))


def print_attribution(report: dict[str, Any], console: Console) -> None:
    """One line (and the misreadings) for the interventions simulated visitors answered."""
    found = report.get("attribution")
    if not found:
        return
    console.print(Text(f"outcome attribution: Seer observed the expected outcome for {found['agreed']} of "
                       f"{found['answered']} answered interventions"))
    for expected, seen in found["matrix"].items():
        for observed, n in seen.items():
            if observed != expected:
                console.print(Text.assemble("  ", Text.assemble("expected ", as_text(expected), ", observed ",
                                                                as_text(observed), f": {n}", style="yellow")))
