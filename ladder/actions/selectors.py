"""Reads for action pages: the public page by its slug, and the staff side — the pages a user
may see, a page's results and its people — scoped like everything else (`visible_people`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from ladder.actions.models import ActionPage, Event, Gift, Rsvp, Shift, Submission
from ladder.core.models import Role, User
from ladder.people.models import Person
from ladder.people.selectors import led_group_ids, visible_people

RECENT = 20


def page_public(slug: str) -> ActionPage:
    """A page as the public may see it: published or closed (a closed page says so). A draft
    does not exist for the public."""
    page = ActionPage.objects.filter(slug=slug).exclude(status=ActionPage.Status.DRAFT).first()
    if page is None:
        raise Http404("No such page")
    return page


def can_manage_pages(user: User) -> bool:
    return user.is_active and (user.sees_everyone or user.role == Role.LEADER)


def pages_visible(user: User) -> QuerySet[ActionPage]:
    """Staff see every page; a leader the pages of the groups they lead and their own."""
    pages = ActionPage.objects.all()
    if not user.is_active:
        return pages.none()
    if user.sees_everyone:
        return pages
    if user.role == Role.LEADER:
        return pages.filter(Q(created_by_id=user.pk) | Q(group_id__in=led_group_ids(user)))
    return pages.none()


def page_for(user: User, page_id: int) -> ActionPage:
    page = pages_visible(user).select_related("group").filter(pk=page_id).first()
    if page is None:
        raise Http404("No such page")
    return page


def _actions(page: ActionPage) -> QuerySet[Any]:
    """The rows of what people did on the page — RSVPs (not cancelled), gifts (not refunded)
    or submissions — each with a person, a referrer and a created_at."""
    if page.kind == ActionPage.Kind.EVENT:
        return Rsvp.objects.filter(shift__event__page=page).exclude(status=Rsvp.Status.CANCELLED)
    if page.kind == ActionPage.Kind.DONATION:
        return Gift.objects.filter(page=page, status__in=Gift.LIVE)
    return Submission.objects.filter(page=page)


def page_people(user: User, page: ActionPage) -> QuerySet[Person]:
    """The people who acted on the page (signed, answered, RSVPed, gave), as far as the user
    may see them."""
    acted = _actions(page).values("person_id")
    return visible_people(user).filter(pk__in=acted)


@dataclass(frozen=True)
class EventSummary:
    event: Event
    shifts: list[Shift]
    hosts: list[tuple[Person, str]]  # each host and their check-in link


def event_summary(page: ActionPage) -> EventSummary | None:
    if page.kind != ActionPage.Kind.EVENT or not hasattr(page, "event"):
        return None
    from ladder.actions.views.host import host_path

    event = page.event
    return EventSummary(
        event=event,
        shifts=list(event.shifts.all()),
        hosts=[(h, host_path(event, h)) for h in event.hosts.order_by("sort_name", "pk")],
    )


@dataclass(frozen=True)
class PageResults:
    total: int  # everyone who acted (the public count)
    visible: int  # of them, the people this user may see
    recent: list[Any]  # submissions, RSVPs or gifts: person, referrer, created_at
    recruited: int  # actions that came through someone's referral link


def page_results(user: User, page: ActionPage) -> PageResults:
    people = visible_people(user).values("pk")
    mine = _actions(page).filter(person_id__in=people)
    recent = list(mine.select_related("person", "referrer").order_by("-created_at", "-pk")[:RECENT])
    return PageResults(
        total=page.actions_count,
        visible=mine.count(),
        recent=recent,
        recruited=mine.filter(referrer__isnull=False).count(),
    )


__all__ = [
    "EventSummary",
    "PageResults",
    "can_manage_pages",
    "event_summary",
    "page_for",
    "page_people",
    "page_public",
    "page_results",
    "pages_visible",
]
