"""E-mail over SMTP (STARTTLS, SSL or plain for a local relay); one kept-alive connection per
thread. The Message-ID is derived from the idempotency key (which also goes in
X-Siyu-Idempotency-Key), so a receiving system can drop a repeat."""

from __future__ import annotations

import hashlib
import smtplib
import threading
from email.message import EmailMessage
from email.utils import formatdate

from siyu.messaging.channels.base import Envelope, Receipt
from siyu.messaging.rules import smtp_outcome


def message_id(key: str) -> str:
    """The Message-ID of the message with this idempotency key (a key may hold characters a
    Message-ID cannot, so its hash)."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@siyu>"


class EmailChannel:
    """Sends each message to the customer's e-mail address."""

    needs: str | None = "email"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        timeout: float,
        security: str = "starttls",
        user: str = "",
        password: str = "",
        name: str = "email",
    ) -> None:
        self.name = name
        self.host, self.port, self.sender = host, port, sender
        self.timeout, self.security = timeout, security
        self._user, self._password = user, password
        self._local = threading.local()
        self._open: list[smtplib.SMTP] = []
        self._lock = threading.Lock()

    def _connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        if smtp is not None:
            return smtp
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                smtp.starttls()
        if self._user:
            smtp.login(self._user, self._password)
        self._local.smtp = smtp
        with self._lock:
            self._open.append(smtp)
        return smtp

    def _drop(self) -> None:
        smtp = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is not None:
            try:
                smtp.close()
            finally:
                with self._lock:
                    if smtp in self._open:
                        self._open.remove(smtp)

    def _message(self, envelope: Envelope) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = envelope.recipient
        message["Subject"] = str(
            envelope.payload.get("subject") or envelope.payload.get("title", "")
        )
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(envelope.idempotency_key)
        message["X-Siyu-Idempotency-Key"] = envelope.idempotency_key
        text = str(envelope.payload.get("text", ""))
        link = envelope.payload.get("link_url")
        message.set_content(f"{text}\n\n{link}" if link else text)
        return message

    def send(self, envelope: Envelope) -> Receipt:
        """Deliver one e-mail; 4xx replies are retried, 5xx refused for good."""
        if not envelope.recipient:
            return Receipt("failed", detail="no e-mail address")
        message = self._message(envelope)
        for fresh in (False, True):
            try:
                refused = self._connect().send_message(message)
            except smtplib.SMTPServerDisconnected:
                self._drop()
                if fresh:
                    raise
                continue
            except smtplib.SMTPRecipientsRefused as exc:
                code = next(iter(exc.recipients.values()))[0]
                return Receipt(smtp_outcome(code), status_code=code, detail="recipient refused")
            except smtplib.SMTPResponseException as exc:
                self._drop()
                error = exc.smtp_error
                text = error.decode("utf-8", "replace") if isinstance(error, bytes) else error
                return Receipt(smtp_outcome(exc.smtp_code), status_code=exc.smtp_code,
                               detail=text[:200])  # fmt: skip
            except BaseException:
                self._drop()
                raise
            if refused:
                return Receipt("failed", detail="recipient refused")
            return Receipt("sent", provider_ref=str(message["Message-ID"]), status_code=250)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for smtp in self._open:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()
            self._open.clear()
