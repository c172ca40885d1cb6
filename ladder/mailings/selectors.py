"""Reads of mailings, always scoped to the actor (DESIGN.md §4.1).

Admins and staff see every mailing; a leader sees the mailings they created and those of the
groups they lead; nobody else sees any. Every list, count, report, chart and profile card on
the staff screens starts from `mailings_visible`, and an out-of-scope mailing answers 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.http import Http404
from django.utils import timezone

from ladder.core.models import Role, User
from ladder.mailings.models import Delivery, Mailing, MailTemplate, SenderIdentity
from ladder.people.models import Person
from ladder.people.selectors import led_group_ids, visible_people

State = Delivery.State


def can_manage_mailings(user: User) -> bool:
    """Who may open the mailing screens: admins, staff and leaders (for their own groups)."""
    return user.is_active and (user.sees_everyone or user.role == Role.LEADER)


def _group_scope(user: User) -> Q | None:
    """None: everything. Otherwise the condition on a row with a nullable ``group``."""
    if user.sees_everyone:
        return None
    if user.role == Role.LEADER:
        return Q(group_id__in=led_group_ids(user))
    return Q(pk__in=[])


def mailings_visible(user: User) -> QuerySet[Mailing]:
    if not user.is_active:
        return Mailing.objects.none()
    if user.sees_everyone:
        return Mailing.objects.all()
    if user.role != Role.LEADER:
        return Mailing.objects.none()
    return Mailing.objects.filter(Q(created_by_id=user.pk) | Q(group_id__in=led_group_ids(user)))


def mailing_for(user: User, mailing_id: int) -> Mailing:
    mailing = (
        mailings_visible(user)
        .select_related("group", "created_by", "winner")
        .filter(pk=mailing_id)
        .first()
    )
    if mailing is None:
        raise Http404("No such mailing")
    return mailing


def senders_visible(user: User) -> QuerySet[SenderIdentity]:
    """Organization-wide identities, and a leader's own groups' ones."""
    scope = _group_scope(user)
    if scope is None:
        return SenderIdentity.objects.all()
    return SenderIdentity.objects.filter(Q(group__isnull=True) | scope)


def templates_visible(user: User) -> QuerySet[MailTemplate]:
    scope = _group_scope(user)
    if scope is None:
        return MailTemplate.objects.all()
    return MailTemplate.objects.filter(Q(group__isnull=True) | scope)


def _sent(prefix: str = "") -> Q:
    return Q(**{f"{prefix}state": State.SENT})


def mailing_rows(user: User, *, limit: int = 200) -> list[Mailing]:
    """The list page: newest first, each with ``n_sent``, ``n_clicked`` and ``n_acted``
    counted in the same query (people, not events)."""
    return list(
        mailings_visible(user)
        .select_related("group", "created_by")
        .annotate(
            n_sent=Count("deliveries", filter=_sent("deliveries__")),
            n_clicked=Count("deliveries", filter=Q(deliveries__clicked_at__isnull=False)),
            n_acted=Count("deliveries", filter=Q(deliveries__acted_at__isnull=False)),
        )
        .order_by("-created_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class Totals:
    audience: int
    queued: int
    held: int
    sending: int
    sent: int
    failed: int
    in_doubt: int
    skipped: int
    opened: int  # people who opened, people's own opens only
    machine_opened: int  # opened only by a privacy proxy or a scanner
    clicked: int
    clicks: int
    acted: int
    gifts: int
    gift_total: Decimal
    unsubscribed: int
    bounced: int
    complained: int

    def rate(self, n: int) -> float | None:
        return n / self.sent if self.sent else None


def mailing_totals(mailing: Mailing) -> Totals:
    """Every figure of the report in one aggregate over the mailing's ledger."""
    rows = Delivery.objects.filter(mailing=mailing)
    figures: dict[str, Any] = rows.aggregate(
        total=Count("id"),
        queued=Count("id", filter=Q(state=State.QUEUED)),
        held=Count("id", filter=Q(state=State.HELD)),
        sending=Count("id", filter=Q(state=State.SENDING)),
        sent=Count("id", filter=Q(state=State.SENT)),
        failed=Count("id", filter=Q(state=State.FAILED)),
        in_doubt=Count("id", filter=Q(state=State.IN_DOUBT)),
        skipped=Count("id", filter=Q(state=State.SKIPPED)),
        opened=Count("id", filter=Q(opened_at__isnull=False, machine_open=False)),
        machine_opened=Count("id", filter=Q(opened_at__isnull=False, machine_open=True)),
        clicked=Count("id", filter=Q(clicked_at__isnull=False)),
        clicks=Sum("clicks", default=0),
        acted=Count("id", filter=Q(acted_at__isnull=False)),
        gifts=Sum("gifts", default=0),
        gift_total=Sum("gift_total", default=Decimal(0)),
        unsubscribed=Count("id", filter=Q(unsubscribed_at__isnull=False)),
        bounced=Count("id", filter=Q(bounced_at__isnull=False)),
        complained=Count("id", filter=Q(complained_at__isnull=False)),
    )
    total = figures.pop("total")
    audience = mailing.audience_count if mailing.audience_count is not None else total
    return Totals(audience=audience, **figures)


def variant_sent(mailing: Mailing) -> dict[int, int]:
    """Messages sent per variant, test and rest together (the report's "sent in all")."""
    rows = (
        Delivery.objects.filter(mailing=mailing, state=State.SENT)
        .order_by()
        .values("variant_id")
        .annotate(n=Count("id"))
    )
    return {r["variant_id"]: r["n"] for r in rows if r["variant_id"] is not None}


@dataclass
class Bucket:
    start: dt.datetime
    sends: int = 0
    opens: int = 0
    clicks: int = 0


@dataclass
class Timeline:
    unit: str  # "hour" or "day"
    buckets: list[Bucket] = field(default_factory=list)

    @property
    def peak(self) -> dict[str, int]:
        return {
            "sends": max((b.sends for b in self.buckets), default=0),
            "opens": max((b.opens for b in self.buckets), default=0),
            "clicks": max((b.clicks for b in self.buckets), default=0),
        }


MAX_BUCKETS = 96
MIN_HOURS = 12


def mailing_timeline(mailing: Mailing, *, now: dt.datetime | None = None) -> Timeline:
    """Sends, first opens and first clicks per hour (per day once the mailing spans more than
    four days), from the first send to the last event. Three grouped queries on the ledger's
    own timestamps; empty buckets are filled in so the chart's x axis is true time."""
    rows = Delivery.objects.filter(mailing=mailing)
    first = rows.filter(sent_at__isnull=False).order_by("sent_at").values_list("sent_at", flat=True)
    start = first.first()
    if start is None:
        return Timeline(unit="hour")
    end = max(
        t
        for t in (
            rows.order_by("-sent_at").values_list("sent_at", flat=True).first(),
            rows.exclude(opened_at=None).order_by("-opened_at")
            .values_list("opened_at", flat=True).first(),
            rows.exclude(clicked_at=None).order_by("-clicked_at")
            .values_list("clicked_at", flat=True).first(),
            start,
        )
        if t is not None
    )  # fmt: skip
    hourly = end - start <= dt.timedelta(days=4)
    unit, step = ("hour", dt.timedelta(hours=1)) if hourly else ("day", dt.timedelta(days=1))
    trunc = TruncHour if hourly else TruncDay
    tz = timezone.get_current_timezone()
    counts: dict[str, dict[dt.datetime, int]] = {}
    for name, column in (("sends", "sent_at"), ("opens", "opened_at"), ("clicks", "clicked_at")):
        grouped = (
            rows.exclude(**{column: None})
            .annotate(bucket=trunc(column, tzinfo=tz))
            .order_by()
            .values("bucket")
            .annotate(n=Count("id"))
        )
        counts[name] = {r["bucket"]: r["n"] for r in grouped}
    first_bucket = _floor(start.astimezone(tz), hourly)
    buckets: list[Bucket] = []
    cursor = first_bucket
    while cursor <= end.astimezone(tz) and len(buckets) < MAX_BUCKETS:
        buckets.append(
            Bucket(
                start=cursor,
                sends=counts["sends"].get(cursor, 0),
                opens=counts["opens"].get(cursor, 0),
                clicks=counts["clicks"].get(cursor, 0),
            )
        )
        cursor = _floor(cursor + step, hourly)
    # A short send still gets a readable x axis: at least half a day of hours.
    while hourly and len(buckets) < MIN_HOURS:
        buckets.append(Bucket(start=cursor))
        cursor = _floor(cursor + step, hourly)
    return Timeline(unit=unit, buckets=buckets)


def _floor(moment: dt.datetime, hourly: bool) -> dt.datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment if hourly else moment.replace(hour=0)


def deliveries_for_person(user: User, person: Person, *, limit: int = 50) -> list[Delivery]:
    """The messages one person got, newest first — only from mailings ``user`` may see, and
    nothing at all for a person ``user`` may not see."""
    if not visible_people(user).filter(pk=person.pk).exists():
        return []
    return list(
        Delivery.objects.filter(person_id=person.pk, mailing__in=mailings_visible(user))
        .select_related("mailing", "variant")
        .order_by("-sent_at", "-id")[:limit]
    )


def preview_person(user: User, query: str) -> Person | None:
    """Whom to preview a message as: a person id, or the first match of a name, email or
    phone search — among the people ``user`` may see only."""
    from ladder.people.selectors import people_search

    text = query.strip()
    if not text:
        return None
    if text.isdigit():
        return visible_people(user).filter(pk=int(text)).first()
    found = people_search(user, query=text, limit=1).people
    return found[0] if found else None
