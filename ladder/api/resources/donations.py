"""``/fundraising_pages`` and their ``donations``, ``/donations`` and
``/people/{id}/donations``.

A fundraising page is a Ladder donation page (a supporter's own fundraising page for one is
not an Action Network resource of its own); a donation is one gift, in US dollars. A posted
donation is a gift made elsewhere and reported here: it counts as paid, on the page's
thermometer and the giver's history, and a foreign identifier ("actblue:123") makes posting
it again a no-op. Gifts with no page (a processor's gift Ladder could not place) show in
``/donations`` and the person's donations, without a fundraising page link."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router

from ladder.actions.gifts import MAX_GIFT, MIN_GIFT
from ladder.actions.models import ActionPage, Gift
from ladder.api import hal, ids
from ladder.api.action_writes import API_PROCESSOR, donation_take, page_change, page_make
from ladder.api.auth import writable
from ladder.api.hal import ApiError
from ladder.api.resources.action_pages import (
    body_of,
    one_record,
    page_json,
    page_of,
    page_path,
    pages_of,
    pages_page,
    person_routes,
    record_person,
    records_page,
    status_of,
    title_of,
    visible_pages,
    when_of,
)
from ladder.api.resources.common import dated, not_partner
from ladder.api.resources.people import person_path
from ladder.api.schemas import READ_ERRORS, WRITE_ERRORS, Collection
from ladder.api.schemas_actions import (
    DonationIn,
    DonationOut,
    FundraisingPageIn,
    FundraisingPageOut,
)

router = Router(tags=["donations"])

CURRENCY = "USD"
DONATION_FILTERS = dated("occurred_at", "updated_at")
CENT = Decimal("0.01")


def money(amount: Decimal) -> str:
    return f"{amount.quantize(CENT)}"


def fundraising_page_json(request: HttpRequest, page: ActionPage) -> dict[str, Any]:
    data = page_json(request, "fundraising_page", page)
    path = page_path("fundraising_page", page.pk)
    data.update(
        {
            "total_donations": page.actions_count,
            "total_amount": money(page.amount_raised),
            "currency": CURRENCY,
        }
    )
    if page.goal:
        data["action_network:fundraising_goal"] = page.goal
    data["_links"].update(
        {
            "osdi:donations": hal.href(request, f"{path}/donations"),
            "osdi:record_donation_helper": hal.href(request, f"{path}/donations"),
        }
    )
    return data


def _response(request: HttpRequest, pk: int, status: int = 200) -> HttpResponse:
    page = pages_of(request, "fundraising_page").get(pk=pk)
    return hal.resource(fundraising_page_json(request, page), status)


@router.get(
    "/fundraising_pages",
    response={200: Collection, **READ_ERRORS},
    summary="List fundraising pages",
    description="Ladder's donation pages. Filter on created_date, modified_date and title.",
)
def fundraising_pages_list(request: HttpRequest, filter: str | None = None) -> HttpResponse:
    return pages_page(
        request, "fundraising_page", pages_of(request, "fundraising_page"),
        lambda p: fundraising_page_json(request, p),
    )  # fmt: skip


@router.post(
    "/fundraising_pages",
    response={201: FundraisingPageOut, **WRITE_ERRORS},
    summary="Create a fundraising page",
    description="A donation page taking offline pledges; title is needed. Published unless "
    "status is draft.",
)
def fundraising_page_create(
    request: HttpRequest, payload: FundraisingPageIn | None = None
) -> HttpResponse:
    token = writable(request)
    payload = body_of(request, payload, FundraisingPageIn)
    page = page_make(
        actor=token.user, kind=ActionPage.Kind.DONATION,
        title=title_of(payload.title, required=True) or "", status=status_of(payload.status),
        body=payload.description or "",
    )  # fmt: skip
    return _response(request, page.pk, status=201)


@router.get(
    "/fundraising_pages/{fundraising_page_id}",
    response={200: FundraisingPageOut, **READ_ERRORS},
    summary="One fundraising page",
)
def fundraising_page_get(request: HttpRequest, fundraising_page_id: str) -> HttpResponse:
    page = page_of(request, "fundraising_page", fundraising_page_id)
    return hal.resource(fundraising_page_json(request, page))


@router.put(
    "/fundraising_pages/{fundraising_page_id}",
    response={200: FundraisingPageOut, **WRITE_ERRORS},
    summary="Update a fundraising page",
    description="Fields given replace what is there.",
)
def fundraising_page_put(
    request: HttpRequest, fundraising_page_id: str, payload: FundraisingPageIn
) -> HttpResponse:
    token = writable(request)
    page = page_of(request, "fundraising_page", fundraising_page_id)
    fields: dict[str, Any] = {}
    title = title_of(payload.title, required=False)
    if title is not None:
        fields["title"] = title
    if payload.description is not None:
        fields["body"] = payload.description
    page_change(actor=token.user, page=page, status=status_of(payload.status), **fields)
    return _response(request, page.pk)


# ---- Donations ------------------------------------------------------------------------------


def donation_json(request: HttpRequest, gift: Gift) -> dict[str, Any]:
    identifiers = [ids.identifier("donation", gift.pk)]
    if gift.order_number and gift.processor == API_PROCESSOR:
        identifiers.append(gift.order_number)  # the client's own "system:value"
    elif gift.order_number and gift.processor != "offline":
        identifiers.append(f"{gift.processor}:{gift.order_number}")
    page = gift.page
    recipient = page.title if page is not None else "Donation"
    own = ids.encode("donation", gift.pk)
    links: dict[str, Any] = {"osdi:person": hal.href(request, person_path(gift.person_id))}
    if page is not None:
        fundraising = page_path("fundraising_page", page.pk)
        links = {
            "self": hal.href(request, f"{fundraising}/donations/{own}"),
            "osdi:fundraising_page": hal.href(request, fundraising),
            **links,
        }
    else:
        links = {"self": hal.href(request, f"donations/{own}"), **links}
    return {
        "identifiers": identifiers,
        "created_date": hal.stamp(gift.occurred_at),
        "modified_date": hal.stamp(gift.updated_at),
        "amount": money(gift.amount),
        "currency": CURRENCY,
        "recipients": [{"display_name": recipient, "amount": money(gift.amount)}],
        "payment": {"method": gift.processor, "reference_number": gift.order_number or None},
        "action_network:recurrence": {
            "recurring": gift.recurring,
            "period": "Monthly" if gift.recurring else "None",
        },
        "ladder:status": gift.status,
        "_links": links,
    }


def gifts_in(request: HttpRequest) -> QuerySet[Gift]:
    """Gifts on pages the token sees (or on no page); their people are narrowed later."""
    not_partner(request)
    pages = visible_pages(request).filter(kind=ActionPage.Kind.DONATION)
    return Gift.objects.select_related("page").filter(Q(page__in=pages) | Q(page__isnull=True))


def donations_page(request: HttpRequest, rows: QuerySet[Gift], path: str) -> HttpResponse:
    return records_page(
        request, rows, plural="donations", path=path,
        render=lambda g: donation_json(request, g), fields=DONATION_FILTERS,
    )  # fmt: skip


def _amount(payload: DonationIn) -> Decimal:
    try:
        if payload.amount is not None:
            amount = Decimal(str(payload.amount))
        elif payload.recipients:
            amount = sum((Decimal(str(r.amount)) for r in payload.recipients), Decimal(0))
        else:
            raise ApiError(400, "amount: say how much was given (or give recipients' amounts).")
    except InvalidOperation:
        raise ApiError(
            400, 'amount: give the amount as a number of dollars, like "3.00".'
        ) from None
    if not amount.is_finite() or not MIN_GIFT <= amount <= MAX_GIFT:
        raise ApiError(400, f"amount: a donation is between ${MIN_GIFT:,.2f} and ${MAX_GIFT:,.2f}.")
    return amount.quantize(CENT)


def _order_number(payload: DonationIn) -> str:
    for text in payload.identifiers or []:
        system, sep, value = str(text).partition(":")
        if not sep or not system.strip() or not value.strip():
            raise ApiError(400, f"identifiers: “{str(text)[:60]}” is not system:value.")
        if system != "action_network":
            return str(text).strip()[:80]
    return ""


@router.get(
    "/fundraising_pages/{fundraising_page_id}/donations",
    response={200: Collection, **READ_ERRORS},
    summary="A fundraising page's donations",
    description="Filter on created_date and modified_date.",
)
def page_donations(
    request: HttpRequest, fundraising_page_id: str, filter: str | None = None
) -> HttpResponse:
    page = page_of(request, "fundraising_page", fundraising_page_id)
    return donations_page(
        request, Gift.objects.select_related("page").filter(page=page),
        f"{page_path('fundraising_page', page.pk)}/donations",
    )  # fmt: skip


@router.post(
    "/fundraising_pages/{fundraising_page_id}/donations",
    response={200: DonationOut, 201: DonationOut, **WRITE_ERRORS},
    summary="Record a donation (record donation helper)",
    description="A gift made elsewhere: amount (or recipients' amounts) in USD, created_date "
    "when it was given, the person by _links.osdi:person or inline in person. A foreign "
    "identifier makes the post idempotent (a repeat answers 200).",
)
def donation_create(
    request: HttpRequest, fundraising_page_id: str, payload: DonationIn | None = None
) -> HttpResponse:
    token = writable(request)
    payload = body_of(request, payload, DonationIn)
    page = page_of(request, "fundraising_page", fundraising_page_id)
    if (payload.currency or CURRENCY).strip().upper() != CURRENCY:
        raise ApiError(400, "currency: Ladder takes donations in USD only.")
    amount = _amount(payload)
    occurred: dt.datetime | None = None
    if payload.created_date:
        occurred = when_of("created_date", payload.created_date)
    order_number = _order_number(payload)
    with transaction.atomic():
        person, _ = record_person(request, token, payload)
        recorded = donation_take(
            page=page, person=person, amount=amount, occurred_at=occurred,
            order_number=order_number,
            recurring=bool(payload.recurrence and payload.recurrence.recurring),
        )  # fmt: skip
    gift = Gift.objects.select_related("page").get(pk=recorded.gift.pk)
    return hal.resource(donation_json(request, gift), status=201 if recorded.new else 200)


@router.get(
    "/fundraising_pages/{fundraising_page_id}/donations/{donation_id}",
    response={200: DonationOut, **READ_ERRORS},
    summary="One donation of a fundraising page",
)
def page_donation(request: HttpRequest, fundraising_page_id: str, donation_id: str) -> HttpResponse:
    page = page_of(request, "fundraising_page", fundraising_page_id)
    return one_record(
        request, Gift.objects.select_related("page").filter(page=page), "donation", donation_id,
        lambda g: donation_json(request, g),
    )  # fmt: skip


@router.get(
    "/donations",
    response={200: Collection, **READ_ERRORS},
    summary="List donations",
    description="Filter on created_date (when given) and modified_date.",
)
def donations_list(request: HttpRequest, filter: str | None = None) -> HttpResponse:
    return donations_page(request, gifts_in(request), "donations")


@router.get(
    "/donations/{donation_id}", response={200: DonationOut, **READ_ERRORS}, summary="One donation"
)
def donation_get(request: HttpRequest, donation_id: str) -> HttpResponse:
    return one_record(
        request, gifts_in(request), "donation", donation_id, lambda g: donation_json(request, g)
    )


def _persons(request: HttpRequest, pk: int) -> QuerySet[Gift]:
    return gifts_in(request).filter(person_id=pk)


person_routes(
    router, kind="donation", out=DonationOut, rows=_persons, page=donations_page,
    render=donation_json,
)  # fmt: skip
