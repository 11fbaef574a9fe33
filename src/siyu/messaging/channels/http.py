"""A small HTTP client for channels: JSON POSTs over kept-alive connections, one per thread
and endpoint, with a hard timeout. (The standard library's http.client: no dependency.)"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    """Status, headers (lower-case names) and body of a response."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class HttpPoster:
    """POSTs to one URL; each thread keeps its own connection alive between requests."""

    def __init__(self, url: str, *, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.timeout = timeout
        self._local = threading.local()
        self._open: set[http.client.HTTPConnection] = set()
        self._lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            kind = (
                http.client.HTTPSConnection
                if self.scheme == "https"
                else http.client.HTTPConnection
            )
            connection = kind(self.host, self.port, timeout=self.timeout)
            self._local.connection = connection
            with self._lock:
                self._open.add(connection)
        return connection

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None
            with self._lock:
                self._open.discard(connection)

    def post(self, body: bytes, headers: Mapping[str, str]) -> Reply:
        """POST `body`; a kept-alive connection the server closed meanwhile is reopened once
        (the request carries an idempotency key, so a repeat is harmless)."""
        for fresh in (False, True):
            if fresh:
                self._drop()
            connection = self._connection()
            reused = connection.sock is not None
            try:
                connection.request("POST", self.path, body=body, headers=dict(headers))
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._drop()
                if fresh or not reused:
                    raise
                continue
            except BaseException:
                self._drop()
                raise
            if response.will_close:
                self._drop()
            names = {k.lower(): v for k, v in response.getheaders()}
            return Reply(response.status, names, data)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for connection in self._open:
                connection.close()
            self._open.clear()


def retry_after(reply: Reply) -> float | None:
    """Seconds a server asked us to wait (Retry-After in seconds), if any."""
    value = reply.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
