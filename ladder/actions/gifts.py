"""Every write about money: gifts as processors report them (once per the processor's own order
number and line item), refunds, recurring series that stop, pledges taken on a donation page,
and supporters' own fundraising pages.

Totals are kept where they are read — the donation page's ``amount_raised``, a fundraising
page's ``raised`` and ``donors`` — changed in the same transaction as the gift, so a
thermometer never needs a SUM and never disagrees with the gifts.

Activities: ``donation`` (with its amount), ``donation_refund`` and ``recurring_cancelled``,
keyed so that a replayed webhook or a re-imported CSV writes nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from ladder.actions.models import ActionPage, FundraisingPage, Gift
from ladder.actions.services import (
    PageError,
    action_counted,
    recruit_credit,
    recruiter_for,
    supporter_take,
    unique_slug,
)
from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.activity.services import activity_record
from ladder.people.models import Person
from ladder.people.services import supporter_upsert

G = Gift.Status
MAX_GIFT = Decimal("1000000")
MIN_GIFT = Decimal("1")


@dataclass(frozen=True)
class Recorded:
    gift: Gift
    new: bool  # False: the processor told us about this gift before


def _move_totals(gift: Gift, sign: int) -> None:
    """Add (sign +1) or take away (−1) the gift from the totals that show it."""
    amount = gift.amount * sign
    if gift.page_id is not None:
        ActionPage.objects.filter(pk=gift.page_id).update(amount_raised=F("amount_raised") + amount)
    if gift.fundraiser_id is not None:
        FundraisingPage.objects.filter(pk=gift.fundraiser_id).update(
            raised=F("raised") + amount, donors=F("donors") + sign
        )


@transaction.atomic
def gift_record(
    *,
    person: Person,
    amount: Decimal,
    processor: str,
    status: str = G.PAID,
    occurred_at: dt.datetime | None = None,
    page: ActionPage | None = None,
    fundraiser: FundraisingPage | None = None,
    referrer: Person | None = None,
    order_number: str = "",
    line_item: str = "",
    recurring: bool = False,
    series: str = "",
    refcode: str = "",
    anonymous: bool = False,
) -> Recorded:
    """A gift a processor reported. The same order number and line item again is the same
    gift: nothing is written twice (a pledge later reported paid is only marked paid)."""
    when = occurred_at or timezone.now()
    if order_number:
        known = (
            Gift.objects.select_for_update()
            .filter(processor=processor, order_number=order_number, line_item=line_item)
            .first()
        )
        if known is not None:
            if known.status == G.PLEDGED and status == G.PAID:
                known.status = G.PAID
                known.save(update_fields=["status", "updated_at"])
            return Recorded(known, new=False)
    if fundraiser is not None and page is None:
        page = fundraiser.campaign
    try:
        with transaction.atomic():
            gift = Gift.objects.create(
                person=person, amount=amount, processor=processor, status=status,
                occurred_at=when, page=page, fundraiser=fundraiser, referrer=referrer,
                order_number=order_number, line_item=line_item, recurring=recurring,
                series=series, refcode=refcode[:120], anonymous=anonymous,
            )  # fmt: skip
    except IntegrityError:  # reported twice at the same moment (a webhook retry)
        gift = Gift.objects.get(processor=processor, order_number=order_number,
                                line_item=line_item)  # fmt: skip
        return Recorded(gift, new=False)
    if status in Gift.LIVE:
        _move_totals(gift, +1)
    payload: dict[str, Any] = {"processor": processor, "refcode": refcode or ""}
    if order_number:
        payload["order"] = f"{order_number}/{line_item}" if line_item else order_number
    if page is not None:
        payload["page"] = page.title
    if fundraiser is not None:
        payload["fundraiser"] = fundraiser.owner.display_name
    if recurring:
        payload |= {"recurring": True, "series": series}
    if status == G.PLEDGED:
        payload["status"] = "pledged"
    activity_record(
        person=person, type=ActivityType.DONATION, occurred_at=when, amount=amount,
        source=processor, object_type="gift", object_id=gift.pk, payload=payload,
        idempotency_key=f"gift:{gift.pk}",
    )  # fmt: skip
    if page is not None:
        action_counted(page, person, autoresponse=processor == "offline")
    return Recorded(gift, new=True)


@transaction.atomic
def gift_refund(*, gift: Gift, occurred_at: dt.datetime | None = None, reason: str = "") -> bool:
    """Refund a gift; False when it was refunded before (a replayed refund)."""
    gift = Gift.objects.select_for_update().get(pk=gift.pk)
    if gift.status == G.REFUNDED:
        return False
    was_live = gift.status in Gift.LIVE
    gift.status = G.REFUNDED
    gift.save(update_fields=["status", "updated_at"])
    if was_live:
        _move_totals(gift, -1)
    activity_record(
        person=gift.person, type=ActivityType.DONATION_REFUND,
        occurred_at=occurred_at or timezone.now(), amount=gift.amount, source=gift.processor,
        object_type="gift", object_id=gift.pk,
        payload={"processor": gift.processor, "order": gift.order_number, "reason": reason},
        idempotency_key=f"refund:{gift.pk}",
    )  # fmt: skip
    return True


@transaction.atomic
def series_cancel(
    *, person: Person, processor: str, series: str, occurred_at: dt.datetime | None = None
) -> bool:
    """A recurring series stopped. Its past gifts stand; False when it was cancelled before."""
    key = f"cancel:{processor}:{series}"
    if Activity.objects.filter(idempotency_key=key).exists():
        return False
    activity_record(
        person=person, type=ActivityType.RECURRING_CANCELLED,
        occurred_at=occurred_at or timezone.now(), source=processor,
        payload={"processor": processor, "series": series}, idempotency_key=key,
    )  # fmt: skip
    Gift.objects.filter(processor=processor, series=series).update(recurring=False)
    return True


# ---- Pledges on a donation page, and fundraising pages -------------------------------------


@transaction.atomic
def pledge_take(
    *,
    page: ActionPage,
    token: str,
    amount: Decimal,
    email: str,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    postal_code: str = "",
    recurring: bool = False,
    anonymous: bool = False,
    email_opt_in: bool = False,
    referral_code: str = "",
    fundraiser: FundraisingPage | None = None,
    now: dt.datetime | None = None,
) -> Recorded:
    """A gift through the offline processor: recorded here as a pledge (the organization
    collects it by cheque, cash or transfer and marks it paid). The form's token is its order
    number, so the same form sent twice is one pledge."""
    if page.kind != ActionPage.Kind.DONATION or page.status != ActionPage.Status.PUBLISHED:
        raise PageError({"amount": "This page is not taking gifts."})
    if not MIN_GIFT <= amount <= MAX_GIFT:
        raise PageError({"amount": f"Give between ${MIN_GIFT:,.0f} and ${MAX_GIFT:,.0f}."})
    if recurring and not page.allow_recurring:
        raise PageError({"recurring": "This page takes one-off gifts only."})
    when = now or timezone.now()
    known = Gift.objects.filter(processor="offline", order_number=token).first()
    if known is not None:
        return Recorded(known, new=False)
    person, created = supporter_take(
        page=page, email=email, first_name=first_name, last_name=last_name, phone=phone,
        postal_code=postal_code, email_opt_in=email_opt_in, when=when,
    )  # fmt: skip
    referrer = recruit_credit(
        recruiter=recruiter_for(referral_code) or (fundraiser.owner if fundraiser else None),
        person=person, created=created, where=f"page:{page.slug}", when=when,
    )  # fmt: skip
    return gift_record(
        person=person, amount=amount, processor="offline", status=G.PLEDGED, occurred_at=when,
        page=page, fundraiser=fundraiser, referrer=referrer, order_number=token,
        recurring=recurring, series=f"offline-{token}" if recurring else "", anonymous=anonymous,
        refcode=f"fundraiser:{fundraiser.slug}" if fundraiser else "",
    )  # fmt: skip


def _fundraiser_slug(owner: Person, campaign: ActionPage) -> str:
    name = slugify(f"{owner.first_name} {owner.last_name}".strip())[:40] or "supporter"
    return unique_slug(FundraisingPage, f"{name}-{campaign.slug}", length=70)


@transaction.atomic
def fundraiser_create(
    *,
    campaign: ActionPage,
    email: str,
    first_name: str,
    last_name: str = "",
    title: str = "",
    story: str = "",
    goal: Decimal,
) -> tuple[FundraisingPage, bool]:
    """A supporter's own page for a campaign; returns (page, created). One per person and
    campaign: asking again returns the page they already have."""
    if campaign.kind != ActionPage.Kind.DONATION or not campaign.allow_fundraisers:
        raise PageError({"goal": "This campaign does not take personal fundraising pages."})
    if campaign.status != ActionPage.Status.PUBLISHED:
        raise PageError({"goal": "This campaign is not open."})
    if not MIN_GIFT <= goal <= MAX_GIFT * 10:
        raise PageError({"goal": "Set a goal between $1 and $10,000,000."})
    owner, _ = supporter_upsert(
        actor=None, email=email, first_name=first_name, last_name=last_name,
        source=f"fundraiser: {campaign.title}",
    )  # fmt: skip
    existing = FundraisingPage.objects.filter(campaign=campaign, owner=owner).first()
    if existing is not None:
        return existing, False
    name = first_name.strip() or owner.first_name or "A supporter"
    page = FundraisingPage.objects.create(
        campaign=campaign, owner=owner, slug=_fundraiser_slug(owner, campaign),
        title=" ".join((title or f"{name} is raising money for {campaign.title}").split())[:200],
        story=story.strip()[:5000], goal=goal,
    )  # fmt: skip
    return page, True


__all__ = [
    "Recorded",
    "fundraiser_create",
    "gift_record",
    "gift_refund",
    "pledge_take",
    "series_cancel",
]
