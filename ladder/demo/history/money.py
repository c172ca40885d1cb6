"""Donations through ActBlue: one-off gifts with log-normal amounts, a few major donors, monthly
recurring series, refunds, refcodes, and personal fundraising pages of hosts."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from ladder.activity.catalogue import ActivityType
from ladder.demo.data import TAG_MAJOR_DONOR
from ladder.demo.history.touches import tag
from ladder.demo.plan import PersonPlan, Story

T = ActivityType
DONOR_CHANCE = (0.03, 0.10, 0.45, 0.5, 0.6)  # by level
MAJOR_DONOR_SHARE = 0.005
RECURRING_SHARE = 0.03
MAJOR = Decimal(1000)


def page_slug(person: PersonPlan) -> str:
    return f"{person.first}-{person.last}-{person.n}".lower().replace(" ", "-").replace("'", "")


def draw_amount(story: Story, median: float, sigma: float, low: int, high: int) -> Decimal:
    value = math.exp(story.rng.gauss(math.log(median), sigma))
    value = min(max(value, low), high)
    # People give round numbers: fives below $20, whole dollars above.
    return Decimal(max(5, 5 * round(value / 5)) if value < 20 else round(value))


def gift(
    story: Story,
    person: PersonPlan,
    when: dt.datetime,
    amount: Decimal,
    *,
    refcode: str = "",
    page: str = "",
    series: str = "",
) -> bool:
    """One ActBlue contribution; tags the person a major donor when their total passes $1,000."""
    receipt = f"AB{10_000_000 + len(story.plan.activities)}"
    payload: dict = {"processor": "actblue", "receipt_id": receipt, "refcode": refcode or "website"}
    if page:
        payload["page"] = page
    if series:
        payload |= {"recurring": True, "series": series}
    if not story.act(
        person.n,
        T.DONATION,
        when,
        source="actblue",
        object_type="page" if page else "",
        amount=amount,
        payload=payload,
    ):
        return False
    if ("actblue", f"ab-{100_000 + person.n}") not in person.external_ids:
        person.external_ids.append(("actblue", f"ab-{100_000 + person.n}"))
    total = story.given.get(person.n, Decimal(0)) + amount
    story.given[person.n] = total
    if total >= MAJOR:
        tag(story, person, TAG_MAJOR_DONOR, when + dt.timedelta(minutes=5))
    if not series and story.rng.random() < 0.01:
        refund_at = when + dt.timedelta(days=story.rng.randint(2, 20))
        story.act(
            person.n,
            T.DONATION_REFUND,
            refund_at,
            source="actblue",
            amount=amount,
            payload={
                "receipt_id": receipt,
                "reason": story.rng.choice(("duplicate charge", "donor request")),
            },
        )
    return True


def donations(story: Story) -> None:
    rng = story.rng
    people = story.plan.people
    hosts: dict[str | None, list[str]] = {}
    for person in people:
        if person.level >= 4:
            hosts.setdefault(person.chapter, []).append(page_slug(person))
    eligible = [p for p in people if p.level >= 2 and p.duplicate_of is None]
    majors = rng.sample(
        eligible, min(len(eligible), max(3, round(len(people) * MAJOR_DONOR_SHARE)))
    )
    major_ids = {p.n for p in majors}
    for person in people:
        if person.duplicate_of is not None:
            continue
        late = max(person.joined, story.start)
        if person.first_touch == "donation":
            gift(
                story, person, person.joined, draw_amount(story, 35, 0.8, 5, 500), refcode="website"
            )
        if person.n in major_ids:
            for _ in range(rng.randint(1, 3)):
                gift(
                    story,
                    person,
                    story.between(late, story.now),
                    draw_amount(story, 2500, 0.6, 1000, 25000),
                    refcode="major-gifts",
                )
        if rng.random() < DONOR_CHANCE[person.level]:
            pages = hosts.get(person.chapter, [])
            for _ in range(rng.randint(1, 4)):
                page = rng.choice(pages) if pages and rng.random() < 0.25 else ""
                refcode = f"p2p-{page}" if page else rng.choice(("website", "fb-ad", "sms"))
                gift(
                    story,
                    person,
                    story.between(late, story.now),
                    draw_amount(story, 35, 0.9, 5, 900),
                    refcode=refcode,
                    page=page,
                )
        if person.level >= 1 and rng.random() < RECURRING_SHARE:
            _recurring(story, person, late)


def _recurring(story: Story, person: PersonPlan, late: dt.datetime) -> None:
    rng = story.rng
    amount = Decimal(rng.choice((5, 10, 10, 15, 19, 25, 25, 50)))
    when = story.between(late, late + (story.now - late) * 0.6)
    months = 12 if rng.random() < 0.8 else rng.randint(2, 8)  # one in five cancels
    series = f"ABR-{100_000 + person.n}"
    for _ in range(months):
        if when > story.now:
            break
        gift(story, person, when, amount, refcode="monthly", series=series)
        when += dt.timedelta(days=30)
    if months < 12 and when <= story.now:
        # They stopped it before the next charge.
        story.act(
            person.n,
            T.RECURRING_CANCELLED,
            when - dt.timedelta(days=12),
            source="actblue",
            payload={"processor": "actblue", "series": series, "amount": str(amount)},
        )
