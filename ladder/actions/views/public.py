"""The pages the public sees: a page with its form, and the thank-you page. No login.

Every response of a page says who may frame it: the page's allowed origins (CSP
``frame-ancestors``, and no X-Frame-Options), or nobody but Ladder itself.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.http import require_http_methods

from ladder.actions.events import rsvp_cancel, rsvp_take, waitlist_position
from ladder.actions.forms import ActionForm
from ladder.actions.mail import RSVP_SALT
from ladder.actions.models import ActionPage, Rsvp, Shift, Submission
from ladder.actions.safety import TokenProblem, form_token, form_token_check, rate_limited
from ladder.actions.selectors import page_public
from ladder.actions.services import PageError, action_take, referral_code_for
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
    return _framed(render(request, template, context, status=status), page)


def _progress(page: ActionPage) -> dict[str, int] | None:
    if not page.goal:
        return None
    count = page.actions_count
    return {"count": count, "goal": page.goal, "percent": min(100, round(100 * count / page.goal))}


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
    taken = action_take(
        page=page, token=shown.nonce, email=data["email"],
        first_name=data["first_name"], last_name=data["last_name"],
        phone=data.get("phone", ""), postal_code=data.get("postal_code", ""),
        answers=form.answers(), email_opt_in=bool(data.get("email_opt_in")),
        referral_code=data.get("ref", ""),
    )  # fmt: skip
    ticket = signing.dumps(taken.submission.pk, salt=THANKS_SALT)
    return redirect("actions:thanks", slug=page.slug, ticket=ticket)


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


def thanks_view(request: HttpRequest, slug: str, ticket: str) -> HttpResponse:
    try:
        submission_id = signing.loads(ticket, salt=THANKS_SALT, max_age=60 * 60 * 24 * 30)
    except signing.BadSignature:
        raise Http404("This thank-you link is not valid") from None
    submission = (
        Submission.objects.select_related("page", "person").filter(pk=submission_id).first()
    )
    if submission is None or submission.page.slug != slug:
        raise Http404("This thank-you link is not valid")
    page, person = submission.page, submission.person
    step = next_step_for(person, audience="supporter")
    context = {
        "person": person,
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
