"""Rage-click definitions on real human clicks: how often each would flag a person (workbench.rageclicks).

Every SapiMouse session (120 people, 245 sessions of a browser game that asks for clicks,
double-clicks, right clicks and drags) is judged by EITP v1.1's rule (spec 3.3) and by PostHog's
and Mixpanel's. Datadog's and OpenReplay's compare the clicked element, which the corpus does not
record, so they are left out. Reported per definition: the share of sessions with at least one
rage click (none of these people was told to be angry) and rage clicks per 1000 clicks; for EITP,
also the share of its bursts that are one spot clicked repeatedly (a double-click next to a single
click, or a triple click) rather than clicks spread over the page, and how many sessions it would
flag if it asked for 4 clicks instead of 3.

    .venv/bin/python bench/bench_rageclicks.py
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import report  # noqa: E402
from workbench import corpora  # noqa: E402
from workbench.rageclicks import bare_clicks, definitions, eitp  # noqa: E402

SPOT_PX = 5.0  # clicks this close to the first of a burst count as "one spot"


def main() -> None:
    if not corpora.available():
        print(f"skipped: {corpora.CORPORA_DIR} not present")
        return
    started = time.monotonic()
    defs = [d for d in definitions() if not d.needs_target]
    skipped: list[corpora.Skipped] = []  # files too short to replay: counted, so the figures say what they cover
    recs = corpora.recordings("sapimouse", skipped=skipped)
    sessions_fired = dict.fromkeys((d.key for d in defs), 0)
    bursts = dict.fromkeys((d.key for d in defs), 0)
    one_spot = total_clicks = 0
    for rec in recs:
        clicks = bare_clicks(rec.click_t, rec.click_x, rec.click_y)
        total_clicks += len(clicks)
        for d in defs:
            found = d.detect(clicks, ())
            bursts[d.key] += len(found)
            sessions_fired[d.key] += bool(found)
            if d.key == "eitp":
                for b in found:
                    first = next(c for c in clicks if c.t == b.start)
                    within = [c for c in clicks if b.start <= c.t <= b.at]
                    one_spot += all(math.hypot(c.x - first.x, c.y - first.y) <= SPOT_PX for c in within)
    figures: dict[str, Any] = {"sapimouse_sessions": len(recs), "skipped_recordings": len(skipped),
                               "clicks": total_clicks}
    for d in defs:
        figures[f"{d.key}_sessions_flagged"] = round(sessions_fired[d.key] / len(recs), 3)
        figures[f"{d.key}_per_1000_clicks"] = round(1000 * bursts[d.key] / max(total_clicks, 1), 2)
    # the same people under EITP's rule with one more click required (--set signal.rage_clicks=4)
    stricter = eitp(count=4)
    figures["eitp_4_clicks_sessions_flagged"] = round(
        sum(bool(stricter(bare_clicks(r.click_t, r.click_x, r.click_y), ())) for r in recs) / len(recs), 3)
    figures["eitp_bursts_on_one_spot"] = round(one_spot / max(bursts["eitp"], 1), 3)
    figures["rules"] = {d.name: d.rule for d in defs}
    figures["seconds"] = round(time.monotonic() - started, 1)
    report("rageclicks", figures)


if __name__ == "__main__":
    main()
