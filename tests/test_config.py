import re

import pytest

from workbench.config import EITPConfig, parse_override
from workbench.errors import ConfigError


def test_defaults_are_appendix_c():
    c = EITPConfig()
    assert (c.signal.sampling_hz, c.signal.dwell_ms, c.signal.micro_movement_px_s) == (20, 500, 20)
    assert (c.signal.rage_clicks, c.signal.rage_window_ms, c.signal.scroll_debounce_ms) == (3, 500, 100)
    assert (c.signal.grid_cell_px, c.signal.enter_radius_px, c.signal.spatial_hysteresis_px,
            c.signal.time_hysteresis_ms) == (160, 140, 12, 600)
    assert (c.signal.long_absence_ms, c.signal.field_abandonment_ms, c.signal.inactivity_ms) == (30_000, 2000, 5000)
    t = c.transport
    assert (t.batch_size, t.flush_interval_ms, t.priority_flush, t.max_buffer) == (50, 3000, 40, 500)
    assert (t.reconnect_base_ms, t.reconnect_max_ms, t.reconnect_max_attempts, t.keepalive_ms) == \
        (1000, 30_000, 5, 30_000)
    assert (t.max_message_bytes, t.max_events_per_second) == (50_000, 500)
    assert (c.inference.buffer_window_ms, c.inference.session_timeout_ms, c.inference.bot_wait_batches) == \
        (10_000, 300_000, 3)
    i = c.intervention
    assert (i.cooldown_ms, i.window_suppression_ms, i.min_session_ms) == (60_000, 120_000, 10_000)


def test_toml_round_trip_and_partial_preset(tmp_path):
    preset = tmp_path / "p.toml"
    preset.write_text("[signal]\ndwell_ms = 800\n")
    c = EITPConfig.load(preset)
    assert c.signal.dwell_ms == 800 and c.signal.rage_clicks == 3
    full = tmp_path / "full.toml"
    full.write_text(c.to_toml())
    assert EITPConfig.load(full) == c


def test_overrides_and_their_errors():
    c = EITPConfig().with_overrides({"signal.rage_window_ms": 300})
    assert c.signal.rage_window_ms == 300
    with pytest.raises(ConfigError, match="unknown config key 'signal.nope'"):
        EITPConfig().with_overrides({"signal.nope": 1})
    with pytest.raises(ConfigError, match="unknown config key 'nosuch.x'"):
        EITPConfig().with_overrides({"nosuch.x": 1})
    with pytest.raises(ConfigError, match="signal.dwell_ms"):
        EITPConfig().with_overrides({"signal.dwell_ms": "soon"})


def test_bad_toml_is_a_config_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[signal\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        EITPConfig.load(bad)
    with pytest.raises(ConfigError, match="not found"):
        EITPConfig.load(tmp_path / "missing.toml")


def test_a_preset_that_is_no_readable_text_file_is_a_config_error_naming_it(tmp_path):
    # the TUI's presets load here too: a folder or a binary file raised IsADirectoryError / UnicodeDecodeError
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"[signal]\nrage_clicks = 4 # \xfb\xfc\n")
    with pytest.raises(ConfigError, match=f"^{re.escape(str(binary))}: not UTF-8 text"):
        EITPConfig.load(binary)
    with pytest.raises(ConfigError, match=f"^{re.escape(str(tmp_path))}: cannot read: Is a directory"):
        EITPConfig.load(tmp_path)


def test_parse_override_reads_toml_values():
    assert parse_override("signal.dwell_ms=800") == ("signal.dwell_ms", 800)
    assert parse_override("signal.circularity = 0.9") == ("signal.circularity", 0.9)
    with pytest.raises(ConfigError):
        parse_override("signal.dwell_ms")


def test_producer_receives_camel_case_thresholds():
    cfg = EITPConfig().with_overrides({"signal.rage_clicks": 4}).producer_config(tenant_id="t", vertical="rv_dealer")
    assert cfg["signal"]["rageClicks"] == 4 and cfg["signal"]["samplingHz"] == 20
    assert cfg["transport"]["flushIntervalMs"] == 3000 and cfg["tenantId"] == "t"


@pytest.mark.parametrize("key, value, says", [
    ("signal.rage_clicks", 1, "at least 2 clicks"),
    ("signal.rage_clicks", 0, "at least 2 clicks"),
    ("signal.sampling_hz", 0, "1 to 1000 times a second"),
])
def test_thresholds_that_would_make_a_detector_meaningless_are_refused(key, value, says):
    with pytest.raises(ConfigError, match=says):
        EITPConfig().with_overrides({key: value})
    assert EITPConfig().with_overrides({"signal.rage_clicks": 2}).signal.rage_clicks == 2


NUMERIC = [f"{section}.{key}" for section, values in EITPConfig().model_dump().items()
           for key, value in values.items() if isinstance(value, int | float) and not isinstance(value, bool)]


@pytest.mark.parametrize("key", NUMERIC)
def test_no_threshold_takes_a_negative_value(key):
    # counts, durations, distances, speeds, rates and shares: a negative one would reach the page or the engine
    with pytest.raises(ConfigError, match=f"{key}: .*cannot be negative"):
        EITPConfig().with_overrides({key: -1})


@pytest.mark.parametrize("key", NUMERIC)
def test_no_threshold_takes_true_or_false_for_a_number(key):
    # pydantic read `--set classifier.min_confidence=true` as 1.0 and false as 0, without a word
    for word in ("true", "false"):
        with pytest.raises(ConfigError, match=f"{key}: .*must be a number, not {word}"):
            EITPConfig().with_overrides(dict([parse_override(f"{key}={word}")]))


@pytest.mark.parametrize("key", NUMERIC)
def test_no_threshold_takes_a_quoted_number(key, tmp_path):
    # pydantic read a preset's `dwell_ms = "800"` (a TOML string) as 800, and "0.5" as 0.5, without a word
    section, _, name = key.partition(".")
    preset = tmp_path / "quoted.toml"
    preset.write_text(f'[{section}]\n{name} = "1"\n')
    with pytest.raises(ConfigError, match=f"{key}: .*must be a number, not the string '1'"):
        EITPConfig.load(preset)


@pytest.mark.parametrize("key", [k for k in NUMERIC if isinstance(EITPConfig().model_dump()[k.split(".")[0]][
    k.split(".")[1]], int)])
def test_no_integer_past_tomls_range_is_taken(key):
    # 10**19 passed and then broke the engine (OverflowError in a deque's maxlen, "cannot fit 'int'")
    with pytest.raises(ConfigError, match=f"{key}: .*must be at most {2**63 - 1}"):
        EITPConfig().with_overrides({key: 10**19})


def test_the_clock_fence_holds_at_least_a_flush_interval():
    # a fence under the producer's flush interval refuses honest batches: at 0, every batch but the first event's
    with pytest.raises(ConfigError, match="max_clock_skew_ms \\(2999\\) cannot be under flush_interval_ms \\(3000\\)"):
        EITPConfig().with_overrides({"transport.max_clock_skew_ms": 2999})
    pair = {"transport.max_clock_skew_ms": 1000, "transport.flush_interval_ms": 1000}
    assert EITPConfig().with_overrides(pair).transport.max_clock_skew_ms == 1000


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_float_threshold_must_be_finite(value):
    key, parsed = parse_override(f"signal.circularity={value}")
    with pytest.raises(ConfigError, match="signal.circularity: .*must be a finite number"):
        EITPConfig().with_overrides({key: parsed})


def test_zero_stays_allowed_where_it_means_off():
    assert EITPConfig().with_overrides({"transport.max_session_events_per_hour": 0}).transport \
        .max_session_events_per_hour == 0


@pytest.mark.parametrize("value", [0, 1, 2])
def test_the_trajectory_compares_at_least_three_classifications(value, tmp_path):
    # section 5.2: the trajectory is read over at least 3 classifications
    with pytest.raises(ConfigError, match="inference.trajectory_history: .*at least 3 classifications"):
        EITPConfig().with_overrides({"inference.trajectory_history": value})
    preset = tmp_path / "p.toml"
    preset.write_text(f"[inference]\ntrajectory_history = {value}\n")
    with pytest.raises(ConfigError, match="at least 3 classifications"):
        EITPConfig.load(preset)
    assert EITPConfig().with_overrides({"inference.trajectory_history": 3}).inference.trajectory_history == 3


# --- Appendix C "Inactivity threshold": one value, signal.inactivity_ms, for the page and the engine ---

def _disengagement(config: EITPConfig, idle_ms: float) -> tuple[float, tuple[str, ...]]:
    from workbench.engine.classifier import Context, disengagement
    from workbench.engine.features import Features

    score = disengagement(Features(idle_ms=idle_ms), Context(session_ms=600_000), config.classifier)
    return score.score, score.patterns


def test_overriding_the_appendix_c_inactivity_threshold_changes_how_the_engine_judges_inactivity():
    # 9 s without activity: long inactivity at the 5 s default, none at all with a 10 s threshold
    default_score, default_patterns = _disengagement(EITPConfig(), 9000)
    assert "long_inactivity" in default_patterns and default_score > 0
    longer = EITPConfig().with_overrides({"signal.inactivity_ms": 10_000})
    score, patterns = _disengagement(longer, 9000)
    assert "long_inactivity" not in patterns and score == 0
    shorter = EITPConfig().with_overrides({"signal.inactivity_ms": 2000})
    assert "long_inactivity" in _disengagement(shorter, 4500)[1]
    assert "long_inactivity" not in _disengagement(EITPConfig(), 4500)[1]


def test_a_saved_preset_still_follows_a_later_inactivity_override(tmp_path):
    preset = tmp_path / "saved.toml"
    preset.write_text(EITPConfig().to_toml())  # every value written, as `workbench config` and the TUI save it
    loaded = EITPConfig.load(preset)
    assert loaded == EITPConfig()
    longer = loaded.with_overrides({"signal.inactivity_ms": 10_000})
    assert "long_inactivity" not in _disengagement(longer, 9000)[1]
    again = tmp_path / "again.toml"
    again.write_text(longer.to_toml())
    assert EITPConfig.load(again) == longer


def test_the_old_classifier_inactivity_key_still_loads_but_cannot_disagree(tmp_path):
    agreeing = tmp_path / "agreeing.toml"
    agreeing.write_text("[signal]\ninactivity_ms = 8000\n[classifier]\nlong_inactivity_ms = 8000\n")
    assert "long_inactivity" not in _disengagement(EITPConfig.load(agreeing), 7000)[1]
    assert EITPConfig().with_overrides({"classifier.long_inactivity_ms": 5000}) == EITPConfig()
    disagreeing = tmp_path / "disagreeing.toml"
    disagreeing.write_text("[classifier]\nlong_inactivity_ms = 8000\n")
    with pytest.raises(ConfigError, match=r"long_inactivity_ms.*signal\.inactivity_ms"):
        EITPConfig.load(disagreeing)
    with pytest.raises(ConfigError, match=r"long_inactivity_ms.*signal\.inactivity_ms"):
        EITPConfig().with_overrides({"classifier.long_inactivity_ms": 8000})


# --- sizes, windows and rates whose 0 is not "off" but a broken run ---

@pytest.mark.parametrize("key", [
    "transport.batch_size",  # corpora replay: range() step 0; the producer's batch split loops forever
    "transport.flush_interval_ms",  # corpora replay never ends; the producer flushes in a busy timer
    "transport.keepalive_ms",  # the producer PINGs in a busy timer
    "transport.max_buffer",  # the producer drops every event it tracks
    "transport.max_message_bytes",  # the bridge refuses every frame
    "transport.max_events_per_second",  # the bridge refuses every event (the producer reads 0 as "off")
    "transport.max_events_per_type_per_second",
    "transport.max_pubs_per_second",  # the bridge refuses every PUB (the producer reads 0 as "off")
    "transport.max_connections",  # the bridge refuses every connection
    "transport.limiter_max_sessions",  # every batch gets a fresh limiter: the 4.6 limits never bite
    "transport.handshake_timeout_ms",  # the bridge times out every client before its CONNECT
    "transport.send_queue_bytes",  # the bridge closes every connection as a slow consumer
    "inference.session_timeout_ms",  # every batch starts a session of its own: no human is ever cleared
    "inference.buffer_window_ms",
    "classifier.price_dwell_ms",  # ZeroDivisionError in the ambivalence rule
    "bot.min_fast_intervals",  # 0 sub-15 ms intervals is ">= 0": every session a bot, one with no action too
    "bot.instant_min_clicks",  # 0 teleport-clicks likewise
])
def test_a_size_window_or_rate_of_zero_is_refused(key):
    with pytest.raises(ConfigError, match=f"{key}: .*at least 1"):
        EITPConfig().with_overrides({key: 0})
    # 1 is fine (with the transport pairs below kept in order)
    in_pair = key.endswith(("batch_size", "max_buffer"))
    pairs = {"transport.batch_size": 1, "transport.priority_flush": 1} if in_pair else {}
    section, _, name = key.partition(".")
    assert EITPConfig().with_overrides({**pairs, key: 1}).model_dump()[section][name] == 1


def test_a_limiter_registry_of_one_session_still_limits():
    from workbench.bridge.limits import LimiterRegistry

    config = EITPConfig().with_overrides({"transport.limiter_max_sessions": 1,
                                          "transport.max_events_per_second": 3}).transport
    registry = LimiterRegistry(config)
    events = [{"type": "click", "timestamp": 1_740_700_800_000 + i} for i in range(3)]
    assert registry.get("t", "s").check(1_740_700_800_100, events, 1.0) is None
    assert registry.get("t", "s").check(1_740_700_800_100, events, 1.0) is not None


def test_the_history_buffer_holds_the_ten_samples_gestures_read():
    # section 3.2: gestures read the last 10 samples of the history buffer; the producer keeps historySize
    with pytest.raises(ConfigError, match="signal.history_size: .*at least the 10 samples"):
        EITPConfig().with_overrides({"signal.history_size": 9})
    assert EITPConfig().with_overrides({"signal.history_size": 10}).signal.history_size == 10


@pytest.mark.parametrize("overrides, says", [
    ({"transport.batch_size": 600}, "batch_size .*max_buffer"),
    ({"transport.max_buffer": 40}, "batch_size .*max_buffer"),
    ({"transport.priority_flush": 60}, "priority_flush .*batch_size"),
    ({"transport.reconnect_base_ms": 40_000}, "reconnect_base_ms .*reconnect_max_ms"),
])
def test_transport_pairs_that_contradict_each_other_are_refused(overrides, says):
    with pytest.raises(ConfigError, match=f"transport: .*{says}"):
        EITPConfig().with_overrides(overrides)


def test_transport_pairs_at_their_limits_are_fine():
    t = EITPConfig().with_overrides({"transport.batch_size": 500, "transport.priority_flush": 500,
                                     "transport.reconnect_base_ms": 30_000}).transport
    assert (t.batch_size, t.priority_flush, t.reconnect_base_ms) == (500, 500, 30_000)
    assert EITPConfig().with_overrides({"transport.priority_flush": 0}).transport.priority_flush == 0


def test_config_output_round_trips_any_string(tmp_path):
    odd = "C:\\lists\\it's \"dc\".txt"
    c = EITPConfig().with_overrides({"bot.datacenter_ranges_file": odd})
    preset = tmp_path / "p.toml"
    preset.write_text(c.to_toml())
    assert EITPConfig.load(preset).bot.datacenter_ranges_file == odd


@pytest.mark.parametrize("value", [True, False, 0, 2.5, "a \"quoted\"\\path\n", ["10.0.0.0/8", "x\x7f"]])
def test_a_toml_value_reads_back_as_itself(value):
    # a bool written as Python's True is no TOML; the TUI's form writes every value with it
    import tomllib

    from workbench.config import toml_value

    assert tomllib.loads(f"v = {toml_value(value)}")["v"] == value
