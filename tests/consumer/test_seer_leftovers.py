"""Three attribution questions left open by earlier reviews of Seer (EITP v1.1 sections 7.5, 9.3), each
driven with event-time inputs through the real :class:`~workbench.consumer.seer.Seer` (and, where the
question is whether the input can occur at all, the real bridge and :class:`SeerService`).

(a) A close the bridge cannot place (``at`` None: a connection that named its session and ended before
    any of its batches was published: a reconnect attempt, a duplicated tab closed at once) settled a
    pending intervention "no_response" for good; an answer from the visit's live page was then lost.
(b) The section 9.3 cooldown (60 s) is shorter than the attribution window (120 s), so a second
    intervention can come inside the first's window. An answer stamped after the second goes to it
    (last touch); one stamped before it, in a batch that reaches Seer late, was lost.
(c) Seer's own message opening the chat widget is not reported as the visitor opening the chat.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import orjson
import pytest

from tests.bridge.live import TENANT, Client, LiveBridge, Recorder, eventually
from tests.conftest import FIXTURES, batch, ev, mouse_path
from workbench.bridge import codec
from workbench.bus import SESSION_CLOSED, intervention_request
from workbench.config import SECTION_9_3_FLOORS, InterventionConfig
from workbench.consumer.bandit import Context
from workbench.consumer.seer import ATTRIBUTION_WINDOW_MS, Seer
from workbench.consumer.service import SeerService

BASE = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
SITE_JS = Path(__file__).resolve().parents[2] / "sites" / "common" / "site.js"


def packet(t: float, sid: str = "sq_1", tenant: str | None = None) -> dict:
    p = copy.deepcopy(BASE)
    p["sessionId"], p["timestamp"] = sid, t
    p["temporal"]["sessionDuration"] = t
    if tenant is not None:
        p["tenantId"] = tenant
    return p


def tallies(seer: Seer) -> tuple[int, int]:
    return (sum(t.successes for t in seer.bandit.global_.values()),
            sum(t.failures for t in seer.bandit.global_.values()))


def arm(seer: Seer, sent) -> tuple[float, float]:
    return seer.bandit.posterior(Context(sent.tenant_id, sent.vertical, sent.emotion, sent.section), sent.strategy)


# --- (a) a close with no time ----------------------------------------------------------------------
async def test_the_bridge_reports_a_close_with_no_time_while_the_visit_goes_on_and_the_answer_counts():
    # The real bridge: the visit's page (X) sends telemetry; a second connection of the same session (a
    # reconnect attempt, a duplicated tab: the producer keeps its id in sessionStorage) names the session
    # and ends before any batch of its own, so the bridge cannot place its close (server.py: at = None).
    live = LiveBridge()
    closes, outcomes = Recorder(), []
    await live.bus.subscribe(SESSION_CLOSED, closes)
    service = SeerService(live.bus, on_outcome=outcomes.append)
    await service.start()
    await live.start()
    sid = "sq_1_timeless"
    try:
        page = await Client.open(live.url, session=sid)
        await page.send(codec.encode_pub("telemetry.raw", orjson.dumps(batch(mouse_path(1_000, 5), session=sid,
                                                                                 tenant=TENANT))))
        await page.ping()
        await live.bus.drain()
        await live.bus.publish(intervention_request(TENANT, sid), orjson.dumps(packet(20_000, sid, TENANT)))
        await live.bus.drain()
        assert service.sent == 1 and outcomes == []

        other = await Client.open(live.url, session=sid)
        await other.close()
        await eventually(lambda: closes.got, what="the second connection's close")
        await live.bus.drain()
        assert closes.got[0][1] == {"tenantId": TENANT, "sessionId": sid, "at": None}
        assert [o.outcome for o in outcomes] == ["no_response"]  # settled at once ...

        # ... but the visitor is still on the page, and answers 10 s after the message
        await page.send(codec.encode_pub("telemetry.raw", orjson.dumps(batch([ev("chat_message", 30_000)],
                                                                             session=sid, tenant=TENANT))))
        await page.ping()
        await live.bus.drain()
        assert len(outcomes) == 2 and outcomes[1] is outcomes[0]  # reported again, as a revision
        assert (outcomes[0].revised_from, outcomes[0].outcome) == ("no_response", "chat_engaged")
        assert tallies(service.seer) == (1, 0)  # one observation, moved to the answer
        await page.close()
    finally:
        await live.stop()


def test_a_close_with_no_time_leaves_the_intervention_open_to_an_answer_inside_its_window():
    seer = Seer(seed=1)
    sent = seer.on_packet(packet(20_000))
    (settled,) = seer.on_session_end("sq_1", at=None)
    assert settled is sent and sent.outcome == "no_response" and tallies(seer) == (0, 1)
    (revised,) = seer.on_events("sq_1", [ev("mouse", 25_000), ev("form_submit", 60_000)])
    assert revised is sent and (sent.revised_from, sent.outcome) == ("no_response", "lead_submitted")
    assert tallies(seer) == (1, 0)
    assert seer.on_events("sq_1", [ev("chat_message", 61_000)]) == []  # revised once


def test_a_close_with_no_time_is_not_revised_by_an_answer_after_the_window():
    seer = Seer(seed=1)
    sent = seer.on_packet(packet(20_000))
    seer.on_session_end("sq_1", at=None)
    assert seer.on_events("sq_1", [ev("chat_message", 20_001 + ATTRIBUTION_WINDOW_MS)]) == []
    assert sent.outcome == "no_response" and tallies(seer) == (0, 1)


def test_an_answer_stamped_inside_the_window_revises_a_close_stamped_after_it():
    # the close of one connection is placed past the window; the answer, stamped inside it, reaches Seer
    # afterwards (the bridge accepts a batch up to max_clock_skew_ms older than its session's newest)
    seer = Seer(seed=1)
    sent = seer.on_packet(packet(20_000))
    (settled,) = seer.on_session_end("sq_1", at=21_000 + ATTRIBUTION_WINDOW_MS)
    assert settled.outcome == "no_response"
    (revised,) = seer.on_events("sq_1", [ev("chat_message", 100_000)])
    assert revised is sent and (sent.revised_from, sent.outcome) == ("no_response", "chat_engaged")


# --- (b) a second intervention inside the first's attribution window -------------------------------------
def test_the_cooldown_lets_a_second_intervention_into_the_first_ones_attribution_window():
    assert InterventionConfig().cooldown_ms == SECTION_9_3_FLOORS["cooldown_ms"] == 60_000 < ATTRIBUTION_WINDOW_MS
    seer = Seer(seed=1)
    first = seer.on_packet(packet(20_000))
    second = seer.on_packet(packet(20_000 + InterventionConfig().cooldown_ms))
    assert first is not None and second is not None
    assert second.timestamp - first.timestamp < ATTRIBUTION_WINDOW_MS
    assert first.outcome == "no_response" and second.outcome is None


def test_an_answer_to_the_first_stamped_before_the_second_and_arriving_after_it_is_credited_to_the_first():
    # Two connections of one visit (a duplicated tab: the producer keeps its id in sessionStorage, which the
    # copy inherits; both tabs subscribe to the session's subject and show both messages). Tab B's telemetry
    # of 80.5 s reaches Seer and the engine first, and the second message goes out; tab A's batch with the
    # visitor's reply of 79 s (chat opened at 75 s), flushed on its own 3 s interval, comes in after it.
    seer = Seer(seed=1)
    first = seer.on_packet(packet(20_000))
    seer.on_events("sq_1", [ev("mouse", 80_500)])
    second = seer.on_packet(packet(80_000))  # decided at 80.5 s, the visitor's clock
    assert second is not None and second.timestamp == 80_500 and first.outcome == "no_response"
    (revised,) = seer.on_events("sq_1", [ev("chat_open", 75_000), ev("chat_message", 79_000)])
    assert revised is first and (first.revised_from, first.outcome) == ("no_response", "chat_engaged")
    assert second.outcome is None  # still waiting for its own answer
    assert arm(seer, first)[0] == 2.0 and tallies(seer) == (1, 0)  # the first's arm learnt the success


def test_an_answer_after_the_second_goes_to_the_second_and_never_revises_the_first():
    seer = Seer(seed=1)
    first = seer.on_packet(packet(20_000))
    second = seer.on_packet(packet(80_000))
    (answered,) = seer.on_events("sq_1", [ev("chat_message", 85_000)])  # inside both windows: the last touch
    assert answered is second and second.outcome == "chat_engaged" and first.outcome == "no_response"
    assert seer.on_events("sq_1", [ev("chat_message", 90_000), ev("form_submit", 95_000)]) == []
    assert first.outcome == "no_response" and tallies(seer) == (1, 1)


def test_an_undelivered_message_does_not_end_the_previous_ones_chance_of_revision():
    seer = Seer(seed=1)
    first = seer.on_packet(packet(20_000))
    seer.on_session_end("sq_1", at=85_000)  # the page goes; the engine then releases its last window
    late = seer.on_packet(packet(84_000))
    assert late is not None and late.outcome == "undelivered" and first.outcome == "left"
    seer.on_events("sq_1", [ev("connection", 86_000)])
    (revised,) = seer.on_events("sq_1", [ev("chat_message", 84_500)])  # the old page's last batch, late
    assert revised is first and first.outcome == "chat_engaged"


# --- (c) Seer's message opening the chat widget ----------------------------------------------------------
# A DOM just large enough for sites/common/site.js: what it reports through window.EITP.track when
# Seer's message arrives (the producer's `eitp:intervention`), and when the visitor acts on the widget.
_SITE_HARNESS = r"""
const fs = require('fs'), vm = require('vm');
function El(tag, id) { Object.assign(this, {tagName: tag, id: id || '', parent: null, kids: [], on: {}, style: {},
  attrs: {}, hidden: false, value: '', scrollTop: 0, scrollHeight: 0, className: '', textContent: ''}); }
El.prototype.addEventListener = function (t, f) { (this.on[t] = this.on[t] || []).push(f); };
El.prototype.appendChild = function (c) { c.parent = this; this.kids.push(c); return c; };
El.prototype.contains = function (n) { for (; n; n = n.parent) if (n === this) return true; return false; };
El.prototype.getAttribute = function (k) { return k in this.attrs ? this.attrs[k] : null; };
El.prototype.setAttribute = function (k, v) { this.attrs[k] = String(v); };
El.prototype.blur = function () {};
function fire(target, type) {  // bubbles, as focusin and pointerdown do
  const e = {type: type, target: target, preventDefault() {}, stopPropagation() {}};
  for (let n = target; n; n = n.parent) (n.on[type] || []).forEach(f => f(e));
}
function find(n, id) { if (n.id === id) return n; for (const k of n.kids) { const f = find(k, id); if (f) return f; } }
const chat = new El('div', 'seer-chat'); chat.hidden = true;
const log = chat.appendChild(new El('div', 'seer-chat-log'));
const closeBtn = chat.appendChild(new El('button', 'seer-chat-close'));
const byId = {'seer-chat': chat, 'seer-chat-log': log, 'seer-chat-close': closeBtn};
const docOn = {}, tracked = [], out = {};
const document = {getElementById: id => byId[id] || null, querySelectorAll: () => [],
  createElement: tag => new El(tag), addEventListener: (t, f) => (docOn[t] = docOn[t] || []).push(f),
  dispatchEvent: e => (docOn[e.type] || []).forEach(f => f(e))};
const window = {addEventListener() {}, EITP: {track: (type) => tracked.push(type)}};
vm.runInNewContext(fs.readFileSync(process.argv[1], 'utf8'), {window: window, document: document});
const deliver = m => document.dispatchEvent({type: 'eitp:intervention', detail: {message: m}});
deliver('Choosing between these two can feel tough - want the key differences?');
out.delivered = {tracked: tracked.slice(), shown: !chat.hidden};
deliver('A second message into the open widget.');
out.second = tracked.slice();
fire(closeBtn, 'pointerdown'); fire(closeBtn, 'click');
out.dismissed = {tracked: tracked.slice(), shown: !chat.hidden};
tracked.length = 0;
deliver('Happy to help with the numbers.');
const input = find(chat, 'seer-chat-input');
fire(input, 'focusin'); input.value = 'yes please'; fire(find(chat, 'seer-chat-send'), 'click');
out.answered = tracked.slice();
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def site_reports() -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    done = subprocess.run([node, "-e", _SITE_HARNESS, str(SITE_JS)], capture_output=True, text=True, timeout=30,
                          check=True)
    return json.loads(done.stdout)


def test_the_site_reports_nothing_when_seers_message_opens_the_widget(site_reports):
    assert site_reports["delivered"] == {"tracked": [], "shown": True}
    assert site_reports["second"] == []
    # dismissing it is the visitor's act: a chat_close, never a chat_open
    assert site_reports["dismissed"] == {"tracked": ["chat_close"], "shown": False}
    # the visitor's own engagement: focus in the widget, then the reply
    assert site_reports["answered"] == ["chat_open", "chat_message"]


def test_what_the_page_reports_for_a_delivered_message_is_no_outcome_and_no_suppression(site_reports):
    seer = Seer(seed=1)
    first = seer.on_packet(packet(20_000))
    # the page shows it and reports nothing (the telemetry carries on); no outcome, the chat counts as closed
    reported = [ev(kind, 21_500) for kind in site_reports["delivered"]["tracked"]]
    assert seer.on_events("sq_1", [ev("mouse", 21_000), *reported]) == []
    assert first.outcome is None and seer.sessions["sq_1"].timing.chat_opened_at is None
    assert seer.decide(packet(80_000)).allowed  # only the cooldown held the next one back
