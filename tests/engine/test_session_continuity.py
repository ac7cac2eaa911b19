"""Section 1.3: a session is its id and ends after the session timeout of inactivity, not with a
connection. A reconnect, or the next page of the visit, continues it on the engine's side."""

from __future__ import annotations

import pytest

from tests.conftest import batch, ev, mouse_path
from workbench.config import EITPConfig
from workbench.engine.core import BotOut, Engine, PacketOut
from workbench.errors import ValidationError

T = 1_700_000_000_000
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"


def visit(t0: float, seconds: int, *, session: str = "sq_1_a", tenant: str = "org_test") -> list[dict]:
    """A batch every 3 s of someone moving and pausing on the pricing section."""
    out = []
    for start in range(0, seconds * 1000, 3000):
        events = mouse_path(t0 + start, 20)
        events.append(ev("mouse_pause", t0 + start + 2500, duration=1200, x=1, y=1))
        out.append(batch(events, session=session, tenant=tenant, userAgent=UA))
    return out


def connected(t: float) -> dict:
    """A page's first batch: its connection event alone."""
    return batch([ev("connection", t, status="connected")], session="sq_1_a", userAgent=UA)


def feed(engine: Engine, batches: list[dict]) -> list:
    return [o for b in batches for o in engine.ingest(b)]


def packets(outputs) -> list[dict]:
    return [o.packet for o in outputs if isinstance(o, PacketOut)]


def verdicts(outputs) -> list[str]:
    return [o.verdict.classification for o in outputs if isinstance(o, BotOut)]


def test_a_reconnect_continues_the_session_where_it_was():
    engine = Engine()
    first = feed(engine, visit(T, 45)) + engine.close_session("sq_1_a", at=T + 45_500)
    assert verdicts(first) == ["human"] and packets(first)
    back = T + 50_000  # the producer reconnected (or the next page of the visit loaded) 4.5 s later
    second = feed(engine, visit(back, 24))
    later = packets(second)
    # not held for another 30 s bot wait: the window that closed inside the first 24 s went out at once
    assert later and verdicts(second) == []
    # section 5.4: the duration counts from the visit's first event, not from the reconnect
    assert later[0]["temporal"]["sessionDuration"] >= 50_000
    assert later[0]["temporal"]["timeSinceLastEmotion"] == later[0]["timestamp"] - packets(first)[-1]["timestamp"]


def test_after_the_session_timeout_the_same_id_starts_afresh():
    engine = Engine()
    feed(engine, visit(T, 45))
    engine.close_session("sq_1_a", at=T + 45_500)
    timeout = EITPConfig().inference.session_timeout_ms
    again = feed(engine, visit(T + 45_000 + timeout + 1000, 45))
    assert verdicts(again) == ["human"]  # a new session: judged again after its own wait
    assert packets(again)[0]["temporal"]["sessionDuration"] < 45_000


def test_a_probe_that_reconnects_every_few_seconds_is_still_a_connection_only_probe():
    # each connection lasts 6 s with nothing but its connection event: alone, none passes the 10 s rule
    engine = Engine()
    out = []
    for k in range(3):
        t = T + k * 7000
        out += engine.ingest(batch([ev("connection", t, status="connected")], session="sq_probe", userAgent=UA))
        out += engine.close_session("sq_probe", at=t + 6000)
    assert "bot" in verdicts(out)
    bot = next(o for o in out if isinstance(o, BotOut) and o.verdict.classification == "bot")
    assert "connection_only" in bot.verdict.signals


def test_a_closed_session_keeps_its_tenant():
    engine = Engine()
    feed(engine, visit(T, 12))
    engine.close_session("sq_1_a", at=T + 12_500)
    with pytest.raises(ValidationError, match="belongs to 'org_test'"):
        engine.ingest(visit(T + 15_000, 3, tenant="org_other")[0])


def test_the_end_of_input_does_not_close_a_closed_session_twice():
    engine = Engine()
    feed(engine, visit(T, 45))
    engine.close_session("sq_1_a", at=T + 45_500)
    assert engine.close_all() == []
    assert engine.close_session("sq_1_a", at=T + 46_000) == []  # a second close of the same connection's end


def test_closed_sessions_are_remembered_up_to_a_bound():
    engine = Engine(EITPConfig().with_overrides({"inference.closed_sessions_kept": 2}))
    for sid in ("sq_1_a", "sq_1_b", "sq_1_c"):
        feed(engine, visit(T, 45, session=sid))
        engine.close_session(sid, at=T + 45_500)
    # sq_1_a was forgotten first: its next batch starts a new session, judged after a new wait
    assert verdicts(feed(engine, visit(T + 50_000, 45, session="sq_1_a"))) == ["human"]
    assert verdicts(feed(engine, visit(T + 50_000, 45, session="sq_1_c"))) == []


def test_the_idle_sweep_ends_closed_sessions_on_their_own_clock():
    engine = Engine()
    feed(engine, visit(T, 45))
    engine.close_session("sq_1_a", at=T + 45_500)
    timeout = EITPConfig().inference.session_timeout_ms
    assert engine.expire(T + 45_000 + timeout - 1000) == [] and "sq_1_a" in engine.closed
    assert engine.expire(T + 45_000 + timeout + 1000) == [] and "sq_1_a" not in engine.closed


def test_a_session_cleared_at_its_close_stays_cleared_when_it_comes_back():
    # 3 batches in 9 s: the close ends the wait ("human"); the next page's first 9 s would be "uncertain"
    # again if the 30 s wait were read anew, and its windows held
    engine = Engine()
    assert verdicts(feed(engine, visit(T, 9)) + engine.close_session("sq_1_a", at=T + 12_000)) == ["human"]
    back = feed(engine, visit(T + 13_000, 24))
    assert verdicts(back) == [] and packets(back)


@pytest.mark.parametrize("first_batch_back", ["interacts", "connection only"])
def test_a_quiet_first_page_judged_a_probe_does_not_take_the_visit_with_it(first_batch_back):
    # someone opens the page and looks away for 15 s (alone, a connection-only probe), then reloads or
    # navigates and browses: judged afresh from the first interaction. On a real reload the first batch
    # back carries only the new page's connection event.
    engine = Engine()
    out = engine.ingest(connected(T))
    out += engine.ingest(batch([ev("tab_switch", T + 9000, hidden=False)], session="sq_1_a", userAgent=UA))
    out += engine.close_session("sq_1_a", at=T + 15_000)
    assert verdicts(out) == ["bot"]
    later = engine.ingest(connected(T + 16_000)) if first_batch_back == "connection only" else []
    later += feed(engine, visit(T + 16_100, 45)) + engine.close_session("sq_1_a", at=T + 62_000)
    assert verdicts(later) == ["human"] and packets(later)


def test_a_closed_session_back_after_the_timeout_is_not_judged_again():
    # a 2 s bounce, closed; the id comes back 6 minutes later with a connection-only batch: the bounce is
    # over, not a 5-minute connection-only probe
    engine = Engine()
    engine.ingest(connected(T))
    engine.close_session("sq_1_a", at=T + 2000)
    back = T + 2000 + EITPConfig().inference.session_timeout_ms + 60_000
    assert verdicts(engine.ingest(connected(back))) == []


def test_a_closed_session_keeps_no_page_content_and_the_next_batch_brings_it():
    engine = Engine()
    page = {"pageTitle": "Arctic Wolf 3650SUITE", "h1": "Pricing"}
    feed(engine, [dict(b, pageContent=page) for b in visit(T, 45)])
    engine.close_session("sq_1_a", at=T + 45_500)
    assert engine.closed.get("sq_1_a").page_content is None
    back = feed(engine, [dict(b, pageContent=page) for b in visit(T + 50_000, 24)])
    assert packets(back) and all(p["pageContent"] == page for p in packets(back))


def test_a_page_reloaded_before_the_first_move_is_not_a_probe_for_good():
    # page 1 sits 9 s with nothing but its connection; page 2's connection event 10.5 s after page 1's
    # makes the visit connection-only for > 10 s; its first move judges it afresh
    engine = Engine()
    engine.ingest(connected(T))
    engine.close_session("sq_1_a", at=T + 9000)
    out = engine.ingest(connected(T + 10_500))
    out += feed(engine, visit(T + 11_000, 45)) + engine.close_session("sq_1_a", at=T + 57_000)
    assert verdicts(out)[-1] == "human" and packets(out)


def test_an_empty_batch_does_not_bring_back_a_session_past_its_timeout():
    engine = Engine()
    engine.ingest(connected(T))
    engine.close_session("sq_1_a", at=T + 2000)
    back = T + 2000 + EITPConfig().inference.session_timeout_ms + 60_000
    assert engine.ingest(batch([], session="sq_1_a", ts=back, userAgent=UA)) == []
    assert verdicts(engine.ingest(connected(back + 50))) == []
