"""Motor profiles: every knob of the motion model with a human default, and named moods."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class MotorProfile:
    """Every knob of the motor model; defaults describe a calm adult with a mouse."""

    # Fitts' law MT = a + b*log2(D/W + 1); mouse pointing studies report a ~100-150 ms,
    # b ~100-170 ms/bit (MacKenzie 1992; Soukoreff & MacKenzie 2004).
    fitts_a_ms: float = 120.0
    fitts_b_ms: float = 140.0
    #: lognormal sigma of the multiplicative movement-time noise (mean-one factor)
    mt_sigma: float = 0.2
    #: mean amplitude of the primary sub-movement as a fraction of D (<1: the usual undershoot)
    primary_gain: float = 0.96
    #: sd of the primary's amplitude error, fraction of D
    gain_sd: float = 0.07
    #: sd of the primary's sideways endpoint error, fraction of D
    lateral_sd: float = 0.02
    #: moves at least this long may overshoot
    long_move_px: float = 300.0
    #: probability that a long move's primary overshoots the target
    overshoot_prob: float = 0.3
    #: typical overshoot beyond the target, fraction of D
    overshoot_frac: float = 0.06
    #: mean share of the Fitts time taken by the fast primary; homing takes the rest
    primary_share: float = 0.5
    #: a correction starts after this fraction of the previous sub-movement (<1 = overlap)
    correction_onset: tuple[float, float] = (0.75, 1.0)
    #: relative amplitude error of an intermediate corrective sub-movement
    correction_gain_sd: float = 0.15
    #: at most this many corrective sub-movements (the last one always lands)
    max_corrections: int = 3
    #: shortest sub-movement, ms
    min_submovement_ms: float = 90.0
    #: sd of the perpendicular bow of a sub-movement, fraction of its length
    bow_sd: float = 0.07
    #: physiological tremor RMS per axis during motion, px (~0.3-1.5 px)
    tremor_px: float = 0.5
    #: tremor RMS per axis at rest, px (friction absorbs most of it)
    rest_tremor_px: float = 0.12
    #: tremor band, Hz (physiological tremor 8-12 Hz)
    tremor_band_hz: tuple[float, float] = (8.0, 12.0)
    #: RMS speed of the slow drift of a resting hand, px/s
    drift_px_s: float = 1.0
    #: RMS speed of idle creep (hand loosely on the mouse), px/s
    idle_drift_px_s: float = 3.0
    #: tiny nudges per second while idling
    idle_nudge_per_s: float = 0.1
    #: lazy moves per second while reading
    reading_move_per_s: float = 0.2
    #: speed of lazy reading moves relative to aimed ones (0.5 = twice the Fitts time)
    reading_speed: float = 0.5
    #: probability that an aimed move stalls half-way and pauses (hesitation)
    hesitation_prob: float = 0.0
    #: length of such a mid-move pause, ms (uniform)
    hesitation_ms: tuple[float, float] = (250.0, 700.0)
    #: median reaction / decision time before a move, ms, and its lognormal sigma
    reaction_ms: float = 250.0
    reaction_sigma: float = 0.45
    #: stroke duration range of agitated zigzags, ms
    erratic_stroke_ms: tuple[float, float] = (70.0, 130.0)
    #: time per turn of a circling gesture, ms
    circle_period_ms: float = 700.0
    #: internal generation rate, Hz
    sample_hz: float = 120.0

    def __post_init__(self) -> None:
        """Refuse knobs the model cannot honour (a clear error here, not a miss or a crash later)."""
        problems = []
        if not all(math.isfinite(float(v)) for v in _numbers(self)):
            problems.append("every knob must be finite")
        if self.sample_hz <= 0:
            problems.append("sample_hz must be positive")
        elif not 0 <= self.tremor_band_hz[0] < self.tremor_band_hz[1] <= self.sample_hz / 2:
            problems.append("tremor_band_hz must be an increasing band below sample_hz / 2")
        if self.max_corrections < 1:  # the last correction is what lands inside the target
            problems.append("max_corrections must be at least 1")
        if self.fitts_a_ms < 0 or self.fitts_b_ms <= 0:
            problems.append("fitts_a_ms must be >= 0 and fitts_b_ms > 0")
        if min(self.mt_sigma, self.gain_sd, self.lateral_sd, self.correction_gain_sd, self.bow_sd,
               self.reaction_sigma, self.tremor_px, self.rest_tremor_px, self.drift_px_s, self.idle_drift_px_s,
               self.idle_nudge_per_s, self.reading_move_per_s) < 0:
            problems.append("spreads, amplitudes and rates must be >= 0")
        if min(self.reading_speed, self.reaction_ms, self.circle_period_ms, self.long_move_px) <= 0:
            problems.append("reading_speed, reaction_ms, circle_period_ms and long_move_px must be positive")
        for name in ("overshoot_prob", "hesitation_prob"):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name} must be a probability")
        for name in ("correction_onset", "hesitation_ms", "erratic_stroke_ms"):
            lo, hi = getattr(self, name)
            if not 0 <= lo <= hi:
                problems.append(f"{name} must be a range (lo, hi) with 0 <= lo <= hi")
        # The shortest strokes must span a sample interval: a 0 ms stroke divides by zero (a NaN path;
        # with fitts_a_ms = 0 a move that is already there is timed 0 ms, so min_submovement_ms is
        # what keeps it positive) and erratic() would never advance; one shorter than a sample is a jump.
        sample_ms = 1000.0 / self.sample_hz if self.sample_hz > 0 else math.nan  # (a bad sample_hz: see above)
        if sample_ms > 0 and not min(self.min_submovement_ms, self.erratic_stroke_ms[0]) >= sample_ms:
            problems.append(f"min_submovement_ms and erratic_stroke_ms[0] must be at least one sample interval "
                            f"(1000 / sample_hz = {sample_ms:.3g} ms)")
        if problems:
            raise ValueError("invalid MotorProfile: " + "; ".join(problems))


def _numbers(profile: MotorProfile) -> list[float]:
    out: list[float] = []
    for f in fields(profile):
        value = getattr(profile, f.name)
        out += list(value) if isinstance(value, tuple) else [value]
    return out


CALM = MotorProfile()
HESITANT = replace(
    CALM,
    fitts_a_ms=150.0,
    fitts_b_ms=165.0,
    mt_sigma=0.25,
    primary_gain=0.9,
    gain_sd=0.06,
    lateral_sd=0.03,
    overshoot_prob=0.2,
    max_corrections=4,
    hesitation_prob=0.35,
    reaction_ms=600.0,
    reaction_sigma=0.6,
    tremor_px=0.6,
    reading_move_per_s=0.12,
    circle_period_ms=800.0,
)
AGITATED = replace(
    CALM,
    fitts_a_ms=100.0,
    fitts_b_ms=100.0,
    mt_sigma=0.3,
    gain_sd=0.07,
    lateral_sd=0.04,
    overshoot_prob=0.55,
    overshoot_frac=0.1,
    correction_onset=(0.6, 0.9),
    min_submovement_ms=70.0,
    bow_sd=0.1,
    tremor_px=1.0,
    rest_tremor_px=0.16,
    drift_px_s=2.0,
    idle_drift_px_s=5.0,
    idle_nudge_per_s=0.4,
    reading_move_per_s=0.4,
    reading_speed=0.8,
    reaction_ms=180.0,
    erratic_stroke_ms=(60.0, 110.0),
    circle_period_ms=500.0,
)
