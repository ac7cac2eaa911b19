"""The SQLite recorder on a real file: rows for runs, sessions, batches, packets and verdicts."""

import json

from sqlmodel import Session

from tests.conftest import FIXTURES, batch, ev, mouse_path
from workbench.cli.main import main
from workbench.config import EITPConfig
from workbench.events import (
    BatchReceived,
    BotVerdictEmitted,
    ConnectionClosed,
    InterventionOutcome,
    InterventionSent,
    OutcomeExpected,
    PacketEmitted,
    RunEnded,
    RunScored,
    RunStarted,
    SessionEnded,
    SessionStarted,
)
from workbench.report.html import render_html
from workbench.store import repo
from workbench.store.db import open_db
from workbench.store.recorder import Recorder

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())


def test_recorder_writes_what_a_run_saw(tmp_db, capsys):
    engine = open_db(tmp_db)
    rec = Recorder(engine)
    sid = PACKET["sessionId"]
    rec(RunStarted("run_1", "demo", "rv", 7, "", "http://x"))
    rec(SessionStarted(sid, PACKET["tenantId"], "paralysed_buyer", "rv"))
    rec(BatchReceived(sid, PACKET["tenantId"], batch(mouse_path(1000, 5), session=sid)))
    rec(BatchReceived(sid, PACKET["tenantId"], batch(mouse_path(4000, 3), session=sid)))
    rec(PacketEmitted(PACKET))
    rec(BotVerdictEmitted({"session_id": sid, "tenant_id": "t", "timestamp": 1.0, "classification": "human",
                           "confidence": 0.8, "reasoning": "r", "signals": [], "event_count": 8}))
    rec(ConnectionClosed(sid, 4150.0))  # the bridge's stamp on the connection's end, in page time
    rec(SessionEnded(sid, "ended"))
    rec(RunEnded("run_1", "ended", {"ok": True}))
    # a visitor nobody announced (workbench serve): created on first batch
    rec(BatchReceived("sq_walk_in", "org_x", batch(mouse_path(1, 2), session="sq_walk_in")))

    with Session(engine) as db:
        (row, walk_in) = repo.list_sessions(db=db, run_id="run_1")
        assert row["events"] == 8 and row["batches"] == 2 and row["packets"] == 1
        assert row["last_emotion"] == "decision_paralysis" and row["bot"] == "human" and row["status"] == "ended"
        assert walk_in["session_id"] == "sq_walk_in" and walk_in["events"] == 2
        assert repo.packets(db=db, run_id="run_1") == [PACKET]
        assert len(repo.batches(db=db, run_id="run_1", session_id=sid)) == 2
        by_session = repo.events_by_session(db=db, run_id="run_1")
        assert [len(by_session[sid]), len(by_session["sq_walk_in"])] == [8, 2]
        assert [e["timestamp"] for e in by_session[sid]][:6] == [e["timestamp"] for e in mouse_path(1000, 5)] + [4000]
        assert repo.list_runs(db=db)[0]["status"] == "ended"
        report = repo.run_report(db=db, run_id="run_1")
        assert report is not None and [s["closed_at"] for s in report["sessions"]] == [4150.0, None]

    assert main(["sessions", "--db", str(tmp_db), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {s["session_id"] for s in listed} == {sid, "sq_walk_in"}
    assert main(["runs", "--db", str(tmp_db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == "run_1"


def test_the_expected_outcome_is_kept_beside_what_seer_observed_and_show_compares_them(tmp_db, capsys):
    rec = Recorder(open_db(tmp_db), "run_2")
    rec(RunStarted("run_2", "run", "rv", 7, "", "http://x"))
    for sid, ts, expected, seen in (("sq_a", 10.0, "chat_engaged", "chat_engaged"),
                                    ("sq_b", 20.0, "left", "no_response"),  # attribution misread a leave
                                    ("sq_c", 30.0, None, "no_response")):  # never shown: not answered
        rec(SessionStarted(sid, "org_test", "paralysed_buyer", "rv"))
        rec(BatchReceived(sid, "org_test", batch(mouse_path(1.0, 2), session=sid)))  # its first event at 1 ms
        rec(InterventionSent(sid, ts, "frustration", "pricing", "empathy", f"hello {sid}", "template"))
        if expected:
            rec(OutcomeExpected(sid, ts, expected))
        rec(InterventionOutcome(sid, ts, "empathy", seen))
    with Session(open_db(tmp_db)) as db:
        rows = repo.interventions(db=db, run_id="run_2")
        report = repo.run_report(db=db, run_id="run_2")
    assert [(r["session_id"], r["expected"], r["outcome"]) for r in rows] == [
        ("sq_a", "chat_engaged", "chat_engaged"), ("sq_b", "left", "no_response"), ("sq_c", None, "no_response")]
    assert report is not None
    assert [[(i["t_ms"], i["expected"]) for i in s["interventions"]] for s in report["sessions"]] == [
        [(9.0, "chat_engaged")], [(19.0, "left")], [(29.0, None)]]  # event time since the session's first event
    assert report["attribution"] == {"answered": 2, "agreed": 1,
                                     "matrix": {"chat_engaged": {"chat_engaged": 1}, "left": {"no_response": 1}}}
    html = render_html(report)
    assert "<h2>Outcome attribution</h2>" in html and "<b>1 of 2</b>" in html and html.count("<h4>Seer</h4>") == 3
    assert _show_attribution(tmp_db, "run_2", capsys) == [
        "outcome attribution: Seer observed the expected outcome for 1 of 2 answered interventions",
        "expected left, observed no_response: 1"]
    assert main(["show", "run_2", "--db", str(tmp_db)]) == 0
    table = capsys.readouterr().out.split("interventions (section 9)")[1]
    assert [table.index(f"hello {sid}") for sid in ("sq_a", "sq_b", "sq_c")] == sorted(
        table.index(f"hello {sid}") for sid in ("sq_a", "sq_b", "sq_c")), table  # each session's, in order


def _show_attribution(db, run_id, capsys):
    assert main(["show", run_id, "--db", str(db)]) == 0
    out = [line.strip() for line in capsys.readouterr().out.splitlines()]
    return [line for line in out if line.startswith(("outcome attribution", "expected "))]


def test_a_database_from_before_a_column_existed_gains_it_and_keeps_its_rows(tmp_path):
    import sqlite3

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    # every version's store has had this run table: it is what makes the file a store (db.STORE_SIGNATURE)
    old.execute("CREATE TABLE run (id VARCHAR NOT NULL, kind VARCHAR NOT NULL, site VARCHAR NOT NULL, seed INTEGER, "
                "status VARCHAR NOT NULL, started_at DATETIME NOT NULL, ended_at DATETIME, "
                "config_toml VARCHAR NOT NULL, summary_json VARCHAR NOT NULL, PRIMARY KEY (id))")
    old.execute("CREATE TABLE intervention (id INTEGER PRIMARY KEY, run_id VARCHAR NOT NULL, "
                "session_id VARCHAR NOT NULL, timestamp FLOAT NOT NULL, emotion VARCHAR NOT NULL, "
                "section VARCHAR NOT NULL, strategy VARCHAR NOT NULL, message VARCHAR NOT NULL, "
                "source VARCHAR NOT NULL, outcome VARCHAR, experiment VARCHAR)")
    old.execute("INSERT INTO intervention VALUES (1, 'r', 's', 1.0, 'joy', 'hero', 'empathy', 'hi', 'template', "
                "'left', NULL)")
    old.commit()
    old.close()
    with Session(open_db(path)) as db:
        (row,) = repo.interventions(db=db, run_id="r")
    assert (row["message"], row["outcome"], row["expected"]) == ("hi", "left", None)


def test_a_run_report_judges_its_clicks_with_the_runs_own_rage_threshold(tmp_db, capsys):
    engine = open_db(tmp_db)
    strict = EITPConfig().with_overrides({"signal.rage_clicks": 4})
    button = {"tag": "button", "id": "btn-availability", "class": "btn", "text": "Check availability"}
    clicks = [ev("click", 1000 + 120 * i, "pricing", x=300, y=200, target=button) for i in range(3)]
    for run_id, config in (("run_default", EITPConfig()), ("run_strict", strict)):
        rec = Recorder(engine, run_id)
        rec(RunStarted(run_id, "run", "rv", 7, config.to_toml(), "http://x"))
        rec(SessionStarted(f"sq_{run_id}", "org_test", "frustrated_buyer", "rv"))
        rec(BatchReceived(f"sq_{run_id}", "org_test", batch(clicks, session=f"sq_{run_id}")))
    with Session(engine) as db:
        assert repo.run_config(db=db, run_id="run_strict") == strict
        assert repo.run_config(db=db, run_id="nope") is None
        default = repo.run_report(db=db, run_id="run_default")
        stricter = repo.run_report(db=db, run_id="run_strict")
    assert default is not None and stricter is not None
    (judged,) = default["rage"]["sessions"]
    assert judged["clicks"] == 3 and judged["bursts"]["eitp"] == 1 and judged["bursts"]["mixpanel"] == 0
    assert judged["expects"] == "unknown"  # no trace stored: no ground truth to judge against
    assert stricter["rage"]["sessions"][0]["bursts"]["eitp"] == 0  # 3 clicks < the run's 4
    assert "<h2>Rage clicks, five ways</h2>" in render_html(default)

    # `workbench rage` uses the run's thresholds unless told otherwise
    assert main(["rage", "run_strict", "--db", str(tmp_db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sessions"][0]["bursts"]["eitp"] == 0
    assert main(["rage", "run_strict", "--db", str(tmp_db), "--json", "--set", "signal.rage_clicks=3"]) == 0
    assert json.loads(capsys.readouterr().out)["sessions"][0]["bursts"]["eitp"] == 1


def test_listings_print_whole_ids_when_piped(tmp_db, capsys):
    # the ids are what a user copies into `workbench show RUN`: never cut to "run_20261122_12…"
    run_id, sid = "run_20261122_120341_2228", "sq_1795349014954_mj4d9w4mj"
    rec = Recorder(open_db(tmp_db), run_id)
    rec(RunStarted(run_id, "run", "rv", 7, "", "http://x"))
    rec(SessionStarted(sid, "org_test", "comparison_shopper", "rv"))
    rec(BatchReceived(sid, "org_test", batch(mouse_path(1.0, 2), session=sid)))
    for command in (["runs"], ["sessions"]):
        assert main([*command, "--db", str(tmp_db)]) == 0
        out = capsys.readouterr().out
        assert run_id in out and (command == ["runs"] or sid in out), out


def test_a_runs_emotion_recall_is_read_from_what_was_stored_not_from_an_older_scoring(tmp_db):
    # a run scored before "any of" truths were read right: its stored summary says recall 0 for the
    # listed emotions the session never said; read back, it is judged as a run scored now
    engine = open_db(tmp_db)
    rec = Recorder(engine)
    sid = PACKET["sessionId"]
    truth = {"emotions": ["decision_paralysis", "hesitation", "ambivalence"], "forbidden": [], "signals": [],
             "bot": False, "intervention": False}
    rec(RunStarted("run_old", "run", "rv", 7, "", "http://x"))
    rec(SessionStarted(sid, PACKET["tenantId"], "paralysed_buyer", "rv"))
    rec(PacketEmitted(PACKET))  # decision_paralysis
    rec(SessionEnded(sid, "ended"))
    old = {"tp": 0, "fp": 0, "fn": 1, "tn": 0, "precision": None, "recall": 0.0}
    rec(RunScored("run_old", "pass", [], {"ground_truth": {"paralysed_buyer": truth}, "emotion_precision_recall": {
        "decision_paralysis": {**old, "tp": 1, "fn": 0, "precision": 1.0, "recall": 1.0},
        "hesitation": old, "ambivalence": old}}))
    rec(RunEnded("run_old", "ended", {}))
    with Session(engine) as db:
        pr = repo.run_report(db=db, run_id="run_old", rage=False)["summary"]["emotion_precision_recall"]
    assert pr["decision_paralysis"]["recall"] == 1.0
    assert pr["hesitation"]["recall"] is None and pr["hesitation"]["covered"] == 1  # no miss: another was said


def test_the_rage_tables_read_only_the_events_they_judge_and_judge_them_as_the_whole_session(tmp_db):
    # `show --json` on a store of thousands of sessions loaded every mouse sample to count clicks
    from workbench import rageclicks

    sid = "sq_rage"
    target = {"tag": "button", "id": "btn-availability", "class": "btn", "text": "Check availability"}
    first = mouse_path(1000, 6) + [ev("click", 1300 + 120 * i, x=500, y=300, target=target) for i in range(4)]
    second = [ev("scroll", 2000, depth=0.3), ev("rage_click", 2100, count=4), ev("tab_hidden", 2200)]
    second += mouse_path(2300, 5) + [ev("text_selection", 2600, length=12), ev("click", 2700, x=10, y=10)]
    engine = open_db(tmp_db)
    rec = Recorder(engine)
    rec(RunStarted("run_r", "run", "rv", 7, "", "http://x"))
    rec(SessionStarted(sid, "org_test", "frustrated_buyer", "rv"))
    rec(BatchReceived(sid, "org_test", batch(first, session=sid)))
    rec(BatchReceived(sid, "org_test", batch(second, session=sid)))
    rec(SessionEnded(sid, "ended"))
    with Session(engine) as db:
        kept = repo.events_by_session(db=db, run_id="run_r", types=rageclicks.EVENT_TYPES)[sid]
        assert [e["type"] for e in kept] == ["click"] * 4 + ["scroll", "rage_click", "text_selection", "click"]
        report = repo.run_report(db=db, run_id="run_r")
    assert report is not None
    defs = rageclicks.definitions(EITPConfig())
    whole = rageclicks.judge(first + second, defs)
    (judged,) = report["rage"]["sessions"]
    assert (judged["clicks"], judged["sent"], judged["bursts"]) == (whole.clicks, whole.sent, whole.bursts)
    assert whole.sent == 1 and any(whole.bursts.values())
