"""What keeps public pages safe: rich text through an allow-list, a signed form token (which
also times the form and makes a double submit one action), a honeypot, and a rate limit per
IP address.

Bots are not told they were caught: a filled honeypot gets the normal thank-you page and
nothing is recorded. A person who is only fast, or whose network sends too much at once, is
never dropped silently: the form comes back with their answers and a sentence saying what to
do, so a real signup is never lost.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import nh3
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

FORM_SALT = "ladder.actions.form"
# A person needs at least this long to fill in a form; a script does not.
MIN_FILL = dt.timedelta(seconds=1.5)
# A form left open longer than this is shown again with a fresh token.
MAX_FILL = dt.timedelta(days=2)
HONEYPOT = "website"

# Staff-authored rich text: what an organizer needs to write a page, nothing that runs.
ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "a", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "hr", "img", "figure", "figcaption",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}}


def sanitise_html(text: str) -> str:
    """Rich text with only ALLOWED_TAGS and their attributes; links get rel=noopener."""
    return nh3.clean(
        text or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


@dataclass(frozen=True)
class FormToken:
    nonce: str
    issued_at: dt.datetime


class TokenProblem(Exception):
    """The form's token is missing, altered, too fresh or too old; ``message`` is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def form_token(page_id: int, now: dt.datetime | None = None) -> str:
    """A token for one showing of one page's form: a random nonce and the time it was shown."""
    moment = (now or timezone.now()).timestamp()
    return signing.dumps({"p": page_id, "n": secrets.token_hex(12), "t": moment}, salt=FORM_SALT)


def form_token_check(token: str, page_id: int, now: dt.datetime | None = None) -> FormToken:
    now = now or timezone.now()
    try:
        data = signing.loads(token or "", salt=FORM_SALT)
    except signing.BadSignature:
        raise TokenProblem(
            "This form has expired or was changed. Your answers are below: please send again."
        ) from None
    if not isinstance(data, dict) or data.get("p") != page_id:
        raise TokenProblem("This form belongs to another page. Please send it again.")
    issued = dt.datetime.fromtimestamp(float(data.get("t", 0)), tz=dt.UTC)
    if now - issued < MIN_FILL:
        raise TokenProblem("That was very quick. Please check your answers and send again.")
    if now - issued > MAX_FILL:
        raise TokenProblem("This form was open a long time. Please check it and send again.")
    return FormToken(nonce=str(data.get("n", "")), issued_at=issued)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the first address of the header a trusted proxy
    sets (``LADDER_PROXY_IP_HEADER``, e.g. X-Forwarded-For) when one is configured."""
    header = settings.LADDER_PROXY_IP_HEADER
    if header:
        forwarded = request.headers.get(header, "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


def rate_limited(request: HttpRequest, scope: str) -> bool:
    """Whether this IP has posted more than LADDER_PUBLIC_POSTS_PER_MINUTE times to ``scope``
    in the current minute (a fixed window in the cache)."""
    limit = settings.LADDER_PUBLIC_POSTS_PER_MINUTE
    if limit <= 0:
        return False
    window = int(timezone.now().timestamp() // 60)
    key = f"ladder:rate:{scope}:{client_ip(request)}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count > limit


__all__ = [
    "HONEYPOT",
    "FormToken",
    "TokenProblem",
    "client_ip",
    "form_token",
    "form_token_check",
    "rate_limited",
    "sanitise_html",
]
