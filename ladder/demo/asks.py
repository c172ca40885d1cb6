"""Prairie Forward's asks with capacity, played out over the last few days through the real
ask services, so the asks screen opens on a story rather than an empty table:

* "6 canvass captains for Saturday" (Des Moines, Volunteer ladder from "Volunteered" up):
  offered in waves, answered over four days, filled at exactly 6; then one captain drops out,
  the place reopens, is backfilled and filled again.
* "2 house-party hosts" (Des Moines) is ordered after the captains: it waits, and opens by
  itself the moment the captains' ask fills.
* "10 phone-bank callers by Friday" (Cedar Rapids, Volunteer ladder from "Attended" up): open,
  part-way there, with a deadline.

Each ask is created by its chapter's leader, so offers stay inside that chapter's people (the
dormant chapter is never asked anything). Answers are drawn from a seeded `random.Random`: the
same seed and ``now`` give the same story.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from ladder.core.models import User
from ladder.ladders import asks as ask_services
from ladder.ladders.models import Ask, AskOffer, Ladder, Rung
from ladder.people.models import Group

O = AskOffer.Status  # noqa: E741 - reads as the offer's status

# (chance of accepting, of declining) an offer on a day it is looked at; the rest wait.
ANSWER_ODDS = (0.35, 0.25)


@dataclass(frozen=True)
class DemoAsks:
    asks: int
    offers: int
    accepted: int


def _rung(ladder_slug: str, position: int) -> Rung | None:
    ladder = Ladder.objects.filter(slug=ladder_slug).first()
    return ladder.rungs.filter(position=position).first() if ladder else None


def _leader(chapter: str) -> tuple[User, Group] | None:
    group = Group.objects.filter(slug=chapter).first()
    leader = group.leaders.order_by("pk").first() if group else None
    if group is None or leader is None:
        return None
    return leader, group


def _answer_day(ask: Ask, actor: User, rng: random.Random, when: dt.datetime) -> None:
    """Everyone still holding an offer answers, or not, on this day (best fit first)."""
    waiting = AskOffer.objects.filter(ask=ask, status=O.OFFERED).order_by("-rank", "pk")
    for offer in list(waiting):
        ask.refresh_from_db(fields=["status"])
        if ask.status != Ask.Status.OPEN:
            return
        draw = rng.random()
        at = when + dt.timedelta(minutes=rng.randint(0, 600))
        if draw < ANSWER_ODDS[0]:
            ask_services.offer_accept(actor=actor, offer=offer, now=at, source="demo")
        elif draw < ANSWER_ODDS[0] + ANSWER_ODDS[1]:
            ask_services.offer_decline(actor=actor, offer=offer, now=at, source="demo")


def demo_asks(*, now: dt.datetime, seed: int = 42) -> DemoAsks:
    """Create and play out the demo's asks (see the module docstring); skips any ask whose
    chapter, leader or rung is missing (a partial database)."""
    rng = random.Random(f"ladder-demo-asks:{seed}")
    start = now - dt.timedelta(days=5)
    made: list[Ask] = []

    des_moines = _leader("des-moines")
    volunteered = _rung("volunteer", 3)
    if des_moines is not None and volunteered is not None:
        leader, group = des_moines
        captains = ask_services.ask_create(
            actor=leader,
            title="6 canvass captains for Saturday",
            description="Lead a team of four on Saturday's school-funding canvass, 10–1.",
            needed=6,
            rung=volunteered,
            deadline=now + dt.timedelta(days=4),
            group=group,
            now=start,
        )
        hosts = ask_services.ask_create(
            actor=leader,
            title="2 house-party hosts",
            description="Host a house party for neighbours after the canvass.",
            needed=2,
            rung=volunteered,
            opens_after=captains,
            deadline=now + dt.timedelta(days=20),
            group=group,
            now=start,
        )
        ask_services.ask_open(actor=leader, ask=hosts, now=start)  # waits for the captains
        ask_services.ask_open(actor=leader, ask=captains, now=start)
        for day in range(4):
            _answer_day(captains, leader, rng, start + dt.timedelta(days=day, hours=9))
        # One captain cannot make it after all: the place reopens (a filled ask opens again)
        # and is backfilled.
        gone = AskOffer.objects.filter(ask=captains, status=O.ACCEPTED).order_by("pk").first()
        if gone is not None:
            ask_services.offer_drop(
                actor=leader, offer=gone, now=now - dt.timedelta(hours=20), source="demo"
            )
            _answer_day(captains, leader, rng, now - dt.timedelta(hours=18))
        made += [captains, hosts]

    cedar_rapids = _leader("cedar-rapids")
    attended = _rung("volunteer", 2)
    if cedar_rapids is not None and attended is not None:
        leader, group = cedar_rapids
        callers = ask_services.ask_create(
            actor=leader,
            title="10 phone-bank callers by Friday",
            description="Two hours on the phones Thursday evening, calling about transit.",
            needed=10,
            rung=attended,
            deadline=now + dt.timedelta(days=3),
            group=group,
            now=start + dt.timedelta(days=3),
        )
        ask_services.ask_open(actor=leader, ask=callers, now=start + dt.timedelta(days=3))
        _answer_day(callers, leader, rng, start + dt.timedelta(days=3, hours=12))
        made.append(callers)

    offers = AskOffer.objects.filter(ask__in=made)
    return DemoAsks(
        asks=len(made),
        offers=offers.count(),
        accepted=offers.filter(status=O.ACCEPTED).count(),
    )


__all__ = ["DemoAsks", "demo_asks"]
