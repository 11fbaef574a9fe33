"""Real local servers for delivery tests and benchmarks: an HTTP endpoint that behaves as a
webhook receiver or an SMS gateway (and can be told to fail, hang or talk nonsense), and an
SMTP server (aiosmtpd). Each records what reached it; keys it has seen are not acted on twice,
as a receiver that honours idempotency keys does."""

from __future__ import annotations

import email.policy
import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Behaviour:
    """How the endpoint answers: "ok", "fail" (HTTP 500), "hang" (never answers in time),
    "malformed" (200 with a body that is not what was asked for), "reject" (HTTP 400)."""

    mode: str = "ok"
    delay: float = 0.0
    hang_seconds: float = 30.0


@dataclass
class Recorded:
    """Everything that reached the endpoint."""

    requests: int = 0
    keys: Counter[str] = field(default_factory=Counter)
    effects: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad_signatures: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)


class HttpEndpoint:
    """A threaded HTTP/1.1 server on a free loopback port."""

    def __init__(self, *, kind: str = "webhook", secret: str = "", token: str = "") -> None:
        self.kind, self.secret, self.token = kind, secret.encode(), token
        self.behaviour = Behaviour()
        self.record = Recorded()
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # headers and body go out as two writes: without this, Nagle's algorithm
                # holds the body for the client's delayed ACK (40 ms a request)
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *_args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with endpoint.lock:
                    data = json.dumps(
                        {
                            "requests": endpoint.record.requests,
                            "effects": len(endpoint.record.effects),
                        }
                    ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status, reply = endpoint.handle(dict(self.headers), body)
                if status == 0:
                    return
                data = reply.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The endpoint's URL."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def start(self) -> HttpEndpoint:
        """Serve in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def handle(self, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        """Answer one request according to the behaviour; record it."""
        behaviour = self.behaviour
        with self.lock:
            self.record.requests += 1
        if behaviour.delay:
            time.sleep(behaviour.delay)
        if behaviour.mode == "hang":
            time.sleep(behaviour.hang_seconds)
            return 0, ""
        if behaviour.mode == "fail":
            return 500, '{"error": "down"}'
        if behaviour.mode == "reject":
            return 400, '{"error": "bad request"}'
        if behaviour.mode == "malformed":
            return 200, "<html>oops"
        return self._accept(headers, body)

    def _accept(self, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        key = headers.get("Idempotency-Key", "")
        if self.kind == "webhook" and self.secret:
            stamp = headers.get("X-Siyu-Timestamp", "")
            expected = "sha256=" + hmac.new(self.secret, stamp.encode() + b"." + body,
                                            hashlib.sha256).hexdigest()  # fmt: skip
            if not hmac.compare_digest(expected, headers.get("X-Siyu-Signature", "")):
                with self.lock:
                    self.record.bad_signatures += 1
                return 401, '{"error": "signature"}'
        if self.kind == "sms" and headers.get("Authorization") != f"Bearer {self.token}":
            return 401, '{"error": "token"}'
        payload = json.loads(body)
        with self.lock:
            self.record.keys[key] += 1
            first = key not in self.record.effects
            if first:  # the effect happens once per key
                self.record.effects[key] = payload
                self.record.bodies.append(payload)
            ref = f"{self.kind}-{list(self.record.effects).index(key)}"
        if self.kind == "sms":
            return 200, json.dumps({"message_id": ref, "status": "queued"})
        return 200, json.dumps({"id": ref})


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.refuse: set[str] = set()

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = message_from_bytes(content, policy=email.policy.default)
        body = parsed.get_payload(decode=True)
        with self.lock:
            self.messages.append({
                "to": ",".join(envelope.rcpt_tos), "subject": str(parsed["Subject"]),
                "message_id": str(parsed["Message-ID"]),
                "body": body.decode("utf-8") if isinstance(body, bytes) else "",
            })  # fmt: skip
        return "250 Message accepted"


class SmtpServer:
    """A local SMTP server (no TLS, no login) that keeps what it receives."""

    def __init__(self) -> None:
        self.mailbox = _Mailbox()
        with socket.socket() as probe:  # aiosmtpd needs the port before it listens
            probe.bind(("127.0.0.1", 0))
            free = int(probe.getsockname()[1])
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=free)

    def start(self) -> SmtpServer:
        """Serve in a background thread."""
        self.controller.start()
        return self

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.controller.port)

    def stop(self) -> None:
        """Stop serving."""
        self.controller.stop()
