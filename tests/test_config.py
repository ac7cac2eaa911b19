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
