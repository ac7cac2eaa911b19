"""A session's wall-clock limit follows its persona's visit: 300 s per minute of it, unless given."""

from __future__ import annotations

from synthetic.personas import HUMANS, LongVisitBuyer, ParalysedBuyer
from workbench.cli.main import build_parser
from workbench.sim.runner import RunSpec


def test_the_default_limit_covers_a_long_visit_in_real_time_and_stays_300_s_for_a_minute_long_one():
    spec = RunSpec([ParalysedBuyer, LongVisitBuyer])
    assert {spec.timeout_s(p) for p in HUMANS} == {300.0}
    # 39 minutes of page time are 39 minutes of wall time with --real-time: the old 300 s cut it at 5
    assert spec.timeout_s(LongVisitBuyer) >= 2 * LongVisitBuyer.session_ms / 1000
    given = RunSpec([LongVisitBuyer], session_timeout_s=42.0)
    assert given.timeout_s(LongVisitBuyer) == given.timeout_s(ParalysedBuyer) == 42.0


def test_the_cli_leaves_the_limit_to_the_persona_unless_told():
    parser, _ = build_parser()
    assert parser.parse_args(["run"]).session_timeout is None
    assert parser.parse_args(["run", "--session-timeout", "90"]).session_timeout == 90.0
