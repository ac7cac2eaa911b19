"""Tests for the sans-I/O NATS codec (EITP v1.1 section 4.1): bytes in, commands out."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from workbench.bridge import codec
from workbench.bridge.codec import (
    CRLF,
    OK,
    PING,
    PONG,
    Connect,
    Err,
    Event,
    HMsg,
    HPub,
    Info,
    Msg,
    NatsParser,
    Ok,
    ParseError,
    PayloadTooLarge,
    Ping,
    Pong,
    Pub,
    Sub,
    Unsub,
    encode_connect,
    encode_err,
    encode_hpub,
    encode_info,
    encode_msg,
    encode_pub,
    encode_sub,
    encode_unsub,
    is_valid_subject,
    subject_matches,
)
from workbench.errors import ProtocolError

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - depends on the venv
    given = None

HEADERS = b"NATS/1.0\r\nX-Tenant: t123\r\n\r\n"  # 28 bytes


def typed(events: Iterable[Event]) -> list[tuple[Any, ...]]:
    """NamedTuples compare as tuples (Ping() == Pong()), so compare the type name too."""
    return [(type(event).__name__, *event) for event in events]


def parse_chunks(chunks: Iterable[bytes | str], **limits: int) -> list[Event]:
    parser = NatsParser(**limits)
    events: list[Event] = []
    for chunk in chunks:
        parser.receive_data(chunk)
        events += parser.events_received()
    return events


def parse(data: bytes | str, **limits: int) -> list[tuple[Any, ...]]:
    return typed(parse_chunks([data], **limits))


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (
            b'INFO {"server_id":"eitp-bridge","version":"2.0.0","proto":1,"max_payload":1048576}\r\n',
            Info({"server_id": "eitp-bridge", "version": "2.0.0", "proto": 1, "max_payload": 1048576}),
        ),
        (
            b'CONNECT {"tenant_id":"t1","session_id":"s1"}\r\n',
            Connect({"tenant_id": "t1", "session_id": "s1"}),
        ),
        (b"PUB telemetry.raw 5\r\nhello\r\n", Pub("telemetry.raw", None, b"hello")),
        (b"PUB telemetry.raw _INBOX.1 5\r\nhello\r\n", Pub("telemetry.raw", "_INBOX.1", b"hello")),
        (b"PUB telemetry.raw 0\r\n\r\n", Pub("telemetry.raw", None, b"")),
        (b"HPUB a.b 28 33\r\n" + HEADERS + b"hello\r\n", HPub("a.b", None, HEADERS, b"hello")),
        (b"HPUB a.b r.1 28 28\r\n" + HEADERS + b"\r\n", HPub("a.b", "r.1", HEADERS, b"")),
        (b"SUB emotions.> 1\r\n", Sub("emotions.>", None, "1")),
        (b"SUB emotions.* workers 7\r\n", Sub("emotions.*", "workers", "7")),
        (b"UNSUB 1\r\n", Unsub("1", None)),
        (b"UNSUB 1 10\r\n", Unsub("1", 10)),
        (b"MSG a.b 9 3\r\nabc\r\n", Msg("a.b", "9", None, b"abc")),
        (b"MSG a.b 9 reply.to 3\r\nabc\r\n", Msg("a.b", "9", "reply.to", b"abc")),
        (b"HMSG a.b 9 28 31\r\n" + HEADERS + b"abc\r\n", HMsg("a.b", "9", None, HEADERS, b"abc")),
        (b"HMSG a.b 9 r 28 31\r\n" + HEADERS + b"abc\r\n", HMsg("a.b", "9", "r", HEADERS, b"abc")),
        (b"PING\r\n", Ping()),
        (b"PONG\r\n", Pong()),
        (b"+OK\r\n", Ok()),
        (b"-ERR 'Unknown Protocol Operation'\r\n", Err("Unknown Protocol Operation")),
        (b"-ERR unquoted\r\n", Err("unquoted")),
        (b"pub telemetry.raw 2\r\nhi\r\n", Pub("telemetry.raw", None, b"hi")),
        (b"Ping\r\n", Ping()),
        (b"+ok\r\n", Ok()),
        (b"PUB\t telemetry.raw  \t r \t 2 \r\nhi\r\n", Pub("telemetry.raw", "r", b"hi")),
        (b"PUB a.b 7\r\nx\r\ny\r\nz\r\n", Pub("a.b", None, b"x\r\ny\r\nz")),  # CRLF inside payload
    ],
)
def test_each_command_parses(wire: bytes, expected: Event) -> None:
    assert parse(wire) == typed([expected])


def test_several_commands_in_one_chunk_and_blank_lines_ignored() -> None:
    wire = b"PING\r\n\r\nPUB a 1\r\nx\r\nPONG\r\nSUB a 1\r\n"
    expected = [Ping(), Pub("a", None, b"x"), Pong(), Sub("a", None, "1")]
    assert parse(wire) == typed(expected)


# One stream with every command and every error path, for the chunking tests.
STREAM = b"".join(
    [
        b'INFO {"server_id":"eitp-bridge","max_payload":64}\r\n',
        b'CONNECT {"tenant_id":"t\xc3\xa9","session_id":"s1"}\r\n',
        b'PUB telemetry.raw 10\r\n{"a":"\xc3\xa9"}\r\n',
        b"HPUB telemetry.raw r.1 28 30\r\n" + HEADERS + b"{}\r\n",
        b"sub emotions.>  q \t 1\r\nUNSUB 1 3\r\n",
        b"MSG emotions.t.s 1 4\r\n\r\n\r\n\r\n",
        b"HMSG a 1 r 28 28\r\n" + HEADERS + b"\r\n",
        b"PUB telemetry.raw 65\r\n" + b"\r\n" * 32 + b"X\r\n",  # too large: skipped
        b"NOPE what\r\n",
        b"CONNECT {not json\r\n",
        b"PUB a 3\r\nabcdef\r\n",  # missing CRLF after payload
        b"PUB " + b"x" * 200 + b" 1\r\nz\r\n",  # control line overflow; "z" is then unknown
        b"PING\r\nPONG\r\n+OK\r\n-ERR 'Authorization Violation'\r\n",
    ]
)
STREAM_LIMITS = {"max_payload": 64, "max_control_line": 128}


def test_reference_stream_events() -> None:
    assert parse(STREAM, **STREAM_LIMITS) == typed(
        [
            Info({"server_id": "eitp-bridge", "max_payload": 64}),
            Connect({"tenant_id": "té", "session_id": "s1"}),
            Pub("telemetry.raw", None, '{"a":"é"}'.encode()),
            HPub("telemetry.raw", "r.1", HEADERS, b"{}"),
            Sub("emotions.>", "q", "1"),
            Unsub("1", 3),
            Msg("emotions.t.s", "1", None, b"\r\n\r\n"),
            HMsg("a", "1", "r", HEADERS, b""),
            PayloadTooLarge("telemetry.raw", 65, 64),
            ParseError("Unknown Protocol Operation", b"NOPE what"),
            ParseError("Invalid JSON in CONNECT", b"CONNECT {not json"),
            ParseError("Missing CRLF after payload", b"PUB a 3"),
            ParseError("Maximum Control Line Exceeded", (b"PUB " + b"x" * 200)[:128]),
            ParseError("Unknown Protocol Operation", b"z"),
            Ping(),
            Pong(),
            Ok(),
            Err("Authorization Violation"),
        ]
    )


def test_every_split_point_gives_the_same_events() -> None:
    expected = parse(STREAM, **STREAM_LIMITS)
    for cut in range(len(STREAM) + 1):
        chunks = [STREAM[:cut], STREAM[cut:]]
        assert typed(parse_chunks(chunks, **STREAM_LIMITS)) == expected, f"split at {cut}"


def test_byte_by_byte_and_random_chunks_give_the_same_events() -> None:
    expected = parse(STREAM, **STREAM_LIMITS)
    one_by_one = [STREAM[i : i + 1] for i in range(len(STREAM))]
    assert typed(parse_chunks(one_by_one, **STREAM_LIMITS)) == expected
    rng = random.Random(41)
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(STREAM)), rng.randint(1, 30)))
        chunks = [STREAM[a:b] for a, b in zip([0, *cuts], [*cuts, len(STREAM)], strict=True)]
        assert typed(parse_chunks(chunks, **STREAM_LIMITS)) == expected


def test_text_frames_are_utf8_encoded_and_sizes_count_bytes() -> None:
    text = "PUB telemetry.raw 6\r\nhéllo\r\nPING\r\n"
    assert parse(text) == parse(text.encode()) == typed([Pub("telemetry.raw", None, "héllo".encode()), Ping()])
    # A size counted in characters is wrong: the payload is not followed by CRLF.
    assert parse("PUB a 5\r\nhéllo\r\nPING\r\n") == typed(
        [ParseError("Missing CRLF after payload", b"PUB a 5"), Ping()]
    )
    assert parse_chunks(["PUB a 2\r\n\ud800\r\n"]) != []  # a lone surrogate does not raise


def test_max_payload_boundary_and_oversize_payload_skipped() -> None:
    limit = 50_000
    accepted = encode_pub("telemetry.raw", b"a" * limit)
    refused = encode_pub("telemetry.raw", b"b" * (limit + 1))
    following = encode_pub("telemetry.raw", b"next")
    assert parse(accepted + refused + following, max_payload=limit) == typed(
        [
            Pub("telemetry.raw", None, b"a" * limit),
            PayloadTooLarge("telemetry.raw", limit + 1, limit),
            Pub("telemetry.raw", None, b"next"),
        ]
    )


def test_oversize_payload_is_streamed_away_not_buffered() -> None:
    parser = NatsParser(max_payload=1000)
    parser.receive_data(b"PUB telemetry.raw 10000000\r\n")
    assert typed(parser.events_received()) == typed([PayloadTooLarge("telemetry.raw", 10_000_000, 1000)])
    for _ in range(10_000_000 // 65_536):
        parser.receive_data(b"\0" * 65_536)
        assert len(parser._buffer) == 0  # nothing of the skipped payload is kept
    parser.receive_data(b"\0" * (10_000_000 % 65_536) + b"\r\nPUB a 1\r\nz\r\n")
    assert typed(parser.events_received()) == typed([Pub("a", None, b"z")])


def test_oversize_hpub_and_msg_are_refused_too() -> None:
    wire = b"HPUB a 28 100\r\n" + b"h" * 100 + b"\r\nMSG b 1 50\r\n" + b"m" * 50 + b"\r\nPING\r\n"
    assert parse(wire, max_payload=40) == typed([PayloadTooLarge("a", 100, 40), PayloadTooLarge("b", 50, 40), Ping()])


def test_control_line_limit() -> None:
    line = b"PUB " + b"s" * 10 + b" 1"  # 16 bytes
    assert parse(line + b"\r\nx\r\n", max_control_line=16) == typed([Pub("s" * 10, None, b"x")])
    assert parse(line + b"\r\nx\r\n", max_control_line=15) == typed(
        [
            ParseError("Maximum Control Line Exceeded", line[:15]),
            ParseError("Unknown Protocol Operation", b"x"),
        ]
    )


def test_control_line_overflow_without_crlf_is_reported_early_and_discarded() -> None:
    parser = NatsParser(max_control_line=4096)
    for _ in range(100):
        parser.receive_data(b"A" * 1000)
        assert len(parser._buffer) <= 4097  # bounded while the line never ends
    assert typed(parser.events_received()) == typed([ParseError("Maximum Control Line Exceeded", b"A" * 4096)])
    parser.receive_data(b"AAA\r")
    parser.receive_data(b"\nPING\r\n")
    assert typed(parser.events_received()) == typed([Ping()])


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"CONNECT {bad json}", "Invalid JSON in CONNECT"),
        (b"CONNECT", "Invalid JSON in CONNECT"),
        (b"INFO [1, 2]", "INFO options must be a JSON object"),
        (b"CONNECT " + b"[" * 3000, "Invalid JSON in CONNECT"),  # too deep for the decoder
        (b'CONNECT {"a":"\xff"}', "Invalid UTF-8"),
        (b"FOO bar", "Unknown Protocol Operation"),
        (b"PUBX a 1", "Unknown Protocol Operation"),
        (b"PUB a", "Invalid PUB arguments"),
        (b"PUB a b c 1", "Invalid PUB arguments"),
        (b"PUB a x1", "Invalid size"),
        (b"PUB a -1", "Invalid size"),
        (b"PUB a \xd9\xa3", "Invalid size"),  # Arabic-Indic digit three
        (b"PUB a 1234567890123456789", "Invalid size"),
        (b"PUB \xff 1", "Invalid UTF-8"),
        (b"HPUB a 5 3", "Header size larger than total size"),  # 3, not 4: "PONG" would be its payload
        (b"HPUB a 5", "Invalid HPUB arguments"),
        (b"HMSG a 1 5", "Invalid HMSG arguments"),
        (b"MSG a 1", "Invalid MSG arguments"),
        (b"SUB a", "Invalid SUB arguments"),
        (b"UNSUB", "Invalid UNSUB arguments"),
        (b"UNSUB 1 many", "Invalid size"),
        (b"PING now", "Invalid PING arguments"),
    ],
)
def test_malformed_control_lines_are_reported_and_parsing_continues(wire: bytes, message: str) -> None:
    assert parse(wire + b"\r\nPONG\r\n", max_control_line=8192) == typed([ParseError(message, wire), Pong()])


BATCH = b'{"type":"telemetry_batch","events":[{"type":"mouse","x":1}]}'


@pytest.mark.parametrize("bad", [b"PUB telemetry.raw extra words %d", b"PUB bad subject here %d",
                                 b"HPUB telemetry.raw 70 %d", b"PUB telemetry.raw reply two %d"])
def test_a_refused_pub_costs_one_error_not_a_second_for_its_payload(bad: bytes) -> None:
    # The payload of a PUB line refused for its arguments was read as a control line: a JSON batch came back as
    # a second -ERR, 'Unknown Protocol Operation'. A line exactly as long as the size it declared is its payload.
    line = bad % len(BATCH)
    wire = line + CRLF + BATCH + CRLF + encode_pub("telemetry.raw", b'{"n":2}')
    expected = typed([ParseError(parse(line + CRLF)[0][1], line), Pub("telemetry.raw", None, b'{"n":2}')])
    assert parse(wire) == expected
    assert typed(parse_chunks(wire[i:i + 5] for i in range(0, len(wire), 5))) == expected  # split anywhere


def test_after_a_refused_pub_a_line_of_another_length_is_still_read() -> None:
    line = b"PUB a b c 7"
    assert parse(line + b"\r\nPING\r\n") == typed([ParseError("Invalid PUB arguments", line), Ping()])
    assert parse(line + b"\r\n\r\nPING\r\n") == typed([ParseError("Invalid PUB arguments", line), Ping()])
    # a payload of exactly the declared length but a bare LF is not a frame's end: read as a line
    assert parse(b"PUB a b c 4\r\nPING\nPONG\r\n") == typed(
        [ParseError("Invalid PUB arguments", b"PUB a b c 4"), Ping(), Pong()])
    # more than the payload limit: nothing is taken for its payload
    assert parse(b"PUB a b c 4\r\nPING\r\n", max_payload=3) == typed(
        [ParseError("Invalid PUB arguments", b"PUB a b c 4"), Ping()])


def test_a_refused_pub_may_declare_a_payload_longer_than_a_control_line() -> None:
    body = b"x" * 300
    wire = b"PUB a b c 300\r\n" + body + CRLF + b"PING\r\n"
    assert parse(wire, max_control_line=64) == typed([ParseError("Invalid PUB arguments", b"PUB a b c 300"), Ping()])
    # the allowance is for that payload only: a long line of another length is still refused, quoted to the limit
    other = b"PUB a b c 300\r\n" + b"y" * 100 + CRLF + b"PING\r\n"
    assert parse(other, max_control_line=64) == typed([ParseError("Invalid PUB arguments", b"PUB a b c 300"),
                                                       ParseError("Maximum Control Line Exceeded", b"y" * 64), Ping()])
    unended = b"PUB a b c 300\r\n" + b"z" * 400
    assert parse(unended, max_control_line=64) == typed([ParseError("Invalid PUB arguments", b"PUB a b c 300"),
                                                         ParseError("Maximum Control Line Exceeded", b"z" * 64)])


def test_missing_crlf_after_payload_resyncs_at_the_next_line() -> None:
    wire = b"PUB a 5\r\nhelloXX\r\nPUB a 2\r\nok\r\n"
    assert parse(wire) == typed([ParseError("Missing CRLF after payload", b"PUB a 5"), Pub("a", None, b"ok")])


@pytest.mark.parametrize("extra", [1, 7, 20])
def test_a_byte_count_too_large_costs_only_its_own_frame(extra: int) -> None:
    # Section 4.1 framing with a PUB that declares more bytes than it sent: its payload used to run
    # on into the next frame, and that frame's rest was dropped or read as junk, losing good data.
    body = b'{"type":"telemetry_batch"}'
    bad = f"PUB telemetry.raw {len(body) + extra}\r\n".encode() + body + CRLF
    wire = bad + encode_pub("telemetry.raw", b'{"n":2}') + PING
    expected = typed([ParseError("Missing CRLF after payload", bad.split(CRLF)[0]),
                      Pub("telemetry.raw", None, b'{"n":2}'), Ping()])
    assert parse(wire) == expected
    assert typed(parse_chunks([wire[i:i + 1] for i in range(len(wire))])) == expected  # however it is cut


def test_a_wrong_total_in_hpub_resyncs_after_its_headers_not_inside_them() -> None:
    wire = b"HPUB a 28 36\r\n" + HEADERS + b"hello\r\nPING\r\n"
    assert parse(wire) == typed([ParseError("Missing CRLF after payload", b"HPUB a 28 36"), Ping()])


def _garbage(rng: random.Random) -> bytes:
    pieces = [
        b"PUB ",
        b"HPUB ",
        b"MSG ",
        b"HMSG ",
        b"SUB ",
        b"CONNECT {",
        b"INFO ",
        b"-ERR '",
        b"+OK",
    ]
    pieces += [
        b"PING",
        b"\r\n",
        b"\r",
        b"\n",
        b" ",
        b"\t",
        b"9",
        b"99999",
        b"a.b",
        b"\xff",
        b"{}",
        b"'",
    ]
    out = bytearray()
    for _ in range(rng.randint(0, 60)):
        out += rng.choice(pieces) if rng.random() < 0.7 else rng.randbytes(rng.randint(1, 8))
    return bytes(out)


def _check_no_raise_and_split_invariant(data: bytes, cuts: Sequence[int]) -> None:
    limits = {"max_payload": 64, "max_control_line": 32}
    whole = parse_chunks([data], **limits)
    assert all(isinstance(event, Event) for event in whole)  # Event is a runtime union
    bounds = sorted({min(cut, len(data)) for cut in cuts})
    chunks = [data[a:b] for a, b in zip([0, *bounds], [*bounds, len(data)], strict=True)]
    assert typed(parse_chunks(chunks, **limits)) == typed(whole)


def test_random_garbage_never_raises_seeded() -> None:
    rng = random.Random(20240601)
    for _ in range(3000):
        data = _garbage(rng)
        _check_no_raise_and_split_invariant(data, [rng.randint(0, len(data)) for _ in range(rng.randint(0, 5))])


if given is not None:

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=400), st.lists(st.integers(min_value=0, max_value=400), max_size=6))
    def test_random_bytes_never_raise_hypothesis(data: bytes, cuts: list[int]) -> None:
        _check_no_raise_and_split_invariant(data, cuts)

else:

    @pytest.mark.skip(reason="hypothesis is not installed in the venv")
    def test_random_bytes_never_raise_hypothesis() -> None:
        """Placeholder so the missing property test shows up as skipped."""


def test_encoders_produce_the_documented_bytes() -> None:
    assert encode_connect({"tenant_id": "t", "session_id": "s"}) == b'CONNECT {"tenant_id":"t","session_id":"s"}\r\n'
    assert encode_info({"proto": 1}) == b'INFO {"proto":1}\r\n'
    assert encode_pub("telemetry.raw", b"hi") == b"PUB telemetry.raw 2\r\nhi\r\n"
    assert encode_pub("a", "é", reply="r") == b"PUB a r 2\r\n\xc3\xa9\r\n"
    assert encode_hpub("a", HEADERS, b"x") == b"HPUB a 28 29\r\n" + HEADERS + b"x\r\n"
    assert encode_sub("emotions.>", "1") == b"SUB emotions.> 1\r\n"
    assert encode_sub("a.*", "2", queue="q") == b"SUB a.* q 2\r\n"
    assert encode_unsub("1") == b"UNSUB 1\r\n"
    assert encode_unsub("1", 0) == b"UNSUB 1 0\r\n"
    assert encode_msg("a", "1", b"xyz", reply="r") == b"MSG a 1 r 3\r\nxyz\r\n"
    assert encode_err("Unknown Protocol Operation") == b"-ERR 'Unknown Protocol Operation'\r\n"
    assert (PING, PONG, OK) == (b"PING\r\n", b"PONG\r\n", b"+OK\r\n")


def test_stdlib_json_fallback_is_compact_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "_json", json)
    options = {"tenant_id": "té", "n": [1, 2]}
    assert encode_connect(options) == 'CONNECT {"tenant_id":"té","n":[1,2]}\r\n'.encode()
    assert parse(encode_connect(options)) == typed([Connect(options)])


def test_encoders_round_trip_through_the_parser() -> None:
    commands: list[tuple[bytes, Event]] = [
        (
            encode_info({"server_id": "eitp-bridge", "max_payload": 50000}),
            Info({"server_id": "eitp-bridge", "max_payload": 50000}),
        ),
        (
            encode_connect({"tenant_id": "t1", "session_id": "s1"}),
            Connect({"tenant_id": "t1", "session_id": "s1"}),
        ),
        (
            encode_pub("telemetry.raw", '{"events":["é"]}'),
            Pub("telemetry.raw", None, '{"events":["é"]}'.encode()),
        ),
        (encode_pub("a.b", b"\r\n", reply="_INBOX.x"), Pub("a.b", "_INBOX.x", b"\r\n")),
        (encode_hpub("a", HEADERS, b"body", reply="r"), HPub("a", "r", HEADERS, b"body")),
        (
            encode_sub("emotions.*.detected.>", "5", queue="q"),
            Sub("emotions.*.detected.>", "q", "5"),
        ),
        (encode_unsub("5", 2), Unsub("5", 2)),
        (encode_msg("emotions.t.s", "5", b"{}"), Msg("emotions.t.s", "5", None, b"{}")),
        (encode_err("Maximum Payload Violation"), Err("Maximum Payload Violation")),
        (PING, Ping()),
        (PONG, Pong()),
        (OK, Ok()),
    ]
    wire = b"".join(encoded for encoded, _ in commands)
    assert parse(wire) == typed([command for _, command in commands])


@pytest.mark.parametrize(
    "call",
    [
        lambda: encode_pub("a b", b""),
        lambda: encode_pub("a..b", b""),
        lambda: encode_pub("a.*", b""),
        lambda: encode_pub("a", b"", reply=""),
        lambda: encode_msg("a", "s id", b""),
        lambda: encode_sub("a.>.b", "1"),
        lambda: encode_sub("a", "1", queue="q q"),
        lambda: encode_unsub("", 1),
        lambda: encode_unsub("1", -1),
        lambda: encode_err("two\r\nlines"),
        lambda: encode_connect({"x": object()}),
        lambda: encode_hpub("", b"", b""),
    ],
)
def test_encoders_refuse_frames_that_break_the_framing(call: Any) -> None:
    with pytest.raises(ProtocolError):
        call()


@pytest.mark.parametrize(
    ("subject", "literal", "pattern"),
    [
        ("telemetry.raw", True, True),
        ("emotions.t1.detected.s1", True, True),
        ("a*b.c>", True, True),
        ("", False, False),
        ("a..b", False, False),
        (".a", False, False),
        ("a.", False, False),
        ("a b", False, False),
        ("a\tb", False, False),
        ("a.*", False, True),
        ("*", False, True),
        ("a.>", False, True),
        (">", False, True),
        ("a.>.b", False, False),
        ("*.*.>", False, True),
    ],
)
def test_is_valid_subject(subject: str, literal: bool, pattern: bool) -> None:
    assert is_valid_subject(subject, wildcards=False) is literal
    assert is_valid_subject(subject, wildcards=True) is pattern


@pytest.mark.parametrize(
    ("pattern", "subject", "matches"),
    [
        ("telemetry.raw", "telemetry.raw", True),
        ("telemetry.raw", "telemetry.raws", False),
        ("telemetry.*", "telemetry.raw", True),
        ("telemetry.*", "telemetry.raw.x", False),
        ("telemetry.*", "telemetry", False),
        ("telemetry.>", "telemetry.raw.x", True),
        ("telemetry.>", "telemetry", False),
        (">", "a", True),
        ("*.raw", "telemetry.raw", True),
        ("emotions.*.detected.*", "emotions.t1.detected.s1", True),
        ("emotions.*.detected.*", "emotions.t1.detected", False),
        ("a.b", "a", False),
        ("a", "a.b", False),
        ("telemetry.raw", "telemetry.*", False),  # the subject itself must be literal
        ("a.>.b", "a.x.b", False),  # invalid pattern
    ],
)
def test_subject_matches(pattern: str, subject: str, matches: bool) -> None:
    assert subject_matches(pattern, subject) is matches
