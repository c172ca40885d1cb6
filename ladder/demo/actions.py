"""Prairie Forward's public pages, written and acted on through the real services, so that
`make demo` opens on live pages: a petition with its signatures, a volunteer form, a canvass
with shifts (one full, with a waitlist) and a host, and a fundraising campaign with two
supporters' own pages and their gifts.

The people who act are drawn (with a seed) from the demo's active chapters, never the dormant
one, and act during the last two weeks, so the pages' counts, recent actions and leaderboards
have something to show.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from ladder.actions.events import ShiftPlan, check_in, event_create, rsvp_take
from ladder.actions.gifts import fundraiser_create, pledge_take
from ladder.actions.models import ActionPage
from ladder.actions.services import action_take, page_create, page_publish
from ladder.core.models import Role, User
from ladder.demo.data import DORMANT_CHAPTER
from ladder.people.models import CustomField, EmailAddress, Group

WORDING = "Yes, send me email updates from Prairie Forward. I can unsubscribe at any time."


def _author() -> tuple[User | None, Group | None]:
    """Who writes the pages: the first staff login, or (a demo loaded without one) a chapter
    leader, for their own chapter."""
    staff = User.objects.filter(role__in=[Role.ADMIN, Role.STAFF], is_active=True)
    first = staff.order_by("pk").first()
    if first is not None:
        return first, None
    leaders = User.objects.filter(role=Role.LEADER, led_groups__isnull=False)
    leader = leaders.exclude(led_groups__slug=DORMANT_CHAPTER).order_by("pk").first()
    if leader is None:
        return None, None
    return leader, leader.led_groups.order_by("pk").first()


def _people(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """(email, first name, last name) of people in the active chapters."""
    rows = list(
        EmailAddress.objects.filter(person__merged_into__isnull=True, is_primary=True)
        .exclude(person__home_group__slug=DORMANT_CHAPTER)
        .exclude(subscription="unsubscribed")
        .order_by("pk")
        .values_list("address", "person__first_name", "person__last_name")[:2000]
    )
    rng.shuffle(rows)
    return rows[:count]


def demo_actions(*, now: dt.datetime, seed: int = 42) -> int:
    """Create and fill the demo's pages; returns how many pages. Nothing without a staff login
    (a bare database)."""
    staff, group = _author()
    if staff is None:
        return 0
    rng = random.Random(f"ladder-demo-actions:{seed}")
    people = _people(rng, 160)
    if len(people) < 10:
        return 0

    def who(k: int) -> tuple[str, str, str]:
        # A small demo has fewer people than parts to play: some play two (idempotently).
        return people[k % len(people)]

    def moment(k: int) -> dt.datetime:
        return now - dt.timedelta(days=14) + dt.timedelta(minutes=127 * k)

    petition = page_publish(actor=staff, page=page_create(
        actor=staff, group=group, kind=ActionPage.Kind.PETITION,
        title="Fully fund Iowa's public schools",
        target="The Iowa Legislature", goal=250, consent_wording=WORDING,
        body="<p>Class sizes are growing and teachers are leaving. <strong>Tell the "
             "Legislature</strong> to fund our schools this session.</p>",
        thanks_text="Your name is on the petition. We deliver it to the Capitol on the 15th.",
        autoresponse_subject="Thank you for signing, {first_name}",
        autoresponse_body="Hi {first_name},\n\nThank you for signing “{page}”.",
    ))  # fmt: skip
    for k in range(110):
        email, first, last = who(k)
        action_take(page=petition, token=f"demo-{k}", email=email, first_name=first,
                    last_name=last, email_opt_in=k % 3 == 0, now=moment(k))  # fmt: skip

    questions = [k for k in ("issue", "volunteer_interest") if
                 CustomField.objects.filter(key=k).exists()]  # fmt: skip
    form = page_publish(actor=staff, page=page_create(
        actor=staff, group=group, kind=ActionPage.Kind.FORM, title="Volunteer with Prairie Forward",
        questions=questions, ask_phone=True, consent_wording=WORDING,
        body="<p>Tell us how you'd like to help: calls, doors, hosting, or data.</p>",
    ))  # fmt: skip
    for k in range(20):
        email, first, last = who(110 + k)
        action_take(page=form, token=f"demo-form-{k}", email=email, first_name=first,
                    last_name=last, now=moment(k * 5))  # fmt: skip

    start = (now + dt.timedelta(days=4)).replace(hour=15, minute=0, second=0, microsecond=0)
    canvass = page_publish(actor=staff, page=event_create(
        actor=staff, group=group, title="Saturday school-funding canvass", starts_at=start,
        ends_at=start + dt.timedelta(hours=6), venue="Prairie Forward office",
        address="300 Walnut St, Des Moines", volunteer_shifts=True, consent_wording=WORDING,
        shifts=[ShiftPlan(start, start + dt.timedelta(hours=3), 8, "Morning"),
                ShiftPlan(start + dt.timedelta(hours=3), start + dt.timedelta(hours=6), 12,
                          "Afternoon")],
        body="<p>Knock doors with us about school funding. Training at the start.</p>",
    ))  # fmt: skip
    morning, afternoon = canvass.event.shifts.order_by("starts_at")
    canvass.event.hosts.add(*[p for p in [_person(who(130)[0])] if p])
    for k in range(20):
        email, first, last = who(131 + k)
        shift = morning if k < 11 else afternoon  # the morning fills: three on its waitlist
        rsvp_take(shift=shift, email=email, first_name=first, last_name=last,
                  now=moment(k * 7))  # fmt: skip

    campaign = page_publish(actor=staff, page=page_create(
        actor=staff, group=group, kind=ActionPage.Kind.DONATION,
        title="Power the fall canvass", goal=5000,
        suggested_amounts=[10, 25, 50, 100, 250], allow_recurring=True, allow_fundraisers=True,
        consent_wording=WORDING,
        body="<p>Gas money, clipboards and pizza for 40 canvass shifts this fall.</p>",
    ))  # fmt: skip
    for n in range(2):
        email, first, last = who(151 + n)
        page, _ = fundraiser_create(
            campaign=campaign, email=email, first_name=first, last_name=last,
            goal=Decimal(500 if n == 0 else 300),
            story="I knock doors every Saturday because our schools can't wait. Help me keep "
                  "the canvass on the road.",
        )  # fmt: skip
        for k in range(6 - 3 * n):
            donor = who((k * 7 + n) % 110)
            pledge_take(page=campaign, token=f"demo-gift-{n}-{k}",
                        amount=Decimal(rng.choice((10, 25, 25, 50, 100))), email=donor[0],
                        first_name=donor[1], fundraiser=page, now=moment(k * 9 + n))  # fmt: skip
    # Last night's phone bank already happened: four RSVPed, two came.
    end = (now - dt.timedelta(days=1)).replace(hour=23, minute=0, second=0, microsecond=0)
    night = page_publish(actor=staff, page=event_create(
        actor=staff, group=group, title="Phone bank for transit",
        starts_at=end - dt.timedelta(hours=2),
        ends_at=end, volunteer_shifts=True, venue="Union hall", consent_wording=WORDING,
        shifts=[ShiftPlan(end - dt.timedelta(hours=2), end, 10)],
    ))  # fmt: skip
    shift = night.event.shifts.get()
    for k in range(4):
        email, first, last = who(153 + k)
        taken = rsvp_take(shift=shift, email=email, first_name=first, last_name=last,
                          now=end - dt.timedelta(days=3, hours=k))  # fmt: skip
        if k < 2:
            check_in(rsvp=taken.rsvp, now=end - dt.timedelta(hours=1, minutes=50 - k))
    return 5


def _person(email: str):  # type: ignore[no-untyped-def]
    row = EmailAddress.objects.filter(address=email).select_related("person").first()
    return row.person if row else None


__all__ = ["demo_actions"]
