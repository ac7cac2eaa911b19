"""Seer's service does not trust the bus: a batch the engine refuses (not the schema, from another clock, too deep
to write out), a close it cannot place, a verdict or packet that is not one, is refused whole, counted by
reason and logged; nothing of it is applied and no session's section 9.3 state is lost."""

import copy
import json

import orjson
import pytest

from tests.conftest import FIXTURES, batch, ev, verdict
from workbench import bus as subjects
from workbench.bus import InProcessBus
from workbench.consumer.service import SeerService

BASE = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
T, S = BASE["tenantId"], "sq_1"


def packet(t):
    p = copy.deepcopy(BASE)
    p["sessionId"], p["timestamp"] = S, t
    p["temporal"]["sessionDuration"] = t
    return p


class Seen:
    """A Seer service on an in-process bus that has intervened once, at 20 s into its session."""

    async def start(self):
        self.bus = InProcessBus()
        self.sent, self.outcomes = [], []
        self.service = SeerService(self.bus, on_intervention=self.sent.append, on_outcome=self.outcomes.append)
        await self.service.start()
        await self.telemetry(batch([ev("connection", 0), ev("mouse", 20_000)], session=S, tenant=T))
        await self.packet(20_000)
        assert len(self.sent) == 1
        return self

    async def raw(self, subject, payload):
        await self.bus.publish(subject, payload)
        await self.bus.drain()

    async def telemetry(self, b):
        await self.raw(subjects.TELEMETRY_RAW, orjson.dumps(b))

    async def packet(self, t):
        await self.raw(subjects.intervention_request(T, S), orjson.dumps(packet(t)))


def deep(levels=300):
    """A batch's JSON text with its page content nested deeper than orjson writes (254 levels)."""
    raw = orjson.dumps(batch([ev("mouse", 21_000)], session=S, tenant=T, pageContent={"meta": "@"}))
    return raw.replace(b'"@"', b'{"x":' * levels + b"1" + b"}" * levels)


BATCHES = {  # what the engine refuses too, and the reason it is counted under
    "an event stamped past the year 9999": ("schema", orjson.dumps(batch([ev("mouse", 1e16)], session=S, tenant=T))),
    "an event three millennia from its batch's timestamp, inside the schema's years": (
        "clock", orjson.dumps(batch([ev("mouse", 21_000), ev("mouse", 1e14)], session=S, tenant=T, ts=21_000))),
    "a session id that is no subject token": (
        "identity", orjson.dumps(batch([ev("mouse", 21_000)], session="sq.1", tenant=T))),
    "page content nested too deeply to write out": ("depth", deep()),
    "not JSON": ("json", b'{"type": "telemetry_batch", '),
}


@pytest.mark.parametrize("name", list(BATCHES))
async def test_a_batch_the_engine_refuses_sets_no_clock_of_seers(name):
    reason, payload = BATCHES[name]
    seen = await Seen().start()
    await seen.raw(subjects.TELEMETRY_RAW, payload)
    assert dict(seen.service.rejected) == {reason: 1}
    assert seen.service.seer.sessions[S].latest == 20_000
    await seen.packet(30_000)  # 10 s after the first: the 60 s cooldown holds (section 9.3)
    assert len(seen.sent) == 1
    await seen.bus.close()


async def test_a_batch_further_behind_the_sessions_clock_than_the_bridge_allows_is_refused():
    seen = await Seen().start()
    await seen.telemetry(batch([ev("mouse", 100_000)], session=S, tenant=T))
    await seen.telemetry(batch([ev("chat_message", 30_000)], session=S, tenant=T))  # 70 s behind: refused
    assert dict(seen.service.rejected) == {"clock": 1} and seen.outcomes == []
    await seen.bus.close()


async def test_a_batch_with_a_bad_event_after_a_chat_message_is_refused_whole():
    seen = await Seen().start()
    bad = batch([ev("chat_message", 25_000), {"type": "mouse", "data": {}}], session=S, tenant=T, ts=25_000)
    await seen.telemetry(bad)
    assert dict(seen.service.rejected) == {"schema": 1}
    bandit = seen.service.seer.bandit
    assert sum(t.successes + t.failures for t in bandit.global_.values()) == 0  # nothing half applied
    assert seen.service.seer.sessions[S].pending is seen.sent[0]
    await seen.telemetry(batch([ev("chat_message", 26_000)], session=S, tenant=T))  # the real answer counts
    assert [i.outcome for i in seen.outcomes] == ["chat_engaged"]
    await seen.bus.close()


CLOSES = [
    b"{not json",
    b"null",
    orjson.dumps({"tenantId": T}),
    orjson.dumps({"tenantId": T, "sessionId": ""}),
    orjson.dumps({"tenantId": T, "sessionId": ["sq_1"]}),
    orjson.dumps({"tenantId": ["org"], "sessionId": S, "at": 21_000}),
    orjson.dumps({"tenantId": T, "sessionId": S, "at": "21000"}),
    orjson.dumps({"tenantId": T, "sessionId": S, "at": False}),
    orjson.dumps({"tenantId": T, "sessionId": S, "at": -5}),
    orjson.dumps({"tenantId": T, "sessionId": S, "at": 1e300}),
]


@pytest.mark.parametrize("close", CLOSES)
async def test_a_close_seer_cannot_place_ends_nothing_and_loses_no_state(close):
    seen = await Seen().start()
    await seen.raw(subjects.SESSION_CLOSED, close)
    assert dict(seen.service.rejected) == {"close": 1} and seen.service.ignored_closes == 0
    seer = seen.service.seer
    assert S in seer.sessions and seer.sessions[S].pending is seen.sent[0] and seen.outcomes == []
    await seen.telemetry(batch([ev("mouse", 22_000)], session=S, tenant=T))
    await seen.packet(33_000)  # 13 s after the first: the cooldown is still there
    assert len(seen.sent) == 1
    await seen.raw(subjects.SESSION_CLOSED, orjson.dumps({"tenantId": T, "sessionId": S, "at": 40_000}))
    assert [i.outcome for i in seen.outcomes] == ["left"]  # a real close still settles it
    await seen.bus.close()


@pytest.mark.parametrize(("subject", "payload", "reason"), [
    (subjects.bot_detection(T, S), b"{not json", "bot"),
    (subjects.bot_detection(T, S), orjson.dumps({"classification": "bot"}), "bot"),
    (subjects.bot_detection(T, S), orjson.dumps({"session_id": S, "classification": None}), "bot"),
    (subjects.bot_detection(T, S), orjson.dumps(["bot"]), "bot"),
    # what the pipeline would not report (no reasoning, a classification of its own): Seer does not act on it
    (subjects.bot_detection(T, S), orjson.dumps({k: v for k, v in verdict(S, "bot").items() if k != "reasoning"}),
     "bot"),
    (subjects.bot_detection(T, S), orjson.dumps(verdict(S, "bot") | {"classification": "robot"}), "bot"),
    (subjects.intervention_request(T, S), b"\xff", "packet"),
])
async def test_a_verdict_or_packet_that_is_not_one_is_counted_not_raised(subject, payload, reason):
    seen = await Seen().start()
    await seen.raw(subject, payload)
    assert dict(seen.service.rejected) == {reason: 1}
    assert not seen.service.seer.sessions[S].timing.is_bot
    await seen.bus.close()


def test_the_pipeline_gives_seer_the_clock_fence_the_engine_and_bridge_use():
    from workbench.config import EITPConfig
    from workbench.pipeline import Pipeline

    config = EITPConfig().with_overrides({"transport.max_clock_skew_ms": 120_000})
    pipeline = Pipeline(config, intelligence=False)
    assert pipeline.seer is not None and pipeline.seer.max_clock_skew_ms == 120_000


def test_the_pipeline_gives_seer_the_session_timeout_the_engine_uses():
    from workbench.config import EITPConfig
    from workbench.pipeline import Pipeline

    config = EITPConfig().with_overrides({"inference.session_timeout_ms": 600_000})
    pipeline = Pipeline(config, intelligence=False)
    assert pipeline.seer is not None and pipeline.seer.seer.session_timeout_ms == 600_000


def test_a_packet_stamped_past_the_year_9999_is_refused_as_the_schema_refuses_it():
    from workbench.consumer.seer import packet_problem
    from workbench.protocol.schema import errors

    far = packet(1e16)  # a junk packet must not carry Seer's clock for its session past any real event
    assert errors(far, "packet") and "timestamp" in (packet_problem(far) or "")
    assert packet_problem(packet(253402300799999)) is None
