"""The one front door of every inbound webhook (ActBlue, the email services' tracking posts).

`inbound_hook(name, credentials=...)` wraps a view so that, before the view sees anything:

* a method the hook does not take is a 405;
* a hook whose credentials are not configured answers 503 (JSON) — never "open to anyone";
* HTTP Basic auth is checked in constant time against every configured pair (401 with a
  ``WWW-Authenticate`` challenge otherwise);
* the body is limited (413 past ``max_bytes``, told by Content-Length or found on reading) and
  a body that cannot be read (the client went away, a broken stream) is a 400;
* exceptions the view names as "unreadable input" (``unreadable=``) become a 400 with the reason;

and every call, whatever the answer, writes one `HookCall` row: hook, time, remote address,
status, bytes, error text, duration. The row is written after the view returns, outside its
transaction, so a view that rolls back still leaves its call in the log.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from ladder.core.models import HookCall

log = logging.getLogger(__name__)

Credential = tuple[str, str]
# What a hook's credentials callable returns: one (user, password), several (a rotation),
# or None / empty when the hook is not configured.
Credentials = Callable[[], Credential | Sequence[Credential] | None]
View = Callable[..., HttpResponse]
DEFAULT_MAX_BYTES = 256 * 1024


class _Refused(Exception):
    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the first address of the header a trusted proxy sets
    (``LADDER_PROXY_IP_HEADER``) when one is configured."""
    header = getattr(settings, "LADDER_PROXY_IP_HEADER", "")
    if header:
        forwarded = request.headers.get(header, "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def _pairs(found: Credential | Sequence[Credential] | None) -> list[Credential]:
    if not found:
        return []
    pairs: list[Any] = (
        [found]
        if isinstance(found, tuple) and all(isinstance(x, str) for x in found)
        else list(found)
    )
    return [(str(u), str(p)) for u, p in pairs if u and p]


def basic_pair(secret: str | None) -> Credential | None:
    """``"user:password"`` (anymail's WEBHOOK_SECRET form) as a pair; None when unset."""
    if not secret or ":" not in secret:
        return None
    user, _, password = secret.partition(":")
    return (user, password) if user and password else None


def _authorised(request: HttpRequest, pairs: list[Credential]) -> bool:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return False
    try:
        given = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    given_user, _, given_password = given.partition(":")
    ok = False
    for user, password in pairs:  # every pair is compared: the time does not tell which matched
        same = hmac.compare_digest(given_user.encode(), user.encode())
        same &= hmac.compare_digest(given_password.encode(), password.encode())
        ok |= same
    return ok


def _read(request: HttpRequest, max_bytes: int) -> int:
    """Read the body (so the view finds it in ``request.body``); return its size."""
    raw = request.META.get("CONTENT_LENGTH") or "0"
    try:
        declared = int(raw)
    except ValueError:
        raise _Refused(400, "The Content-Length header is not a number.") from None
    if declared > max_bytes:
        raise _Refused(413, f"The post is too large (at most {max_bytes} bytes).")
    try:
        body = request.body
    except RequestDataTooBig:
        raise _Refused(413, f"The post is too large (at most {max_bytes} bytes).") from None
    except (UnreadablePostError, OSError) as problem:
        raise _Refused(400, f"The body could not be read: {problem}") from None
    if len(body) > max_bytes:
        raise _Refused(413, f"The post is too large (at most {max_bytes} bytes).")
    return len(body)


def _record(
    name: str, request: HttpRequest, started: float, at: Any, status: int, size: int, error: str
) -> None:
    try:
        HookCall.objects.create(
            hook=name[:40],
            received_at=at,
            remote_addr=client_address(request),
            status=status,
            bytes=size,
            error=error[:500],
            duration_ms=int((time.perf_counter() - started) * 1000),
        )
    except Exception:  # the log must never turn an answer into a 500
        log.exception("inbound hook %s: could not log the call", name)


def _error_text(response: HttpResponse) -> str:
    if response.status_code < 400 or getattr(response, "streaming", False):
        return ""
    text = response.content[:500].decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        import json

        try:
            data = json.loads(response.content)
            if isinstance(data, dict) and "error" in data:
                return str(data["error"])[:500]
        except ValueError:
            pass
    return text.strip()


def inbound_hook(
    name: str,
    *,
    credentials: Credentials,
    label: str = "",
    methods: Sequence[str] = ("POST",),
    max_bytes: int = DEFAULT_MAX_BYTES,
    unreadable: tuple[type[BaseException], ...] = (),
) -> Callable[[View], View]:
    """Put a view behind the inbound layer (see the module docstring)."""
    shown = label or name

    def wrap(view: View) -> View:
        @csrf_exempt  # a server-to-server post, authenticated by Basic auth instead
        @functools.wraps(view)
        def hooked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            started, at = time.perf_counter(), timezone.now()
            size = 0
            try:
                if request.method not in methods:
                    raise _Refused(
                        405,
                        f"This address takes {', '.join(methods)} only.",
                        headers={"Allow": ", ".join(methods)},
                    )
                pairs = _pairs(credentials())
                if not pairs:
                    log.error("%s webhook refused: it is not configured", shown)
                    raise _Refused(503, f"The {shown} webhook is not configured.")
                if not _authorised(request, pairs):
                    log.warning(
                        "%s webhook refused: bad credentials from %s",
                        shown,
                        client_address(request),
                    )
                    raise _Refused(
                        401,
                        "Authentication required.",
                        headers={"WWW-Authenticate": f'Basic realm="ladder-{name}"'},
                    )
                size = _read(request, max_bytes)
                try:
                    response = view(request, *args, **kwargs)
                except unreadable as problem:
                    log.warning("%s webhook refused: unreadable post: %s", shown, problem)
                    raise _Refused(400, f"Unreadable webhook post: {problem}") from None
            except _Refused as refused:
                response = JsonResponse({"error": refused.message}, status=refused.status)
                for header, value in refused.headers.items():
                    response[header] = value
                _record(name, request, started, at, refused.status, size, refused.message)
                return response
            except Exception as problem:
                _record(
                    name, request, started, at, 500, size, f"{type(problem).__name__}: {problem}"
                )
                raise
            _record(name, request, started, at, response.status_code, size, _error_text(response))
            return response

        return hooked

    return wrap


__all__ = ["basic_pair", "client_address", "inbound_hook"]
