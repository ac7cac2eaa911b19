"""`workbench sweep --corpus` and the page's thresholds (workbench.lab, workbench.corpora.PAGE_KEYS).

A corpus's telemetry is made from raw pointer recordings by a replay of the producer, so the page thresholds
that replay applies can vary: the batches are produced again per setting. Those it does not apply, and those
a replay never reads (the LLM tier's, the AI review's margins), are refused with the reason rather than
reported as "changed 0". Synthetic recordings only: no ../shared needed."""

from __future__ import annotations

import json
import math
import shlex
from typing import Any

import numpy as np
import pytest

from tests.test_corpus_files import moves, root, sapimouse  # noqa: F401  (root: a fixture)
from workbench import corpora, lab
from workbench.cli.common import ExitCode
from workbench.cli.main import main
from workbench.config import EITPConfig
from workbench.errors import ConfigError

#: a value for each page threshold that changes what the producer sends for :func:`recording`
PAGE_VALUES: dict[str, Any] = {
    "signal.sampling_hz": 10, "signal.micro_movement_px_s": 1.0, "signal.dwell_ms": 2000,
    "signal.inactivity_ms": 10_000, "signal.circularity": 0.99, "signal.circle_min_radius_px": 500.0,
    "signal.zigzag_changes": 20, "signal.zigzag_min_move_px": 200.0, "signal.zigzag_debounce_ms": 5000,
    "signal.rage_clicks": 5, "signal.rage_window_ms": 100, "transport.batch_size": 41,
    "transport.flush_interval_ms": 500, "transport.priority_flush": 5,
}


def recording(name: str = "user9/session.csv") -> corpora.Recording:
    """Circles, a slow drift (a pause), a zigzag, 7 s held still (inactivity), then a burst of 4 clicks."""
    t: list[float] = []
    x: list[float] = []
    y: list[float] = []

    def at(ts: float, xs: float, ys: float) -> None:
        t.append(ts)
        x.append(xs)
        y.append(ys)

    for i in range(150):  # 0-3 s: a 100 px circle, one turn per 0.8 s
        a = 2 * math.pi * i / 40
        at(i * 20.0, 500 + 100 * math.cos(a), 400 + 100 * math.sin(a))
    for i in range(75):  # 3-4.5 s: a drift at 15 px/s, below a micro-movement
        at(3000 + i * 20.0, 600 + i * 0.3, 400.0)
    for i in range(40):  # 4.5-6.5 s: 60 px up and down at every sample
        at(4500 + i * 50.0, 650 + i * 10.0, 400 + 60 * (i % 2))
    at(6550.0, 1050.0, 400.0)
    for i in range(100):  # 13.5-15.5 s: moving on, clicking 4 times 150 ms apart
        at(13_550 + i * 20.0, 1050 + i * 2.0, 400.0)
    clicks = np.array([14_000.0, 14_150.0, 14_300.0, 14_450.0])
    return corpora.Recording(name, "sapimouse", "human", np.array(t), np.array(x), np.array(y), clicks,
                             np.full(4, 1100.0), np.full(4, 400.0))


def test_every_page_threshold_a_corpus_sweep_varies_changes_what_the_producer_sends():
    assert set(PAGE_VALUES) == corpora.PAGE_KEYS
    rec, base = recording(), EITPConfig()
    sent = corpora.producer_batches(rec, base)
    for key, value in PAGE_VALUES.items():
        assert corpora.producer_batches(rec, base.with_overrides({key: value})) != sent, key


def test_the_page_thresholds_a_corpus_sweep_refuses_change_nothing_the_producer_replay_sends():
    # so refusing them is true: a sweep over them would report "changed 0" for every value
    rec, base = recording(), EITPConfig()
    sent = corpora.producer_batches(rec, base)
    dumped = base.model_dump()
    tried = 0
    for section in ("signal", "transport"):
        for key, value in dumped[section].items():
            name = f"{section}.{key}"
            if name in corpora.PAGE_KEYS or isinstance(value, bool) or not isinstance(value, int | float):
                continue
            for other in (value * 2 + 1, value + 1, max(value // 2, 1)):
                try:
                    config = base.with_overrides({name: type(value)(other)})
                except ConfigError:
                    continue
                assert corpora.producer_batches(rec, config) == sent, name
                tried += 1
                break
    assert tried >= 20  # history_size, scroll_debounce_ms, the limits of the bridge, ...


def test_a_corpus_sweep_may_vary_the_page_thresholds_its_replay_applies():
    assert lab.settings(["signal.dwell_ms=500,2000"], corpus=True) == [{"signal.dwell_ms": 500},
                                                                       {"signal.dwell_ms": 2000}]
    with pytest.raises(ConfigError, match="add --rerun"):
        lab.settings(["signal.dwell_ms=500,2000"])  # a stored run's telemetry is what it is


@pytest.mark.parametrize("vary, says", [
    ("signal.scroll_debounce_ms=50,200", "only pointer moves and clicks"),
    ("signal.history_size=20,200", "only pointer moves and clicks"),
    ("transport.max_events_per_second=10", "only pointer moves and clicks"),
    ("intervention.cooldown_ms=1000", "Seer"),
    ("bot.ai_review_cv=0.2,5.0", "AI review"),
    ("bot.ai_review_rate_share=0.1", "AI review"),
    ("bot.ai_review_scroll_cv=0.1", "AI review"),
    ("bot.ai_review_min_confidence=0.5", "AI review"),
    ("inference.enrichment_timeout_ms=100,5000", "only the LLM tier"),
])
def test_a_corpus_sweep_refuses_what_its_replay_never_applies(vary, says):
    with pytest.raises(ConfigError, match=says):
        lab.settings([vary], corpus=True)


def corpus_telemetry(recs: list[corpora.Recording], config: EITPConfig) -> lab.Telemetry:
    from workbench.cli.cmd_sweep import corpus_telemetry as made

    return made(["sapimouse"], recs, config)


def test_a_page_setting_replays_batches_produced_again_with_it():
    recs = [recording("user1/a.csv"), recording("user2/b.csv")]
    base = EITPConfig()
    produced: list[EITPConfig] = []

    def regenerate(config: EITPConfig) -> lab.Telemetry:
        produced.append(config)
        return corpus_telemetry(recs, config)

    grid = lab.settings(["signal.rage_clicks=5,3", "bot.min_timing_cv=0.05,0.1"], corpus=True)
    results = lab.sweep(corpus_telemetry(recs, base), base, grid, regenerate=regenerate)
    assert [c.signal.rage_clicks for c in produced] == [5, 5]  # once per setting that changes the page (3: base's)
    own, first = results[0].observed, results[1].observed
    assert set(own) == set(first) == {"sq_user1_a_csv", "sq_user2_b_csv"}  # the same sessions, compared by id
    assert all("rage_click" in own[sid].signals and "rage_click" not in first[sid].signals for sid in own)
    only_engine = lab.sweep(corpus_telemetry(recs, base), base, lab.settings(["bot.min_timing_cv=0.05"]),
                            regenerate=regenerate)
    assert len(produced) == 2 and len(only_engine) == 2  # an engine threshold replays the base batches


def test_a_page_setting_without_a_way_to_produce_the_batches_again_is_refused():
    telemetry = corpus_telemetry([recording()], EITPConfig())
    with pytest.raises(ConfigError, match="signal.rage_clicks is applied in the page"):
        lab.sweep(telemetry, EITPConfig(), [{"signal.rage_clicks": 5}])


# --- the command -------------------------------------------------------------------------------------
def test_sweep_corpus_varies_a_page_threshold(root, capsys):  # noqa: F811
    for user in ("user1", "user2"):
        sapimouse(root, user, [*moves(200), *(f"{4300 + 100 * k},Left,Released,300,200" for k in range(4))])
    argv = ["sweep", "--corpus", "sapimouse", "--vary", "signal.rage_clicks=3,5", "--json"]
    assert main(argv) == ExitCode.OK
    out = json.loads(capsys.readouterr().out)
    assert [s["overrides"] for s in out["settings"]] == [{}, {"signal.rage_clicks": 3}, {"signal.rage_clicks": 5}]
    assert all(s["sessions"] == 2 for s in out["settings"])
    assert main(argv[:-1]) == ExitCode.OK
    assert "produced again from the recordings" in capsys.readouterr().out


@pytest.mark.parametrize("vary, says", [("signal.scroll_debounce_ms=50,200", "only pointer moves and clicks"),
                                        ("bot.ai_review_cv=0.2,5.0", "AI review"),
                                        ("inference.enrichment_timeout_ms=100,5000", "only the LLM tier")])
def test_sweep_corpus_refuses_a_threshold_its_replay_never_applies(root, capsys, vary, says):  # noqa: F811
    sapimouse(root, "user1", moves(100))
    assert main(["sweep", "--corpus", "sapimouse", "--vary", vary]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert says in err and "internal error" not in err


def test_sweep_corpus_with_rerun_says_what_to_do_instead(root, capsys):  # noqa: F811
    assert main(["sweep", "--corpus", "sapimouse", "--rerun", "--vary", "signal.dwell_ms=500,2000"]) == ExitCode.USAGE
    assert "give it without --rerun" in capsys.readouterr().err


def test_the_sweep_help_names_the_page_thresholds_a_corpus_varies_and_its_examples_are_valid_settings():
    from tests.test_audit_lab_help import examples, subparsers

    help_text = subparsers()["sweep"].format_help()
    assert all(key in help_text for key in corpora.PAGE_KEYS)
    for line in examples(help_text):
        words = shlex.split(line)
        if words[1] != "sweep":
            continue
        args = subparsers()["sweep"].parse_args(words[2:])
        lab.settings(args.vary, rerun=args.rerun, corpus=args.corpus is not None)  # no ConfigError
