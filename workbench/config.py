"""Every tunable threshold in one typed object: EITP v1.1 Appendix C, plus the workbench's own.

The defaults are the spec's. A run can load a TOML preset and override single values
with dotted keys (``signal.dwell_ms=800``); anything unknown or mistyped raises
:class:`~workbench.errors.ConfigError` naming the key. The producer in the page
receives the ``signal`` and ``transport`` sections as JSON (camelCase keys), so the
browser and the engine always agree on the thresholds of a run.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel

from workbench.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _a_number_is_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic reads true as 1 and "800" as 800 where a number is due: `--set classifier.min_confidence=true`
        # set 1.0, and a preset's `dwell_ms = "800"` (a string in TOML) passed unremarked
        field = cls.model_fields.get(info.field_name or "")
        if field is None or field.annotation not in (int, float):
            return value
        if isinstance(value, bool):
            raise ValueError(f"must be a number, not {str(value).lower()}")
        if isinstance(value, str):
            raise ValueError(f"must be a number, not the string {value!r} (in TOML, write it without quotes)")
        return value

    @field_validator("*")
    @classmethod
    def _not_negative(cls, value: Any) -> Any:
        # every threshold is a count, a duration, a distance, a speed, a rate or a share (0 may mean "off")
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ValueError(f"must be a finite number (got {value})")
            if value < 0:
                raise ValueError(f"cannot be negative (got {value})")
            if isinstance(value, int) and value > _TOML_MAX_INT:  # and past what the code's C integers hold
                raise ValueError(f"must be at most {_TOML_MAX_INT}, TOML's largest integer (got {value})")
        return value


_TOML_MAX_INT = 2**63 - 1


def _at_least_one(value: int) -> int:
    # a size, a window or a rate whose 0 is no "off" switch: it stops, floods or crashes the run
    if value < 1:
        raise ValueError(f"must be at least 1 (got {value})")
    return value


#: section 3.2: gestures are read on "the last 10 mouse samples from the history buffer"
GESTURE_WINDOW = 10


class SignalConfig(_Section):
    """Appendix C "Signal Capture": thresholds the producer applies in the page (section 3)."""

    sampling_hz: int = 20
    history_size: int = 100
    micro_movement_px_s: float = 20.0
    dwell_ms: int = 500
    circularity: float = 0.85
    circle_min_radius_px: float = 20.0
    zigzag_changes: int = 6
    zigzag_min_move_px: float = 30.0
    zigzag_debounce_ms: int = 300
    rage_clicks: int = 3
    rage_window_ms: int = 500
    scroll_debounce_ms: int = 100
    grid_cell_px: int = 160
    enter_radius_px: float = 140.0
    spatial_hysteresis_px: float = 12.0
    time_hysteresis_ms: int = 600
    pricing_comparison_cooldown_ms: int = 5000
    viewport_boundary_px: float = 100.0
    boundary_edge_px: float = 50.0
    exit_velocity_px_s: float = 400.0
    resize_debounce_ms: int = 250
    long_absence_ms: int = 30_000
    field_abandonment_ms: int = 2000
    inactivity_ms: int = 5000
    content_cache_ms: int = 5000

    # the proximity grid's cell: at 0 px the producer's index loop never ends and the page hangs (section 3.5)
    _positive = field_validator("grid_cell_px")(_at_least_one)

    @field_validator("rage_clicks")
    @classmethod
    def _a_burst(cls, value: int) -> int:
        if value < 2:
            raise ValueError(f"a rage click is a burst of at least 2 clicks (got {value})")
        return value

    @field_validator("history_size")
    @classmethod
    def _holds_a_gesture_window(cls, value: int) -> int:
        if value < GESTURE_WINDOW:
            raise ValueError(f"must hold at least the {GESTURE_WINDOW} samples gesture detection reads "
                             f"(section 3.2; got {value})")
        return value

    @field_validator("sampling_hz")
    @classmethod
    def _a_sampler(cls, value: int) -> int:
        if not 1 <= value <= 1000:
            raise ValueError(f"the sampler ticks 1 to 1000 times a second (got {value})")
        return value


class TransportConfig(_Section):
    """Appendix C "Transport": batching and reconnection in the page, limits at the bridge (4.3-4.6)."""

    batch_size: int = 50
    flush_interval_ms: int = 3000
    priority_flush: int = 40
    max_buffer: int = 500
    reconnect_base_ms: int = 1000
    reconnect_max_ms: int = 30_000
    reconnect_max_attempts: int = 5
    keepalive_ms: int = 30_000
    max_message_bytes: int = 50_000
    max_events_per_second: int = 500
    max_events_per_type_per_second: int = 100
    # Bridge hardening (workbench/bridge/limits.py documents the time base of each limit).
    max_session_events_per_hour: int = 0  # 0 = off; the original production system used 100
    max_clock_skew_ms: int = 60_000  # event vs batch timestamp, and how far a batch may go back
    max_pubs_per_second: int = 50  # wall-clock PUB frames per connection (per session for POST)
    # 4.6's 500 events a second, counted on the wall clock per session as well (forged timestamps cannot
    # dodge it), with room for max_buffer more at once; 0 = off, as the runner's embedded bridge sets it
    # for virtual-time runs
    max_events_per_wall_second: int = 500
    max_subscriptions: int = 16  # per connection
    send_queue_bytes: int = 1_048_576  # unsent bytes per connection before it is closed as a slow consumer
    handshake_timeout_ms: int = 10_000  # from INFO to a valid CONNECT
    # a connected client silent this long (not even a keepalive PING: the producer sends one every
    # keepalive_ms, nats-py every 2 min) is closed as stale; 0 = off, as the runner sets it in virtual
    # time, where a page's keepalives follow its own clock
    idle_timeout_ms: int = 300_000
    max_connections: int = 10_000  # WebSocket connections open at once; more are refused (HTTP 503)
    limiter_max_sessions: int = 100_000  # sessions whose limiter state is kept (least recently used dropped)
    trusted_proxies: list[str] = []  # CIDRs whose X-Forwarded-For is believed, e.g. ["127.0.0.1/32"]

    _positive = field_validator("batch_size", "flush_interval_ms", "max_buffer", "keepalive_ms", "max_message_bytes",
                                "max_events_per_second", "max_events_per_type_per_second", "max_pubs_per_second",
                                "max_connections", "limiter_max_sessions", "handshake_timeout_ms",
                                "send_queue_bytes")(_at_least_one)

    @model_validator(mode="after")
    def _pairs(self) -> TransportConfig:
        if self.batch_size > self.max_buffer:
            raise ValueError(f"batch_size ({self.batch_size}) cannot exceed max_buffer ({self.max_buffer}): "
                             "the buffer would drop events before a batch fills (section 4.3)")
        if self.priority_flush > self.batch_size:
            raise ValueError(f"priority_flush ({self.priority_flush}) cannot exceed batch_size ({self.batch_size}): "
                             "a priority flush would never come early (section 4.3)")
        if self.reconnect_base_ms > self.reconnect_max_ms:
            raise ValueError(f"reconnect_base_ms ({self.reconnect_base_ms}) cannot exceed reconnect_max_ms "
                             f"({self.reconnect_max_ms}) (section 4.4)")
        if self.max_clock_skew_ms < self.flush_interval_ms:
            raise ValueError(f"max_clock_skew_ms ({self.max_clock_skew_ms}) cannot be under flush_interval_ms "
                             f"({self.flush_interval_ms}): a batch holds events up to a flush interval older than "
                             "its timestamp, and the fence would refuse them (section 4.6)")
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        import ipaddress

        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"{cidr!r} is not an IP network (CIDR like 10.0.0.0/8)") from None
        return value


class InferenceConfig(_Section):
    """Appendix C "Inference & Intervention": the engine's windows and timeouts (section 7)."""

    buffer_window_ms: int = 10_000
    session_timeout_ms: int = 300_000  # per session, in that session's own event time (section 1.3)
    # sessions whose connection closed, kept for a reconnect or the visit's next page to continue
    # (section 1.3: a session ends with the timeout, not the connection); the least recent go first
    closed_sessions_kept: int = 10_000
    bot_wait_batches: int = 3  # producer batches before any "human" verdict ...
    # ... and event time watched before it: Appendix C "Bot classification wait: 3 batches ~30s" (three
    # section 7.2 buffers), section 8.2 "after 3 batches / ~30 seconds". Until a verdict, packets are held.
    bot_wait_ms: int = 30_000
    enrichment_timeout_ms: int = 1500
    trajectory_history: int = 3  # classifications the trajectory compares (section 5.2: at least 3)
    trajectory_delta: float = 0.05  # intensity change that counts as intensifying / cooling
    emotion_history: int = 8  # classifications kept per session (trajectory and emotions.{t}.{s} profile)

    _positive = field_validator("buffer_window_ms", "session_timeout_ms")(_at_least_one)

    @field_validator("trajectory_history")
    @classmethod
    def _a_trajectory(cls, value: int) -> int:
        if value < 3:
            raise ValueError(f"section 5.2 reads the trajectory over at least 3 classifications (got {value})")
        return value


SECTION_9_3_FLOORS = {"cooldown_ms": 60_000, "window_suppression_ms": 120_000, "min_session_ms": 10_000}


class InterventionConfig(_Section):
    """Section 9.3 cooldowns. Consumers may lengthen them, never shorten them."""

    cooldown_ms: int = 60_000
    window_suppression_ms: int = 120_000
    min_session_ms: int = 10_000

    @field_validator("cooldown_ms", "window_suppression_ms", "min_session_ms")
    @classmethod
    def _not_shorter_than_spec(cls, value: int, info: ValidationInfo) -> int:
        floor = SECTION_9_3_FLOORS[str(info.field_name)]
        if value < floor:
            raise ValueError(f"must be at least {floor} ms: EITP v1.1 section 9.3 allows longer cooldowns, "
                             f"never shorter (got {value})")
        return value


class BotConfig(_Section):
    """Section 8.1 minimum bot rules, as read on the producer's own 20 Hz batched stream.

    See :mod:`workbench.engine.botfilter` for what each rule means on that stream.
    """

    connection_only_ms: int = 10_000
    max_clicks_per_batch: int = 50
    max_scrolls_per_batch: int = 100
    min_interval_ms: float = 15.0
    min_fast_intervals: int = 3
    bounce_px: float = 3.0  # a click this close to the previous one, < min_interval_ms later, is switch bounce
    # A chain of such bounces is one press only while it stays within this much event time of its first
    # click; after that every click of the chain is an action. 200 ms: the longest chatter burst in the
    # corpora spans 95 ms (SapiMouse user54, 9 clicks), a 100 Hz auto-clicker's run lasts far longer.
    bounce_chain_ms: float = 200.0
    min_timing_cv: float = 0.1
    min_cv_intervals: int = 8
    # Section 8.2 (recommended) rules.
    datacenter_ranges_file: str = ""  # IP reputation list; empty: bundled workbench/data/datacenter_ranges.txt
    linear_scroll_events: int = 8  # consecutive same-direction scroll events judged together
    linear_scroll_max_cv: float = 0.05  # interval and velocity CV below this is machine-perfect
    instant_navigation_ms: float = 10.0  # a hand action this soon after the page arrived
    instant_jump_px: float = 300.0  # a click this far from the cursor's previous sample ...
    instant_arrival_px: float = 2.0  # ... with the next sample on the click point ...
    instant_next_sample_ms: float = 60.0  # ... one sampler tick later
    instant_min_clicks: int = 2  # teleport-clicks needed before the rule fires
    hover_burst_count: int = 5
    hover_burst_ms: float = 50.0
    hover_burst_min_timestamps: int = 3  # the producer's tick-synchronous hovers share one timestamp
    # Section 8.2 AI-assisted classification: a session no rule flagged is "ambiguous" (reviewed by one
    # triage-model call, when the LLM tier is on) if a rule came close. Margins (botfilter.near_misses):
    # twice the regularity limit; any sub-15 ms interval short of the rule's count; one teleport-click short
    # of the rule's count; half a batch-rate maximum; twice the linear-scroll CV. On the real human corpora
    # 0 of 1,166 sessions are ambiguous at their verdict (tests/engine/test_botreview_corpora.py).
    ai_review_cv: float = 0.2  # action timing CV below this (and >= min_timing_cv) is a near miss
    ai_review_rate_share: float = 0.5  # clicks or scrolls in one batch above this share of their maximum
    ai_review_scroll_cv: float = 0.1  # a scroll run whose interval and velocity CVs are both below this
    # The model must be this sure to call a session the rules cleared a bot: dropping a human's packets
    # costs a lost customer, a missed bot one session's LLM calls.
    ai_review_min_confidence: float = 0.8

    # counts a rule needs before it fires: 0 would fire on every session, even one with no hand action
    _positive = field_validator("min_fast_intervals", "instant_min_clicks")(_at_least_one)

    @field_validator("ai_review_rate_share", "ai_review_min_confidence")
    @classmethod
    def _a_share(cls, value: float) -> float:
        if value > 1:
            raise ValueError(f"is a share, at most 1 (got {value})")
        return value


class ClassifierConfig(_Section):
    """Evidence thresholds of the rules classifier (section 6 descriptions).

    Not in Appendix C: the spec leaves inference strategy open (section 7), so these are
    the workbench's own, kept here so a threshold lab can sweep them like the rest.
    """

    # Shared
    min_confidence: float = 0.35  # below this no rule has enough evidence: "uncertainty"
    min_mouse_samples: int = 10  # kinematic evidence needs at least this many samples
    pause_long_ms: int = 1500
    reading_pauses: int = 2  # pauses in a window that read as a steady reading rhythm
    dwell_pauses: int = 2  # long pauses in a window that make a dwell
    section_revisits: int = 2  # returns to known sections that count as "repeated"
    calm_section_changes: int = 2  # section changes in a window that are still calm browsing
    # decision_paralysis / ambivalence: alternation between tier cards, dwell, pricing revisits
    tier_alternations: int = 2
    price_dwell_ms: int = 2500
    pricing_dwell_share: float = 0.5  # time share on pricing that makes a dwell "on pricing"
    # analysis_paralysis: extended session, deep scroll, tab switching, revisits
    long_session_ms: int = 120_000
    very_long_session_ms: int = 300_000
    deep_scroll_pct: float = 60.0
    deepest_scroll_pct: float = 90.0
    many_tab_switches: int = 3
    many_revisits: int = 3
    # cognitive_load: slowed mouse, erratic scroll, section bouncing
    slow_speed_px_s: float = 60.0
    normal_speed_px_s: float = 250.0
    calm_scroll_reversals: int = 1
    erratic_scroll_reversals: int = 4
    section_bounces: int = 5
    # confusion: circling, clicks on non-interactive elements
    confused_circles: int = 2
    stray_clicks: int = 1  # one click on plain text happens to anyone
    confused_clicks: int = 4
    # deliberation: steady pace
    steady_speed_cv: float = 0.9
    restless_changes: int = 4  # tier alternations + scroll reversals + rage bursts that end "steady"
    # frustration: high jerk, zigzags. Jerk from 20 Hz samples is a third finite difference: window
    # p90 measured 70k-250k px/s3 for the calm paralysed-buyer demo, ~940k median for SapiMouse gamers.
    high_jerk_px_s3: float = 1_000_000.0
    erratic_zigzags: int = 2
    # overwhelm: rapid shallow scrolling, short dwells
    fast_scroll_px_s: float = 1500.0
    rapid_scrolls: int = 12
    skimmed_sections: int = 4
    shallow_dwell_ms: int = 1500
    # anxiety: frequent pauses
    frequent_pauses: int = 6
    # payment_anxiety / hesitation: approach-retreat cycles, dwell near conversion points
    cta_retreats: int = 2
    cta_dwell_ms: int = 3000
    pricing_focus_share: float = 0.3
    # disengagement: exit intent, few events, decreasing events, long inactivity
    exit_signals: int = 2
    idle_events: int = 12
    idle_after_ms: int = 20_000
    decreasing_events_ratio: float = 0.25
    # Stillness with no activity at all becomes inactivity: Appendix C's "Inactivity threshold" (3.1), which is
    # ``signal.inactivity_ms``. Not a threshold of its own: EITPConfig copies it from there, and it is left out
    # of dumps and presets. Older presets name it; they still load when it agrees with signal.inactivity_ms.
    long_inactivity_ms: int = Field(default=5000, exclude=True)
    # unfocused event time a window needs before its event rate counts ("decreasing events", section 6):
    # shorter than the section 3.1 inactivity threshold it cannot tell a pause from a decline
    rate_min_window_ms: int = 5000
    # "decreasing events" compares a window's rate with the mean of the session's last few windows
    activity_baseline_windows: int = 3
    # curiosity / exploratory_engagement: depth into new territory, new sections, breadth
    scroll_gain_min_pct: float = 5.0
    scroll_gain_pct: float = 30.0
    new_sections: int = 2
    broad_sections: int = 3
    # purchase_intent / urgency: form interaction, high velocity
    filled_fields: int = 2
    fast_speed_px_s: float = 400.0
    very_fast_speed_px_s: float = 900.0
    # satisfaction: rage bursts + zigzags + exit signals that end "smooth navigation"
    negative_signs: int = 2
    # trust_building: share of the window on reviews, testimonials, about ...
    trust_share_min: float = 0.3
    trust_share_full: float = 0.8
    # price_sensitivity / comparison_shopping
    price_hovers: int = 4
    tab_switches: int = 2

    _positive = field_validator("price_dwell_ms")(_at_least_one)  # the ambivalence rule divides by it


class EITPConfig(_Section):
    """The whole configuration of a run. Immutable: use :meth:`with_overrides` to derive."""

    signal: SignalConfig = SignalConfig()
    transport: TransportConfig = TransportConfig()
    inference: InferenceConfig = InferenceConfig()
    intervention: InterventionConfig = InterventionConfig()
    bot: BotConfig = BotConfig()
    classifier: ClassifierConfig = ClassifierConfig()

    @field_validator("classifier")
    @classmethod
    def _one_inactivity_threshold(cls, value: ClassifierConfig, info: ValidationInfo) -> ClassifierConfig:
        signal = info.data.get("signal")
        if not isinstance(signal, SignalConfig):
            return value  # the signal section is invalid: that is the error to report
        wanted = signal.inactivity_ms
        if value.long_inactivity_ms == wanted:
            return value
        if "long_inactivity_ms" in value.model_fields_set:
            raise ValueError(f"long_inactivity_ms ({value.long_inactivity_ms}) is Appendix C's inactivity threshold, "
                             f"signal.inactivity_ms ({wanted}): set signal.inactivity_ms (the page and the engine "
                             "read it) and drop classifier.long_inactivity_ms")
        synced = value.model_copy(update={"long_inactivity_ms": wanted})
        synced.model_fields_set.discard("long_inactivity_ms")  # still derived: a later signal override moves it
        return synced

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> EITPConfig:
        try:
            return cls.model_validate(data)
        except PydanticValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"invalid configuration: {problems}") from None

    @classmethod
    def load(cls, path: str | Path) -> EITPConfig:
        """Load a TOML preset; missing keys keep the spec defaults."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: not found") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); a preset is a TOML file") from None
        except OSError as exc:  # a folder, no permission, an I/O error
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        return cls.from_mapping(data)

    def with_overrides(self, overrides: dict[str, Any]) -> EITPConfig:
        """Return a copy with dotted keys replaced, e.g. ``{"signal.dwell_ms": 800}``."""
        data = self.model_dump()  # without derived keys (classifier.long_inactivity_ms): they follow their source
        for dotted, value in overrides.items():
            section, _, key = dotted.partition(".")
            if section not in data or not key:
                raise ConfigError(f"unknown config key {dotted!r} (sections: {', '.join(data)})")
            if key not in type(getattr(self, section)).model_fields:
                raise ConfigError(f"unknown config key {dotted!r}; {section} has: {', '.join(data[section])}")
            data[section][key] = value
        return self.from_mapping(data)

    def to_toml(self) -> str:
        """Serialise as a TOML preset (every value written, so a preset is self-describing)."""
        lines: list[str] = []
        for section, values in self.model_dump().items():
            lines.append(f"[{section}]")
            lines.extend(f"{key} = {toml_value(value)}" for key, value in values.items())
            lines.append("")
        return "\n".join(lines)

    def producer_config(self, *, tenant_id: str, vertical: str, session_id: str | None = None) -> dict[str, Any]:
        """The ``window.EITP_CONFIG`` object the page's producer reads."""
        return {
            "tenantId": tenant_id,
            "vertical": vertical,
            "bridgeUrl": None,
            "postUrl": "/bridge/batch",
            "sessionId": session_id,
            "signal": self.signal.model_dump(by_alias=True),
            "transport": self.transport.model_dump(by_alias=True),
        }


def toml_value(value: Any) -> str:
    """``value`` as a TOML literal (a string, a bool, a number or a list of them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value).replace("\x7f", "\\u007f")  # a TOML basic string (TOML escapes DEL, JSON not)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def parse_override(text: str) -> tuple[str, Any]:
    """Parse one ``section.key=value`` command-line override; the value is read as TOML."""
    key, sep, raw = text.partition("=")
    if not sep:
        raise ConfigError(f"override {text!r} must look like section.key=value")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.strip(), value
