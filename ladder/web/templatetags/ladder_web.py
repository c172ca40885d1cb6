"""Template helpers for the staff screens: the shell (org name, nav), phones and the timeline."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from ladder.activity.catalogue import ActivityType, ContactResult, Direction
from ladder.core.access import is_staff_user as _is_staff_user
from ladder.people.normalize import format_phone

register = template.Library()


@register.simple_tag
def org_name() -> str:
    return settings.LADDER_ORG_NAME


@register.filter
def is_staff_user(user: object) -> bool:
    return _is_staff_user(user)


@register.simple_tag(takes_context=True)
def nav_current(context: template.Context, prefix: str, besides: str = "") -> SafeString:
    """``aria-current="page"`` on the nav link of the section we are in (also styles it);
    ``besides`` lists comma-separated sub-paths that are sections of their own."""
    request: HttpRequest | None = context.get("request")
    others = [p for p in besides.split(",") if p]
    if (request is not None and request.path.startswith(prefix)
            and not any(request.path.startswith(p) for p in others)):  # fmt: skip
        return mark_safe('aria-current="page"')
    return mark_safe("")


@register.filter
def phone(number: str) -> str:
    return format_phone(number) if number else ""


# One glyph and one colour family per type. The glyphs are in DejaVu Sans and every system
# font we have met, so nothing depends on an emoji font; the label always sits beside them.
_T = ActivityType
ICONS: dict[str, tuple[str, str]] = {
    _T.EMAIL_SENT: ("✉", "email"),
    _T.EMAIL_OPENED: ("✉", "email"),
    _T.EMAIL_CLICKED: ("➚", "email"),
    _T.EMAIL_UNSUBSCRIBED: ("⊘", "warn"),
    _T.EMAIL_BOUNCED: ("⚠", "warn"),
    _T.DONATION: ("$", "money"),
    _T.DONATION_REFUND: ("$", "warn"),
    _T.RECURRING_CANCELLED: ("$", "warn"),
    _T.RSVP: ("✓", "event"),
    _T.ATTENDANCE: ("★", "event"),
    _T.NO_SHOW: ("✗", "warn"),
    _T.SHIFT_COMPLETED: ("★", "event"),
    _T.PETITION_SIGNATURE: ("✍", "action"),
    _T.FORM_SUBMISSION: ("▤", "action"),
    _T.CALL: ("☎", "contact"),
    _T.DOOR_KNOCK: ("⌂", "contact"),
    _T.TEXT: ("✆", "contact"),
    _T.MEETING: ("☕", "contact"),
    _T.SURVEY_RESPONSE: ("?", "contact"),
    _T.RELATIONAL_TOUCH: ("♥", "contact"),
    _T.SOCIAL_ENGAGEMENT: ("♺", "action"),
    _T.WEB_SIGNUP: ("+", "action"),
    _T.NOTE: ("✎", "system"),
    _T.TAG_ADDED: ("#", "system"),
    _T.RECRUITED: ("⚑", "action"),
    _T.LEVEL_CHANGE: ("▲", "system"),
    _T.MERGE: ("⇄", "system"),
    _T.ASK_OFFERED: ("↗", "contact"),
    _T.ASK_ACCEPTED: ("✓", "action"),
    _T.ASK_DECLINED: ("✗", "warn"),
    _T.ASK_DROPPED: ("↩", "warn"),
}


@register.simple_tag
def activity_icon(activity_type: str) -> SafeString:
    glyph, family = ICONS.get(activity_type, ("•", "system"))
    return format_html('<span class="ticon t-{}" aria-hidden="true">{}</span>', family, glyph)


@register.filter
def direction_arrow(direction: str) -> str:
    return "we → them" if direction == Direction.OUTBOUND else "they → us"


@register.filter
def result_label(code: str) -> str:
    if not code:
        return ""
    try:
        return str(ContactResult(code).label)
    except ValueError:
        return code.replace("_", " ")


# Payload keys worth a label on the timeline, in the order they read best. Anything else in
# the payload still shows, under its own key, so no detail is hidden from staff.
PAYLOAD_LABELS: dict[str, str] = {
    "text": "Note",
    "notes": "Notes",
    "survey": "Survey",
    "prompt": "Question",
    "question": "Question",
    "answer": "Answer",
    "comment": "Comment",
    "subject": "Subject",
    "mailing": "Mailing",
    "event": "Event",
    "shift": "Shift",
    "petition": "Petition",
    "form": "Form",
    "page": "Page",
    "url": "Link",
    "tag": "Tag",
    "level": "Level",
    "from_level": "From",
    "to_level": "To",
    "refcode": "Refcode",
    "recurring": "Recurring",
    "ask": "Ask",
    "ladder": "Ladder",
    "move": "Move",
    "from": "From",
    "to": "To",
}
# Internal references (ids of ladders and rungs): the names beside them say the same to people.
PAYLOAD_HIDDEN = frozenset({"ladder_id", "from_rung_id", "to_rung_id"})


@register.filter
def payload_items(payload: Any) -> list[tuple[str, str]]:
    """(label, text) pairs of an activity payload, known keys first."""
    if not isinstance(payload, dict):
        return []
    items: list[tuple[str, str]] = []
    for key, label in PAYLOAD_LABELS.items():
        if key == "question" and payload.get("prompt"):
            continue  # a survey answer: its question's words, not its key
        value = payload.get(key)
        if value not in (None, "", [], {}):
            items.append((label, _as_text(value)))
    for key, value in payload.items():
        if key in PAYLOAD_HIDDEN:
            continue
        if key not in PAYLOAD_LABELS and value not in (None, "", [], {}):
            items.append((key.replace("_", " ").capitalize(), _as_text(value)))
    return items


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_as_text(v)}" for k, v in value.items())
    return str(value)
