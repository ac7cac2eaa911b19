"""Human-like cursor motion for synthetic personas (pure numpy, no browser, no I/O).

The model, in the order a movement is built:

* **Timing** follows Fitts' law in its Shannon form, ``MT = a + b * log2(D/W + 1)``
  (Fitts 1954; MacKenzie 1992), with multiplicative lognormal noise per movement.
* **Shape**: each sub-movement is a minimum-jerk stroke, ``s(tau) = 10 tau^3 - 15 tau^4 +
  6 tau^5`` (Flash & Hogan 1985), which gives the bell-shaped speed profile of real aimed
  movements; a perpendicular bow ``B * 4 s (1 - s)`` with a per-movement random ``B`` makes
  the path gently curved rather than ruler-straight.
* **Primary and homing**: the primary sub-movement is a fast ballistic stroke taking about
  half of the Fitts time and landing with endpoint scatter (mostly a slight undershoot; on
  long moves an overshoot with some probability).  A slower homing phase takes the rest:
  corrective minimum-jerk sub-movements, each starting before the previous one has fully
  stopped and superposed on it (Meyer et al. 1988 stochastic optimised sub-movements;
  Flash & Henis 1991 superposition), the last one landing inside the target, at rest.
  If the primary already landed, one small homing adjustment still follows.
* **Tremor**: physiological tremor is band-limited noise in 8-12 Hz (Elble & Koller 1990),
  of fractions of a pixel to ~1.5 px during motion; at rest static friction of the mouse on
  the pad absorbs most of it, so the resting amplitude is much smaller (a real mouse at rest
  reports no events at all).  Tremor is tapered to zero at both ends of a movement so that
  movements start and end exactly where planned.
* **Idle behaviour**: dwell (hand on the mouse: rest tremor plus slow drift), idle drift
  (slower creep with rare tiny nudges), reading (cursor parked, occasional lazy short moves
  inside the text), and expressive gestures: oscillating between two targets, agitated
  zigzag, circling.

Calibration: against SapiMouse recordings (Antal et al. 2021; 30 sessions of a click-the-target
game, sampled at 20 Hz like the EITP producer) a single minimum-jerk stroke over the whole
Fitts time was too slow at the peak (about half the human peak speed) and too fast in
between; the ballistic-primary-plus-homing split brings the median moving speed, the 90th
percentile speed and the pause rate of a CALM game session close to the human medians
(``tests/synthetic/test_motion_vs_corpora.py`` prints the table).

Contrast with the common human-cursor generators (ghost-cursor, pyclick, WindMouse): they
draw Bezier or wind-driven paths with evenly timed steps; none models minimum-jerk
sub-movements, tremor or rest behaviour.

Every function draws all randomness from the ``numpy.random.Generator`` it is given, so the
same seed gives the same trajectory.  Times are in ms, positions in CSS px; every primitive
returns a :class:`Trajectory` that starts at t = 0 exactly at its start position, ready to be
chained with :meth:`Trajectory.concat` or :func:`chain`.
"""

from .aimed import aimed_movement, fitts_mt, reaction_time
from .gestures import circle, erratic, oscillate
from .idle import dwell, idle_drift, reading
from .profile import AGITATED, CALM, HESITANT, MotorProfile
from .trajectory import Point, Trajectory, chain

__all__ = [
    "Point",
    "Trajectory",
    "MotorProfile",
    "CALM",
    "HESITANT",
    "AGITATED",
    "chain",
    "fitts_mt",
    "reaction_time",
    "aimed_movement",
    "dwell",
    "idle_drift",
    "reading",
    "oscillate",
    "erratic",
    "circle",
]
