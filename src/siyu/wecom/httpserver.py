"""A minimal standard-library HTTP server for the WeCom callback (development and tests).

Production mounts `CallbackReceiver` in the web app; this serves the same receiver on one
path: GET answers WeCom's URL check, POST stores an event, answers, then processes.
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from siyu.kit.errors import SiyuError
from siyu.wecom.callback import CallbackReceiver
from siyu.wecom.crypto import MAX_BODY_BYTES

log = logging.getLogger(__name__)


def make_server(
    receiver: CallbackReceiver,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    path: str = "/wecom/callback",
    process: bool = True,
) -> ThreadingHTTPServer:
    """Return a server (not started) that hands `path` to the receiver."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass  # the query carries signatures only, but keep access logs out of siyu's log

        def _route(self) -> dict[str, str] | None:
            parsed = urllib.parse.urlsplit(self.path)
            if parsed.path.rstrip("/") != path.rstrip("/"):
                self._reply(404, "not found")
                return None
            return dict(urllib.parse.parse_qsl(parsed.query))

        def _reply(self, status: int, text: str) -> None:
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

        def do_GET(self) -> None:
            query = self._route()
            if query is None:
                return
            try:
                self._reply(200, receiver.verify_url(query))
            except SiyuError as exc:
                self._reply(exc.status_code, exc.message("en"))

        def do_POST(self) -> None:
            query = self._route()
            if query is None:
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._reply(413, "body too large")
                return
            try:
                answer = receiver.handle_callback(query, self.rfile.read(length))
            except SiyuError as exc:
                self._reply(exc.status_code, exc.message("en"))
                return
            except Exception:
                log.exception("wecom callback could not be stored")
                self._reply(500, "not stored, retry")
                return
            self._reply(200, answer)
            if process:
                receiver.after_response()

    return ThreadingHTTPServer((host, port), Handler)


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    """Start serving in a daemon thread (tests, development)."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
