"""The engine core in event time: windows, determinism, the bot gate, tenant isolation."""

import copy

import pytest

from tests.conftest import batch, ev, mouse_path
from workbench.engine.core import BotOut, Engine, PacketOut
from workbench.errors import ValidationError
from workbench.protocol.schema import errors

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"


def session_batches(t0=1_700_000_000_000, seconds=25, session="sq_1_a", tenant="org_test"):
    """Batches every 3 s of a visitor moving and reading on the pricing section."""
    out = []
    for start in range(0, seconds * 1000, 3000):
        events = mouse_path(t0 + start, 20, section="pricing" if start > 6000 else "hero")
        events.append(ev("mouse_pause", t0 + start + 2500, "pricing", duration=1200, x=1, y=1))
        out.append(batch(events, session=session, tenant=tenant, userAgent=UA, ip="198.51.100.7"))
    return out


def packets(outputs):
    return [o.packet for o in outputs if isinstance(o, PacketOut)]


def test_windows_are_ten_seconds_of_event_time_and_close_flushes_the_rest():
    engine = Engine()
    out = []
    for b in session_batches():
        out += engine.ingest(b)
    assert len(packets(out)) == 2  # [0,10) and [10,20) closed by later events; [20,25) still open
    rest = engine.close_session("sq_1_a")
    assert len(packets(rest)) == 1
    all_packets = packets(out) + packets(rest)
    assert all(errors(p, "packet") == [] for p in all_packets)
    assert [p["temporal"]["sessionDuration"] for p in all_packets] == sorted(p["temporal"]["sessionDuration"]
                                                                            for p in all_packets)


def test_packets_have_all_eight_dimensions_and_no_ip():
    engine = Engine()
    out = [o for b in session_batches() for o in engine.ingest(b)] + engine.close_session("sq_1_a")
    for p in packets(out):
        assert {"emotion", "spatial", "temporal", "behavioral", "patterns", "intent", "pageContent",
                "globalIntelligence"} <= set(p)
        assert "198.51.100.7" not in repr(p)


def test_same_input_gives_identical_output():
    def replay():
        engine = Engine()
        return [o for b in session_batches() for o in engine.ingest(copy.deepcopy(b))] + engine.close_session("sq_1_a")
    assert replay() == replay()


def test_time_since_last_emotion_and_trajectory_come_from_history():
    engine = Engine()
    out = [o for b in session_batches(seconds=40) for o in engine.ingest(b)] + engine.close_session("sq_1_a")
    ps = packets(out)
    assert len(ps) >= 3
    assert ps[0]["temporal"]["timeSinceLastEmotion"] == ps[0]["temporal"]["sessionDuration"]
    for a, b in zip(ps, ps[1:]):
        assert b["temporal"]["timeSinceLastEmotion"] == b["timestamp"] - a["timestamp"]
    assert all(p["emotion"]["trajectory"] in ("intensifying", "stable", "cooling") for p in ps)


def test_batch_with_another_tenant_for_a_known_session_is_rejected():
    engine = Engine()
    first, second = session_batches()[:2]
    engine.ingest(first)
    second = dict(second, tenantId="org_other")
    with pytest.raises(ValidationError, match="org_other"):
        engine.ingest(second)


def test_headless_user_agent_is_a_bot_and_gets_no_packets():
    engine = Engine()
    out = []
    for b in session_batches():
        out += engine.ingest(dict(b, userAgent="Mozilla/5.0 HeadlessChrome/156.0"))
    out += engine.close_session("sq_1_a")
    verdicts = [o.verdict for o in out if isinstance(o, BotOut)]
    assert verdicts and verdicts[0].classification == "bot" and "user_agent" in verdicts[0].signals
    assert packets(out) == []


def test_human_verdict_after_three_batches():
    engine = Engine()
    out = [o for b in session_batches()[:3] for o in engine.ingest(b)]
    verdicts = [o.verdict.classification for o in out if isinstance(o, BotOut)]
    assert verdicts == ["human"]


def test_session_times_out_in_event_time_only():
    engine = Engine()
    engine.ingest(session_batches(session="sq_old")[0])
    assert "sq_old" in engine.sessions
    later = session_batches(t0=1_700_000_000_000 + 301_000 + 3000, session="sq_new")[0]
    out = engine.ingest(later)
    assert "sq_old" not in engine.sessions
    assert packets(out) and packets(out)[0]["sessionId"] == "sq_old"
