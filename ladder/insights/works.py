"""What works: asks, mailings, pages and channels compared by what they produced, so organizers
can drop what does not work and throw everything at what does.

* Mailings: per thousand sent, the people who acted, the gifts and the money.
* Asks: offers made, accepted, and the share accepted.
* Pages: actions taken on them, and the people whose first activity ever was there (the page
  brought them in).
* Channels: every action in the window credited two ways — to the channel of the person's very
  first activity (first touch: how we met them) and to the channel of the last contact before
  the action (last touch: what moved them), for the count of actions and the money given.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from ladder.actions.models import ActionPage
from ladder.activity.catalogue import ACTION_TYPES, ActivityChannel
from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity
from ladder.core.models import User
from ladder.ladders.ask_selectors import asks_with_progress, can_use_asks
from ladder.people.selectors import visible_people

# Contacts and touches that can move someone to act (ours and theirs), for last touch.
TOUCHES = (T.EMAIL_OPENED, T.EMAIL_CLICKED, T.CALL, T.DOOR_KNOCK, T.TEXT, T.MEETING,
           T.RELATIONAL_TOUCH, T.SOCIAL_ENGAGEMENT, T.ATTENDANCE)  # fmt: skip


@dataclass(frozen=True)
class Credit:
    channel: str
    first_actions: int
    first_money: Decimal
    last_actions: int
    last_money: Decimal


def _start(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def mailings_compared(user: User, days: int) -> list[dict[str, Any]]:
    from ladder.mailings.selectors import mailings_visible

    sent = Q(deliveries__state="sent", deliveries__sent_at__gte=_start(days))
    rows = (
        mailings_visible(user).annotate(
            n_sent=Count("deliveries", filter=sent),
            n_acted=Count("deliveries", filter=sent & Q(deliveries__acted_at__isnull=False)),
            n_gifts=Sum("deliveries__gifts", filter=sent),
            money=Sum("deliveries__gift_total", filter=sent),
        ).filter(n_sent__gt=0).order_by("-n_sent")[:50]
    )  # fmt: skip
    out = []
    for m in rows:
        n: Any = m  # the annotations
        money = n.money or Decimal(0)
        out.append({
            "mailing": m, "sent": n.n_sent, "acted": n.n_acted, "gifts": n.n_gifts or 0,
            "money": money, "acted_per_1000": round(1000 * n.n_acted / n.n_sent, 1),
            "money_per_1000": round(money * 1000 / n.n_sent, 2),
        })  # fmt: skip
    return sorted(out, key=lambda r: -r["acted_per_1000"])


def asks_compared(user: User) -> list[dict[str, Any]]:
    if not can_use_asks(user):
        return []
    out = []
    for ask, p in asks_with_progress(user)[:50]:
        offered = p.total
        out.append({"ask": ask, "offered": offered, "accepted": p.accepted, "needed": p.needed,
                    "rate": round(100 * p.accepted / offered) if offered else None})  # fmt: skip
    return sorted(out, key=lambda r: -(r["rate"] or 0))


def pages_compared(user: User, days: int) -> list[dict[str, Any]]:
    people = visible_people(user)
    acts = Activity.objects.filter(object_type="action_page", occurred_at__gte=_start(days),
                                   person__in=people)  # fmt: skip
    actions = dict(acts.values("object_id").annotate(n=Count("id")).values_list("object_id", "n"))
    first = Activity.objects.filter(person=OuterRef("person")).order_by("occurred_at", "pk")
    # An action that was its person's first activity ever: the page brought them in.
    firsts = acts.annotate(first_id=Subquery(first.values("pk")[:1])).filter(pk=F("first_id"))
    new = dict(firsts.values("object_id").annotate(n=Count("id")).values_list("object_id", "n"))
    pages = ActionPage.objects.in_bulk(list(actions))
    rows = [{"page": pages[pk], "actions": n, "new_people": new.get(pk, 0)}
            for pk, n in actions.items() if pk in pages]  # fmt: skip
    return sorted(rows, key=lambda r: (-r["actions"], r["page"].pk))


def channels_credited(user: User, days: int) -> list[Credit]:
    """First- and last-touch credit for the actions in the window (see the module)."""
    first = Activity.objects.filter(person=OuterRef("person")).order_by("occurred_at", "pk")
    last = (
        Activity.objects.filter(person=OuterRef("person"), type__in=TOUCHES,
                                occurred_at__lte=OuterRef("occurred_at"))
        .exclude(pk=OuterRef("pk")).order_by("-occurred_at", "-pk")
    )  # fmt: skip
    rows = (
        Activity.objects.filter(type__in=ACTION_TYPES, occurred_at__gte=_start(days),
                                person__in=visible_people(user))
        .exclude(type__in=TOUCHES)
        .annotate(first_channel=Subquery(first.values("channel")[:1]),
                  last_channel=Subquery(last.values("channel")[:1]))
        .values_list("first_channel", "last_channel", "amount")
    )  # fmt: skip
    first_n: dict[str, int] = defaultdict(int)
    last_n: dict[str, int] = defaultdict(int)
    first_m: dict[str, Decimal] = defaultdict(Decimal)
    last_m: dict[str, Decimal] = defaultdict(Decimal)
    for first_channel, last_channel, amount in rows.iterator(chunk_size=5000):
        f, la = first_channel or "unknown", last_channel or "none before"
        first_n[f] += 1
        last_n[la] += 1
        if amount:
            first_m[f] += amount
            last_m[la] += amount
    names = dict(ActivityChannel.choices)
    channels = sorted(set(first_n) | set(last_n), key=lambda c: -(first_n[c] + last_n[c]))
    return [Credit(names.get(c, c), first_n[c], first_m[c], last_n[c], last_m[c])
            for c in channels]  # fmt: skip


__all__ = ["Credit", "asks_compared", "channels_credited", "mailings_compared", "pages_compared"]
