"""The API page: one's tokens (made, shown once, revoked), partner shares and what they read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ladder.api.forms import FIELD_LABELS, PartnerTokenForm, TokenForm
from ladder.api.models import ApiRead
from ladder.api.tokens import token_create, token_for, token_revoke, tokens_visible
from ladder.core.access import current_user, require

READS_SHOWN = 200


def _page(request: HttpRequest, *, form: TokenForm | None = None,
          partner_form: PartnerTokenForm | None = None, new_token: str = "",
          status: int = 200) -> HttpResponse:  # fmt: skip
    user = current_user(request)
    context = {
        "tokens": list(tokens_visible(user)[:500]),
        "form": form or TokenForm(),
        "partner_form": (partner_form or PartnerTokenForm(user=user))
        if user.sees_everyone
        else None,
        "new_token": new_token,
        "field_labels": FIELD_LABELS,
        "docs_url": "/api/v2/docs",
        "api_url": request.build_absolute_uri("/api/v2"),
    }
    return render(request, "api/tokens/list.html", context, status=status)


@login_required
def tokens_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def token_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    _, raw = token_create(actor=user, user=user, name=form.cleaned_data["name"])
    # Shown on this answer only; it is not stored anywhere it could be shown again.
    return _page(request, new_token=raw)


@login_required
@require_POST
def partner_token_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user.sees_everyone)
    form = PartnerTokenForm(request.POST, user=user)
    if not form.is_valid():
        return _page(request, partner_form=form, status=400)
    data = form.cleaned_data
    _, raw = token_create(
        actor=user, user=user, name=data["name"], partner=data["partner"],
        static_list=data["static_list"], segment=data["segment"], fields=data["shared_fields"],
    )  # fmt: skip
    return _page(request, new_token=raw)


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    user = current_user(request)
    token_revoke(actor=user, token=token_for(user, token_id))
    return HttpResponseRedirect(reverse("apitokens:list"))


@login_required
def token_reads(request: HttpRequest, token_id: int) -> HttpResponse:
    user = current_user(request)
    token = token_for(user, token_id)
    reads = list(ApiRead.objects.filter(token=token).order_by("-id")[:READS_SHOWN])
    people = sum(len(r.person_ids) for r in reads)
    context = {"token": token, "reads": reads, "shown": READS_SHOWN, "people_shown": people,
               "field_labels": FIELD_LABELS}  # fmt: skip
    return render(request, "api/tokens/reads.html", context)
