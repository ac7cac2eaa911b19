"""Text the user, a page or the bus chose reaches compare, rage, sweep and conformance output as written:
``[/old]`` in it raised MarkupError (exit 4, "internal error") and ``[dc]`` vanished, read as a style."""

from __future__ import annotations

from pathlib import Path

from tests.bridge.test_audit_conformance_fakes import Fake, _in_thread, refuse_every_pub
from tests.conftest import batch, mouse_path
from workbench.cli.common import ExitCode
from workbench.cli.main import main
from workbench.config import EITPConfig
from workbench.events import BatchReceived, BotVerdictEmitted, RunEnded, RunStarted, SessionEnded, SessionStarted
from workbench.store.db import open_db
from workbench.store.recorder import Recorder

CLOSING, STYLE = "lists[/old]", "[dc]"


def store_run(path: Path, run_id: str, *, persona: str | None = "paralysed_buyer", session: str = "",
              config_toml: str = "", bot: str | None = None, clicks: int = 0) -> None:
    """One run of one session: its persona, session id, thresholds, bot verdict and clicks as given."""
    sid = session or f"sq_{run_id}"
    rec = Recorder(open_db(path))
    rec(RunStarted(run_id, "run", "rv", 7, config_toml, "http://x"))
    rec(SessionStarted(sid, "org_test", persona, "rv"))
    events = mouse_path(1000, 5)
    events += [{**events[-1], "type": "click", "timestamp": 1300 + 40 * i} for i in range(clicks)]
    rec(BatchReceived(sid, "org_test", batch(events, session=sid)))
    if bot:
        rec(BotVerdictEmitted({"session_id": sid, "tenant_id": "org_test", "timestamp": 1400.0, "classification": bot,
                               "confidence": 0.9, "reasoning": "", "signals": [], "event_count": 5}))
    rec(SessionEnded(sid, "ended"))
    rec(RunEnded(run_id, "ended", {}))


def test_compare_prints_thresholds_personas_and_run_ids_as_written(tmp_path, capsys):
    db = tmp_path / "wb.db"
    persona = f"p{STYLE}{CLOSING}"
    own = EITPConfig().with_overrides({"bot.datacenter_ranges_file": f"{CLOSING}/{STYLE}.txt"}).to_toml()
    store_run(db, f"run_{STYLE}a", persona=persona, bot="human", config_toml=EITPConfig().to_toml())
    store_run(db, f"run_{CLOSING}b", persona=persona, bot="bot", config_toml=own)
    assert main(["compare", f"run_{STYLE}a", f"run_{CLOSING}b", "--db", str(db)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert f"'' → '{CLOSING}/{STYLE}.txt'" in out  # the threshold that differs
    assert persona in out  # the session whose bot verdict changed
    assert f"run_{STYLE}a" in out.split("scores")[1]  # the scores table's column headers


def test_rage_prints_a_session_id_the_page_chose_as_written(tmp_path, capsys):
    db = tmp_path / "wb.db"
    store_run(db, f"serve_{STYLE}", persona=None, session=f"sq_{CLOSING}{STYLE}", clicks=3)
    assert main(["rage", "--db", str(db)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert f"sq_{CLOSING}{STYLE}" in out and f"rage clicks in run serve_{STYLE}" in out


def test_sweep_prints_the_html_path_and_run_id_as_written(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lists[" / "old]").mkdir(parents=True)
    store_run(tmp_path / "wb.db", f"run_{STYLE}", clicks=3)
    html = f"{CLOSING}/s.html"
    assert main(["sweep", "--db", "wb.db", "--vary", "classifier.min_confidence=0.3", "--html", html]) == ExitCode.OK
    out = capsys.readouterr().out
    assert f"HTML report: {html}" in out and f"run run_{STYLE}" in out
    assert (tmp_path / html).is_file()


def test_conformance_prints_the_report_paths_as_written(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lists[" / "old]").mkdir(parents=True)
    (tmp_path / STYLE).mkdir()
    doc, junit = f"{CLOSING}/c.json", f"{STYLE}/c.xml"
    assert main(["conformance", "--json", doc, "--junit", junit]) == ExitCode.OK
    out = capsys.readouterr().out
    assert f"JSON: {doc}" in out and f"JUnit: {junit}" in out


def test_conformance_shows_a_bridges_refusal_without_its_control_characters(capsys):
    code = _in_thread(Fake(refuse_every_pub).handle, lambda url: main(["conformance", url]))
    assert code == ExitCode.FAILED
    out = capsys.readouterr().out
    assert "-ERR 'refused" in out and "\x1b" not in out and "\x01" not in out


def test_an_unreachable_bridges_close_reason_reaches_stderr_without_control_characters(capsys):
    async def close_at_once(ws):  # type: ignore[no-untyped-def]
        await ws.close(1000, "bye\x1b]0;retitled\x07")

    code = _in_thread(close_at_once, lambda url: main(["conformance", url]))
    assert code == ExitCode.INFRASTRUCTURE
    err = capsys.readouterr().err
    assert "closed it" in err and "bye" in err and "\x1b" not in err and "\x07" not in err
