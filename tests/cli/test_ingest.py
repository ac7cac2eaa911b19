"""``workbench ingest FILE``: telemetry batches in (JSON lines), packets and bot detections out.

The fixture ``fixtures/ingest/sessions.jsonl`` is generated from constructed visits by
:func:`fixture_lines` (no corpus data); regenerate it with ``python -m tests.cli.test_ingest``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson

from tests.conftest import nested
from tests.engine.telemetry import Visit
from workbench.cli.main import main
from workbench.protocol.schema import errors

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "ingest" / "sessions.jsonl"
IP = "198.51.100.44"


def fixture_lines() -> list[bytes]:
    """Three sessions, interleaved by batch time as telemetry.raw would carry them: a hesitant
    buyer on pricing, a visitor comparing tiers, and a headless browser."""
    buyer = Visit(section="pricing", session="sq_1740700800000_buyer", ip=IP).move(600, 400, 500)
    buyer.near("purchase_button", "cta-buy", x=700, y=420, pause_ms=1500).drift(6000, speed=50)
    buyer.near("purchase_button", "cta-buy", x=700, y=420, pause_ms=1200).drift(9000, speed=40)
    buyer.near("price", "price-main", x=500, y=300, dwell_ms=3000, pause_ms=2000)
    tiers = Visit(section="pricing", session="sq_1740700801000_tiers", t0=1_740_700_801_000, ip=IP).comparison()
    for tier in ("tier-base", "tier-adventure") * 3:
        tiers.near("tier_card", tier, x=400 if tier == "tier-base" else 800, y=500, dwell_ms=700, move_ms=300)
    tiers.tab_away(35_000).drift(4000, speed=60)
    bot = Visit(section="hero", session="sq_1740700802000_bot", t0=1_740_700_802_000, ip=IP,
                user_agent="Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/124.0.0.0 Safari/537.36")
    bot.move(900, 300, 100).click(tag="button", text="Get price").drift(12_000, speed=300)
    batches = [b for v in (buyer, tiers, bot) for b in v.batches()]
    batches.sort(key=lambda b: (b["timestamp"], b["sessionId"]))
    return [orjson.dumps(b, option=orjson.OPT_SORT_KEYS) + b"\n" for b in batches]


def ingest(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "workbench.cli.main", "ingest", *args], cwd=ROOT, input=stdin,
                          capture_output=True, timeout=120)


def records(stdout: bytes) -> list[dict]:
    return [orjson.loads(line) for line in stdout.splitlines()]


def test_the_fixture_is_what_the_generator_writes():
    assert FIXTURE.read_bytes() == b"".join(fixture_lines()), "regenerate: python -m tests.cli.test_ingest"


def test_ingest_prints_packets_and_bot_detections_and_flushes_every_session_at_the_end():
    done = ingest(str(FIXTURE))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    out = records(done.stdout)
    assert {r["kind"] for r in out} == {"packet", "bot"}
    packets = [r["packet"] for r in out if r["kind"] == "packet"]
    detections = [r["detection"] for r in out if r["kind"] == "bot"]
    assert all(errors(p, "packet") == [] for p in packets)
    assert {p["sessionId"] for p in packets} == {"sq_1740700800000_buyer", "sq_1740700801000_tiers"}
    bot = [d for d in detections if d["session_id"] == "sq_1740700802000_bot"]
    assert bot and bot[0]["classification"] == "bot" and "user_agent" in bot[0]["signals"]
    # the buyer's visit ends mid-window: its last packet only exists because end of input closed it
    buyer = [p for p in packets if p["sessionId"] == "sq_1740700800000_buyer"]
    last_event = max(e["timestamp"] for line in fixture_lines() for b in [orjson.loads(line)]
                     if b["sessionId"] == "sq_1740700800000_buyer" for e in b["events"])
    assert buyer[-1]["timestamp"] == last_event
    assert IP.encode() not in done.stdout  # section 10.3
    lines = done.stdout.splitlines()
    assert all(line == orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS) for line in lines)


def test_same_input_gives_byte_identical_output():
    first, second = ingest(str(FIXTURE)), ingest(str(FIXTURE))
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout and len(first.stdout) > 1000
    assert ingest("-", stdin=FIXTURE.read_bytes()).stdout == first.stdout  # stdin reads the same


def test_bad_lines_are_reported_with_their_number_skipped_and_fail_the_run(tmp_path):
    good = fixture_lines()
    intruder = orjson.loads(good[3])
    intruder["tenantId"] = "org_intruder"  # a known session claiming another tenant (section 10.4)
    junk = [b"this is not json\n", b'{"type": "telemetry_batch", "events": []}\n',
            orjson.dumps(intruder) + b"\n", b"\n"]
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(b"".join(good[:5] + junk + good[5:]))
    done = ingest(str(mixed))
    assert done.returncode == 1
    err = done.stderr.decode()
    assert f"{mixed}:6: not JSON" in err
    assert f"{mixed}:7: not a telemetry batch" in err and "sessionId" in err
    assert f"{mixed}:8: rejected" in err and "org_intruder" in err
    assert ":9:" not in err and "3 bad line(s) skipped" in err
    assert done.stdout == ingest(str(FIXTURE)).stdout  # nothing else was lost


def test_missing_file_and_in_process_entry_point(tmp_path, capsysbinary):
    done = ingest(str(tmp_path / "nope.jsonl"))
    assert done.returncode == 1 and b"cannot read" in done.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert main(["ingest", str(empty)]) == 0
    assert capsysbinary.readouterr().out == b""


if __name__ == "__main__":
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_bytes(b"".join(fixture_lines()))
    print(f"wrote {FIXTURE}")


def test_a_batch_nested_deeper_than_can_be_written_is_reported_and_the_rest_goes_on(tmp_path):
    # orjson reads 1,024 levels but writes 254: the packet carrying this page content could not be printed
    good = fixture_lines()
    deep = orjson.loads(good[0])
    deep["pageContent"] = {"meta": nested(300)}
    lines = tmp_path / "deep.jsonl"
    lines.write_bytes(good[0] + json.dumps(deep).encode() + b"\n" + b"".join(good[1:]))  # orjson would not write it
    done = ingest(str(lines))
    assert done.returncode == 1
    assert f"{lines}:2: nested too deeply to write out" in done.stderr.decode()
    assert done.stdout == ingest(str(FIXTURE)).stdout  # every other line gave what it gives alone


def test_a_batch_past_the_year_9999_is_no_batch_whichever_way_it_comes(tmp_path):
    # The bridge refused such times, but a batch replayed or put on the bus skipped it: the engine took events
    # stamped 1e17 ms (the year 3,170,843) and wrote packets with them, which no datetime can show.
    good = fixture_lines()
    far = orjson.loads(good[0])
    shift = 1e17 - far["timestamp"]
    far["timestamp"] += shift
    for event in far["events"]:
        event["timestamp"] += shift
    path = tmp_path / "far.jsonl"
    path.write_bytes(orjson.dumps(far) + b"\n" + b"".join(good[1:]))
    done = ingest(str(path))
    assert done.returncode == 1
    err = done.stderr.decode()
    assert f"{path}:1: not a telemetry batch: events.0.timestamp" in err
    assert "is greater than the maximum of 253402300799999" in err and "1 bad line(s) skipped" in err
    assert all(r.get("packet", r.get("detection", {})).get("timestamp", 0) < 1e15 for r in records(done.stdout))
