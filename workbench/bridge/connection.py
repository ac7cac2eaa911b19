"""The bridge's per-connection rules, sans I/O (EITP v1.1 sections 2.3, 4.1, 4.2, 4.5, 4.6, 10.4).

Bytes in (:meth:`BridgeConnection.receive`), and out: replies to send, batches to publish on
the bus, violations to count and log, and a close reason when the connection must end. The
asyncio edge (:mod:`workbench.bridge.server`) only moves bytes; every rule lives here.

Handshake (4.1). The bridge sends INFO; the client answers CONNECT, usually followed by PING
(stock NATS clients wait for that PONG). Every CONNECT option a NATS client sends (``verbose``,
``pedantic``, ``lang``, ``version``, ``protocol``, ``headers``, ``no_responders``, ``echo``,
``name``, ...) is accepted. ``verbose`` (true when absent, as in nats-server and the spec's
example) turns on ``+OK`` acknowledgements; the producer and nats-py send false. The connection's
identity is taken from, in order:

1. ``tenant_id`` and ``session_id``, the fields the spec defines (the page's producer sends these);
2. ``name`` = ``"<tenant_id>/<session_id>"``, for stock clients, which cannot add CONNECT
   fields (nats-py: ``nats.connect(url, name="org_x/sq_1")``);
3. ``user`` = tenant id and ``pass`` = session id (nats-py ``user=``/``password=``, or
   ``ws://org_x:sq_1@host/bridge``).

Both ids must be 1-128 characters of ``A-Z a-z 0-9 _ -``, because they become tokens of the
connection's subject ``seer.{tenant}.intervention.request.{session}`` (a ``*`` or ``.`` would
widen it to other sessions), and the tenant must be one the bridge serves. Anything else is
``-ERR 'Authorization Violation'`` and a close, as nats-server does; so is PUB, SUB or UNSUB
before CONNECT, or a second CONNECT with another identity.

Whitelist (4.2). PUB only to ``telemetry.raw``; SUB only to the connection's own
``seer.{tenant}.intervention.request.{session}``. Anything else gets nats-server's own words:
``-ERR 'Permissions Violation for Publish to "subj"'`` or ``... for Subscription to "subj"'``.
:meth:`BridgeConnection.deliver` turns a bus message on that subject into ``MSG`` lines; the
server forwards only payloads that :func:`is_intervention` accepts, never EITP packets. INFO offers
no headers, so ``HPUB`` gets ``-ERR 'Message Headers Not Supported'``.

Each batch then passes :func:`check_batch` (JSON, schema, tenant and session match, server-side
IP) and the section 4.6 limits of :mod:`workbench.bridge.limits`. A refused command gets one
``-ERR`` and nothing else on the connection is lost. A payload declared larger than the limit is
skipped unread; one declared larger than ``SKIP_FACTOR`` times the limit closes the connection,
since skipping it would swallow the rest of the stream.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import orjson

from workbench import bus as subjects
from workbench.bridge import codec
from workbench.bridge.limits import FrameGuard, LimiterRegistry, Refusal
from workbench.config import TransportConfig
from workbench.privacy import without_ips
from workbench.protocol.fastschema import batch_checker
from workbench.protocol.schema import errors as schema_errors
from workbench.protocol.taxonomy import IDENTITY

SERVER_ID = "eitp-bridge"
PUBLISH_WHITELIST = frozenset({"telemetry.raw"})
CLIENT_IP_FIELDS = ("ip", "clientIp", "ipAddress", "remoteAddress")
# a batch worth walking: an address's text (also right after an escaped newline or tab, whose letter
# the lookbehind would otherwise take for part of a word), a key that names one (JSON.stringify
# writes "ip":), or a \\u escape, which can write any character (an address's dots too) without it
_IP_HINT = re.compile(rb"(?:(?<![A-Za-z0-9.])|(?<=\\[nrtbf]))\d{1,3}\.\d{1,3}\.\d{1,3}\.\d"
                      rb"|::|:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:"
                      rb'|"(?:ip|clientIp|ipAddress|remoteAddress)"|\\u')
AUTHORIZATION_VIOLATION = "Authorization Violation"
SERVICE_UNAVAILABLE = "Service Unavailable"  # a PUB the bus behind the bridge could not take
SKIP_FACTOR = 4
ELLIPSIS = "..."  # ends an -ERR message cut to fit a control line
_valid_batch, _ = batch_checker()
_CHECKED_FIELDS = frozenset({"type", "tenantId", "sessionId", "timestamp"})  # by the schema and IDENTITY: no address


@dataclass(frozen=True)
class Publish:
    subject: str
    batch: dict[str, Any]
    payload: bytes  # the batch as published (see encode_batch)
    at: int = 0  # where in Result.send the PUB's answer goes, once the bus has taken it or not
    ack: bool = False  # verbose: +OK when the bus took it


@dataclass(frozen=True)
class Violation:
    # permissions | payload_size | parse | invalid_batch | tenant | session | handshake | subscriptions
    # | rate_frames | rate_events | rate_type | session_quota | clock | slow_consumer (server)
    kind: str
    message: str
    session_id: str | None


@dataclass
class Result:
    send: list[bytes] = field(default_factory=list)  # without the PUBs' answers: see answered
    publish: list[Publish] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    close: str | None = None  # set when the connection must end: the reason

    def answered(self, refused: set[int] | frozenset[int] = frozenset()) -> list[bytes]:
        """What goes back, in the order of the commands: each accepted PUB answered in its place, once
        the bus has had it: ``+OK`` (verbose) when it took it, ``-ERR 'Service Unavailable'`` when it
        refused it (``refused``: indexes into :attr:`publish`). A verbose client never gets ``+OK`` and
        then ``-ERR`` for one PUB."""
        out = list(self.send)
        for i in range(len(self.publish) - 1, -1, -1):  # from the last, so each earlier place still holds
            item = self.publish[i]
            if i in refused:
                out.insert(item.at, encode_err(SERVICE_UNAVAILABLE))  # it may try again later
            elif item.ack:
                out.insert(item.at, codec.OK)
        return out


@dataclass
class _Subscription:
    subject: str
    remaining: int | None = None  # messages left before an UNSUB <sid> <max> takes effect
    delivered: int = 0  # since the SUB: nats-server counts an UNSUB's max from there


def encode_err(message: str) -> bytes:
    """``-ERR '<message>'`` with any CR or LF (they can come from client input) escaped, cut to fit one
    control line (``codec.MAX_CONTROL_LINE``, section 4.1 framing): a refusal quotes what it refused, which
    can be most of a 50,000-byte batch, and a longer line is one the client's parser cannot read."""
    text = message.replace("\r", "\\r").replace("\n", "\\n")
    room = codec.MAX_CONTROL_LINE - len(codec.encode_err("")) + len(codec.CRLF)
    if len(encoded := text.encode()) > room:
        text = encoded[: room - len(ELLIPSIS)].decode(errors="ignore") + ELLIPSIS
    return codec.encode_err(text)


def connect_identity(options: dict[str, Any]) -> tuple[str, str] | str:
    """``(tenant_id, session_id)`` from CONNECT options (see the module docstring), or why not."""
    if "tenant_id" in options or "session_id" in options:
        tenant, session, source = options.get("tenant_id"), options.get("session_id"), "tenant_id/session_id"
    elif isinstance(options.get("name"), str) and "/" in options["name"]:
        (tenant, _, session), source = options["name"].partition("/"), "name"
    elif "user" in options or "pass" in options:
        tenant, session, source = options.get("user"), options.get("pass"), "user/pass"
    else:
        return "CONNECT has no tenant_id and session_id (nor name 'tenant/session', nor user/pass)"
    for what, value in (("tenant", tenant), ("session", session)):
        if not isinstance(value, str) or not IDENTITY.fullmatch(value):
            return f"CONNECT {source}: {what} id {value!r} must be 1-128 characters of A-Z a-z 0-9 _ -"
    assert isinstance(tenant, str) and isinstance(session, str)
    return tenant, session


def is_intervention(payload: bytes) -> bool:
    """True for a consumer's intervention (a JSON object with ``"type": "intervention"``).

    The engine publishes full EITP packets on the same subject; they carry telemetry details
    that must never reach the end user (sections 2.5, 9.2), so everything else is held back.
    """
    try:
        return subjects.is_intervention(orjson.loads(payload))
    except orjson.JSONDecodeError:
        return False


def check_batch(payload: bytes, *, tenant: str | None, session: str | None,
                peer_ip: str, user_agent: str) -> tuple[dict[str, Any] | None, Violation | None]:
    """The checks every batch passes, whatever door it came through (WebSocket or HTTP POST).

    Returns the batch with the server-side IP and user agent injected (section 4.5: any
    client-supplied IP is overwritten), or the violation that refused it.
    """
    try:
        batch = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        return None, Violation("parse", f"Invalid Batch: not JSON ({exc})", session)
    if not _valid_batch(batch):
        problems = schema_errors(batch, "batch", limit=3)
        if problems:
            return None, Violation("invalid_batch", "Invalid Batch: " + "; ".join(problems), session)
    if tenant is not None and batch["tenantId"] != tenant:
        return None, Violation("tenant", f"Tenant Violation: batch tenant {batch['tenantId']!r} "
                                         f"does not match connection tenant {tenant!r}", session)
    if session is not None and batch["sessionId"] != session:
        return None, Violation("session", f"Session Violation: batch session {batch['sessionId']!r} "
                                          f"does not match connection session {session!r}", session)
    for what in ("tenantId", "sessionId"):  # the POST door has no CONNECT that checked them: ids are subject tokens
        if not IDENTITY.fullmatch(str(batch[what])):
            return None, Violation("invalid_batch", f"Invalid Batch: {what} {batch[what]!r} must be 1-128 characters "
                                                    "of A-Z a-z 0-9 _ -", session)
    for key in CLIENT_IP_FIELDS:
        batch.pop(key, None)
    if _IP_HINT.search(payload):  # page content is copied into every packet, events are stored, and the
        # envelope's own fields (the vertical, any a client adds) go on to the engine too; the ids and the
        # timestamp checked above hold no address
        batch = {_without_client_ips(k): v if k in _CHECKED_FIELDS else _without_client_ips(v)
                 for k, v in batch.items() if k not in CLIENT_IP_FIELDS}
    batch["ip"] = peer_ip
    batch["userAgent"] = user_agent
    return batch, None


def _without_client_ips(value: Any, depth: int = 0) -> Any:
    """Section 4.5 / 10.3: an address is the bridge's to say. A client's own, at any depth of the
    page content, an event or the envelope (``pageContent.meta.ip``, ``{"ip": ...}`` in a custom event, "Signed
    in from 198.51.100.44" in the page's text or in a key), is removed, so none rides a packet to a
    consumer or is stored. A conformant producer redacts such text already (section 3.9's patterns and ours);
    this is the bridge not trusting that it did."""
    if depth > 300:  # deeper than orjson writes: encode_batch refuses the batch
        return None
    if isinstance(value, str):
        return without_ips(value)
    if isinstance(value, dict):  # a key is text too: {"Signed in from 198.51.100.44": true}
        return {_without_client_ips(k): _without_client_ips(v, depth + 1) for k, v in value.items()
                if k not in CLIENT_IP_FIELDS}
    if isinstance(value, list):
        return [_without_client_ips(v, depth + 1) for v in value]
    return value


def encode_batch(batch: dict[str, Any]) -> tuple[bytes | None, Violation | None]:
    """The checked batch as it is published, or why it cannot be. orjson reads 1,024 levels of
    nesting but writes only 254: a batch nested deeper is refused here, before it is acknowledged,
    rather than lost after its ``+OK``."""
    try:
        return orjson.dumps(batch), None
    except orjson.JSONEncodeError as exc:
        return None, Violation("invalid_batch", f"Invalid Batch: cannot be forwarded ({exc})", batch["sessionId"])


def check_limits(limiters: LimiterRegistry, batch: dict[str, Any], now: float) -> Violation | None:
    """The section 4.6 limits for a checked batch, keyed by its tenant and session (``now``: wall seconds)."""
    limiter = limiters.get(batch["tenantId"], batch["sessionId"])
    refusal = limiter.check(batch["timestamp"], batch["events"], now)
    return None if refusal is None else Violation(refusal.kind, refusal.message, batch["sessionId"])


class BridgeConnection:
    """One producer connection's protocol state; see the module docstring for the rules."""

    def __init__(self, *, peer_ip: str, user_agent: str = "", config: TransportConfig | None = None,
                 limiters: LimiterRegistry | None = None, tenants: Collection[str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config or TransportConfig()
        self.peer_ip = peer_ip
        self.user_agent = user_agent
        self.limiters = limiters if limiters is not None else LimiterRegistry(self.config)
        self.tenants = tenants  # None: any tenant
        self.clock = clock
        self.parser = codec.NatsParser(max_payload=self.config.max_message_bytes)
        self.frames = FrameGuard(self.config.max_pubs_per_second)
        self.tenant_id: str | None = None
        self.session_id: str | None = None
        self.verbose = False
        self.subscriptions: dict[str, _Subscription] = {}
        self.accepted = 0
        self.closed: str | None = None

    def greeting(self) -> bytes:
        """The INFO line the bridge sends first (section 4.1)."""
        return codec.encode_info({"server_id": SERVER_ID, "version": "2.0.0", "proto": 1,
                                  "max_payload": self.config.max_message_bytes, "headers": False})

    def intervention_subject(self) -> str | None:
        if self.tenant_id is None or self.session_id is None:
            return None
        return f"seer.{self.tenant_id}.intervention.request.{self.session_id}"

    def receive(self, data: bytes | str, now: float | None = None) -> Result:
        """Feed what arrived; ``now`` is wall time in seconds (for the frame guard), default ``clock()``."""
        result = Result()
        if self.closed is not None:
            return result
        self.parser.receive_data(data)
        now = self.clock() if now is None else now
        for item in self.parser.events_received():
            self._handle(item, result, now)
            if result.close is not None:
                self.closed = result.close
                break
        return result

    def deliver(self, subject: str, payload: bytes) -> list[bytes]:
        """``MSG`` lines for every subscription of this connection to ``subject`` (UNSUB max honoured)."""
        frames = []
        for sid, sub in list(self.subscriptions.items()):
            if sub.subject != subject:
                continue
            frames.append(codec.encode_msg(subject, sid, payload))
            sub.delivered += 1
            if sub.remaining is not None:
                sub.remaining -= 1
                if sub.remaining <= 0:
                    del self.subscriptions[sid]
        return frames

    def _refuse(self, result: Result, kind: str, message: str, *, reply: str | None = None) -> None:
        result.send.append(encode_err(reply or message))
        result.violations.append(Violation(kind, message, self.session_id))

    def _unauthorized(self, result: Result, message: str) -> None:
        self._refuse(result, "handshake", f"{AUTHORIZATION_VIOLATION}: {message}", reply=AUTHORIZATION_VIOLATION)
        result.close = AUTHORIZATION_VIOLATION

    def _handle(self, item: codec.Event, result: Result, now: float) -> None:
        match item:
            case codec.ParseError(message=message):
                self._refuse(result, "parse", message)
            case codec.PayloadTooLarge(size=size, limit=limit):
                self._refuse(result, "payload_size", f"Maximum Payload Violation ({size} > {limit} bytes)")
                if size > SKIP_FACTOR * limit:
                    result.close = "Maximum Payload Violation"
            case codec.Connect(options=options):
                self._connect(options, result)
            case codec.Ping():
                result.send.append(codec.PONG)
            case codec.Pong():
                pass
            case codec.Pub() | codec.HPub() | codec.Sub() | codec.Unsub() if self.session_id is None:
                self._unauthorized(result, f"{type(item).__name__.upper()} before CONNECT")
            case codec.HPub():  # INFO says "headers": false, and a batch has no use for them
                self._refuse(result, "parse", "Message Headers Not Supported")
            case codec.Pub(subject=subject, payload=payload):
                self._publish(subject, payload, result, now)
            case codec.Sub(subject=subject, queue=queue, sid=sid):
                self._subscribe(subject, queue, sid, result)
            case codec.Unsub(sid=sid, max_msgs=max_msgs):
                sub = self.subscriptions.get(sid)
                if sub is None:
                    pass
                elif max_msgs is None or max_msgs <= sub.delivered:  # now, or it has had them all already
                    del self.subscriptions[sid]
                else:
                    sub.remaining = max_msgs - sub.delivered
            case _:
                self._refuse(result, "parse", f"Unexpected Operation {type(item).__name__} from a client")

    def _connect(self, options: dict[str, Any], result: Result) -> None:
        identity = connect_identity(options)
        if isinstance(identity, str):
            self._unauthorized(result, identity)
            return
        tenant, session = identity
        if self.tenants is not None and tenant not in self.tenants:
            self._unauthorized(result, f"tenant {tenant!r} is not served here")
            return
        if self.session_id is not None and (tenant, session) != (self.tenant_id, self.session_id):
            self._unauthorized(result, "a second CONNECT may not change tenant or session")
            return
        self.tenant_id, self.session_id = tenant, session
        verbose = options.get("verbose", True)  # nats-server's default, hence the spec's +OK
        self.verbose = verbose.strip().lower() == "true" if isinstance(verbose, str) else bool(verbose)
        if self.verbose:
            result.send.append(codec.OK)

    def _subscribe(self, subject: str, queue: str | None, sid: str, result: Result) -> None:
        if subject != self.intervention_subject() or queue is not None:
            using = f' using queue "{queue}"' if queue is not None else ""
            self._refuse(result, "permissions", f'Permissions Violation for Subscription to "{subject}"{using}')
            return
        if not codec.is_token(sid):  # it could never head a MSG: every intervention to the session would fail on it
            self._refuse(result, "parse", f"Invalid Subscription ID {sid!r}")
            return
        if sid not in self.subscriptions and len(self.subscriptions) >= self.config.max_subscriptions:
            self._refuse(result, "subscriptions", "Maximum Subscriptions Exceeded")
            return
        self.subscriptions[sid] = _Subscription(subject)
        if self.verbose:
            result.send.append(codec.OK)

    def _publish(self, subject: str, payload: bytes, result: Result, now: float) -> None:
        if (refusal := self.frames.allow(now)) is not None:
            self._refuse_limit(result, refusal)
            return
        if subject not in PUBLISH_WHITELIST:
            self._refuse(result, "permissions", f'Permissions Violation for Publish to "{subject}"')
            return
        batch, violation = check_batch(payload, tenant=self.tenant_id, session=self.session_id,
                                       peer_ip=self.peer_ip, user_agent=self.user_agent)
        forwarded = None
        if batch is not None:
            forwarded, violation = encode_batch(batch)
            if violation is None:
                violation = check_limits(self.limiters, batch, now)
        if violation is not None:
            result.send.append(encode_err(violation.message))
            result.violations.append(violation)
            return
        assert batch is not None and forwarded is not None
        self.accepted += 1
        result.publish.append(Publish(subject, batch, forwarded, at=len(result.send), ack=self.verbose))

    def _refuse_limit(self, result: Result, refusal: Refusal) -> None:
        self._refuse(result, refusal.kind, refusal.message)
