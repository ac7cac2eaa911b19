"""Input generators for the bridge fuzz tests: valid PUB frames, mutations of them, and junk."""

from __future__ import annotations

import random
from dataclasses import dataclass

import orjson

from tests.conftest import batch, mouse_path
from workbench.bridge import codec

T0 = 1_740_700_800_000
TENANT = "org_workbench"


@dataclass(frozen=True)
class Input:
    data: bytes
    kind: str  # valid | mutated | junk | closing
    marker: str | None = None  # the "vertical" of a valid batch, to find it on the bus


def valid(session: str, index: int) -> Input:
    marker = f"fuzz_{session}_{index}"
    doc = batch(mouse_path(T0 + index * 3000, 5), session=session, tenant=TENANT, vertical=marker)
    return Input(codec.encode_pub("telemetry.raw", orjson.dumps(doc)), "valid", marker)


def _random_bytes(rng: random.Random, n: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(n))


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One to three random edits of ``data``."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(9)
        pos = rng.randrange(len(out) + 1)
        if op == 0 and out:  # flip a byte
            out[min(pos, len(out) - 1)] = rng.getrandbits(8)
        elif op == 1:  # delete a slice
            del out[pos:pos + rng.randint(1, 40)]
        elif op == 2:  # insert bytes, often framing characters
            framing = [b"\r\n", b"\r", b"\n", b" ", b"\t", b"\x00"]
            out[pos:pos] = rng.choice([*framing, _random_bytes(rng, rng.randint(1, 8))])
        elif op == 3:  # duplicate a slice
            end = min(len(out), pos + rng.randint(1, 60))
            out[pos:pos] = out[pos:end]
        elif op == 4:  # truncate
            del out[pos:]
        elif op == 5:  # change the declared size
            line, sep, rest = bytes(out).partition(b"\r\n")
            head, _, size = line.rpartition(b" ")
            size = rng.choice([b"0", b"-1", b"x", b"1" * 19, b"50001", str(int(size or 0) + rng.randint(-5, 5)).encode()
                               if size.isdigit() else b"7"])
            out = bytearray(head + b" " + size + sep + rest)
        elif op == 6:  # another operation name
            line, sep, rest = bytes(out).partition(b" ")
            op_name = rng.choice([b"pub", b"PUBX", b"HPUB", b"SUB", b"MSG", b"UNSUB", b"CONNECT", b""])
            out = bytearray(op_name + sep + rest)
        elif op == 7:  # another subject
            subject = rng.choice([b"telemetry.raw.x", b"telemetry.*", b">", b"seer.org_workbench.x", b"", b"a b"])
            out = bytearray(bytes(out).replace(b"telemetry.raw", subject, 1))
        else:  # another JSON body of the same frame shape
            body = orjson.dumps(rng.choice([{}, [], {"type": "telemetry_batch"}, {"events": "x"}, None, 1,
                                            {"type": "telemetry_batch", "events": [], "sessionId": "sq_x",
                                             "tenantId": "org_other", "timestamp": 1}]))
            out = bytearray(codec.encode_pub("telemetry.raw", body))
    return bytes(out)


JUNK_LINES = [b"PING", b"PONG", b"+OK", b"-ERR 'x'", b"INFO {}", b"INFO nope", b"MSG a 1 2", b"HMSG a 1 2 3",
              b"CONNECT {", b"CONNECT []", b"UNSUB", b"UNSUB 1 2 3", b"SUB", b"SUB a", b"HPUB telemetry.raw 9 1",
              b"PUB", b"PUB telemetry.raw", b"PUB  telemetry.raw  1", b"\x00\x01", b"\xff\xfe", b"GET / HTTP/1.1"]


def junk(rng: random.Random, session: str) -> bytes:
    choice = rng.randrange(7)
    if choice == 0:
        return _random_bytes(rng, rng.randint(0, 200))
    if choice == 1:
        return rng.choice(JUNK_LINES) + rng.choice([b"\r\n", b"", b"\n", b"\r\n\r\n"])
    if choice == 2:
        return b" ".join(_random_bytes(rng, rng.randint(0, 6)) for _ in range(rng.randint(1, 6))) + b"\r\n"
    if choice == 3:
        return b"X" * rng.choice([4095, 4096, 4097, 6000]) + b"\r\n"  # around the control-line limit
    if choice == 4:  # benign commands a real client sends
        own = f"seer.{TENANT}.intervention.request.{session}"
        return rng.choice([codec.PING, codec.PONG, codec.encode_sub(own, str(rng.randint(1, 3))),
                           codec.encode_unsub(str(rng.randint(1, 3))),
                           codec.encode_connect({"tenant_id": TENANT, "session_id": session, "verbose": False})])
    if choice == 5:
        return codec.encode_sub(f"seer.{TENANT}.intervention.request.sq_other", "1")
    return codec.encode_pub(rng.choice(["emotions.x", "telemetry.raw.x", "bot.a.b"]), b"{}")


def closing(rng: random.Random, session: str) -> bytes:
    """Inputs after which nats-server (and the bridge) closes the connection."""
    return rng.choice([
        codec.encode_connect({"tenant_id": TENANT, "session_id": session + "_other", "verbose": False}),
        codec.encode_connect({"tenant_id": "org_other", "session_id": session}),
        b"PUB telemetry.raw 999999999\r\n",
    ])


def inputs(rng: random.Random, session: str, n: int, *, closing_rate: float = 0.005) -> list[Input]:
    """``n`` inputs: about 20 % valid batches, 45 % mutations of them, the rest junk."""
    out: list[Input] = []
    for index in range(n):
        roll = rng.random()
        if roll < closing_rate:
            out.append(Input(closing(rng, session), "closing"))
        elif roll < 0.2:
            out.append(valid(session, index))
        elif roll < 0.65:
            out.append(Input(mutate(rng, valid(session, index).data), "mutated"))
        else:
            out.append(Input(junk(rng, session), "junk"))
    return out


def split(rng: random.Random, data: bytes) -> list[bytes]:
    """``data`` cut at random places into 1-4 pieces."""
    if len(data) < 2:
        return [data]
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(0, 3))))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def benign(data: bytes, session: str) -> bool:
    """Would a correct bridge answer ``data`` with silence? (Commands a real client sends, blank lines.)"""
    parser = codec.NatsParser(max_payload=50_000)
    parser.receive_data(data + b"\r\n")
    own = f"seer.{TENANT}.intervention.request.{session}"
    for event in parser.events_received():
        match event:
            case codec.Ping() | codec.Pong() | codec.Unsub():
                continue
            case codec.Sub(subject=subject, queue=None) if subject == own:
                continue
            case codec.Connect(options=options) if (options.get("tenant_id"), options.get("session_id")) == (
                    TENANT, session):
                continue
            case _:
                return False
    return not parser._pending and not parser._skip  # an unfinished payload is not silence
