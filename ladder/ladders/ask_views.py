"""The ask screens (staff and leaders) and the public accept/decline page behind a signed link.

Staff screens: scope first (an ask outside the user's scope is a 404, never a 403), then the
service; a refused change comes back as a message on the ask page, never a 500. The public
page needs no login: the signed token is the permission, and it names one offer only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ladder.core.access import current_user
from ladder.core.models import User
from ladder.ladders import asks as services
from ladder.ladders.ask_forms import AskForm, WaveForm
from ladder.ladders.ask_selectors import (
    BadOfferLink,
    ask_candidates,
    ask_for,
    ask_is_past_deadline,
    ask_offers,
    ask_progress,
    asks_with_progress,
    can_use_asks,
    offer_from_token,
    offer_token,
)
from ladder.ladders.models import Ask, AskOffer
from ladder.people.selectors import visible_people


def _asks_user(request: HttpRequest) -> User:
    user = current_user(request)
    if not can_use_asks(user):
        raise PermissionDenied("Asks are run by staff and leaders.")
    return user


def _say(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
def ask_list(request: HttpRequest) -> HttpResponse:
    user = _asks_user(request)
    return render(request, "ladders/asks/list.html", {"rows": asks_with_progress(user)})


@login_required
def ask_new(request: HttpRequest) -> HttpResponse:
    user = _asks_user(request)
    form = AskForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ask = services.ask_create(
                actor=user,
                title=data["title"],
                description=data["description"],
                needed=data["needed"],
                segment=data["segment"],
                rung=data["rung"],
                prefer_tags=data["prefer_tags"],
                prefer_postal_prefix=data["prefer_postal_prefix"],
                opens_after=data["opens_after"],
                deadline=data["deadline"],
                wave_factor=data["wave_factor"],
                group=data["group"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, "Ask saved as a draft. Open it to send the first wave.")
            return redirect("asks:detail", ask_id=ask.pk)
    return render(request, "ladders/asks/new.html", {"form": form})


def _offer_rows(request: HttpRequest, ask: Ask, user: User) -> list[dict]:
    rows = []
    for offer in ask_offers(ask, user):
        person = offer.person
        live = offer.status in (AskOffer.Status.OFFERED, AskOffer.Status.ACCEPTED)
        link = (
            request.build_absolute_uri(reverse("asks:link", args=[offer_token(offer)]))
            if live
            else ""
        )
        rows.append(
            {
                "offer": offer,
                "person": person,
                "email": next(iter(person.email_list), None),  # type: ignore[attr-defined]
                "phone": next(iter(person.phone_list), None),  # type: ignore[attr-defined]
                "link": link,
            }
        )
    return rows


@login_required
def ask_detail(request: HttpRequest, ask_id: int) -> HttpResponse:
    user = _asks_user(request)
    ask = ask_for(user, ask_id)
    progress = ask_progress(ask)
    is_open = ask.status == Ask.Status.OPEN and not ask_is_past_deadline(ask)
    context = {
        "ask": ask,
        "progress": progress,
        "offers": _offer_rows(request, ask, user),
        "is_open": is_open,
        "past_deadline": ask_is_past_deadline(ask),
        "remaining": ask_candidates(ask, actor=user).count() if is_open else None,
        "wave_form": WaveForm(),
        "prefer_tags": list(ask.prefer_tags.order_by("name")),
        "unlocks": list(ask.unlocks.order_by("pk")),  # type: ignore[attr-defined]
    }
    return render(request, "ladders/asks/detail.html", context)


@login_required
@require_POST
def ask_open_view(request: HttpRequest, ask_id: int) -> HttpResponse:
    user = _asks_user(request)
    ask = ask_for(user, ask_id)
    try:
        ask = services.ask_open(actor=user, ask=ask)
    except ValidationError as exc:
        messages.error(request, _say(exc))
    else:
        if ask.status == Ask.Status.WAITING:
            messages.success(request, "The ask will open by itself when the ask before it fills.")
        else:
            sent = ask.offers.count()  # type: ignore[attr-defined]
            messages.success(request, f"The ask is open; offered to {sent} people.")
    return redirect("asks:detail", ask_id=ask.pk)


@login_required
@require_POST
def ask_wave_view(request: HttpRequest, ask_id: int) -> HttpResponse:
    user = _asks_user(request)
    ask = ask_for(user, ask_id)
    form = WaveForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field in form for e in field.errors]
        messages.error(request, "Offer to how many? " + " ".join(errors))
        return redirect("asks:detail", ask_id=ask.pk)
    try:
        offers = services.ask_offer_wave(actor=user, ask=ask, count=form.cleaned_data["count"])
    except ValidationError as exc:
        messages.error(request, _say(exc))
    else:
        if offers:
            messages.success(request, f"Offered to {len(offers)} more people.")
        else:
            messages.warning(request, "Nobody new to offer it to right now.")
    return redirect("asks:detail", ask_id=ask.pk)


@login_required
@require_POST
def ask_close_view(request: HttpRequest, ask_id: int) -> HttpResponse:
    user = _asks_user(request)
    ask = ask_for(user, ask_id)
    services.ask_close(actor=user, ask=ask)
    messages.success(request, "The ask is closed; offers still waiting were withdrawn.")
    return redirect("asks:detail", ask_id=ask.pk)


ANSWERS = {
    "accept": (services.offer_accept, "{name} accepted."),
    "decline": (services.offer_decline, "{name} declined."),
    "drop": (services.offer_drop, "{name} dropped out; the place is open again."),
}


@login_required
@require_POST
def offer_answer_view(
    request: HttpRequest, ask_id: int, offer_id: int, answer: str
) -> HttpResponse:
    """Staff record an answer on someone's behalf (they said yes on the phone)."""
    user = _asks_user(request)
    ask = ask_for(user, ask_id)
    if answer not in ANSWERS:
        raise Http404("No such answer")
    offer = (
        AskOffer.objects.select_related("person")
        .filter(ask_id=ask.pk, pk=offer_id, person_id__in=visible_people(user).values("pk"))
        .first()
    )
    if offer is None:
        raise Http404("No such offer")
    service, done = ANSWERS[answer]
    try:
        service(actor=user, offer=offer, source="staff")
    except ValidationError as exc:
        messages.error(request, f"{offer.person.display_name}: {_say(exc)}")
    else:
        messages.success(request, done.format(name=offer.person.display_name))
    return redirect("asks:detail", ask_id=ask.pk)


# ---- The public accept/decline page ----------------------------------------------------------

LINK_ANSWERS = {
    "accept": services.offer_accept,
    "decline": services.offer_decline,
    "drop": services.offer_drop,
}


def offer_link_view(request: HttpRequest, token: str) -> HttpResponse:
    """/a/<token>/: the ask, Accept / Decline (or "I can't make it" once accepted), thanks."""
    try:
        offer = offer_from_token(token)
    except BadOfferLink as exc:
        return render(
            request,
            "ladders/asks/link_bad.html",
            {"message": str(exc), "expired": exc.expired},
            status=exc.status,
        )
    error = ""
    status = 200
    if request.method == "POST":
        answer = request.POST.get("answer", "")
        service = LINK_ANSWERS.get(answer)
        if service is None:
            error, status = "Choose Accept or Decline.", 400
        else:
            try:
                service(actor=None, offer=offer, source="ask link")
            except ValidationError as exc:
                error, status = _say(exc), 409
            else:
                return redirect(f"{reverse('asks:link', args=[token])}?answered={answer}")
        offer.refresh_from_db()
    ask = Ask.objects.get(pk=offer.ask_id)
    progress = ask_progress(ask)
    context = {
        "offer": offer,
        "ask": ask,
        "person": offer.person,
        "progress": progress,
        "answered": request.GET.get("answered", ""),
        "error": error,
        "can_answer": offer.status == AskOffer.Status.OFFERED
        and ask.status == Ask.Status.OPEN
        and not ask_is_past_deadline(ask),
        "can_take_open_place": offer.status == AskOffer.Status.WITHDRAWN
        and ask.status == Ask.Status.OPEN
        and not ask_is_past_deadline(ask),
    }
    return render(request, "ladders/asks/link.html", context, status=status)
