"""Helpers for the actions tests: pages made through the services, and form posts with a
token that is old enough to pass the timing check."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ladder.actions.models import ActionPage
from ladder.actions.safety import form_token
from ladder.actions.services import page_create, page_publish
from ladder.core.models import User

WORDING = "Yes, send me email updates from Prairie Forward. I can unsubscribe at any time."


def make_page(actor: User, *, kind: str = "petition", publish: bool = True, **fields: Any):  # type: ignore[no-untyped-def]
    values: dict[str, Any] = {
        "title": "Fully fund our schools", "target": "The Iowa Legislature", "goal": 100,
        "consent_wording": WORDING, "autoresponse_subject": "Thanks, {first_name}",
        "autoresponse_body": "Hi {first_name}, thank you for signing “{page}”.",
    }  # fmt: skip
    values.update(fields)
    page = page_create(actor=actor, kind=kind, **values)
    return page_publish(actor=actor, page=page) if publish else page


def aged_token(page: ActionPage, seconds: float = 10) -> str:
    """A form token as if the form had been shown ``seconds`` ago."""
    return form_token(page.pk, now=timezone.now() - dt.timedelta(seconds=seconds))


def signature(page: ActionPage, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "Rosa", "last_name": "Martínez", "email": "rosa@example.org",
        "postal_code": "50309", "email_opt_in": "on", "token": aged_token(page), "ref": "",
    }  # fmt: skip
    data.update(fields)
    return data


def make_event(actor: User, *, capacity: int | None = 2, publish: bool = True, **fields: Any):  # type: ignore[no-untyped-def]
    """A published canvass tomorrow, 10 to 1, with one shift of ``capacity`` places."""
    from ladder.actions.events import ShiftPlan, event_create

    start = (timezone.now() + dt.timedelta(days=1)).replace(hour=15, minute=0, second=0,
                                                           microsecond=0)  # fmt: skip
    end = start + dt.timedelta(hours=3)
    values: dict[str, Any] = {
        "title": "Saturday canvass", "venue": "Prairie Forward office",
        "address": "300 Walnut St, Des Moines", "volunteer_shifts": True,
        "shifts": [ShiftPlan(start, end, capacity, "Morning")],
    }  # fmt: skip
    values.update(fields)
    page = event_create(actor=actor, starts_at=start, ends_at=end, **values)
    return page_publish(actor=actor, page=page) if publish else page


def make_campaign(actor: User, **fields: Any):  # type: ignore[no-untyped-def]
    """A published donation page, offline pledges, that supporters may fundraise for."""
    values: dict[str, Any] = {
        "title": "Power the canvass", "goal": 5000, "suggested_amounts": [10, 25, 50, 100],
        "allow_recurring": True, "allow_fundraisers": True, "processor": "offline",
    }  # fmt: skip
    values.update(fields)
    return make_page(actor, kind="donation", **values)
