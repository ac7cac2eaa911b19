"""Sans-I/O codec for the NATS client protocol text framing (EITP v1.1 section 4.1).

Producers and the Bridge speak the NATS client protocol
(https://docs.nats.io/reference/reference-protocols/nats-protocol) inside WebSocket frames.
This module turns bytes into commands and commands into bytes, with no sockets and no
asyncio: feed what arrived to :meth:`NatsParser.receive_data`, then collect commands with
:meth:`NatsParser.events_received` (the websockets sans-I/O style). Bad input never raises;
it becomes a :class:`ParseError` or :class:`PayloadTooLarge` event and parsing goes on.
``max_payload`` is the section 4.6 maximum message size; the subject helpers back the
section 4.2 namespace and PUB whitelist. Encoders raise ``ProtocolError`` for arguments
that would break the framing. NamedTuples compare as tuples (``Ping() == Pong()``), so tell
events apart with ``isinstance`` or ``match``, not ``==``.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from workbench.errors import ProtocolError

PING = b"PING\r\n"
PONG = b"PONG\r\n"
OK = b"+OK\r\n"
CRLF = b"\r\n"
MAX_CONTROL_LINE = 4096  # bytes, without the CRLF: nats-server's default, and nats clients' read limit


try:  # orjson when installed (faster, compact by default), else the stdlib
    _json: Any = importlib.import_module("orjson")
except ImportError:
    _json = json


def _dumps(value: Any) -> bytes:
    if _json is json:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    return bytes(_json.dumps(value))


class Info(NamedTuple):
    """``INFO {json}``: server options, sent by the Bridge on connect."""

    options: dict[str, Any]


class Connect(NamedTuple):
    """``CONNECT {json}``: client options (``tenant_id``, ``session_id``, ...)."""

    options: dict[str, Any]


class Pub(NamedTuple):
    """``PUB <subject> [reply] <size>``: publish a payload."""

    subject: str
    reply: str | None
    payload: bytes


class HPub(NamedTuple):
    """``HPUB <subject> [reply] <hdr_len> <total_len>``: publish with NATS headers."""

    subject: str
    reply: str | None
    headers: bytes
    payload: bytes


class Sub(NamedTuple):
    """``SUB <subject> [queue] <sid>``: subscribe."""

    subject: str
    queue: str | None
    sid: str


class Unsub(NamedTuple):
    """``UNSUB <sid> [max_msgs]``: unsubscribe, now or after ``max_msgs`` messages."""

    sid: str
    max_msgs: int | None


class Msg(NamedTuple):
    """``MSG <subject> <sid> [reply] <size>``: a delivered message (Bridge to client)."""

    subject: str
    sid: str
    reply: str | None
    payload: bytes


class HMsg(NamedTuple):
    """``HMSG <subject> <sid> [reply] <hdr_len> <total_len>``: a delivered message with headers."""

    subject: str
    sid: str
    reply: str | None
    headers: bytes
    payload: bytes


class Ping(NamedTuple):
    """``PING``: keepalive; the Bridge must answer with PONG."""


class Pong(NamedTuple):
    """``PONG``: keepalive reply."""


class Ok(NamedTuple):
    """``+OK``: acknowledgement."""


class Err(NamedTuple):
    """``-ERR '<message>'``: protocol error reported by the peer (quotes stripped)."""

    message: str


class ParseError(NamedTuple):
    """Input that is not a valid command; ``line`` is the offending control line."""

    message: str
    line: bytes


class PayloadTooLarge(NamedTuple):
    """A declared payload size above the limit; the payload was skipped unread."""

    subject: str
    size: int
    limit: int


Command = Info | Connect | Pub | HPub | Sub | Unsub | Msg | HMsg | Ping | Pong | Ok | Err
Event = Command | ParseError | PayloadTooLarge


class _Malformed(Exception):
    """Internal: a control line is malformed; becomes a ParseError event, never escapes."""


class _Pending(NamedTuple):
    """A control line whose payload of ``size`` bytes (``headers`` of them NATS headers) is still to come."""

    subject: str
    size: int
    build: Callable[[bytes], Command]
    headers: int = 0


_OPERATIONS = frozenset(b"INFO CONNECT PUB HPUB SUB UNSUB MSG HMSG PING PONG +OK -ERR".split())
_ARG_SEPARATOR = re.compile(rb"[ \t]+")
_BLANK_LINES = re.compile(rb"(?:\r?\n)+")
_MAX_SIZE_DIGITS = 18  # any such size fits an int64, like nats-server's parser


def _text(token: bytes) -> str:
    try:
        return token.decode("utf-8")
    except UnicodeDecodeError:
        raise _Malformed("Invalid UTF-8") from None


def _size(token: str) -> int:
    if not (token.isascii() and token.isdigit()) or len(token) > _MAX_SIZE_DIGITS:
        raise _Malformed("Invalid size")
    return int(token)


def _sizes(hdr_token: str, total_token: str) -> tuple[int, int]:
    hdr_len, total_len = _size(hdr_token), _size(total_token)
    if hdr_len > total_len:
        raise _Malformed("Header size larger than total size")
    return hdr_len, total_len


def _options(rest: bytes, op: str) -> dict[str, Any]:
    try:
        value = _json.loads(_text(rest))
    except (ValueError, RecursionError):
        raise _Malformed(f"Invalid JSON in {op}") from None
    if not isinstance(value, dict):
        raise _Malformed(f"{op} options must be a JSON object")
    return value


_PAYLOAD_OPERATIONS = frozenset((b"PUB", b"HPUB", b"MSG", b"HMSG"))


def _declared_size(rest: bytes, max_payload: int) -> int | None:
    """The payload size a malformed PUB/HPUB/MSG/HMSG line still declares in its last argument, if any."""
    args = _ARG_SEPARATOR.split(rest.strip(b" \t"))
    last = args[-1] if args and args[-1] else b""
    if not (last.isdigit() and len(last) <= _MAX_SIZE_DIGITS):
        return None
    size = int(last)
    return size if size <= max_payload else None


def _command(op: bytes, rest: bytes) -> Command | _Pending:
    """Build the command, or the pending payload, for one control line; may raise _Malformed."""
    if op in (b"INFO", b"CONNECT"):
        options = _options(rest, op.decode())
        return Info(options) if op == b"INFO" else Connect(options)
    if op == b"-ERR":
        message = _text(rest)
        quoted = len(message) >= 2 and message[0] == message[-1] == "'"
        return Err(message[1:-1] if quoted else message)
    args = [_text(arg) for arg in _ARG_SEPARATOR.split(rest) if arg]
    match op, args:
        case b"PING", []:
            return Ping()
        case b"PONG", []:
            return Pong()
        case b"+OK", []:
            return Ok()
        case b"SUB", [subject, *queue, sid] if len(queue) <= 1:
            return Sub(subject, queue[0] if queue else None, sid)
        case b"UNSUB", [sid, *max_msgs] if len(max_msgs) <= 1:
            return Unsub(sid, _size(max_msgs[0]) if max_msgs else None)
        case b"PUB", [subject, *reply, size] if len(reply) <= 1:
            reply_to = reply[0] if reply else None
            return _Pending(subject, _size(size), lambda body: Pub(subject, reply_to, body))
        case b"HPUB", [subject, *reply, hdr, total] if len(reply) <= 1:
            reply_to, (h, t) = reply[0] if reply else None, _sizes(hdr, total)
            return _Pending(subject, t, lambda body: HPub(subject, reply_to, body[:h], body[h:]), h)
        case b"MSG", [subject, sid, *reply, size] if len(reply) <= 1:
            reply_to = reply[0] if reply else None
            return _Pending(subject, _size(size), lambda body: Msg(subject, sid, reply_to, body))
        case b"HMSG", [subject, sid, *reply, hdr, total] if len(reply) <= 1:
            reply_to, (h, t) = reply[0] if reply else None, _sizes(hdr, total)
            return _Pending(subject, t, lambda body: HMsg(subject, sid, reply_to, body[:h], body[h:]), h)
    raise _Malformed(f"Invalid {op.decode()} arguments")


class NatsParser:
    """Incremental NATS protocol parser: bytes in, commands and error events out.

    Control lines end with CRLF, or with a bare LF, which nats-server accepts too; blank lines are
    ignored. A payload is ``size`` bytes (not characters) followed by CRLF.
    """

    def __init__(self, *, max_payload: int = 1_048_576, max_control_line: int = MAX_CONTROL_LINE) -> None:
        self.max_payload = max_payload
        self.max_control_line = max_control_line
        self._buffer = bytearray()
        self._events: list[Event] = []
        self._pending: tuple[_Pending, bytes] | None = None  # awaiting payload + CRLF
        self._skip = 0  # bytes of an oversize payload (and its CRLF) still to drop
        self._discarding = False  # dropping the rest of a bad line, up to its CRLF
        # The size a refused PUB/HPUB line declared: the next line is taken as its payload, and dropped with it,
        # only when it is exactly that long and ends with CRLF, so a bad frame costs one -ERR, not two.
        self._refused_size: int | None = None

    def receive_data(self, data: bytes | str) -> None:
        """Feed bytes (or text from a WebSocket text frame, sent as UTF-8) from the peer."""
        if isinstance(data, str):
            # A text frame is valid UTF-8; surrogatepass only keeps odd input from raising.
            data = data.encode("utf-8", errors="surrogatepass")
        self._buffer += data
        self._parse()

    def events_received(self) -> list[Event]:
        """Return the events parsed so far and forget them."""
        events, self._events = self._events, []
        return events

    def _parse(self) -> None:
        buf, pos = self._buffer, 0
        while pos < len(buf):
            if self._skip:
                dropped = min(self._skip, len(buf) - pos)
                pos, self._skip = pos + dropped, self._skip - dropped
            elif self._pending is not None:
                (_, size, build, headers), line = self._pending
                end = pos + size
                if len(buf) < end + 2:
                    break
                self._pending = None
                if buf[end : end + 2] == CRLF:
                    self._events.append(build(bytes(buf[pos:end])))
                    pos = end + 2
                    continue
                self._events.append(ParseError("Missing CRLF after payload", line))
                # The byte count was wrong. A batch is one line of JSON (JSON.stringify writes no CR or LF),
                # so a line end inside the payload is where the frame really ended: resume after it, and a
                # count too large costs only this frame, not the next one it would have run into.
                eol = buf.find(b"\n", pos + min(headers, size), end)
                if eol >= 0:
                    pos = eol + 1
                else:
                    pos, self._discarding = end, True
            else:
                eol = buf.find(b"\n", pos)  # a control line ends with CRLF, or a bare LF as nats-server allows
                if eol < 0:
                    # Keep a trailing CR: its LF may arrive in the next chunk.
                    unfinished = len(buf) - pos - (buf[-1] == 0x0D)
                    limit = max(self.max_control_line, self._refused_size or 0)  # a refused PUB's payload
                    if not self._discarding and unfinished > limit:
                        quoted = bytes(buf[pos : pos + self.max_control_line])
                        overflow = ParseError("Maximum Control Line Exceeded", quoted)
                        self._events.append(overflow)
                        self._discarding = True
                    if self._discarding:
                        pos += unfinished
                    break
                end = eol - 1 if eol > pos and buf[eol - 1] == 0x0D else eol
                if end == pos and not self._discarding:  # a run of blank lines: skipped in one regex step
                    pos = _BLANK_LINES.match(buf, pos).end()  # type: ignore[union-attr]
                    self._refused_size = None  # the refused PUB's empty payload, if it declared 0
                    continue
                line, pos = bytes(buf[pos:end]), eol + 1
                refused, self._refused_size = self._refused_size, None
                if refused == len(line) and end < eol:
                    continue  # the refused PUB's payload: already answered by its -ERR
                if self._discarding:
                    self._discarding = False
                elif len(line) > self.max_control_line:  # the refused PUB's allowance is only for its payload
                    self._events.append(ParseError("Maximum Control Line Exceeded", line[:self.max_control_line]))
                else:
                    self._control_line(line)
        del buf[:pos]

    def _control_line(self, line: bytes) -> None:
        op, _, rest = _ARG_SEPARATOR.sub(b" ", line.strip(b" \t"), count=1).partition(b" ")
        if not op:
            return
        op = op.upper()
        if op not in _OPERATIONS:
            self._events.append(ParseError("Unknown Protocol Operation", line))
            return
        try:
            result = _command(op, rest)
        except _Malformed as exc:
            self._events.append(ParseError(str(exc), line))
            if op in _PAYLOAD_OPERATIONS:
                self._refused_size = _declared_size(rest, self.max_payload)
            return
        if not isinstance(result, _Pending):
            self._events.append(result)
        elif result.size > self.max_payload:
            self._events.append(PayloadTooLarge(result.subject, result.size, self.max_payload))
            self._skip = result.size + 2
        else:
            self._pending = (result, line)


def _subject(subject: str | None, *, wildcards: bool = False) -> str | None:
    if subject is not None and not is_valid_subject(subject, wildcards=wildcards):
        raise ProtocolError(f"invalid NATS subject: {subject!r}")
    return subject


def is_token(value: str) -> bool:
    """Whether ``value`` can stand as one argument of a control line (a sid, a subject token): not empty,
    no whitespace. The parser splits on spaces and tabs only, so it can read a token this refuses."""
    return bool(value) and not any(char.isspace() for char in value)


def _token(value: str | None, what: str) -> str | None:
    if value is not None and not is_token(value):
        raise ProtocolError(f"invalid NATS {what}: {value!r}")
    return value


def _line(*parts: str | int | None) -> bytes:
    return " ".join(str(part) for part in parts if part is not None).encode() + CRLF


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode() if isinstance(data, str) else bytes(data)


def _json_line(op: str, options: dict[str, Any]) -> bytes:
    try:
        return op.encode() + b" " + _dumps(options) + CRLF
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"{op} options are not JSON-serialisable: {exc}") from exc


def encode_info(options: dict[str, Any]) -> bytes:
    """``INFO {json}\\r\\n`` with compact JSON."""
    return _json_line("INFO", options)


def encode_connect(options: dict[str, Any]) -> bytes:
    """``CONNECT {json}\\r\\n`` with compact JSON."""
    return _json_line("CONNECT", options)


def encode_pub(subject: str, payload: bytes | str, reply: str | None = None) -> bytes:
    """``PUB <subject> [reply] <size>\\r\\n<payload>\\r\\n``; str payloads go as UTF-8."""
    body = _as_bytes(payload)
    return _line("PUB", _subject(subject), _subject(reply), len(body)) + body + CRLF


def encode_hpub(subject: str, headers: bytes | str, payload: bytes | str, reply: str | None = None) -> bytes:
    """``HPUB <subject> [reply] <hdr_len> <total_len>\\r\\n<headers><payload>\\r\\n``."""
    head, body = _as_bytes(headers), _as_bytes(payload)
    sizes = (len(head), len(head) + len(body))
    return _line("HPUB", _subject(subject), _subject(reply), *sizes) + head + body + CRLF


def encode_sub(subject: str, sid: str, queue: str | None = None) -> bytes:
    """``SUB <subject> [queue] <sid>\\r\\n``; the subject may hold wildcards."""
    pattern = _subject(subject, wildcards=True)
    return _line("SUB", pattern, _token(queue, "queue group"), _token(sid, "sid"))


def encode_unsub(sid: str, max_msgs: int | None = None) -> bytes:
    """``UNSUB <sid> [max_msgs]\\r\\n``."""
    if max_msgs is not None and max_msgs < 0:
        raise ProtocolError(f"max_msgs must be >= 0, got {max_msgs}")
    return _line("UNSUB", _token(sid, "sid"), max_msgs)


def encode_msg(subject: str, sid: str, payload: bytes | str, reply: str | None = None) -> bytes:
    """``MSG <subject> <sid> [reply] <size>\\r\\n<payload>\\r\\n``."""
    body = _as_bytes(payload)
    head = _line("MSG", _subject(subject), _token(sid, "sid"), _subject(reply), len(body))
    return head + body + CRLF


def encode_err(message: str) -> bytes:
    """``-ERR '<message>'\\r\\n``."""
    if "\r" in message or "\n" in message:
        raise ProtocolError("an -ERR message cannot contain CR or LF")
    return f"-ERR '{message}'\r\n".encode()


def is_valid_subject(subject: str, *, wildcards: bool) -> bool:
    """NATS rules: non-empty '.'-separated tokens and no whitespace.

    With ``wildcards`` a token may be ``*`` and the last token ``>``; without, neither may
    appear (``a*b`` is an ordinary literal token either way).
    """
    tokens = subject.split(".")
    if "" in tokens or any(char.isspace() for char in subject):
        return False
    if wildcards:
        return ">" not in tokens[:-1]
    return "*" not in tokens and ">" not in tokens


def subject_matches(pattern: str, subject: str) -> bool:
    """True if literal ``subject`` matches ``pattern`` (``*``: one token, ``>``: one or more)."""
    if not (is_valid_subject(pattern, wildcards=True) and is_valid_subject(subject, wildcards=False)):
        return False
    wanted, tokens = pattern.split("."), subject.split(".")
    for index, token in enumerate(wanted):
        if token == ">":
            return len(tokens) > index
        if index >= len(tokens) or token not in ("*", tokens[index]):
            return False
    return len(wanted) == len(tokens)
