"""Audit of the threshold lab (``workbench sweep``, :mod:`workbench.lab`): bad ``--vary`` values refused at
once, runs with nothing to replay, figures against a hand computation, and memory on a larger store."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import batch, ev, mouse_path
from workbench import lab
from workbench.cli.common import ExitCode
from workbench.cli.main import main
from workbench.config import EITPConfig
from workbench.errors import ConfigError
from workbench.events import (
    BatchReceived,
    ConnectionClosed,
    RunEnded,
    RunStarted,
    SessionEnded,
    SessionStarted,
    SessionTraced,
)
from workbench.store.db import open_db
from workbench.store.recorder import Recorder

PROBE_TRUTH = {"signals": ["connection"], "bot": True}
WALKER_TRUTH: dict[str, Any] = {"signals": ["mouse"]}


def one_line(err: str) -> str:
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


def record(path: Path, run_id: str, sessions: list[tuple[str, dict[str, Any], list[dict[str, Any]], float | None]],
           ) -> None:
    """A run as the Recorder writes it live: (persona, ground truth, batches, close stamp) per session."""
    engine = open_db(path)
    rec = Recorder(engine)
    rec(RunStarted(run_id, "run", "rv", 7, EITPConfig().to_toml(), "http://x"))
    for i, (persona, truth, batches, closed_at) in enumerate(sessions):
        sid = f"sq_{run_id}_{i}"
        rec(SessionStarted(sid, "org_test", persona, "rv"))
        rec(SessionTraced(sid, persona, 7, i, "virtual", truth, 0.0, 0.0, {}))
        for b in batches:
            rec(BatchReceived(sid, "org_test", {**b, "sessionId": sid}))
        if closed_at is not None:
            rec(ConnectionClosed(sid, closed_at))
        rec(SessionEnded(sid, "ended"))
    rec(RunEnded(run_id, "ended", {}))
    engine.dispose()


def probe(open_ms: float) -> tuple[str, dict[str, Any], list[dict[str, Any]], float]:
    """A connection-only probe (section 8) whose connection stays open ``open_ms`` after its first event."""
    return ("connection_probe", PROBE_TRUTH, [batch([ev("connection", 1000, userAgent="x")]),
                                              batch([ev("viewport_resize", 5000, width=1, height=1)])],
            1000 + open_ms)


def walker() -> tuple[str, dict[str, Any], list[dict[str, Any]], float]:
    return ("walker", WALKER_TRUTH, [batch(mouse_path(1000, 40)), batch(mouse_path(3000, 40))], 6000.0)


# --- bad --vary values: one line, exit 2, before anything is read or replayed -----------------------
@pytest.mark.parametrize("varies, says", [
    (["classifier.min_confidence=,"], "gives no value"),
    (["classifier.min_confidence= , "], "gives no value"),
    (["classifier.min_confidence=0.2,,0.5"], "an empty value"),
    (["classifier.min_confidence=0.2,0.5,0.20"], "0.2 twice"),
    (["inference.buffer_window_ms=5000,5000.0"], "5000 twice"),
    (["classifier.min_confidence=0.2", "classifier.min_confidence=0.5"], "classifier.min_confidence twice"),
    (["classifier.no_such_threshold=1"], "unknown config key 'classifier.no_such_threshold'"),
    (["classifier.min_confidence=abc"], "classifier.min_confidence"),
    (["classifier.min_confidence=true"], "classifier.min_confidence=true: .*must be a number, not true"),
    (["bot.min_cv_intervals=2.5"], "bot.min_cv_intervals"),
    (["classifier.min_confidence=nan"], "finite"),
    (["classifier.min_confidence=-inf"], "finite"),
])
def test_a_bad_vary_is_refused_by_settings_before_any_replay(varies, says):
    with pytest.raises(ConfigError, match=says):
        lab.settings(varies)


def test_a_bad_value_for_a_rerun_is_refused_before_the_browser_runs_the_base():
    # --rerun runs S0 in the browser first (minutes): a typo in S1 must not wait for it
    with pytest.raises(ConfigError, match="signal.rage_clicks"):
        lab.settings(["signal.rage_clicks=3,three"], rerun=True)


def test_a_grid_too_large_is_refused_without_being_built():
    values = ",".join(str(i) for i in range(2, 122))  # 120 ** 3 = 1.7 million settings
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError, match="1728000 settings to replay; at most"):
            lab.settings([f"bot.min_cv_intervals={values}", f"bot.min_fast_intervals={values}",
                          f"classifier.min_mouse_samples={values}"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000, f"{peak:,} bytes to refuse a grid"


def test_the_cli_refuses_a_bad_vary_before_reading_or_replaying(tmp_db, capsys, monkeypatch):
    record(tmp_db, "run_a", [walker()])
    replays: list[object] = []
    monkeypatch.setattr(lab, "replay", lambda *a, **k: replays.append(a) or {})
    for vary in ("classifier.min_confidence=abc", "classifier.nope=1", "classifier.min_confidence=0.2,0.2"):
        assert main(["sweep", "--db", str(tmp_db), "--vary", vary]) == ExitCode.USAGE
        out, err = capsys.readouterr()
        assert out == "" and one_line(err).startswith("workbench: ")
    assert replays == []


# --- runs with nothing to replay ------------------------------------------------------------------
def test_a_run_without_telemetry_is_a_usage_error_not_an_empty_replay(tmp_db, capsys):
    record(tmp_db, "run_empty", [("walker", WALKER_TRUTH, [], None)])
    assert main(["sweep", "run_empty", "--db", str(tmp_db), "--vary", "classifier.min_confidence=0.2"]) \
        == ExitCode.USAGE
    out, err = capsys.readouterr()
    assert out == "" and "run run_empty stored no telemetry: nothing to replay" in one_line(err)


def test_without_a_run_id_the_latest_run_with_telemetry_is_replayed(tmp_db, capsys):
    record(tmp_db, "run_a", [walker()])
    record(tmp_db, "run_empty", [("walker", WALKER_TRUTH, [], None)])  # newer, stopped before its first visit
    assert main(["sweep", "--db", str(tmp_db), "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["run_id"] == "run_a"


def test_a_store_whose_runs_have_no_telemetry_says_so(tmp_db, capsys):
    record(tmp_db, "run_empty", [("walker", WALKER_TRUTH, [], None)])
    assert main(["sweep", "--db", str(tmp_db)]) == ExitCode.USAGE
    assert "the database holds no run with telemetry to replay" in one_line(capsys.readouterr().err)


# --- figures against a hand computation -------------------------------------------------------------
def test_sweep_figures_match_a_hand_computation(tmp_db, capsys):
    # Two probes open 10.5 s and 30 s, and a person moving the mouse. A probe is caught when it stays open
    # longer than bot.connection_only_ms: at 5 s both are, at 20 s the 30 s one, at 40 s neither.
    record(tmp_db, "run_h", [probe(10_500), probe(30_000), walker()])
    assert main(["sweep", "--db", str(tmp_db), "--json", "--vary", "bot.connection_only_ms=5000,20000,40000"]) == 0
    out = json.loads(capsys.readouterr().out)
    caught = {5000: 2, 20000: 1, 40000: 0}
    rows = {r["overrides"]["bot.connection_only_ms"]: r for r in out["settings"][1:]}
    for threshold, n in caught.items():
        row = rows[threshold]
        assert row["bot"] == {"tp": n, "fp": 0, "fn": 2 - n, "tn": 1, "precision": 1.0 if n else None,
                              "recall": n / 2}
        assert row["passed"] == n + 1 and row["sessions"] == 3  # the walker passes at every setting
        assert row["per_persona"] == {"connection_probe": {"passed": n, "sessions": 2},
                                      "walker": {"passed": 1, "sessions": 1}}
    s0 = out["settings"][0]
    assert s0["overrides"] == {} and s0["bot"]["tp"] == 2  # the default (10 s) catches both
    assert rows[20000]["differs"] == ["sq_run_h_0"] and sorted(rows[40000]["differs"]) == ["sq_run_h_0", "sq_run_h_1"]


def test_the_same_sweep_twice_is_byte_identical(tmp_db, capsys):
    record(tmp_db, "run_h", [probe(10_500), walker(), probe(30_000)])
    outputs = []
    for _ in range(2):
        assert main(["sweep", "--db", str(tmp_db), "--json", "--vary", "bot.connection_only_ms=5000,20000",
                     "--vary", "classifier.min_confidence=0.2,0.9"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


# --- scale ------------------------------------------------------------------------------------------
@pytest.mark.slow  # stores and sweeps two runs, 4 and 40 sessions, under tracemalloc (~17 s)
def test_a_sweep_reads_the_stored_batches_as_it_replays_them_not_all_at_once(tmp_path, capsys):
    # a store of thousands of sessions holds gigabytes of telemetry once parsed: a sweep's memory must grow with
    # the sessions open at once, not with the run's whole telemetry (compared between two sizes of one run,
    # after a warm-up, so imports and caches cancel out)
    def stored(n: int) -> tuple[Path, int]:
        sessions = [("walker", WALKER_TRUTH, [batch(mouse_path(1000 + k * 7_500, 150)) for k in range(12)], 91_000.0)
                    for _ in range(n)]
        record(tmp_path / f"wb{n}.db", "run_big", sessions)
        return tmp_path / f"wb{n}.db", sum(len(json.dumps(b)) for _, _, batches, _ in sessions for b in batches)

    def peak(db: Path, sessions: int) -> int:
        tracemalloc.start()
        try:
            assert main(["sweep", "--db", str(db), "--json"]) == 0
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert json.loads(capsys.readouterr().out)["settings"][0]["sessions"] == sessions

    (small, small_json), (large, large_json) = stored(4), stored(40)
    peak(small, 4)  # warm-up: imports and caches
    grown = peak(large, 40) - peak(small, 4)
    assert grown < (large_json - small_json) / 2, f"{grown:,} bytes more for {large_json - small_json:,} more"


def test_every_setting_replays_the_same_batches_while_the_run_is_still_written(tmp_db, capsys, monkeypatch):
    # a `workbench serve` run is written while it is swept: a setting must not see batches S0 did not
    record(tmp_db, "run_live", [probe(30_000)])
    replay, calls = lab.replay, []

    def replay_then_a_new_batch_arrives(telemetry, *args):
        observed = replay(telemetry, *args)
        calls.append(len(list(telemetry.batches)))
        rec = Recorder(open_db(tmp_db), "run_live")
        rec(BatchReceived("sq_run_live_0", "org_test", batch([ev("click", 6000, x=1, y=1)],
                                                              session="sq_run_live_0")))
        return observed

    monkeypatch.setattr(lab, "replay", replay_then_a_new_batch_arrives)
    assert main(["sweep", "--db", str(tmp_db), "--json", "--vary", "bot.connection_only_ms=5000"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert calls == [2, 2] and out["settings"][1]["differs"] == []


class Generated:
    """Batches made afresh on each pass, as a reader streaming them from the store gives them: nothing holds
    them but the replay itself."""

    def __init__(self, sessions: int) -> None:
        self.sessions = sessions

    def __iter__(self):
        for i in range(self.sessions):
            for k in range(12):
                yield batch(mouse_path(1000 + k * 7_500, 150), session=f"sq_{i}")

    def __len__(self) -> int:
        return self.sessions * 12


def test_a_replay_closes_each_session_after_its_last_batch_and_so_lets_its_events_go():
    # live, each connection closed after its last batch; a replay that kept every session open to the end of the
    # run held the whole run's events at once, however they were read
    def peak(n: int) -> int:
        telemetry = lab.Telemetry("run_big", Generated(n), [
            lab.StoredSession(f"sq_{i}", "walker", "ended", None, None, 91_000.0, (), "uncertain") for i in range(n)])
        tracemalloc.start()
        try:
            observed = lab.replay(telemetry, EITPConfig())
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert {o.signals for o in observed.values()} == {frozenset({"mouse"})}

    peak(2)  # warm-up
    one_batch = len(json.dumps(next(iter(Generated(1)))))
    grown = peak(20) - peak(4)
    assert grown < 16 * 12 * one_batch / 4, f"{grown:,} bytes more for 16 more sessions"


def test_a_rerun_keeps_a_session_timeout_only_where_its_user_gave_one():
    from workbench.cli.cmd_sweep import stored_timeout

    # runs stored before the per-persona default recorded 300 s whether given or not
    assert stored_timeout({"argv": ["run", "--persona", "long"], "session_timeout_s": 300.0}) is None
    assert stored_timeout({"argv": ["run", "--session-timeout", "90"], "session_timeout_s": 90.0}) == 90.0
    assert stored_timeout({"argv": ["run", "--session-timeout=45"], "session_timeout_s": 45}) == 45.0
    assert stored_timeout({"session_timeout_s": None}) is None and stored_timeout({}) is None  # the TUI's runs
    assert stored_timeout({"argv": ["--session-timeout", "x"], "session_timeout_s": "x"}) is None
