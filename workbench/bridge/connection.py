"""One producer connection to the bridge, sans I/O: EITP v1.1 sections 2.3, 4.1, 4.5, 4.6 and 10.4.

Feed it the bytes of each WebSocket message with :meth:`BridgeConnection.receive`; it
returns what to send back and which batches to publish. It never raises on input: every
problem becomes a ``-ERR`` (worded as nats-server words it where one exists) and a
:class:`Violation` the caller counts and logs. Nothing else on the connection is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from workbench.bridge import codec
from workbench.config import TransportConfig
from workbench.protocol.schema import errors as schema_errors

SERVER_ID = "eitp-bridge"
PUBLISH_WHITELIST = frozenset({"telemetry.raw"})
CLIENT_IP_FIELDS = ("ip", "clientIp", "ipAddress", "remoteAddress")


@dataclass(frozen=True)
class Publish:
    subject: str
    batch: dict[str, Any]


@dataclass(frozen=True)
class Violation:
    kind: str  # permissions | payload_size | parse | invalid_batch | tenant | session | handshake
    message: str
    session_id: str | None


@dataclass
class Result:
    send: list[bytes] = field(default_factory=list)
    publish: list[Publish] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)


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
    problems = schema_errors(batch, "batch")
    if problems:
        return None, Violation("invalid_batch", "Invalid Batch: " + "; ".join(problems[:3]), session)
    if tenant is not None and batch["tenantId"] != tenant:
        return None, Violation("tenant", f"Tenant Violation: batch tenant {batch['tenantId']!r} "
                                         f"does not match connection tenant {tenant!r}", session)
    if session is not None and batch["sessionId"] != session:
        return None, Violation("session", f"Session Violation: batch session {batch['sessionId']!r} "
                                          f"does not match connection session {session!r}", session)
    for key in CLIENT_IP_FIELDS:
        batch.pop(key, None)
    batch["ip"] = peer_ip
    batch["userAgent"] = user_agent
    return batch, None


class BridgeConnection:
    def __init__(self, *, peer_ip: str, user_agent: str = "", config: TransportConfig | None = None) -> None:
        self.config = config or TransportConfig()
        self.peer_ip = peer_ip
        self.user_agent = user_agent
        self.parser = codec.NatsParser(max_payload=self.config.max_message_bytes)
        self.tenant_id: str | None = None
        self.session_id: str | None = None
        self.verbose = False
        self.subscriptions: dict[str, str] = {}  # sid -> subject
        self.accepted = 0

    def greeting(self) -> bytes:
        """The INFO line the bridge sends first (section 4.1)."""
        return codec.encode_info({"server_id": SERVER_ID, "version": "2.0.0", "proto": 1,
                                  "max_payload": self.config.max_message_bytes, "headers": False})

    def intervention_subject(self) -> str | None:
        if self.tenant_id is None or self.session_id is None:
            return None
        return f"seer.{self.tenant_id}.intervention.request.{self.session_id}"

    def receive(self, data: bytes | str) -> Result:
        self.parser.receive_data(data)
        result = Result()
        for item in self.parser.events_received():
            self._handle(item, result)
        return result

    def _refuse(self, result: Result, kind: str, message: str) -> None:
        result.send.append(codec.encode_err(message))
        result.violations.append(Violation(kind, message, self.session_id))

    def _handle(self, item: object, result: Result) -> None:
        match item:
            case codec.ParseError(message=message):
                self._refuse(result, "parse", message)
            case codec.PayloadTooLarge(size=size, limit=limit):
                self._refuse(result, "payload_size", f"Maximum Payload Violation ({size} > {limit} bytes)")
            case codec.Connect(options=options):
                tenant, session = options.get("tenant_id"), options.get("session_id")
                if not isinstance(tenant, str) or not tenant or not isinstance(session, str) or not session:
                    self._refuse(result, "handshake", "Authorization Violation: CONNECT needs tenant_id and session_id")
                    return
                self.tenant_id, self.session_id = tenant, session
                self.verbose = bool(options.get("verbose", False))
                result.send.append(codec.OK)
            case codec.Ping():
                result.send.append(codec.PONG)
            case codec.Pong():
                pass
            case codec.Pub(subject=subject, payload=payload) | codec.HPub(subject=subject, payload=payload):
                self._publish(subject, payload, result)
            case codec.Sub(subject=subject, sid=sid):
                if subject != self.intervention_subject():
                    self._refuse(result, "permissions", f'Permissions Violation for Subscription to "{subject}"')
                    return
                self.subscriptions[sid] = subject
                if self.verbose:
                    result.send.append(codec.OK)
            case codec.Unsub(sid=sid):
                self.subscriptions.pop(sid, None)
            case _:
                self._refuse(result, "parse", f"Unexpected Operation {type(item).__name__} from a client")

    def _publish(self, subject: str, payload: bytes, result: Result) -> None:
        if self.tenant_id is None:
            self._refuse(result, "handshake", "Authorization Violation: PUB before CONNECT")
            return
        if subject not in PUBLISH_WHITELIST:
            self._refuse(result, "permissions", f'Permissions Violation for Publish to "{subject}"')
            return
        batch, violation = check_batch(payload, tenant=self.tenant_id, session=self.session_id,
                                       peer_ip=self.peer_ip, user_agent=self.user_agent)
        if violation is not None:
            result.send.append(codec.encode_err(violation.message))
            result.violations.append(violation)
            return
        assert batch is not None
        self.accepted += 1
        result.publish.append(Publish(subject, batch))
        if self.verbose:
            result.send.append(codec.OK)
