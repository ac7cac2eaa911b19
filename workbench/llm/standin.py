"""A local stand-in of the Anthropic Messages API (``POST /v1/messages``).

There is no internet here, so tests and offline demos point the real ``anthropic`` SDK at
this server with ``base_url=``. It accepts both auth styles the SDK may send
(``x-api-key`` and ``Authorization: Bearer``), records every request, and answers with
whatever the ``responder`` decides: a normal message, an HTTP error (429 with
``retry-after``, 529 overloaded), a hang, or any other body verbatim with its content type
(not JSON, an HTML or plain-text page, JSON that is not a message, a message without content).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    raw_body: bytes | None = None  # sent verbatim instead of a Messages API body
    content_type: str = "application/json"  # e.g. text/html: a proxy's error page with status 200
    input_tokens: int = 120
    output_tokens: int = 40


Responder = Callable[[dict[str, Any]], Reply]


def _message_body(request: dict[str, Any], reply: Reply) -> bytes:
    return json.dumps({
        "id": "msg_standin", "type": "message", "role": "assistant", "model": request.get("model", "standin"),
        "content": [{"type": "text", "text": reply.text}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
    }).encode()


def _error_body(status: int) -> bytes:
    kind = {429: "rate_limit_error", 529: "overloaded_error", 401: "authentication_error"}.get(status, "api_error")
    return json.dumps({"type": "error", "error": {"type": kind, "message": f"stand-in {kind}"}}).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 stalls 20 concurrent clients (toolchain.md)


class StandinMessagesAPI:
    def __init__(self, responder: Responder | None = None) -> None:
        self.responder: Responder = responder or (lambda request: Reply(text="{}"))
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def start(self) -> str:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # 44 ms -> 2-3 ms a request (toolchain.md)
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                key = self.headers.get("x-api-key") or self.headers.get("Authorization", "").removeprefix("Bearer ")
                if self.path.rstrip("/") != "/v1/messages":
                    return self._send(404, _error_body(404))
                if not key or not self.headers.get("anthropic-version"):
                    return self._send(401, _error_body(401))
                try:
                    request = json.loads(raw)
                except json.JSONDecodeError:
                    return self._send(400, _error_body(400))
                with outer._lock:
                    outer.requests.append(request)
                reply = outer.responder(request)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.raw_body is not None:
                    return self._send(reply.status, reply.raw_body, reply.headers, reply.content_type)
                body = _message_body(request, reply) if reply.status == 200 else _error_body(reply.status)
                self._send(reply.status, body, reply.headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
                      content_type: str = "application/json") -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to tell it

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="messages-standin", daemon=True)
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StandinMessagesAPI:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
