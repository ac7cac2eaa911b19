"""The run-event fan-out: a sink that fails never stops the others, and does not flood the log."""

from __future__ import annotations

import logging

from workbench.events import EventStream, RunEvent, SessionEnded


def test_a_sink_failing_on_every_event_logs_one_traceback_and_a_few_lines_and_the_others_still_hear(caplog):
    heard: list[RunEvent] = []

    def broken(event: RunEvent) -> None:
        raise ValueError("no room")

    stream = EventStream(broken, heard.append)
    with caplog.at_level(logging.ERROR, logger="workbench.events"):
        for i in range(100):
            stream.emit(SessionEnded(f"sq_{i}", "ended"))
    assert len(heard) == 100
    assert stream.failures == {id(broken): 100}
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1
    lines = [r.getMessage() for r in caplog.records if not r.exc_info]
    assert [line.split("(")[-1].split(" ")[0] for line in lines] == ["2", "4", "8", "16", "32", "64"]
    assert all(line.endswith("no room") for line in lines)
