"""The report writers fed untrusted text (page content, LLM output, error strings) and odd stored values.

Each test states what a reader of the written file relies on: the HTML shows stored text as text and
never as markup, the JUnit XML always parses, the JSON is strict JSON, the terminal prints text as it is.
"""

from __future__ import annotations

import io
import json
import math
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tests.conftest import batch, ev
from workbench.cli.main import main
from workbench.errors import UsageError
from workbench.events import BatchReceived, RunStarted
from workbench.report import render_html, to_json, to_junit, write_html, write_json, write_junit
from workbench.report.text import print_attribution, print_scores
from workbench.store.db import open_db
from workbench.store.recorder import Recorder

#: markup for every reader at once: HTML, rich, XML; emoji codes; and characters XML 1.0 cannot hold
EVIL = ('</td><script>alert(1)</script><img src=x onerror=alert(2)>"\'&<!-- [bold]b[/] [/] '
        '[link=javascript:alert(3)]l[/link] :warning: ]]> \x00\x01\x0b\x1b\ufffe end\\')


def session(n: int = 1, *, persona: str | None = "calm_researcher", text: str = "ok", **over: Any) -> dict[str, Any]:
    """One stored session as :func:`workbench.store.repo.run_report` gives it, every text field ``text``."""
    s = {"session_id": f"sq_{n}_{text}", "persona": persona, "site": text, "status": "ended", "error": text,
         "user_agent": text, "events": 3, "batches": 1, "packets": 1, "closed_at": None, "bot": "human",
         "bot_confidence": 0.5, "seed": 7, "seed_index": n, "clock": "virtual",
         "ground_truth": {"emotions": [text]}, "simulated_ms": 1000.0, "wall_ms": 1000.0,
         "fidelity": {"median_px": 1.0, "p95_px": 2.0},
         "trail": {"points": [[0, 10, 20, 0], [1, 30, 40, 5], [2, 50, 60, 5]], "clicks": [[0, 5, 5]],
                   "viewport": [1280, 800], "tab_switch": text},
         "checks": [{"name": f"emotion {text}", "status": "fail", "expected": text, "actual": text},
                    {"name": f"signals {text}", "status": "error", "expected": text, "actual": text},
                    {"name": f"intervention {text}", "status": "skip", "expected": text, "actual": text}],
         "verdict": "fail",
         "emotions": [{"t_ms": 500, "emotion": text, "confidence": 0.5, "intensity": 0.5, "trajectory": text,
                       "section": text, "patterns": [text]}],
         "bot_verdicts": [{"timestamp": 1.0, "classification": text, "confidence": 0.9, "reasoning": text,
                           "signals": [text], "event_count": 3, "review": None}],
         "interventions": [{"session_id": f"sq_{n}", "timestamp": 1.0, "emotion": text, "section": text,
                            "strategy": text, "message": text, "source": text, "outcome": text, "expected": text,
                            "experiment": None, "t_ms": 1000}]}
    return {**s, **over}


def report(sessions: list[dict[str, Any]], *, text: str = "ok", run_id: str = "run_1") -> dict[str, Any]:
    """A run report around ``sessions``, every text field of the run's summary ``text``."""
    summary = {"passed": 0, "failed": 1, "errors": 0,
               "per_persona": {text: {"sessions": 1, "passed": 0, "errors": 0, "detected": {text: 1},
                                      "checks": {"emotion": {"fail": 1}}}},
               "ground_truth": {text: {"emotions": [text], "bot": False}},
               "confusion": {text: {text: 1}},
               "emotion_precision_recall": {text: {"tp": 1, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0}},
               "bot_precision_recall": {"tp": 0, "fp": 0, "fn": 0, "precision": None, "recall": None}}
    return {"run": {"id": run_id, "kind": "run", "site": text, "seed": 7, "status": "ended",
                    "started_at": "2026-01-01T00:00:00", "ended_at": None, "wall_s": 2.0, "simulated_s": 1.0},
            "config": {"clock": text, "concurrency": 1, "personas": [text], "browser_endpoint": text,
                       "settings": {"argv": [text]}},
            "verdict": "fail", "summary": summary,
            "attribution": {"answered": 1, "agreed": 0, "matrix": {text: {text: 1}}},
            "rage": {"definitions": [{"name": text, "definition": "eitp", "caught": 0, "expected": 1,
                                      "false_alarms": 0, "unexpected": 0, "bursts": 1, "rule": text,
                                      "source": text}],
                     "sessions": [{"session_id": s["session_id"], "persona": s["persona"], "expects": text,
                                   "clicks": 3, "sent": 1, "bursts": {"eitp": 1}} for s in sessions]},
            "sessions": sessions}


EMPTY: dict[str, Any] = {"run": {"id": "run_empty", "kind": "run", "site": None, "seed": 0, "status": "ended",
                 "started_at": "2026-01-01T00:00:00", "ended_at": None, "wall_s": None, "simulated_s": 0.0},
         "config": None, "verdict": None, "summary": None, "attribution": None, "rage": None, "sessions": []}

# the only URLs a report holds besides its own anchors: the screenshots, in the formats the report draws
SCREENSHOT_DATA = tuple(f"data:image/{kind};base64," for kind in ("png", "jpeg", "webp"))


class Page(HTMLParser):
    """What a browser builds from the page: its elements, their attributes, and the text it shows."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.shown: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.shown.append(data)

    def injected(self) -> list[str]:
        """Elements and attributes no report writes: whatever stored text smuggled in."""
        found = [tag for tag, _ in self.tags if tag in ("script", "img", "iframe", "object", "embed", "link")]
        for tag, attrs in self.tags:
            for name, value in attrs:
                if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                    found.append(f"{tag} {name}={value}")
                if name in ("href", "src") and not (value or "").startswith(("#", *SCREENSHOT_DATA)):
                    found.append(f"{tag} {name}={value} (not self-contained)")
        return found


def strict_json(text: str) -> Any:
    """``json.loads`` as RFC 8259 (and JavaScript's JSON.parse, jq) read it: NaN and Infinity are not JSON."""
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def junit_tree(xml: str) -> ET.Element:
    return ET.fromstring(xml.encode("utf-8"))  # bytes: the XML declaration is read as a file reader reads it


# --- HTML ---------------------------------------------------------------------------------------------------------

def test_html_shows_hostile_stored_text_as_text_and_stays_self_contained():
    page = Page(render_html(report([session(text=EVIL)], text=EVIL)))
    assert page.injected() == []
    assert any(EVIL in chunk for chunk in page.shown)  # shown as it was stored, not dropped


@pytest.mark.parametrize("where", ["bot verdict confidence", "packet confidence", "events", "packets", "seed",
                                   "concurrency", "trail point", "trail click", "persona sessions", "agreed"])
def test_html_a_number_column_holding_markup_is_never_markup(where):
    """SQLite keeps text in a number column (type affinity): a row the workbench did not write is shown, not run."""
    bad = "<img src=x onerror=alert(1)>"
    s = session()
    r = report([s])
    if where == "bot verdict confidence":
        s["bot_verdicts"][0]["confidence"] = bad
    elif where == "packet confidence":
        s["emotions"][0]["confidence"] = bad
    elif where in ("events", "packets"):
        s[where] = bad
    elif where == "seed":
        r["run"]["seed"] = bad
    elif where == "concurrency":
        r["config"]["concurrency"] = bad
    elif where == "trail point":
        s["trail"]["points"][0][1] = '1" onload="alert(1)'
    elif where == "trail click":
        s["trail"]["clicks"][0][1] = '1" onload="alert(1)'
    elif where == "persona sessions":
        r["summary"]["per_persona"]["ok"]["sessions"] = bad
    else:
        r["attribution"]["agreed"] = bad
    assert Page(render_html(r)).injected() == []


def test_html_a_walk_in_visitors_clicks_are_reported_without_a_persona():
    """``workbench serve`` sessions have no persona; their clicks still reach the rage-click table."""
    walk_in = session(persona=None)
    page = Page(render_html(report([walk_in])))
    assert page.injected() == []
    assert any(walk_in["session_id"] in (dict(attrs).get("href") or "") for tag, attrs in page.tags if tag == "a")


def test_show_writes_the_html_of_a_served_run_whose_visitor_clicked(tmp_db, tmp_path):
    """The same through the store and the CLI: ``workbench show --html`` of a ``workbench serve`` run."""
    rec = Recorder(open_db(tmp_db), "run_serve")
    rec(RunStarted("run_serve", "serve", "rv", 0, "", "http://x"))
    clicks = [ev("click", 1000 + 120 * i, "pricing", x=300, y=200) for i in range(3)]
    rec(BatchReceived("sq_walk_in", "org_x", batch(clicks, session="sq_walk_in")))  # nobody announced it
    assert main(["show", "run_serve", "--db", str(tmp_db), "--html", str(tmp_path / "r.html")]) == 0
    page = Page((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert page.injected() == [] and ("a", [("href", "#sq_walk_in")]) in page.tags


def test_html_an_emotion_name_cut_to_its_bar_shows_a_prefix_of_the_name():
    """The label is cut to fit its bar; cutting after escaping can split ``&amp;`` into a stray ``&am``."""
    name = "a&b" * 30
    s = session(emotions=[{"t_ms": 60_000, "emotion": name, "confidence": 0.5, "intensity": 0.5,
                           "trajectory": "stable", "section": "pricing", "patterns": []}])
    html = render_html(report([s]))
    label = html.split('y="14" font-size="10" fill="#1d2733">', 1)[1].split("</text>", 1)[0]
    shown = "".join(Page(label).shown)
    assert shown and name.startswith(shown)


# --- JUnit XML ----------------------------------------------------------------------------------------------------

def test_junit_parses_whatever_characters_the_persona_run_and_config_hold():
    s = session(persona="calm\x01researcher", text=EVIL, error=EVIL)
    r = report([s], text=EVIL, run_id="run_\x02x")
    r["config"]["clock"] = "virtual\x0b"
    root = junit_tree(to_junit(r))
    (suite,) = root.iter("testsuite")
    assert "\x01" not in suite.get("name") and "calm" in suite.get("name") and "researcher" in suite.get("name")
    assert all("\x0b" not in (p.get("value") or "") for p in root.iter("property"))
    failure = next(root.iter("failure"))
    assert "</td><script>alert(1)</script>" in failure.text and "\x00" not in failure.text


def test_junit_personas_that_differ_only_by_an_illegal_character_keep_distinct_cases():
    sessions = [session(1, persona="buyer\x01"), session(2, persona="buyer\x02")]
    root = junit_tree(to_junit(report(sessions)))
    cases = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert len(cases) == 6 and len(set(cases)) == len(cases)


def test_junit_a_session_scored_twice_for_one_expectation_keeps_distinct_stable_cases():
    check = {"name": "emotion", "status": "fail", "expected": "calm", "actual": "anger"}
    r = report([session(checks=[check, dict(check, status="pass")])])
    first = [(c.get("classname"), c.get("name")) for c in junit_tree(to_junit(r)).iter("testcase")]
    assert len(set(first)) == 2
    assert first == [(c.get("classname"), c.get("name")) for c in junit_tree(to_junit(r)).iter("testcase")]


def test_junit_times_are_numbers_whatever_the_stored_wall_time():
    root = junit_tree(to_junit(report([session(wall_ms=math.inf), session(2, wall_ms=math.nan)])))
    for el in [root, *root.iter("testsuite"), *root.iter("testcase")]:
        assert math.isfinite(float(el.get("time", "0")))


# --- JSON ---------------------------------------------------------------------------------------------------------

def test_json_is_strict_json_whatever_numbers_and_keys_the_report_holds(tmp_path):
    s = session(bot_confidence=math.nan, wall_ms=math.inf, fidelity={"median_px": -math.inf, "p95_px": 1.0})
    r = report([s])
    r["run"]["simulated_s"] = math.inf
    r["config"]["settings"] = {("a", 1): 1, 2: "two", "raw": b"\xff bytes"}
    data = strict_json(write_json(r, tmp_path / "r.json").read_text(encoding="utf-8"))
    (written,) = data["sessions"]
    assert written["bot_confidence"] is None and written["wall_ms"] is None
    assert written["fidelity"] == {"median_px": None, "p95_px": 1.0}
    assert data["run"]["simulated_s"] is None and data["config"]["settings"]["2"] == "two"
    assert strict_json(json.dumps(to_json(r), default=str))  # what `workbench show --json` prints


# --- terminal -----------------------------------------------------------------------------------------------------

def printed(r: dict[str, Any]) -> str:
    out = io.StringIO()
    console = Console(file=out, width=2000, color_system=None, highlight=False)
    print_scores(r, console)
    print_attribution(r, console)
    return out.getvalue()


@pytest.mark.parametrize("text", ["[/]", "[bold]b[/bold]", "[link=javascript:alert(1)]l[/link]", ":warning:",
                                  "C:\\"])
def test_terminal_prints_stored_text_as_it_is(text):
    """Rich reads ``[...]`` as markup (``[/]`` alone raises) and ``:name:`` as an emoji: stored text is neither."""
    s = session(persona=f"p{text}", bot=f"b{text}")
    r = report([s], text=f"t{text}", run_id=f"run_{text}")
    r["attribution"]["matrix"] = {f"e{text}": {f"o{text}": 1}}
    out = printed(r)
    for shown in (f"p{text}", f"b{text}", f"t{text}", f"run_{text}", f"e{text}", f"o{text}"):
        assert shown in out, shown


def scored(n: int, persona: str, dominant: str, failed: str) -> dict[str, Any]:
    checks = [{"name": c, "status": "fail" if c == failed else "pass", "expected": "x", "actual": "y"}
              for c in ("emotion", "forbidden_emotions", "bot_verdict", "signals", "intervention")]
    emotions = [{"t_ms": 500, "emotion": dominant, "confidence": 0.9, "intensity": 0.5, "trajectory": "rising",
                 "section": "hero", "patterns": []}]
    return session(n, persona=persona, session_id=f"sq_x_abc12cd3{n}", checks=checks, emotions=emotions)


@pytest.mark.parametrize("width", [80, 100])
def test_a_terminal_of_80_or_100_columns_sees_every_session_whole(width):
    """The twelve-column table needs about 140 columns; squeezed into 80 or 100 every persona, session id and
    emotion was cut to a few letters. Narrower than it needs, the table stacks them and gathers the checks."""
    r = report([scored(1, "comparison_shopper", "exploratory_engagement", "signals"),
                scored(2, "overwhelmed_visitor", "decision_paralysis", "")])
    wide = ("exploratory_engagement", "decision_paralysis", "analysis_paralysis", "comparison_shopping",
            "price_sensitivity", "purchase_intent", "disengagement")
    r["summary"]["confusion"] = {"comparison_shopper": {e: 1 for e in wide}}
    out = io.StringIO()
    print_scores(r, Console(file=out, width=width, color_system=None, highlight=False))
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= width
    for whole in ("comparison_shopper", "overwhelmed_visitor", "exploratory_engagement", "decision_paralysis",
                  "abc12cd31", "abc12cd32", "human", "ended"):
        assert whole in text, whole
    assert "✔ ✔ ✔ ✘ ✔" in text and "✔ ✔ ✔ ✔ ✔" in text  # in the legend's order: the signals check failed
    assert "checks, in order: emotion · forbidden · bot ok · signals · interv." in text
    assert "…" not in text
    assert re.search(r"│ comparison_shopper +│ +1 │", text)  # the matrix folds its headers, not the row's name


def test_a_wide_terminal_keeps_a_column_per_check():
    text = printed(report([scored(1, "comparison_shopper", "exploratory_engagement", "signals")]))
    header = next(line for line in text.splitlines() if "persona" in line and "session" in line)
    assert [h.strip() for h in header.strip("┃ ").split("┃")][4:10] == [
        "bot", "emotion", "forbidden", "bot ok", "signals", "interv."]
    assert "checks, in order" not in text


# --- writing and empty runs -----------------------------------------------------------------------------------------

def test_writing_under_a_file_says_the_file_is_not_a_folder(tmp_path):
    (tmp_path / "afile").write_text("")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        write_json(EMPTY, tmp_path / "afile" / "r.json")


@pytest.mark.parametrize("r", [EMPTY, report([]), report([session(status="failed", checks=[], verdict=None,
                                                                   trail=None, fidelity=None, emotions=[],
                                                                   bot_verdicts=[], interventions=[],
                                                                   seed_index=None, persona=None)])],
                         ids=["nothing stored", "no sessions", "every session failed"])
def test_runs_with_nothing_to_show_still_write_valid_reports(r, tmp_path: Path):
    assert strict_json(write_json(r, tmp_path / "r.json").read_text(encoding="utf-8"))["run"]["id"]
    root = ET.parse(write_junit(r, tmp_path / "r.xml")).getroot()
    assert root.get("tests") == str(sum(len(s["checks"]) or 1 for s in r["sessions"]))
    page = Page(write_html(r, tmp_path / "r.html").read_text(encoding="utf-8"))
    assert page.injected() == [] and any(r["run"]["id"] in chunk for chunk in page.shown)
    assert "run" in printed(r)
