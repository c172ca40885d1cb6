"""The public mail endpoints under /m/: open pixel, click redirect, one-click unsubscribe,
preferences, and the email services' webhooks. No login: every link carries a signed token.

Nothing here answers 500 to bad input: a forged open token still gets its pixel (and counts
for nothing), a bad click or list token gets a 404 page that says so, a webhook with bad
credentials or a body that is not what its service sends gets a 4xx.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from anymail.exceptions import AnymailError
from django import forms
from django.conf import settings
from django.core.exceptions import DisallowedRedirect
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ladder.core.hooks import basic_pair, inbound_hook
from ladder.mailings import tokens, tracking
from ladder.mailings.models import Delivery, Topic
from ladder.mailings.preferences import (
    MAX_WEEKLY_CAP,
    is_unsubscribed,
    preferences_for,
    preferences_set,
    topics_off_of,
    unsubscribe,
)

log = logging.getLogger(__name__)
_NO_CACHE = "no-store, no-cache, must-revalidate, private, max-age=0"


@require_http_methods(["GET", "HEAD"])
def open_view(request: HttpRequest, token: str) -> HttpResponse:
    tracking.open_record(token, user_agent=request.headers.get("User-Agent", ""))
    response = HttpResponse(tracking.PIXEL, content_type="image/gif")
    response["Cache-Control"] = _NO_CACHE
    return response


def _gone(request: HttpRequest, what: str, status: int = 404) -> HttpResponse:
    return render(request, "mailings/public/gone.html", {"what": what}, status=status)


@require_http_methods(["GET", "HEAD"])
def click_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        target = tracking.click_record(
            token, user_agent=request.headers.get("User-Agent", ""), method=request.method or ""
        )
        response = HttpResponseRedirect(target)
    except (tracking.UnknownLink, DisallowedRedirect):
        return _gone(request, "link")
    response["Cache-Control"] = _NO_CACHE
    return response


def _delivery(token: str) -> Delivery | None:
    try:
        found = tokens.read("list", token)
    except tokens.BadToken:
        return None
    return Delivery.objects.select_related("mailing").filter(pk=found.delivery_id).first()


def _masked(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}{'•' * min(max(len(local) - 1, 1), 6)}@{domain}"


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    delivery = _delivery(token)
    if delivery is None:
        return _gone(request, "unsubscribe link")
    if request.method != "POST":
        # Link scanners fetch every address in a message: a GET only asks.
        context = {
            "delivery": delivery,
            "address": _masked(delivery.email),
            "token": token,
            "already": is_unsubscribed(delivery.email),
        }
        return render(request, "mailings/public/unsubscribe.html", context)
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    how = "one-click unsubscribe" if one_click else "unsubscribe page"
    unsubscribe(delivery, source=f"mailing #{delivery.mailing_id} {how}")
    if one_click:
        return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")
    context = {"delivery": delivery, "address": _masked(delivery.email), "token": token}
    return render(request, "mailings/public/unsubscribed.html", context)


class PreferencesForm(forms.Form):
    topics = forms.MultipleChoiceField(
        label="Send me", choices=Topic.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    weekly_cap = forms.IntegerField(
        label="At most this many emails a week",
        help_text="Leave empty for no limit.",
        required=False,
        min_value=1,
        max_value=MAX_WEEKLY_CAP,
        widget=forms.NumberInput(
            attrs={"inputmode": "numeric", "style": "font: inherit; padding: .5rem; width: 7rem"}
        ),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def preferences_view(request: HttpRequest, token: str) -> HttpResponse:
    delivery = _delivery(token)
    if delivery is None:
        return _gone(request, "preferences link")
    context: dict[str, Any] = {"address": _masked(delivery.email), "token": token}
    if request.method == "POST" and "unsubscribe_all" in request.POST:
        unsubscribe(delivery, source=f"mailing #{delivery.mailing_id} preferences page")
        return render(request, "mailings/public/unsubscribed.html", context)
    current = preferences_for(delivery.email)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            wanted = set(form.cleaned_data["topics"])
            preferences_set(
                address=delivery.email,
                topics_off=[t for t in Topic.values if t not in wanted],
                weekly_cap=form.cleaned_data["weekly_cap"],
            )
            context["saved"] = True
        status = 200 if form.is_valid() else 400
    else:
        off = topics_off_of(current)
        form = PreferencesForm(
            initial={
                "topics": [t for t in Topic.values if t not in off],
                "weekly_cap": current.weekly_cap if current else None,
            }
        )
        status = 200
    context |= {"form": form, "unsubscribed": is_unsubscribed(delivery.email)}
    return render(request, "mailings/public/preferences.html", context, status=status)


MAIL_HOOK_MAX_BYTES = 2 * 1024 * 1024  # services post events in batches


def _mail_hook_credentials() -> list[tuple[str, str]]:
    """anymail's WEBHOOK_SECRET: "user:password" (or a list of them, while rotating)."""
    secret = getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET")
    secrets = [secret] if isinstance(secret, str) else list(secret or [])
    return [pair for pair in map(basic_pair, secrets) if pair is not None]


def webhook_guard(
    view: Callable[..., HttpResponse], name: str = "mail"
) -> Callable[..., HttpResponse]:
    """An anymail webhook behind the inbound layer (`ladder.core.hooks`): Basic auth against
    the webhook secret, a size limit, and one HookCall per post — the same answers as every
    inbound hook: 503 while no secret is configured (anymail itself would accept anyone's
    post), 401 to bad credentials, 400 to a body its service would never send."""
    return inbound_hook(
        name,
        label="Email service",
        credentials=_mail_hook_credentials,
        methods=("POST",),
        max_bytes=MAIL_HOOK_MAX_BYTES,
        unreadable=(ValueError, KeyError, TypeError, AttributeError, AnymailError),
    )(view)
