"""The local SMTP sink, with a real SMTP conversation through smtplib."""

from __future__ import annotations

import io
import smtplib
import socket
from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ladder.core.mailsink import MailSink, captured_messages


def _send(
    port: int, subject: str, to: str = "Maria Garcia <maria@example.org>", bcc: tuple[str, ...] = ()
) -> None:
    message = EmailMessage()
    message["From"] = "Prairie Forward <hello@prairieforward.example>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Tue, 20 Oct 2026 10:00:00 -0500"
    message.set_content("Our schools can't wait. Add your name today.")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message, to_addrs=[to.split("<")[-1].rstrip(">"), *bcc])


def test_sink_captures_a_real_message_with_subject_and_recipients(tmp_path):
    with MailSink(port=0, directory=tmp_path) as sink:
        _send(sink.port, "Café ☕: our schools can’t wait", bcc=("boss@example.org",))
        assert sink.count == 1
    [mail] = captured_messages(directory=tmp_path)
    assert mail.subject == "Café ☕: our schools can’t wait"
    assert mail.sender == "Prairie Forward <hello@prairieforward.example>"
    assert mail.to == "Maria Garcia <maria@example.org>"
    assert mail.recipients == ["maria@example.org", "boss@example.org"]
    assert mail.date is not None and mail.date.year == 2026
    assert mail.path.suffix == ".eml" and b"Add your name today." in mail.path.read_bytes()


def test_captured_messages_are_newest_first_and_limited(tmp_path):
    with MailSink(port=0, directory=tmp_path) as sink:
        for n in range(3):
            _send(sink.port, f"message {n}")
    assert [m.subject for m in captured_messages(limit=2, directory=tmp_path)] == [
        "message 2",
        "message 1",
    ]
    assert captured_messages(limit=0, directory=tmp_path) == []


def test_sink_stores_under_data_dir_by_default(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    assert captured_messages() == []  # no mail folder yet
    with MailSink(port=0) as sink:
        _send(sink.port, "to the default folder")
    assert [m.subject for m in captured_messages()] == ["to the default folder"]
    assert captured_messages()[0].path.parent == tmp_path / "mail"


def test_sink_without_store_only_counts(tmp_path):
    with MailSink(port=0, directory=tmp_path / "none", store=False) as sink:
        _send(sink.port, "counted")
        _send(sink.port, "counted again")
        assert sink.count == 2
    assert captured_messages(directory=tmp_path / "none") == []


def test_mailsink_command_reports_a_busy_port(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=f"Cannot listen on 127.0.0.1:{port}"):
            call_command("mailsink", "--port", str(port), stdout=io.StringIO())
