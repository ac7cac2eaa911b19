"""Section 8.2 AI review against real people: how many human sessions the near-miss margins
(``BotConfig.ai_review_*``) would send to the model. Each is one Haiku call and ~30 s more
hold, so humans should rarely be ambiguous.

Measured on every human recording (1,166 sessions: 245 SapiMouse, 921 DELBOT): 0 ambiguous at
the verdict. The most regular SapiMouse clicker has an action timing CV of 0.50 (the 0.2 margin is
far below); at most 11 clicks in a batch (margin: 25); no teleport-click; no sub-15 ms action
interval before the verdict (one session has two, 135 s in, long after it: a session is reviewed
once, at its verdict). The corpora hold no scrolls. Same seeded sample as ``test_botfilter_corpora.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.engine.test_ai_review import NEAR_REGULAR, clicker
from workbench import corpora
from workbench.engine.core import Engine, ReviewOut

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
pytestmark = pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora not present")
SEED = 1


def reviewed(rec: corpora.Recording) -> bool:
    return asks_review(corpora.producer_batches(rec))


def asks_review(batches: list[dict[str, Any]]) -> bool:
    engine = Engine(ai_review=True)
    outs = [o for b in batches for o in engine.ingest(b)]
    outs += engine.close_session(batches[0]["sessionId"], at=batches[-1]["timestamp"])
    return any(isinstance(o, ReviewOut) for o in outs)


def test_real_humans_are_almost_never_ambiguous():
    recs = corpora.recordings("sapimouse", root=CORPORA, limit=40, seed=SEED)
    for group in corpora.HUMAN_GROUPS[1:]:
        recs += corpora.recordings(group, root=CORPORA, limit=60, seed=SEED)
    assert asks_review(clicker(NEAR_REGULAR).batches())  # the measure can see an ambiguous session
    ambiguous = [r.name for r in recs if reviewed(r)]
    print(f"{len(ambiguous)} of {len(recs)} human sessions ambiguous: {ambiguous}")
    assert len(recs) >= 300 and len(ambiguous) / len(recs) < 0.01, ambiguous
