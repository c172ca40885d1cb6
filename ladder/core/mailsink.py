"""A local SMTP sink: accepts every message on a host and port and keeps it as an ``.eml`` file.

`make demo` runs one on 127.0.0.1:1025 so that nothing the demo sends can leave the machine,
and so that the staff UI can show what was "sent" (`captured_messages`). Tests and benchmarks
start one in-process on a free port (``port=0``). Each file is the message exactly as received,
preceded by two headers that record the SMTP envelope (which Bcc recipients never appear in):
``X-Ladder-Mail-From`` and ``X-Ladder-Rcpt-To``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import socket
import time
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings


def mail_dir() -> Path:
    return Path(settings.DATA_DIR) / "mail"


class _Handler:
    """aiosmtpd handler: count each message and, when storing, write it to its own file."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.count = 0
        self._sequence = itertools.count()
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        if self.directory is not None:
            envelope_headers = (
                f"X-Ladder-Mail-From: {envelope.mail_from}\r\n"
                f"X-Ladder-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n"
            ).encode()
            content = envelope.original_content or envelope.content
            if isinstance(content, str):
                content = content.encode("utf-8", "surrogateescape")
            # Names sort in arrival order; write then rename, so readers never see half a file.
            name = f"{time.time_ns()}-{next(self._sequence):06d}"
            temporary = self.directory / f".{name}.tmp"
            temporary.write_bytes(envelope_headers + content)
            os.replace(temporary, self.directory / f"{name}.eml")
        return "250 Message accepted for delivery"


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # With port 0 the OS picks a free port: learn it before the readiness check connects.
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class MailSink:
    """An SMTP server in a background thread. Use as a context manager or start()/stop().

    ``store=False`` only counts messages, to measure the raw accept rate (a benchmark floor).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1025,
        *,
        directory: Path | str | None = None,
        store: bool = True,
    ) -> None:
        self.directory = Path(directory) if directory is not None else mail_dir()
        self._handler = _Handler(self.directory if store else None)
        self._controller = _Controller(
            self._handler, hostname=host, port=port, data_size_limit=50 * 1024 * 1024
        )
        self.host = host

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def count(self) -> int:
        """Messages accepted since start."""
        return self._handler.count

    def start(self) -> MailSink:
        if self.port:
            # Fail at once on a busy port; aiosmtpd would first wait out its ready timeout.
            with socket.create_server((self.host, self.port)):
                pass
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class CapturedMessage:
    sender: str  # the From header
    to: str  # the To header
    recipients: list[str]  # the SMTP envelope recipients
    subject: str
    date: dt.datetime | None
    path: Path


def captured_messages(
    limit: int = 50, directory: Path | str | None = None
) -> list[CapturedMessage]:
    """The newest captured messages first, headers only (bodies stay on disk at ``path``)."""
    folder = Path(directory) if directory is not None else mail_dir()
    if not folder.is_dir():
        return []
    names = sorted((e.name for e in os.scandir(folder) if e.name.endswith(".eml")), reverse=True)
    parser = BytesParser(policy=default_policy)
    out = []
    for name in names[: max(0, limit)]:
        path = folder / name
        try:
            with path.open("rb") as handle:
                headers = parser.parse(handle, headersonly=True)
        except OSError:  # deleted while we listed it
            continue
        date_header = headers.get("Date")
        recipients = str(headers.get("X-Ladder-Rcpt-To", ""))
        out.append(
            CapturedMessage(
                sender=str(headers.get("From", "")),
                to=str(headers.get("To", "")),
                recipients=[r.strip() for r in recipients.split(",") if r.strip()],
                subject=str(headers.get("Subject", "")),
                date=getattr(date_header, "datetime", None),
                path=path,
            )
        )
    return out
