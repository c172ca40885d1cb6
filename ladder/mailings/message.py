"""One recipient's message, as bytes ready for SMTP.

Built by hand rather than through `email.message.EmailMessage`, whose policy machinery costs
more per message than everything else a send does; the parts that need care (encoded words in
headers, quoted-printable bodies, DKIM) use the standard library and dkimpy. Every bulk
message carries RFC 8058 one-click unsubscribe headers and a visible unsubscribe link, and a
deterministic Message-ID naming its delivery, so a bounce or a complaint finds its way back.
"""

from __future__ import annotations

import binascii
import time
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate
from functools import cache
from pathlib import Path

from django.conf import settings

from ladder.mailings import tokens
from ladder.mailings.merge import CompiledBody, Recipient, Template, compile_body, compile_subject
from ladder.mailings.message_ids import message_id_for
from ladder.mailings.models import SenderIdentity, Variant

UNSUBSCRIBE_POST = "List-Unsubscribe=One-Click"


def mail_domain() -> str:
    configured: str = getattr(settings, "LADDER_MAIL_DOMAIN", "")
    if configured:
        return configured
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "localhost"


@dataclass
class CompiledVariant:
    """A variant checked and compiled once, rendered many times."""

    id: int
    mailing_id: int
    subject: Template
    body: CompiledBody
    sender: SenderIdentity
    footer_html: str
    footer_text: str
    # What every message of the variant shares, worked out once (headers, the site's base).
    base_url: str = ""
    domain: str = ""
    sender_headers: str = ""

    @classmethod
    def of(cls, variant: Variant, footer: str = "") -> CompiledVariant:
        name = settings.LADDER_ORG_NAME
        return cls(
            id=variant.pk,
            mailing_id=variant.mailing_id,
            subject=compile_subject(variant.subject),
            body=compile_body(variant.body),
            sender=variant.sender,
            footer_html=(
                '<hr><p style="font-size:12px;color:#666">You get this because you signed up '
                f"with {_escape(name)}. "
                '<a href="{unsubscribe}">Unsubscribe</a> · '
                '<a href="{preferences}">Choose what you get</a></p>'
            ),
            base_url=settings.LADDER_PUBLIC_URL.rstrip("/"),
            domain=mail_domain(),
            sender_headers=_header(
                "From", _address(variant.sender.from_name, variant.sender.from_email)
            )
            + (_header("Reply-To", variant.sender.reply_to) if variant.sender.reply_to else ""),
            footer_text=(
                f"\n\n--\nYou get this because you signed up with {name}.\n"
                "Unsubscribe: {unsubscribe}\nChoose what you get: {preferences}\n"
            ),
        )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Built:
    envelope_from: str
    recipient: str
    data: bytes
    message_id: str


def _header(name: str, value: str) -> str:
    if value.isascii():
        return f"{name}: {value}\r\n"
    return f"{name}: {Header(value, 'utf-8', header_name=name).encode()}\r\n"


def _address(name: str, email: str) -> str:
    return formataddr((name, email)) if name.isascii() else formataddr((name, email), "utf-8")


def _qp(text: str) -> bytes:
    # binascii's quoted-printable is C: a hundred times faster than email.quoprimime.
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    return binascii.b2a_qp(data, istext=False, header=False)


def links_for(
    delivery_id: int, links: list[str], variant_id: int = 0, base: str | None = None
) -> list[str]:
    base = settings.LADDER_PUBLIC_URL.rstrip("/") if base is None else base
    return [
        f"{base}/m/c/{tokens.make('click', delivery_id, i, variant_id)}" for i in range(len(links))
    ]


def build(variant: CompiledVariant, delivery_id: int, to: str, who: Recipient) -> Built:
    """Render one delivery. Raises whatever rendering raises; the sender marks that one
    delivery failed and goes on."""
    if "\r" in to or "\n" in to:
        raise ValueError("the address has a line break in it")
    base = variant.base_url
    tracked = links_for(delivery_id, variant.body.links, variant.id, base)

    def link(index: int) -> str:
        return tracked[index]

    list_token = tokens.make("list", delivery_id)
    unsubscribe = f"{base}/m/u/{list_token}"
    preferences = f"{base}/m/p/{list_token}"
    pixel = f"{base}/m/o/{tokens.make('open', delivery_id)}"
    html = (
        '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">'
        + variant.body.html.render(who, link)
        + variant.footer_html.replace("{unsubscribe}", unsubscribe).replace(
            "{preferences}", preferences
        )
        + f'<img src="{pixel}" width="1" height="1" alt=""></body></html>'
    )
    text = variant.body.text.render(who, link) + variant.footer_text.replace(
        "{unsubscribe}", unsubscribe
    ).replace("{preferences}", preferences)
    subject = variant.subject.render(who)
    domain = variant.domain
    message_id = message_id_for(variant.mailing_id, delivery_id, domain)
    boundary = f"=_ladder_{delivery_id:x}_{variant.id:x}"
    sender = variant.sender
    head = [
        variant.sender_headers,
        _header("To", to),
        _header("Subject", subject),
        f"Date: {formatdate(time.time(), localtime=False)}\r\n",
        f"Message-ID: {message_id}\r\n",
        f"List-Unsubscribe: <{unsubscribe}>\r\n",
        f"List-Unsubscribe-Post: {UNSUBSCRIBE_POST}\r\n",
        f"List-Id: <mailing-{variant.mailing_id}.{domain}>\r\n",
        "Precedence: bulk\r\n",
        f"Feedback-ID: m{variant.mailing_id}:v{variant.id}:ladder\r\n",
    ]
    head += [
        "MIME-Version: 1.0\r\n",
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n',
    ]
    part = (
        "Content-Type: text/{kind}; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    data = b"".join(
        [
            "".join(head).encode("ascii"),
            b"\r\n",
            f"--{boundary}\r\n{part.format(kind='plain')}".encode(),
            _qp(text),
            f"\r\n--{boundary}\r\n{part.format(kind='html')}".encode(),
            _qp(html),
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    data = dkim_sign(data)
    return Built(bounce_address(delivery_id, sender), to, data, message_id)


def bounce_address(delivery_id: int, sender: SenderIdentity) -> str:
    """The envelope sender. With LADDER_BOUNCE_DOMAIN set it is a VERP address naming the
    delivery (bounce+<token>@domain), so even a bounce that quotes nothing finds its delivery."""
    domain: str = getattr(settings, "LADDER_BOUNCE_DOMAIN", "")
    if domain:
        return f"bounce+{tokens.make('bounce', delivery_id)}@{domain}"
    return sender.from_email


# The headers the signature covers: both unsubscribe headers, so a relay cannot strip or
# rewrite them without breaking it (RFC 8058 §4).
DKIM_HEADERS = [
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
]


@cache
def _dkim_key(path: str) -> bytes:
    return Path(path).read_bytes()


def dkim_sign(data: bytes) -> bytes:
    key_file: str = getattr(settings, "LADDER_DKIM_KEY_FILE", "")
    if not key_file:
        return data
    import dkim

    signature = dkim.sign(
        data,
        settings.LADDER_DKIM_SELECTOR.encode(),
        (settings.LADDER_DKIM_DOMAIN or mail_domain()).encode(),
        _dkim_key(key_file),
        include_headers=DKIM_HEADERS,
    )
    return signature + data
