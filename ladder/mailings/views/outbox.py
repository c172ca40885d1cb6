"""The outbox: what the local SMTP sink captured (`ladder.core.mailsink`), newest first, and one
message with its headers, its HTML (in a sandboxed frame that runs no script) and its text.
Staff and admins only: it holds every recipient's mail."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ladder.core.access import current_user, is_staff_user, require
from ladder.core.mailsink import captured_messages, mail_dir

PER_PAGE = 50
SHOWN = ("From", "To", "Reply-To", "Subject", "Date", "Message-ID", "List-Unsubscribe",
         "List-Unsubscribe-Post", "X-Ladder-Rcpt-To")  # fmt: skip
_NAME = re.compile(r"^[0-9]{1,25}-[0-9]{6}$")
# Ladder's own tracking addresses: looking at a message here must not count as its reader
# opening it or clicking in it, so the pixel is dropped and tracked links are listed, not live.
_PIXEL = re.compile(r'<img\b[^>]*\bsrc="[^"]*/m/o/[^"]*"[^>]*>', re.I)
_TRACKED = re.compile(r'href="(?P<url>[^"]*/m/[cup]/[^"]*)"', re.I)


def _defused(html: str) -> tuple[str, list[str]]:
    """The HTML with the open pixel removed and tracked links made inert, and those links."""
    links: list[str] = []

    def inert(match: re.Match[str]) -> str:
        url = match.group("url")
        if url not in links:
            links.append(url)
        return f'href="#tracked-{links.index(url) + 1}" title="{url}"'

    return _TRACKED.sub(inert, _PIXEL.sub("", html)), links


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


@require_GET
@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    require(is_staff_user(current_user(request)))
    number = _page_number(request)
    start = (number - 1) * PER_PAGE
    found = captured_messages(limit=start + PER_PAGE + 1)
    rows = found[start : start + PER_PAGE]
    context = {
        "rows": [(m, m.path.stem) for m in rows],
        "page": number,
        "previous": number - 1 if number > 1 else None,
        "next": number + 1 if len(found) > start + PER_PAGE else None,
        "folder": mail_dir(),
    }
    return render(request, "mailings/staff/outbox.html", context)


def _part(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    if part is None or part.get_content_subtype() != kind:
        return ""
    return str(cast(Any, part).get_content())


@require_GET
@login_required
def outbox_message(request: HttpRequest, name: str) -> HttpResponse:
    require(is_staff_user(current_user(request)))
    if not _NAME.match(name):
        raise Http404("No such message")
    path = mail_dir() / f"{name}.eml"
    try:
        with path.open("rb") as handle:
            message = cast(EmailMessage, BytesParser(policy=default_policy).parse(handle))
    except OSError:
        raise Http404("No such message") from None
    headers = [(h, str(message[h])) for h in SHOWN if message[h] is not None]
    html, tracked = _defused(_part(message, "html"))
    context = {
        "name": name,
        "subject": str(message["Subject"] or "(no subject)"),
        "headers": headers,
        "html": html,
        "tracked": tracked,
        "text": _part(message, "plain"),
        "size": path.stat().st_size,
    }
    return render(request, "mailings/staff/outbox_message.html", context)
