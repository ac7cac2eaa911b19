"""The threshold lab (workbench.lab): replays of stored telemetry, and which thresholds it may vary."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import Session

from tests.conftest import batch, ev, mouse_path
from workbench import lab, scoring
from workbench.config import EITPConfig
from workbench.engine.core import BotOut, Engine, PacketOut, ReviewOut
from workbench.errors import ConfigError

PROBE = scoring.GroundTruth("connection_probe", signals=frozenset({"connection"}), bot=True)
READER = scoring.GroundTruth("reader", emotions=frozenset({"curiosity"}))


def session(sid: str, truth: scoring.GroundTruth | None, closed_at: float | None = None, *,
            emotions: tuple[str, ...] = (), bot: str = "uncertain") -> lab.StoredSession:
    return lab.StoredSession(sid, truth.persona if truth else "visitor", "ended", None, truth, closed_at, emotions, bot)


def probe_telemetry(closed_at: float | None) -> lab.Telemetry:
    batches = [batch([ev("connection", 1000, userAgent="x")], session="sq_probe"),
               batch([ev("viewport_resize", 5000, width=1, height=1)], session="sq_probe")]
    return lab.Telemetry("run_x", batches, [session("sq_probe", PROBE, closed_at, bot="bot")])


def test_a_replay_closes_each_connection_at_the_stored_page_time():
    observed = lab.replay(probe_telemetry(closed_at=11_500), EITPConfig())["sq_probe"]
    assert observed.bot == "bot" and "connection_only" in observed.bot_signals
    assert observed.signals == {"connection", "viewport_resize"}
    # without the close stamp the engine can only close at the last event: no probe is seen
    unknown = probe_telemetry(closed_at=None)
    assert lab.replay(unknown, EITPConfig())["sq_probe"].bot != "bot"
    assert [s.session_id for s in lab.faithful(unknown, lab.replay(unknown, EITPConfig()))] == ["sq_probe"]
    known = probe_telemetry(closed_at=11_500)
    assert lab.faithful(known, lab.replay(known, EITPConfig())) == []


def test_a_sweep_scores_each_setting_against_ground_truth_and_counts_what_changed():
    telemetry = probe_telemetry(closed_at=11_500)
    results = lab.sweep(telemetry, EITPConfig(), lab.settings(["bot.connection_only_ms=5000,20000"]))
    assert [r.overrides for r in results] == [{}, {"bot.connection_only_ms": 5000}, {"bot.connection_only_ms": 20000}]
    assert [r.score.verdict for r in results] == ["pass", "pass", "fail"]  # open 10.5 s: not a probe at 20 s
    assert [r.differs for r in results] == [(), (), ("sq_probe",)]
    row = results[2].as_dict()
    assert row["passed"] == 0 and row["per_persona"] == {"connection_probe": {"passed": 0, "sessions": 1}}
    assert row["bot"]["recall"] == 0.0


def test_sessions_without_ground_truth_are_replayed_but_not_scored():
    telemetry = lab.Telemetry("run_x", [batch(mouse_path(1000, 30), session="sq_walk_in")],
                              [session("sq_walk_in", None)])
    (result,) = lab.sweep(telemetry, EITPConfig(), [])
    assert result.score.sessions == () and lab.replay(telemetry, EITPConfig())["sq_walk_in"].signals == {"mouse"}


def test_settings_make_a_grid_of_the_engines_own_thresholds():
    grid = lab.settings(["classifier.min_confidence=0.2, 0.5", "bot.min_timing_cv=0.1,0.3"])
    assert grid == [{"classifier.min_confidence": 0.2, "bot.min_timing_cv": 0.1},
                    {"classifier.min_confidence": 0.2, "bot.min_timing_cv": 0.3},
                    {"classifier.min_confidence": 0.5, "bot.min_timing_cv": 0.1},
                    {"classifier.min_confidence": 0.5, "bot.min_timing_cv": 0.3}]
    assert lab.settings([]) == []


@pytest.mark.parametrize("vary, says", [
    ("signal.rage_clicks=2,4", "applied in the page"),
    ("transport.batch_size=10", "applied in the page"),
    ("intervention.cooldown_ms=1000", "Seer"),
    ("classifier.min_confidence", "must look like"),
    ("classifier.min_confidence=", "must look like"),
])
def test_settings_refuse_what_a_replay_cannot_vary(vary, says):
    with pytest.raises(ConfigError, match=says):
        lab.settings([vary])


def test_settings_refuse_a_grid_too_large_to_print():
    values = ",".join(str(i) for i in range(1, 10))  # 9 x 9 = 81 settings
    with pytest.raises(ConfigError, match="at most"):
        lab.settings([f"bot.min_cv_intervals={values}", f"bot.min_fast_intervals={values}"])


def test_an_unknown_key_fails_when_the_setting_is_applied():
    with pytest.raises(ConfigError, match="unknown config key"):
        lab.sweep(probe_telemetry(11_500), EITPConfig(), lab.settings(["classifier.no_such_threshold=1"]))


# --- `workbench sweep` arguments and the corpus replay --------------------------------------------
def test_corpus_groups_expand_and_unknown_ones_are_named():
    from workbench import corpora

    assert corpora.resolve_groups("humans") == list(corpora.HUMAN_GROUPS)
    assert corpora.resolve_groups("sapimouse, bots,sapimouse") == ["sapimouse", *corpora.BOT_GROUPS]
    with pytest.raises(ConfigError, match="'gamers' is not a group"):
        corpora.resolve_groups("gamers")


def test_sweep_argument_mistakes_are_usage_errors(tmp_path, capsys, monkeypatch):
    from workbench import corpora
    from workbench.cli.common import ExitCode
    from workbench.cli.main import main

    db = str(tmp_path / "wb.db")
    assert main(["sweep", "run_x", "--corpus", "humans", "--db", db]) == ExitCode.USAGE
    assert "without a RUN" in capsys.readouterr().err
    assert main(["sweep", "--rerun", "--corpus", "humans", "--db", db]) == ExitCode.USAGE
    assert main(["sweep", "--limit", "5", "--db", db]) == ExitCode.USAGE
    assert main(["sweep", "--vary", "signal.dwell_ms=1", "--db", db]) == ExitCode.USAGE
    assert "applied in the page" in capsys.readouterr().err
    from workbench.store.db import open_db

    open_db(db).dispose()  # a store with no runs in it (a missing one is a usage error)
    assert main(["sweep", "--db", db]) == ExitCode.USAGE  # 1 is for missed expectations only
    assert "holds no runs" in capsys.readouterr().err
    monkeypatch.setattr(corpora, "CORPORA_DIR", tmp_path / "nowhere")
    assert main(["sweep", "--corpus", "humans", "--db", db]) == ExitCode.USAGE
    assert "needs the shared corpora" in capsys.readouterr().err


@pytest.mark.skipif(not __import__("workbench.corpora").corpora.available(),
                    reason="the shared corpora (../shared/corpora) are not present")
def test_a_corpus_sweep_counts_real_humans_a_threshold_would_flag(capsys):
    import json

    from workbench.cli.main import main

    assert main(["sweep", "--corpus", "sapimouse", "--limit", "6", "--vary", "bot.min_timing_cv=0.1,1.0",
                 "--vary", "bot.min_cv_intervals=3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["compared_with_live"] is False
    defaults, mild, absurd = out["settings"]
    assert defaults["sessions"] == 6 and defaults["bot"]["fp"] == 0 and defaults["passed"] == 6
    # every click-timing CV under 1.0 reads as machine-like: real people get flagged
    assert absurd["bot"]["fp"] >= 1 and absurd["passed"] == 6 - absurd["bot"]["fp"]
    assert mild["bot"]["fp"] <= absurd["bot"]["fp"]


def test_differences_split_what_a_replay_can_apply_from_what_it_cannot():
    base = EITPConfig()
    edited = base.with_overrides({"classifier.min_confidence": 0.6, "bot.min_interval_ms": 20.0,
                                  "signal.rage_clicks": 4, "intervention.cooldown_ms": 90_000})
    replayable, other = lab.differences(base, edited)
    assert replayable == {"classifier.min_confidence": 0.6, "bot.min_interval_ms": 20.0}
    assert other == ["signal.rage_clicks", "intervention.cooldown_ms"]
    assert lab.differences(base, base) == ({}, [])


def test_a_rerun_may_vary_every_threshold():
    assert lab.settings(["signal.rage_clicks=3,6"], rerun=True) == [{"signal.rage_clicks": 3},
                                                                    {"signal.rage_clicks": 6}]
    with pytest.raises(ConfigError, match="add --rerun"):
        lab.settings(["signal.rage_clicks=3,6"])


def test_a_sweep_reports_its_progress_after_each_replay():
    seen: list[tuple[int, int]] = []
    lab.sweep(probe_telemetry(11_500), EITPConfig(), lab.settings(["bot.connection_only_ms=5000,20000"]),
              lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def stored_live_run(tmp_db, batches, answers):
    """A run with the section 8.2 review as the pipeline records it (each answer applied when asked),
    read back from a real store."""
    from tests.engine.test_ai_review import SID
    from workbench.events import BatchReceived, BotVerdictEmitted, PacketEmitted, RunStarted, SessionStarted
    from workbench.store import repo
    from workbench.store.db import open_db
    from workbench.store.recorder import Recorder

    store = open_db(tmp_db)
    record = Recorder(store, "run_r")
    record(RunStarted("run_r", "run", "rv", 7, "", "http://x"))
    record(SessionStarted(SID, "org_test", "clicker", "rv"))
    live, answers = Engine(EITPConfig(), ai_review=True), list(answers)

    def take(outputs):
        for out in outputs:
            if isinstance(out, ReviewOut):
                take(live.apply_review(out.session_id, answers.pop(0), 0.93, "near-fixed waits"))
            elif isinstance(out, BotOut):
                record(BotVerdictEmitted(out.log()))
            elif isinstance(out, PacketOut):
                record(PacketEmitted(out.packet))

    for b in batches:
        record(BatchReceived(SID, "org_test", b))
        take(live.ingest(b))
    take(live.close_all())
    assert answers == []  # every answer was asked for
    with Session(store) as db:
        telemetry = repo.stored_telemetry(db=db, run_id="run_r")
    assert telemetry is not None
    return telemetry


@pytest.mark.parametrize("answer", ["bot", "human", None])
def test_a_replay_applies_the_ai_reviews_the_run_stored(tmp_db, answer):
    # Section 8.2: the model's answer is not in the telemetry. The run stores it with the verdict it
    # applied, and a replay applies it again, so a session the model called a bot replays as one.
    from tests.engine.test_ai_review import NEAR_REGULAR, SID, clicker

    telemetry = stored_live_run(tmp_db, clicker(NEAR_REGULAR).batches(), [answer])
    (stored,) = telemetry.sessions
    assert [r["classification"] for r in stored.reviews] == [answer]
    assert stored.live_bot == ("bot" if answer == "bot" else "human")
    observed = lab.replay(telemetry, EITPConfig())
    assert observed[SID].bot == stored.live_bot and observed[SID].emotions == stored.live_emotions
    assert lab.faithful(telemetry, observed) == []
    if answer == "bot":  # without the stored answer the rules' "human" stands: the replay would differ
        forgotten = lab.Telemetry("run_r", telemetry.batches, [dataclasses.replace(stored, reviews=())])
        assert lab.faithful(forgotten, lab.replay(forgotten, EITPConfig())) == [forgotten.sessions[0]]


def test_a_stored_answer_goes_to_the_visit_it_was_given_for(tmp_db):
    # An id reused after the session timeout is two visits. Live, only the second was ambiguous and the
    # model called it a bot. A sweep that makes the first ambiguous too has no answer for it (the rules'
    # "human", as a failed call), and the second still gets its own.
    from tests.engine.test_ai_review import IRREGULAR, NEAR_REGULAR, SID, clicker

    later = clicker(NEAR_REGULAR).batches()
    gap = 40_000 + EITPConfig().inference.session_timeout_ms + 100_000
    for b in later:
        b["timestamp"] += gap
        for e in b["events"]:
            e["timestamp"] += gap
    telemetry = stored_live_run(tmp_db, clicker(IRREGULAR).batches() + later, ["bot"])
    assert telemetry.sessions[0].live_bot == "bot"
    wider = EITPConfig.model_validate({"bot": {"ai_review_cv": 0.99}})
    engine = Engine(wider, ai_review=True)
    first_visit = [b for b in telemetry.batches if b["timestamp"] < later[0]["timestamp"]]
    assert any(isinstance(o, ReviewOut) for b in first_visit for o in engine.ingest(b))  # now ambiguous
    observed = lab.replay(telemetry, wider)[SID]
    assert observed.bot == "bot" and observed.bot_signals == ("ai_classification",)
    assert lab.faithful(telemetry, lab.replay(telemetry, EITPConfig())) == []


class _ReadOnce(list):
    """Batches that count their passes: a replay is one, and nothing else may read them."""

    passes = 0

    def __iter__(self):
        self.passes += 1
        return super().__iter__()


def test_the_stored_reader_finds_each_sessions_last_batch_on_its_check_pass(tmp_db):
    from tests.conftest import batch, mouse_path
    from workbench.events import BatchReceived, RunStarted, SessionStarted
    from workbench.store import repo
    from workbench.store.db import open_db
    from workbench.store.recorder import Recorder

    store = open_db(tmp_db)
    record = Recorder(store, "run_e")
    record(RunStarted("run_e", "run", "rv", 7, "", "http://x"))
    order = ["sq_a", "sq_b", "sq_a", "sq_c", "sq_b", "sq_a"]  # interleaved, as sessions arrive live
    for sid in dict.fromkeys(order):
        record(SessionStarted(sid, "org_test", "visitor", "rv"))
    for n, sid in enumerate(order):
        record(BatchReceived(sid, "org_test", batch(mouse_path(1000 * n, 3), session=sid)))
    with Session(store) as db:
        telemetry = repo.stored_telemetry(db=db, run_id="run_e")
    assert telemetry is not None
    assert telemetry.ends == {"sq_a": 5, "sq_b": 4, "sq_c": 3}
    counted = _ReadOnce(telemetry.batches)
    lab.replay(dataclasses.replace(telemetry, batches=counted), EITPConfig())
    assert counted.passes == 1  # the replay itself; the ends came from the reader


# --- thresholds a replay never reads: refused with the reason, not reported as "changed 0" ----------
def test_a_replay_refuses_what_only_the_llm_tier_reads():
    with pytest.raises(ConfigError, match="only the LLM tier reads it.*add --rerun"):
        lab.settings(["inference.enrichment_timeout_ms=100,5000"])
    assert lab.settings(["inference.enrichment_timeout_ms=100"], rerun=True) == [
        {"inference.enrichment_timeout_ms": 100}]  # a rerun runs the pipeline, and its tier if on
    _, other = lab.differences(EITPConfig(), EITPConfig().with_overrides({"inference.enrichment_timeout_ms": 100}))
    assert other == ["inference.enrichment_timeout_ms"]


REVIEW_MARGINS = ("bot.ai_review_cv", "bot.ai_review_rate_share", "bot.ai_review_scroll_cv",
                  "bot.ai_review_min_confidence")


def test_the_ai_reviews_margins_are_the_review_only_keys():
    assert set(REVIEW_MARGINS) == lab.REVIEW_ONLY == {k for k in lab.REVIEW_ONLY if k.startswith("bot.ai_review_")}
    assert {f"bot.{k}" for k in EITPConfig().bot.model_dump() if k.startswith("ai_review_")} == lab.REVIEW_ONLY


@pytest.mark.parametrize("key", REVIEW_MARGINS)
def test_the_ai_reviews_margins_replay_only_over_a_run_that_stored_reviews(tmp_db, key):
    from tests.engine.test_ai_review import NEAR_REGULAR, clicker

    grid = lab.settings([f"{key}=0.5"])
    with pytest.raises(ConfigError, match=f"{key} cannot be replayed over run run_x: .*stored no AI review"):
        lab.check_applies(grid, probe_telemetry(11_500))
    reviewed = stored_live_run(tmp_db, clicker(NEAR_REGULAR).batches(), ["bot"])
    lab.check_applies(grid, reviewed)  # the replay asks for reviews there, and applies the stored answers
    lab.check_applies(lab.settings(["bot.min_timing_cv=0.1"]), probe_telemetry(11_500))


def test_an_ai_review_margin_changes_the_replay_of_a_run_that_stored_reviews(tmp_db):
    # what makes it worth varying there: at a stricter CV margin the session is no longer ambiguous,
    # no review is asked for, and the stored "bot" answer no longer applies
    from tests.engine.test_ai_review import NEAR_REGULAR, SID, clicker

    reviewed = stored_live_run(tmp_db, clicker(NEAR_REGULAR).batches(), ["bot"])
    results = lab.sweep(reviewed, EITPConfig(), lab.settings(["bot.ai_review_cv=0.2,0.01"]))
    assert [r.observed[SID].bot for r in results] == ["bot", "bot", "human"]


def test_sweep_refuses_an_ai_review_margin_over_a_run_without_reviews(tmp_db, capsys):
    from tests.test_audit_lab_sweep import record, walker
    from workbench.cli.common import ExitCode
    from workbench.cli.main import main

    record(tmp_db, "run_w", [walker()])
    assert main(["sweep", "--db", str(tmp_db), "--vary", "bot.ai_review_cv=0.2,5.0"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "over run run_w" in err and "stored no AI review" in err and "internal error" not in err
    assert main(["sweep", "--db", str(tmp_db), "--vary", "inference.enrichment_timeout_ms=100,5000"]) == ExitCode.USAGE
    assert "only the LLM tier" in capsys.readouterr().err
