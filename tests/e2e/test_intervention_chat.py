"""Issue 7, delivery: Seer's intervention goes back through the bridge and the page's chat shows it."""

import copy
import json

import orjson
import pytest
from playwright.async_api import async_playwright
from sqlmodel import Session

from synthetic.personas.base import DESKTOP_CHROME_UA
from tests.conftest import FIXTURES
from workbench import bus as subjects
from workbench.consumer.guard import violations
from workbench.events import EventStream, InterventionSent, PacketEmitted, RunStarted
from workbench.pipeline import Pipeline
from workbench.sim import browser as browsers
from workbench.store import repo
from workbench.store.db import open_db
from workbench.store.recorder import Recorder

pytestmark = pytest.mark.browser
PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())


async def test_intervention_reaches_the_chat_widget_and_packets_do_not(tmp_db):
    sent: list[InterventionSent] = []
    packets: list[dict] = []
    engine = open_db(tmp_db)

    def watch(event):
        if isinstance(event, InterventionSent):
            sent.append(event)
        elif isinstance(event, PacketEmitted):
            packets.append(event.packet)

    stream = EventStream(Recorder(engine), watch)
    pipeline = Pipeline(stream=stream)
    base = await pipeline.start()
    stream.emit(RunStarted("run_chat", "test", "rv", None, "", base))
    sid = "sq_1_chat"
    try:
        async with async_playwright() as pw:
            browser = await browsers.launch(pw)
            context = await browser.new_context(user_agent=DESKTOP_CHROME_UA)
            page = await context.new_page()
            await page.goto(f"{base}/rv/?eitp_session={sid}")
            await page.wait_for_function("window.EITP && window.EITP.stats().open === true")
            await page.wait_for_timeout(300)  # the SUB follows the handshake
            assert await page.locator("#seer-chat").is_hidden()

            # A packet in this session's own event time, past the 10 s grace period.
            now = await page.evaluate("Date.now()")
            packet = copy.deepcopy(PACKET)
            packet.update(sessionId=sid, tenantId=pipeline.tenant_id, timestamp=now + 15_000, isExperiment=True,
                          experimentContext={"experimentId": "exp_001", "vertical": "rv_dealer",
                                             "hypothesis": "Empathy-led interventions outperform direct offers"})
            packet["temporal"]["sessionDuration"] = 15_000
            await pipeline.bus.publish(subjects.intervention_request(pipeline.tenant_id, sid), orjson.dumps(packet))

            await page.locator("#seer-chat").wait_for(state="visible", timeout=10_000)
            shown = (await page.locator("#seer-chat-log").inner_text()).strip()
            stats = await page.evaluate("window.EITP.stats()")
            await browser.close()
    finally:
        await pipeline.stop()

    (intervention,) = sent
    # Seer's answer shares the subject with packets; it must never be reported as one.
    assert packets and all("emotion" in p and p.get("type") != "intervention" for p in packets)
    assert intervention.message in shown and violations(shown) == []
    assert stats["interventions"] == 1  # the packet on the same subject never reached the page
    assert "decision_paralysis" not in shown and "pricing" not in json.dumps(stats.get("lastIntervention", ""))
    with Session(engine) as db:
        (stored,) = repo.interventions(db=db, run_id="run_chat")
    assert stored["message"] == intervention.message and stored["session_id"] == sid
    assert stored["experiment"]["experimentId"] == "exp_001"  # section 5.10 context logged beside it
