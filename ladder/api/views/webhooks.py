"""Staff screens for webhooks, under /api/webhooks/: outbound subscriptions (list, create, edit,
the secret shown to staff), the delivery log (newest first, by keyset) with Replay, one
delivery's tries, and the inbound hooks' recent calls. Admins and staff only; anyone else gets
403 (webhooks carry every person's data out of Ladder, so leaders and volunteers never see
them)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ladder.api.models import EventType, WebhookDelivery, WebhookSubscription
from ladder.api.webhooks import selectors, services
from ladder.core.access import current_user, is_staff_user
from ladder.core.models import User

View = Callable[..., HttpResponse]


def staff_only(view: View) -> View:
    @login_required
    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_staff_user(current_user(request)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return checked


class SubscriptionForm(forms.Form):
    """Shapes only: what is required and allowed is checked once, by the service, and its
    errors are shown beside these fields."""

    name = forms.CharField(required=False, help_text="What receives it, e.g. “CRM sync”.")
    url = forms.CharField(
        label="URL",
        required=False,
        help_text="Ladder POSTs each event here as JSON, signed with the secret.",
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=EventType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label="Active", required=False, initial=True)


class EditForm(SubscriptionForm):
    new_secret = forms.BooleanField(label="Make a new secret", required=False)


def _errors_onto(form: forms.Form, problem: ValidationError) -> None:
    for name, errors in problem.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 19 else None


@require_GET
@staff_only
def subscription_list(request: HttpRequest) -> HttpResponse:
    labels = dict(EventType.choices)
    subscriptions = list(selectors.subscriptions_listed())
    for sub in subscriptions:
        sub.event_labels = [labels.get(e, e) for e in sub.event_types]  # type: ignore[attr-defined]
    return render(request, "api/webhooks/list.html", {"subscriptions": subscriptions})


@require_http_methods(["GET", "POST"])
@staff_only
def subscription_new(request: HttpRequest) -> HttpResponse:
    user: User = current_user(request)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sub = services.subscription_create(actor=user, **form.cleaned_data)
        except ValidationError as problem:
            _errors_onto(form, problem)
        else:
            messages.success(request, f"“{sub.name}” will receive events from now on.")
            return redirect("webhooks:edit", sub.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "api/webhooks/edit.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@staff_only
def subscription_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    sub = selectors.subscription_get(pk)
    initial = {"name": sub.name, "url": sub.url, "event_types": sub.event_types,
               "active": sub.active}  # fmt: skip
    form = EditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_update(actor=user, subscription=sub, **form.cleaned_data)
        except ValidationError as problem:
            _errors_onto(form, problem)
        else:
            messages.success(request, "Saved.")
            return redirect("webhooks:edit", sub.pk)
    status = 400 if request.method == "POST" else 200
    recent = selectors.deliveries_page(subscription=sub, size=10)
    context = {"form": form, "subscription": sub, "recent": recent.rows}
    return render(request, "api/webhooks/edit.html", context, status=status)


@require_GET
@staff_only
def delivery_log(request: HttpRequest) -> HttpResponse:
    sub_id = _int(request.GET.get("subscription"))
    sub = selectors.subscription_get(sub_id) if sub_id else None
    status = request.GET.get("status", "")
    page = selectors.deliveries_page(
        subscription=sub, status=status, before=_int(request.GET.get("before"))
    )
    context = {
        "page": page,
        "subscription": sub,
        "status": status if status in WebhookDelivery.Status.values else "",
        "statuses": WebhookDelivery.Status.choices,
        "subscriptions": WebhookSubscription.objects.order_by("name").only("id", "name"),
        "older_query": _query(sub, status, page.older),
    }
    return render(request, "api/webhooks/log.html", context)


def _query(sub: WebhookSubscription | None, status: str, before: int | None) -> str:
    if before is None:
        return ""
    parts = [f"before={before}"]
    if sub is not None:
        parts.append(f"subscription={sub.pk}")
    if status in WebhookDelivery.Status.values:
        parts.append(f"status={status}")
    return "?" + "&".join(parts)


@require_GET
@staff_only
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.delivery_get(pk)
    context = {
        "delivery": delivery,
        "tries": selectors.delivery_tries(delivery),
        "payload": json.dumps(delivery.payload, indent=2, ensure_ascii=False),
    }
    return render(request, "api/webhooks/delivery.html", context)


@require_POST
@staff_only
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.delivery_get(pk)
    services.delivery_replay(actor=current_user(request), delivery=delivery)
    messages.success(request, f"Delivery {delivery.pk} will be sent again in a moment.")
    target = request.POST.get("next", "")
    if target.startswith("/api/webhooks/") and "//" not in target:
        return redirect(target)
    return redirect(reverse("webhooks:delivery", args=[delivery.pk]))


@require_GET
@staff_only
def inbound(request: HttpRequest) -> HttpResponse:
    hook = request.GET.get("hook", "")[:40]
    calls = selectors.hook_calls(hook=hook, before=_int(request.GET.get("before")))
    older = ""
    if calls.older is not None:
        older = "?" + urlencode({"before": calls.older, **({"hook": hook} if hook else {})})
    context = {"summary": selectors.hooks_summary(), "calls": calls, "hook": hook, "older": older}
    return render(request, "api/webhooks/inbound.html", context)
