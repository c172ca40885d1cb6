"""Handing messages to the mail server, one open connection per batch.

SMTP is driven a step at a time (MAIL, RCPT, DATA, the body, the reply) rather than through
`smtplib.SMTP.sendmail`, because what a failure means depends on the step it happened in:

* refused at MAIL or RCPT with a 4xx, or the connection lost before the body was fully
  written — the server has not taken the message: `Retry` (back off, try again);
* refused with a 5xx — it never will: `Refused`;
* the body was written but the reply never came — the server may have queued it: `InDoubt`.
  That one is never retried (a retry could be a duplicate) and is reported instead.

Email services (django-anymail backends) go through Django's mailer: their API call either
returns (sent) or raises; a timeout there is in doubt too.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from ladder.mailings.message import Built


class Retry(Exception):
    """Not taken this time; try again later."""


class Refused(Exception):
    """Refused for good (5xx): mark the delivery failed."""


class InDoubt(Exception):
    """The message may have been taken: do not send it again."""


class Transport(Protocol):
    def send(self, message: Built) -> None: ...

    def close(self) -> None: ...


def _mailer_options() -> tuple[str, dict[str, Any]]:
    mailer: dict[str, Any] = settings.MAILERS["default"]
    return str(mailer["BACKEND"]), dict(mailer.get("OPTIONS", {}))


class SmtpTransport:
    def __init__(self, host: str, port: int, username: str = "", password: str = "",
                 use_tls: bool = False, timeout: float = 30) -> None:  # fmt: skip
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.use_tls, self.timeout = use_tls, timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is None:
            try:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                smtp.ehlo_or_helo_if_needed()
                if self.use_tls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
            except (OSError, smtplib.SMTPException) as error:
                raise Retry(f"cannot connect to {self.host}:{self.port}: {error}") from error
            self._smtp = smtp
        return self._smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def _step(self, code: int, reply: bytes, what: str) -> None:
        if code >= 500:
            self._reset()
            raise Refused(f"{what}: {code} {reply.decode(errors='replace')}")
        if code >= 400:
            self._reset()
            raise Retry(f"{what}: {code} {reply.decode(errors='replace')}")

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def send(self, message: Built) -> None:
        smtp = self._connect()
        try:
            # Straight to the wire: smtplib's mail() and rcpt() re-parse each address with
            # the email package, a tenth of a message's whole cost. Ours are normalised.
            smtp.putcmd("mail", f"FROM:<{message.envelope_from}>")
            self._step(*smtp.getreply(), "MAIL FROM")
            smtp.putcmd("rcpt", f"TO:<{message.recipient}>")
            self._step(*smtp.getreply(), "RCPT TO")
            smtp.putcmd("data")
            self._step(*smtp.getreply(), "DATA")
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self._drop()
            raise Retry(f"connection lost before the message: {error}") from error
        payload = message.data.replace(b"\r\n.", b"\r\n..")
        if payload.startswith(b"."):
            payload = b"." + payload
        try:
            smtp.sock.sendall(payload + b"\r\n.\r\n")  # type: ignore[union-attr]
        except OSError as error:
            # The terminating dot was not written, so the server cannot have taken it.
            self._drop()
            raise Retry(f"connection lost while writing: {error}") from error
        try:
            code, reply = smtp.getreply()
        except (TimeoutError, OSError, smtplib.SMTPServerDisconnected) as error:
            self._drop()
            raise InDoubt(f"no reply after the message was written: {error}") from error
        self._step(code, reply, "end of DATA")

    def close(self) -> None:
        if self._smtp is not None:
            with suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None


_KEPT_HEADERS = ("Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post", "Reply-To", "List-Id")


class MailerTransport:
    """Any Django mail backend, e.g. an email service through django-anymail."""

    def __init__(self) -> None:
        from django.core.mail import mailers

        self.connection = mailers["default"]
        self.connection.open()

    def send(self, message: Built) -> None:
        parsed = message_from_bytes(message.data, policy=default_policy)
        plain, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
        email = EmailMultiAlternatives(
            subject=str(parsed["Subject"]),
            body=plain.get_content() if plain else "",
            from_email=str(parsed["From"]),
            to=[message.recipient],
            headers={k: str(parsed[k]) for k in _KEPT_HEADERS if parsed[k]},
        )
        if html is not None:
            email.attach_alternative(html.get_content(), "text/html")
        try:
            sent = self.connection.send_messages([email])
        except TimeoutError as error:
            raise InDoubt(str(error)) from error
        except Exception as error:  # the service refused the call; its reply says why
            raise Retry(str(error)) from error
        if not sent:
            raise Retry("the backend sent nothing")

    def close(self) -> None:
        self.connection.close()


@contextmanager
def open_transport() -> Iterator[Transport]:
    backend, options = _mailer_options()
    transport: Transport
    if backend.endswith("smtp.EmailBackend"):
        transport = SmtpTransport(
            options.get("host", "127.0.0.1"),
            int(options.get("port", 25)),
            options.get("username") or "",
            options.get("password") or "",
            bool(options.get("use_tls")),
        )
    else:
        transport = MailerTransport()
    try:
        yield transport
    finally:
        transport.close()
