"""Reads for asks with capacity: which asks a user may see, who an ask may be offered to and in
what order, its progress, its offer list, and the signed accept/decline links.

Who may be offered an ask
    The ask's target (its segment and/or its rung and above), within what the ask's creator may
    see (`visible_people`) and, when someone acts, what that user may see too — so a leader's
    ask never reaches past the leader's groups, even through a segment built by staff. Merged
    people never match (`visible_people` drops them). Nobody is offered the same ask twice.

    People with no way to reach them are left out: an offer is worked by phone or sent as a
    link, so a person qualifies only with an active email that is not unsubscribed, or an active
    phone that is not do-not-call (suppression shows up as exactly those two flags, see
    `ladder.people.services`). "Unknown" consent still qualifies: an ask is a personal request
    from an organizer, not a bulk mailing, and mailings check consent again at send time.

Ranking (one SQL query; higher ``fit`` is better, ties by id)
    fit = 1000 × preference points            (one per preferred tag held, one for a postal
                                               code starting with the preferred prefix)
        + min(engagement score now, 900)      (PersonStats.engagement_raw × today's decay;
                                               no stats row counts 0)
        + 10 × responsiveness                 (asks answered in the last 180 days, at most 5,
                                               plus 1 for any action in the last 30 days)
        − 10 × outstanding asks               (other offers still waiting for an answer, at
                                               most 5)
    The weights make preferences dominate, then engagement; responsiveness and outstanding asks
    move people within about one engagement band. Capping engagement keeps an outlier score from
    outranking a preference match.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Cast, Coalesce, Least
from django.http import Http404
from django.utils import timezone

from ladder.activity.models import PersonStats
from ladder.core.models import Role, User
from ladder.ladders.models import Ask, AskOffer, RungPlacement
from ladder.ladders.scoring import decay_factor
from ladder.people.models import (
    Address,
    ContactStatus,
    EmailAddress,
    Person,
    Phone,
    Subscription,
    Tagging,
)
from ladder.people.selectors import led_group_ids, scope_filter, visible_people

# Fit weights (see the module docstring).
PREFERENCE_WEIGHT = 1000
ENGAGEMENT_CAP = 900
RESPONSIVE_WEIGHT = 10
RESPONSIVE_CAP = 5
OUTSTANDING_WEIGHT = 10
OUTSTANDING_CAP = 5
RESPONSIVE_DAYS = 180
ACTIVE_DAYS = 30

# Signed accept/decline links.
LINK_SALT = "ladder.ladders.ask-offer"
LINK_MAX_AGE = dt.timedelta(days=60)


# ---- Which asks a user may see -------------------------------------------------------------


def can_use_asks(user: User) -> bool:
    """Asks are run by staff and by leaders for their groups; volunteers answer them."""
    return user.is_active and (user.sees_everyone or user.role == Role.LEADER)


def asks_visible(user: User) -> QuerySet[Ask]:
    """Staff see every ask; a leader sees the asks they created and those of groups they lead."""
    asks = Ask.objects.all()
    if not user.is_active:
        return asks.none()
    if user.sees_everyone:
        return asks
    if user.role == Role.LEADER:
        return asks.filter(Q(created_by_id=user.pk) | Q(group_id__in=led_group_ids(user)))
    return asks.none()


def ask_for(user: User, ask_id: int) -> Ask:
    """One ask the user may see, or 404 (never 403: out-of-scope asks do not exist)."""
    ask = (
        asks_visible(user)
        .select_related("segment", "rung__ladder", "opens_after", "group", "created_by")
        .filter(pk=ask_id)
        .first()
    )
    if ask is None:
        raise Http404("No such ask")
    return ask


def segments_for(user: User) -> QuerySet:
    """Segments a user may aim an ask at (who is *in* them is scoped again when offering)."""
    from ladder.segments.selectors import segments_visible

    return segments_visible(user)


# ---- Who may be offered an ask, and in what order ---------------------------------------------


def reachable_condition() -> Q:
    """Has a way for staff to reach them about an ask (see the module docstring)."""
    email = EmailAddress.objects.filter(
        person_id=OuterRef("pk"), status=ContactStatus.ACTIVE
    ).exclude(subscription=Subscription.UNSUBSCRIBED)
    phone = Phone.objects.filter(
        person_id=OuterRef("pk"), status=ContactStatus.ACTIVE, do_not_call=False
    )
    return Q(Exists(email)) | Q(Exists(phone))


def ask_target(
    ask: Ask, *, actor: User | None = None, now: dt.datetime | None = None
) -> QuerySet[Person]:
    """Everyone the ask is aimed at, within the creator's (and the actor's) scope — including
    people already offered it."""
    creator = ask.created_by
    scoper = creator or actor
    if scoper is None:
        # No creator left and nobody acting: there is no scope to offer within.
        return Person.objects.none()
    people = visible_people(scoper)
    if actor is not None and scoper.pk != actor.pk:
        condition = scope_filter(actor)
        if condition is not None:
            people = people.filter(condition)
    if ask.segment_id is not None:
        from ladder.segments.selectors import segment_people

        assert ask.segment is not None
        members = segment_people(scoper, ask.segment.definition, now=now)
        # pk IN (…) rather than filtering the segment's queryset: it stays correct when the
        # segment keeps a sample (a LIMITed query cannot be filtered further).
        people = people.filter(pk__in=members.values("pk"))
    if ask.rung_id is not None:
        assert ask.rung is not None
        people = people.filter(
            Exists(
                RungPlacement.objects.filter(
                    person_id=OuterRef("pk"),
                    ladder_id=ask.rung.ladder_id,
                    rung__position__gte=ask.rung.position,
                )
            )
        )
    if ask.segment_id is None and ask.rung_id is None:
        return people.none()  # an ask without a target is offered to no one
    return people


def ask_candidates(
    ask: Ask, *, actor: User | None = None, now: dt.datetime | None = None
) -> QuerySet[Person]:
    """Who the ask may still be offered to, unordered: the target, reachable, not yet offered."""
    return (
        ask_target(ask, actor=actor, now=now)
        .filter(reachable_condition())
        .exclude(Exists(AskOffer.objects.filter(ask_id=ask.pk, person_id=OuterRef("pk"))))
    )


def _count_of(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT(*) subquery (grouped by person), 0 when there are no rows."""
    counted = queryset.values("person_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def ask_ranked(
    ask: Ask, *, actor: User | None = None, now: dt.datetime | None = None
) -> QuerySet[Person]:
    """The people an ask may still be offered to, best fit first, as one SQL query.

    Each row is annotated with ``fit`` and its parts (``pref_tags``, ``pref_near``,
    ``engagement``, ``responsive``, ``outstanding``) so the screen can say why.
    """
    now = now or timezone.now()
    people = ask_candidates(ask, actor=actor, now=now)
    tag_ids = list(ask.prefer_tags.values_list("pk", flat=True)) if ask.pk else []
    pref_tags = (
        _count_of(Tagging.objects.filter(person_id=OuterRef("pk"), tag_id__in=tag_ids))
        if tag_ids
        else Value(0, output_field=IntegerField())
    )
    prefix = ask.prefer_postal_prefix.strip()
    pref_near = (
        Case(
            When(
                Exists(
                    Address.objects.filter(
                        person_id=OuterRef("pk"),
                        status=ContactStatus.ACTIVE,
                        postal_code__startswith=prefix,
                    )
                ),
                then=Value(1),
            ),
            default=Value(0),
            output_field=IntegerField(),
        )
        if prefix
        else Value(0, output_field=IntegerField())
    )
    # The score as of now, from the raw (undecayed) sum: PersonStats.engagement_score is only
    # as fresh as the last fold, the raw value times today's decay is exact.
    raw = Subquery(
        PersonStats.objects.filter(person_id=OuterRef("pk")).values("engagement_raw")[:1],
        output_field=FloatField(),
    )
    decay = Value(decay_factor(now), output_field=FloatField())
    last_action = PersonStats.objects.filter(
        person_id=OuterRef("pk"), last_action_at__gte=now - dt.timedelta(days=ACTIVE_DAYS)
    )
    answered = _count_of(
        AskOffer.objects.filter(
            person_id=OuterRef("pk"),
            answered_at__gte=now - dt.timedelta(days=RESPONSIVE_DAYS),
            status__in=[
                AskOffer.Status.ACCEPTED,
                AskOffer.Status.DECLINED,
                AskOffer.Status.DROPPED,
            ],
        )
    )
    outstanding = _count_of(
        AskOffer.objects.filter(person_id=OuterRef("pk"), status=AskOffer.Status.OFFERED)
    )
    active = Case(When(Exists(last_action), then=Value(1)), default=Value(0))
    people = people.annotate(
        pref_tags=pref_tags,
        pref_near=pref_near,
        engagement=Least(
            Coalesce(raw, Value(0.0)) * decay,
            Value(float(ENGAGEMENT_CAP)),
            output_field=FloatField(),
        ),
        responsive=Least(answered, Value(RESPONSIVE_CAP)) + active,
        outstanding=Least(outstanding, Value(OUTSTANDING_CAP)),
    )
    fit: CombinedExpression = (
        (F("pref_tags") + F("pref_near")) * Value(PREFERENCE_WEIGHT)
        + F("engagement")
        + F("responsive") * Value(RESPONSIVE_WEIGHT)
        - F("outstanding") * Value(OUTSTANDING_WEIGHT)
    )
    return people.annotate(fit=Cast(fit, FloatField())).order_by("-fit", "pk")


# ---- Progress and offers ----------------------------------------------------------------------


@dataclass(frozen=True)
class AskProgress:
    needed: int
    accepted: int
    offered: int  # waiting for an answer
    declined: int
    dropped: int
    withdrawn: int
    wave_factor: int = 1

    @property
    def open_places(self) -> int:
        return max(self.needed - self.accepted, 0)

    @property
    def next_wave(self) -> int:
        """How many people the next wave offers: open places × wave factor, less the offers
        still waiting for an answer."""
        return max(self.open_places * self.wave_factor - self.offered, 0)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.accepted / self.needed)) if self.needed else 0

    @property
    def total(self) -> int:
        return self.accepted + self.offered + self.declined + self.dropped + self.withdrawn


def _status_counts(prefix: str = "") -> dict[str, Count]:
    field = f"{prefix}status" if prefix else "status"
    pk = f"{prefix}pk" if prefix else "pk"
    return {
        f"n_{status}": Count(pk, filter=Q(**{field: status})) for status in AskOffer.Status.values
    }


def ask_progress(ask: Ask) -> AskProgress:
    """Counts of the ask's offers by status, in one query."""
    counts = AskOffer.objects.filter(ask_id=ask.pk).aggregate(**_status_counts())
    return AskProgress(
        needed=ask.needed,
        accepted=counts["n_accepted"],
        offered=counts["n_offered"],
        declined=counts["n_declined"],
        dropped=counts["n_dropped"],
        withdrawn=counts["n_withdrawn"],
        wave_factor=ask.wave_factor,
    )


def asks_with_progress(user: User) -> list[tuple[Ask, AskProgress]]:
    """The asks a user may see, newest first, each with its progress (one query)."""
    asks = (
        asks_visible(user)
        .select_related("segment", "rung__ladder", "group", "opens_after")
        .annotate(**_status_counts("offers__"))
        .order_by("-created_at", "-pk")
    )
    return [
        (
            ask,
            AskProgress(
                needed=ask.needed,
                accepted=ask.n_accepted,  # type: ignore[attr-defined]
                offered=ask.n_offered,  # type: ignore[attr-defined]
                declined=ask.n_declined,  # type: ignore[attr-defined]
                dropped=ask.n_dropped,  # type: ignore[attr-defined]
                withdrawn=ask.n_withdrawn,  # type: ignore[attr-defined]
                wave_factor=ask.wave_factor,
            ),
        )
        for ask in asks[:500]
    ]


STATUS_ORDER = Case(
    When(status=AskOffer.Status.ACCEPTED, then=Value(0)),
    When(status=AskOffer.Status.OFFERED, then=Value(1)),
    When(status=AskOffer.Status.DROPPED, then=Value(2)),
    When(status=AskOffer.Status.DECLINED, then=Value(3)),
    default=Value(4),
    output_field=IntegerField(),
)


def ask_offers(ask: Ask, user: User) -> QuerySet[AskOffer]:
    """The ask's offers that name people the user may see, with each person's primary email and
    phone loaded: accepted first, then waiting, then the rest; best fit first within each."""
    people = visible_people(user).values("pk")
    return (
        AskOffer.objects.filter(ask_id=ask.pk, person_id__in=people)
        .select_related("person")
        .prefetch_related(
            Prefetch(
                "person__emails",
                queryset=EmailAddress.objects.order_by("-is_primary", "id"),
                to_attr="email_list",
            ),
            Prefetch(
                "person__phones",
                queryset=Phone.objects.order_by("-is_primary", "id"),
                to_attr="phone_list",
            ),
        )
        .annotate(status_order=STATUS_ORDER)
        .order_by("status_order", "-rank", "pk")
    )


def ask_is_past_deadline(ask: Ask, now: dt.datetime | None = None) -> bool:
    return ask.deadline is not None and ask.deadline <= (now or timezone.now())


# ---- Signed accept/decline links ----------------------------------------------------------


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=LINK_SALT)


def offer_token(offer: AskOffer) -> str:
    """A token naming one offer, signed with the secret key; it works for ``LINK_MAX_AGE``."""
    return _signer().sign(str(offer.pk))


class BadOfferLink(Exception):
    """A link that was altered or has expired (400), or names no offer (404)."""

    def __init__(self, message: str, *, expired: bool = False, status: int = 400) -> None:
        super().__init__(message)
        self.expired = expired
        self.status = status


def offer_from_token(token: str) -> AskOffer:
    try:
        value = _signer().unsign(token, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise BadOfferLink("This link has expired.", expired=True) from None
    except signing.BadSignature:
        raise BadOfferLink(
            "This link is not valid. It may have been copied incompletely."
        ) from None
    offer = (
        AskOffer.objects.select_related("ask", "person")
        .filter(pk=int(value) if value.isdigit() else 0)
        .first()
    )
    if offer is None:
        raise BadOfferLink("This invitation no longer exists.", status=404)
    return offer
