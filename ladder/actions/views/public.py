"""The pages the public sees: a page with its form, and the thank-you page. No login.

Every response of a page says who may frame it: the page's allowed origins (CSP
``frame-ancestors``, and no X-Frame-Options), or nobody but Ladder itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.http import require_http_methods

from ladder.actions.events import event_propose, rsvp_cancel, rsvp_take, waitlist_position
from ladder.actions.forms import ActionForm, FundraiserForm, ProposeForm
from ladder.actions.gifts import fundraiser_create, pledge_take
from ladder.actions.mail import RSVP_SALT
from ladder.actions.models import ActionPage, FundraisingPage, Gift, Rsvp, Shift, Submission
from ladder.actions.payments import processor_for
from ladder.actions.safety import TokenProblem, form_token, form_token_check, rate_limited
from ladder.actions.selectors import page_public
from ladder.actions.services import PageError, action_take, referral_code_for
from ladder.actions.views.host import host_path
from ladder.ladders.next_step import next_step_for

THANKS_SALT = "ladder.actions.thanks"


def _framed(response: HttpResponse, page: ActionPage) -> HttpResponse:
    origins = page.origins
    policy = dict(settings.SECURE_CSP)
    policy["frame-ancestors"] = [CSP.SELF, *origins]
    response._csp_config = policy  # type: ignore[attr-defined]  # read by the CSP middleware
    if origins:
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response


def _render(
    request: HttpRequest,
    page: ActionPage,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    context = {"page": page, "progress": _progress(page), **context}
    if page.kind == ActionPage.Kind.DONATION:
        context.setdefault(
            "checkout_url",
            processor_for(page).checkout_url(
                page, fundraiser=context.get("fundraiser"), refcode=request.GET.get("ref", "")
            ),
        )
    if (
        page.kind == ActionPage.Kind.DONATION
        and page.allow_fundraisers
        and (page.public_leaderboard)
    ):
        context.setdefault("board", leaderboard(page))
    return _framed(render(request, template, context, status=status), page)


def _progress(page: ActionPage) -> dict[str, Any] | None:
    """The thermometer: people for a petition or form, dollars for a donation page."""
    if not page.goal:
        return None
    if page.kind == ActionPage.Kind.DONATION:
        return _money(page.amount_raised, Decimal(page.goal))
    count = page.actions_count
    return {"count": count, "goal": page.goal, "percent": min(100, round(100 * count / page.goal))}


def _money(raised: Decimal, goal: Decimal) -> dict[str, Any]:
    percent = min(100, round(100 * raised / goal)) if goal else 0
    return {"raised": raised, "goal": goal, "percent": percent, "money": True}


def _fresh(form: ActionForm, page: ActionPage) -> ActionForm:
    """The same answers with a new token (a form shown again is a new showing)."""
    data = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict
    data["token"] = form_token(page.pk)
    return ActionForm(data, page=page)


@require_http_methods(["GET", "POST"])
def page_view(request: HttpRequest, slug: str) -> HttpResponse:
    page = page_public(slug)
    closed = page.status == ActionPage.Status.CLOSED
    if request.method == "GET" or closed:
        if closed and request.method == "POST":
            return _render(request, page, "actions/page.html", {"closed": True}, status=410)
        initial = {"token": form_token(page.pk), "ref": request.GET.get("ref", "")[:40]}
        form = ActionForm(initial=initial, page=page)
        return _render(request, page, "actions/page.html", {"form": form, "closed": closed})

    form = ActionForm(request.POST, page=page)
    if form.caught:
        # A script filled in the field people cannot see: thank it, record nothing.
        return redirect("actions:thanks_generic", slug=page.slug)
    if rate_limited(request, f"page:{page.pk}"):
        message = ("Lots of people on your network are signing right now. Please wait a minute "
                   "and press the button again — your answers are kept.")  # fmt: skip
        return _render(request, page, "actions/page.html",
                       {"form": _fresh(form, page), "notice": message}, status=429)  # fmt: skip
    if not form.is_valid():
        return _render(request, page, "actions/page.html", {"form": form})
    try:
        shown = form_token_check(form.cleaned_data["token"], page.pk)
    except TokenProblem as problem:
        return _render(request, page, "actions/page.html",
                       {"form": _fresh(form, page), "notice": problem.message})  # fmt: skip
    data = form.cleaned_data
    if page.kind == ActionPage.Kind.EVENT:
        return _rsvp(request, page, form)
    if page.kind == ActionPage.Kind.DONATION:
        return _give(request, page, form, shown.nonce, fundraiser=None)
    try:
        taken = action_take(
            page=page, token=shown.nonce, email=data["email"],
            first_name=data["first_name"], last_name=data["last_name"],
            phone=data.get("phone", ""), postal_code=data.get("postal_code", ""),
            answers=form.answers(), survey_answers=form.survey_answers(),
            email_opt_in=bool(data.get("email_opt_in")),
            referral_code=data.get("ref", ""),
        )  # fmt: skip
    except ValidationError as problem:  # a survey answer the form let through: say which
        again = _fresh(form, page)
        again.is_valid()
        for key, errors in problem.message_dict.items():
            again.add_error(f"sv_{key}" if f"sv_{key}" in again.fields else None, errors)
        return _render(request, page, "actions/page.html", {"form": again}, status=400)
    return redirect("actions:thanks", slug=page.slug, ticket=_ticket("s", taken.submission.pk))


def _share_links(request: HttpRequest, page: ActionPage, code: str) -> dict[str, str]:
    url = request.build_absolute_uri(reverse("actions:page", args=[page.slug]))
    url = f"{url}?{urlencode({'ref': code})}"
    text = f"I just took action: {page.title}"
    return {
        "url": url,
        "email": f"mailto:?subject={quote(page.title)}&body={quote(text + ' ' + url)}",
        "facebook": f"https://www.facebook.com/sharer/sharer.php?{urlencode({'u': url})}",
        "x": f"https://twitter.com/intent/tweet?{urlencode({'url': url, 'text': text})}",
        "whatsapp": f"https://wa.me/?{urlencode({'text': text + ' ' + url})}",
    }


def _ticket(kind: str, pk: int) -> str:
    """A thank-you link for a submission ("s") or a gift ("g"): signed, so nobody can read
    another person's thank-you page by changing a number."""
    return signing.dumps({"k": kind, "id": pk}, salt=THANKS_SALT)


def thanks_view(request: HttpRequest, slug: str, ticket: str) -> HttpResponse:
    try:
        data = signing.loads(ticket, salt=THANKS_SALT, max_age=60 * 60 * 24 * 30)
    except signing.BadSignature:
        raise Http404("This thank-you link is not valid") from None
    kind = data.get("k") if isinstance(data, dict) else None
    pk = int(data.get("id") or 0) if isinstance(data, dict) else 0
    row: Submission | Gift | None = None
    if kind == "s":
        row = Submission.objects.select_related("page", "person").filter(pk=pk).first()
    elif kind == "g":
        row = Gift.objects.select_related("page", "person").filter(pk=pk).first()
    if row is None or row.page is None or row.page.slug != slug:
        raise Http404("This thank-you link is not valid")
    page, person = row.page, row.person
    step = next_step_for(person, audience="supporter")
    context = {
        "person": person,
        "gift": row if kind == "g" else None,
        "share": _share_links(request, page, referral_code_for(person)),
        "step": step,
    }
    return _render(request, page, "actions/thanks.html", context)


def thanks_generic_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The thank-you a bot gets (and anyone who reloads an old thank-you page without its
    link): nothing about anyone."""
    page = page_public(slug)
    return _render(request, page, "actions/thanks.html", {"person": None, "share": None})


def _rsvp(request: HttpRequest, page: ActionPage, form: ActionForm) -> HttpResponse:
    data = form.cleaned_data
    shift = Shift.objects.filter(pk=data["shift"], event__page=page).first()
    if shift is None:
        form.add_error("shift", "Choose one of the times listed.")
        return _render(request, page, "actions/page.html", {"form": form})
    try:
        taken = rsvp_take(
            shift=shift, email=data["email"], first_name=data["first_name"],
            last_name=data["last_name"], phone=data.get("phone", ""),
            postal_code=data.get("postal_code", ""),
            email_opt_in=bool(data.get("email_opt_in")), referral_code=data.get("ref", ""),
        )  # fmt: skip
    except PageError as error:
        for problem in error.message_dict.get("shift", []):
            form.add_error("shift", problem)
        return _render(request, page, "actions/page.html", {"form": _fresh(form, page)})
    token = signing.dumps(taken.rsvp.pk, salt=RSVP_SALT)
    return redirect("actions:rsvp", slug=page.slug, token=token)


def _rsvp_from(slug: str, token: str) -> Rsvp:
    try:
        rsvp_id = signing.loads(token, salt=RSVP_SALT)
    except signing.BadSignature:
        raise Http404("This link is not valid") from None
    rsvp = Rsvp.objects.select_related("person", "shift__event__page").filter(pk=rsvp_id).first()
    if rsvp is None or rsvp.shift.event.page.slug != slug:
        raise Http404("This link is not valid")
    return rsvp


@require_http_methods(["GET", "POST"])
def rsvp_view(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """A person's own RSVP: going or waiting (and where in the queue), with a cancel button."""
    rsvp = _rsvp_from(slug, token)
    page = rsvp.shift.event.page
    if request.method == "POST" and request.POST.get("answer") == "cancel":
        rsvp_cancel(rsvp=rsvp)
        return redirect("actions:rsvp", slug=slug, token=token)
    context = {
        "rsvp": rsvp,
        "person": rsvp.person,
        "position": waitlist_position(rsvp),
        "share": _share_links(request, page, referral_code_for(rsvp.person)),
        "step": next_step_for(rsvp.person, audience="supporter"),
    }
    return _render(request, page, "actions/rsvp.html", context)


def _give(
    request: HttpRequest,
    page: ActionPage,
    form: ActionForm,
    nonce: str,
    fundraiser: FundraisingPage | None,
) -> HttpResponse:
    """A gift from a donation page or a supporter's fundraising page. ActBlue pages never reach
    here (their button goes to ActBlue, see the template); the offline processor records a
    pledge."""
    checkout = processor_for(page).checkout_url(
        page, fundraiser=fundraiser, refcode=form.cleaned_data.get("ref", "")
    )
    if checkout is not None:  # this processor takes gifts on its own page, not here
        return redirect(checkout)
    data = form.cleaned_data
    try:
        recorded = pledge_take(
            page=page, token=nonce, amount=data["gift"], email=data["email"],
            first_name=data["first_name"], last_name=data["last_name"],
            phone=data.get("phone", ""), postal_code=data.get("postal_code", ""),
            recurring=bool(data.get("recurring")), anonymous=bool(data.get("anonymous")),
            email_opt_in=bool(data.get("email_opt_in")), referral_code=data.get("ref", ""),
            fundraiser=fundraiser,
        )  # fmt: skip
    except PageError as error:
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        template = "actions/fundraiser.html" if fundraiser else "actions/page.html"
        extra = _fundraiser_context(fundraiser) if fundraiser else {}
        return _render(request, page, template, {"form": _fresh(form, page), **extra})
    return redirect("actions:thanks", slug=page.slug, ticket=_ticket("g", recorded.gift.pk))


def _fundraiser_context(fundraiser: FundraisingPage) -> dict[str, Any]:
    honour = (
        Gift.objects.filter(fundraiser=fundraiser, status__in=Gift.LIVE, anonymous=False)
        .select_related("person")
        .order_by("-occurred_at", "-pk")[:20]
    )
    return {
        "fundraiser": fundraiser,
        "honour": honour,
        "thermo": _money(fundraiser.raised, fundraiser.goal),
        "board": leaderboard(fundraiser.campaign) if fundraiser.campaign.public_leaderboard else [],
    }


def leaderboard(campaign: ActionPage, size: int = 10) -> list[FundraisingPage]:
    """The campaign's fundraisers who have raised something, most first."""
    pages = FundraisingPage.objects.filter(campaign=campaign, raised__gt=0)
    return list(pages.select_related("owner").order_by("-raised", "pk")[:size])


@require_http_methods(["GET", "POST"])
def fundraiser_view(request: HttpRequest, slug: str) -> HttpResponse:
    fundraiser = (
        FundraisingPage.objects.select_related("campaign", "owner").filter(slug=slug).first()
    )
    if fundraiser is None or fundraiser.campaign.status == ActionPage.Status.DRAFT:
        raise Http404("No such page")
    page = fundraiser.campaign
    closed = (page.status == ActionPage.Status.CLOSED
              or fundraiser.status == FundraisingPage.Status.CLOSED)  # fmt: skip
    context = _fundraiser_context(fundraiser) | {"closed": closed}
    if request.method == "GET" or closed:
        initial = {"token": form_token(page.pk), "ref": request.GET.get("ref", "")[:40]}
        form = ActionForm(initial=initial, page=page)
        status = 410 if closed and request.method == "POST" else 200
        return _render(request, page, "actions/fundraiser.html", context | {"form": form},
                       status=status)  # fmt: skip
    form = ActionForm(request.POST, page=page)
    if form.caught:
        return redirect("actions:thanks_generic", slug=page.slug)
    if rate_limited(request, f"page:{page.pk}"):
        message = "Lots of gifts from your network right now. Please wait a minute and try again."
        busy = context | {"form": _fresh(form, page), "notice": message}
        return _render(request, page, "actions/fundraiser.html", busy, status=429)
    if not form.is_valid():
        return _render(request, page, "actions/fundraiser.html", context | {"form": form})
    try:
        shown = form_token_check(form.cleaned_data["token"], page.pk)
    except TokenProblem as problem:
        again = context | {"form": _fresh(form, page), "notice": problem.message}
        return _render(request, page, "actions/fundraiser.html", again)
    return _give(request, page, form, shown.nonce, fundraiser=fundraiser)


@require_http_methods(["GET", "POST"])
def fundraiser_start_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Start your own fundraising page from a campaign."""
    page = page_public(slug)
    if page.kind != ActionPage.Kind.DONATION or not page.allow_fundraisers:
        raise Http404("This campaign does not take personal fundraising pages")
    if request.method == "GET":
        form = FundraiserForm(initial={"token": form_token(page.pk)})
        return _render(request, page, "actions/fundraiser_start.html", {"form": form})
    form = FundraiserForm(request.POST)
    if (request.POST.get("website") or "").strip():
        return redirect("actions:page", slug=page.slug)
    if rate_limited(request, f"start:{page.pk}"):
        return _render(request, page, "actions/fundraiser_start.html",
                       {"form": form, "notice": "Please wait a minute and try again."},
                       status=429)  # fmt: skip
    if not form.is_valid():
        return _render(request, page, "actions/fundraiser_start.html", {"form": form})
    data = form.cleaned_data
    try:
        form_token_check(data["token"], page.pk)
        fundraiser, _ = fundraiser_create(
            campaign=page, email=data["email"], first_name=data["first_name"],
            last_name=data["last_name"], title=data["title"], story=data["story"],
            goal=data["goal"],
        )  # fmt: skip
    except TokenProblem as problem:
        data_again = request.POST.copy()
        data_again["token"] = form_token(page.pk)
        fresh = FundraiserForm(data_again)
        return _render(request, page, "actions/fundraiser_start.html",
                       {"form": fresh, "notice": problem.message})  # fmt: skip
    except PageError as error:
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return _render(request, page, "actions/fundraiser_start.html", {"form": form})
    return redirect("actions:fundraiser", slug=fundraiser.slug)


PROPOSE_PAGE = 0  # form tokens of the proposal form are bound to no page


@require_http_methods(["GET", "POST"])
def propose_view(request: HttpRequest) -> HttpResponse:
    """Host your own event: a supporter proposes it; staff approve it (trusted hosts publish
    it at once); the host gets their own page to run it."""
    if request.method == "GET":
        form = ProposeForm(initial={"token": form_token(PROPOSE_PAGE)})
        return render(request, "actions/propose.html", {"form": form})
    form = ProposeForm(request.POST)
    if (request.POST.get("website") or "").strip():
        return render(request, "actions/propose.html", {"done": True, "live": False})
    if rate_limited(request, "propose"):
        return render(request, "actions/propose.html",
                      {"form": form, "notice": "Please wait a minute and try again."},
                      status=429)  # fmt: skip
    if not form.is_valid():
        return render(request, "actions/propose.html", {"form": form})
    data = form.cleaned_data
    try:
        form_token_check(data["token"], PROPOSE_PAGE)
        page = event_propose(
            email=data["email"], first_name=data["first_name"], last_name=data["last_name"],
            phone=data["phone"], title=data["title"], description=data["description"],
            starts_at=data["starts_at"], ends_at=data["ends_at"], venue=data["venue"],
            address=data["address"], capacity=data["capacity"],
        )  # fmt: skip
    except TokenProblem as problem:
        again = request.POST.copy()
        again["token"] = form_token(PROPOSE_PAGE)
        return render(request, "actions/propose.html",
                      {"form": ProposeForm(again), "notice": problem.message})  # fmt: skip
    except PageError as error:
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return render(request, "actions/propose.html", {"form": form})
    event = page.event
    host = event.hosts.get()
    context = {"done": True, "live": page.status == ActionPage.Status.PUBLISHED, "page": page,
               "host_link": host_path(event, host)}  # fmt: skip
    return render(request, "actions/propose.html", context)
