"""Bounce messages: RFC 3464 delivery status notifications (multipart/report;
report-type=delivery-status) and RFC 5965 abuse reports (report-type=feedback-report).

`parse` reads one message into its recipients — who, what happened, the status code, and the
Message-ID of the mail that bounced (from the returned message or its headers). `ingest` turns
them into bounces (`ladder.mailings.bounces.bounce_record`): a failed recipient with a 5.x.x
status is a hard bounce, 4.x.x is soft ("delayed" reports are not bounces), an abuse report
a complaint.
The delivery is found from the original Message-ID, or from the VERP address the report was
sent back to (``bounce+<token>@…``), or else from the recipient's latest mail.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message

from ladder.mailings import tokens
from ladder.mailings.bounces import bounce_record, status_code
from ladder.mailings.message_ids import delivery_from_message_id
from ladder.mailings.models import Bounce
from ladder.people.normalize import InvalidContact

_VERP = re.compile(r"bounce\+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)@", re.IGNORECASE)


class NotAReport(ValueError):
    """The message is not a delivery status notification or an abuse report."""


@dataclass(frozen=True)
class DsnRecipient:
    recipient: str
    action: str  # failed, delayed, delivered, relayed, expanded — or "complained"
    status: str  # "5.1.1"; "" for complaints
    message_id: str  # of the original message, "" when the report does not quote it
    diagnostic: str = ""


@dataclass
class Report:
    recipients: list[DsnRecipient]
    report_id: str  # the report's own Message-ID (or a hash of it)
    delivery_id: int | None = None  # from the VERP address it was sent to
    problems: list[str] = field(default_factory=list)


def _address(value: str | None) -> str:
    """The address of a recipient field: "rfc822; someone@example.org" → the address."""
    text = (value or "").strip()
    if ";" in text:
        text = text.split(";", 1)[1]
    return text.strip().strip("<>").strip()


def _original_message_id(report: Message) -> str:
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return str(inner[0].get("Message-ID", "")).strip()
        if kind == "text/rfc822-headers":
            headers = email.message_from_string(str(part.get_payload(decode=False)))
            return str(headers.get("Message-ID", "")).strip()
    return ""


def _field_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    # Some servers send the status fields as text: split on blank lines ourselves.
    text = part.get_payload(decode=True) or b""
    blocks = re.split(rb"\r?\n\r?\n", bytes(text).strip())
    return [email.message_from_bytes(b) for b in blocks if b.strip()]


def parse(data: bytes) -> list[DsnRecipient]:
    """The recipients of one report; `NotAReport` for anything else."""
    return read_report(data).recipients


def read_report(data: bytes) -> Report:
    """Read one report; `NotAReport` for anything else."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        raise NotAReport("not a multipart/report message")
    report_type = str(message.get_param("report-type") or "").lower()
    report_id = str(message.get("Message-ID", "")).strip() or (
        "sha256:" + hashlib.sha256(data).hexdigest()[:40]
    )
    original = _original_message_id(message)
    verp = None
    for header in ("X-Original-To", "Delivered-To", "Envelope-To", "To"):
        match = _VERP.search(str(message.get(header, "")))
        if match:
            try:
                verp = tokens.read("bounce", match.group(1)).delivery_id
            except tokens.BadToken:
                continue
            break
    found: list[DsnRecipient] = []
    if report_type == "feedback-report":
        for part in message.walk():
            if part.get_content_type() != "message/feedback-report":
                continue
            for block in _field_blocks(part):
                rcpt = _address(block.get("Original-Rcpt-To"))
                if not rcpt:
                    rcpt = _original_to(message)
                if rcpt:
                    found.append(
                        DsnRecipient(
                            rcpt, "complained", "", original, str(block.get("Feedback-Type", ""))
                        )
                    )
                break
        return Report(found, report_id, verp)
    if report_type != "delivery-status":
        raise NotAReport(f"a report of type {report_type or 'unknown'}, not delivery-status")
    for part in message.walk():
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        blocks = _field_blocks(part)
        for block in blocks[1:] if len(blocks) > 1 else blocks:
            rcpt = _address(block.get("Final-Recipient") or block.get("Original-Recipient"))
            if not rcpt:
                continue
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
            code = str(block.get("Status", "")).strip() or status_code(diagnostic)
            found.append(
                DsnRecipient(
                    rcpt, str(block.get("Action", "")).strip().lower(), code, original, diagnostic
                )
            )
    return Report(found, report_id, verp)


def _original_to(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return _address(str(inner[0].get("To", "")))
    return ""


@dataclass
class Ingested:
    bounces: list[Bounce] = field(default_factory=list)
    replays: int = 0
    ignored: list[str] = field(default_factory=list)  # why a recipient was not a bounce


def kind_for(recipient: DsnRecipient) -> str | None:
    if recipient.action == "complained":
        return Bounce.Kind.COMPLAINT
    if recipient.action == "failed":
        return Bounce.Kind.SOFT if recipient.status.startswith("4") else Bounce.Kind.HARD
    # delayed: the server still tries (counting these would suppress greylisted addresses);
    # delivered, relayed, expanded: good news.
    return None


def ingest(data: bytes, *, source: str = "dsn") -> Ingested:
    """Parse one bounce message and record its bounces (each once, however often ingested)."""
    report = read_report(data)
    done = Ingested()
    for rcpt in report.recipients:
        kind = kind_for(rcpt)
        if kind is None:
            done.ignored.append(f"{rcpt.recipient}: {rcpt.action or 'no action'}")
            continue
        delivery_id = delivery_from_message_id(rcpt.message_id) or report.delivery_id
        try:
            outcome = bounce_record(
                address=rcpt.recipient,
                kind=kind,
                source=source,
                event_id=f"{report.report_id}|{rcpt.recipient.lower()}",
                detail=" ".join(p for p in (rcpt.status, rcpt.diagnostic) if p),
                delivery_id=delivery_id,
            )
        except InvalidContact as problem:
            done.ignored.append(f"{rcpt.recipient}: {problem}")
            continue
        if outcome.bounce is None:
            done.replays += 1
        else:
            done.bounces.append(outcome.bounce)
    return done
