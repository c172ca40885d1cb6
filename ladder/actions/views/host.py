"""The host's page of an event: who is coming to each shift, check them in with one tap, add
walk-ins, and mark the rest as no-shows once it is over. A signed link per host (hosts are
supporters, often without a login); the link names the host, and stops working if they are
no longer a host of the event."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ladder.actions.events import check_in, no_shows_mark, walk_in
from ladder.actions.forms import SupporterEmailField, SupporterPhoneField
from ladder.actions.models import Event, Rsvp
from ladder.people.models import Person

HOST_SALT = "ladder.actions.host"


def host_token(event: Event, host: Person) -> str:
    return signing.dumps({"e": event.pk, "p": host.pk}, salt=HOST_SALT)


def host_path(event: Event, host: Person) -> str:
    return reverse("actions:host", args=[event.page.slug, host_token(event, host)])


class WalkInForm(forms.Form):
    shift = forms.IntegerField(widget=forms.HiddenInput)
    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100, required=False)
    email = SupporterEmailField(required=False)
    phone = SupporterPhoneField()


def _event_for(slug: str, token: str) -> tuple[Event, Person]:
    try:
        data = signing.loads(token, salt=HOST_SALT)
    except signing.BadSignature:
        raise Http404("This host link is not valid") from None
    event = Event.objects.select_related("page").filter(pk=data.get("e"), page__slug=slug).first()
    host = event.hosts.filter(pk=data.get("p")).first() if event else None
    if event is None or host is None:
        raise Http404("This host link is not valid")
    return event, host


@require_http_methods(["GET", "POST"])
def host_view(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    event, host = _event_for(slug, token)
    walk_form: WalkInForm | None = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "check_in":
            rsvp = Rsvp.objects.filter(pk=request.POST.get("rsvp") or 0, shift__event=event).first()
            if rsvp is None:
                raise Http404("No such RSVP at this event")
            check_in(rsvp=rsvp, source=f"host: {host.display_name}")
            messages.success(request, f"Checked in {rsvp.person.display_name}.")
            return redirect(request.path + f"#shift-{rsvp.shift_id}")
        if action == "walk_in":
            walk_form = WalkInForm(request.POST)
            shift = None
            if walk_form.is_valid():
                shift = event.shifts.filter(pk=walk_form.cleaned_data["shift"]).first()
            if walk_form.is_valid() and shift is not None:
                data = walk_form.cleaned_data
                rsvp = walk_in(shift=shift, first_name=data["first_name"],
                               last_name=data["last_name"], email=data["email"],
                               phone=data["phone"])  # fmt: skip
                messages.success(request, f"Welcome, {rsvp.person.display_name}: checked in.")
                return redirect(request.path + f"#shift-{shift.pk}")
        if action == "no_shows":
            count = no_shows_mark(event=event)
            messages.success(request, f"Marked {count} people who did not come.")
            return redirect(request.path)
    shifts = list(event.shifts.all())
    rsvps = (
        Rsvp.objects.filter(shift__event=event)
        .exclude(status=Rsvp.Status.CANCELLED)
        .select_related("person")
        .order_by("status", "person__sort_name", "pk")
    )
    by_shift: dict[int, list[Rsvp]] = {s.pk: [] for s in shifts}
    for rsvp in rsvps:
        by_shift[rsvp.shift_id].append(rsvp)
    context = {
        "page": event.page,
        "event": event,
        "host": host,
        "shifts": [(s, by_shift[s.pk]) for s in shifts],
        "walk_form": walk_form,
        "progress": None,
    }
    response = render(request, "actions/host.html", context)
    response["Cache-Control"] = "no-store"
    return response
