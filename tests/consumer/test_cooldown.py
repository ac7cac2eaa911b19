"""Section 9.3 timing, including property-based checks that no allowed decision breaks a rule."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.config import EITPConfig, InterventionConfig
from workbench.consumer.cooldown import SessionTiming, decide
from workbench.errors import ConfigError

CFG = InterventionConfig()


def test_grace_period_then_allowed():
    t = SessionTiming(started_at=1_000)
    assert not decide(10_999, t, CFG).allowed
    assert decide(11_000, t, CFG).allowed


def test_cooldown_between_interventions():
    t = SessionTiming(started_at=0, last_intervention_at=20_000)
    assert "cooldown" in decide(79_999, t, CFG).reason
    assert decide(80_000, t, CFG).allowed


def test_open_chat_and_window_suppression():
    t = SessionTiming(started_at=0, chat_opened_at=15_000)
    assert not decide(500_000, t, CFG).allowed
    t = SessionTiming(started_at=0, chat_closed_at=30_000)
    assert "suppression" in decide(149_999, t, CFG).reason
    assert decide(150_000, t, CFG).allowed


def test_bots_never():
    assert not decide(10**9, SessionTiming(started_at=0, is_bot=True), CFG).allowed


@pytest.mark.parametrize("key,value", [("cooldown_ms", 59_999), ("window_suppression_ms", 119_999),
                                       ("min_session_ms", 9_999)])
def test_config_refuses_shorter_than_spec(key, value):
    with pytest.raises(ConfigError, match="never shorter"):
        EITPConfig().with_overrides({f"intervention.{key}": value})


def test_config_accepts_longer():
    assert EITPConfig().with_overrides({"intervention.cooldown_ms": 90_000}).intervention.cooldown_ms == 90_000


times = st.floats(min_value=0, max_value=1e7, allow_nan=False)


@given(start=times, now=times, last=st.none() | times, closed=st.none() | times,
       cooldown=st.integers(60_000, 200_000), suppression=st.integers(120_000, 400_000),
       grace=st.integers(10_000, 60_000))
def test_an_allowed_intervention_never_breaks_a_rule(start, now, last, closed, cooldown, suppression, grace):
    cfg = InterventionConfig(cooldown_ms=cooldown, window_suppression_ms=suppression, min_session_ms=grace)
    timing = SessionTiming(started_at=start, last_intervention_at=last, chat_closed_at=closed)
    if decide(now, timing, cfg).allowed:
        assert now - start >= grace
        assert last is None or now - last >= cooldown
        assert closed is None or now - closed >= suppression


@given(start=times, now=times)
def test_open_chat_always_blocks(start, now):
    assert not decide(now, SessionTiming(started_at=start, chat_opened_at=start), CFG).allowed
