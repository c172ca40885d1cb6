"""The one typed catalogue of activity types. Every row of the activity log has one of these."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Direction(models.TextChoices):
    OUTBOUND = "out", "We → them"
    INBOUND = "in", "They → us"


class ActivityChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text"
    PHONE = "phone", "Phone"
    DOOR = "door", "Door"
    WEB = "web", "Web"
    IN_PERSON = "in_person", "In person"
    SOCIAL = "social", "Social"
    MAIL = "mail", "Mail"
    SYSTEM = "system", "System"


class ActivityType(models.TextChoices):
    EMAIL_SENT = "email_sent", "Email sent"
    EMAIL_OPENED = "email_opened", "Email opened"
    EMAIL_CLICKED = "email_clicked", "Email link clicked"
    EMAIL_UNSUBSCRIBED = "email_unsubscribed", "Unsubscribed"
    EMAIL_BOUNCED = "email_bounced", "Email bounced"
    DONATION = "donation", "Donation"
    DONATION_REFUND = "donation_refund", "Donation refunded"
    RECURRING_CANCELLED = "recurring_cancelled", "Recurring gift cancelled"
    RSVP = "rsvp", "RSVP"
    ATTENDANCE = "attendance", "Attended event"
    NO_SHOW = "no_show", "Did not attend"
    SHIFT_COMPLETED = "shift_completed", "Volunteer shift"
    PETITION_SIGNATURE = "petition_signature", "Signed petition"
    FORM_SUBMISSION = "form_submission", "Submitted form"
    CALL = "call", "Call"
    DOOR_KNOCK = "door_knock", "Door knock"
    TEXT = "text", "Text message"
    MEETING = "meeting", "Meeting / 1:1"
    SURVEY_RESPONSE = "survey_response", "Survey answer"
    RELATIONAL_TOUCH = "relational_touch", "Relational touch"
    SOCIAL_ENGAGEMENT = "social_engagement", "Social engagement"
    WEB_SIGNUP = "web_signup", "Signed up"
    NOTE = "note", "Note"
    TAG_ADDED = "tag_added", "Tag added"
    RECRUITED = "recruited", "Recruited someone"
    LEVEL_CHANGE = "level_change", "Ladder level changed"
    MERGE = "merge", "Records merged"
    ASK_OFFERED = "ask_offered", "Ask offered"
    ASK_ACCEPTED = "ask_accepted", "Ask accepted"
    ASK_DECLINED = "ask_declined", "Ask declined"
    ASK_DROPPED = "ask_dropped", "Dropped out of an ask"


@dataclass(frozen=True)
class TypeInfo:
    channel: str
    direction: str
    is_contact: bool = False  # a conversation attempt by the organization (calls, doors, texts)
    is_action: bool = False  # the person did something for the cause
    has_amount: bool = False


_T = ActivityType
_C = ActivityChannel
_OUT, _IN = Direction.OUTBOUND, Direction.INBOUND

CATALOGUE: dict[str, TypeInfo] = {
    _T.EMAIL_SENT: TypeInfo(_C.EMAIL, _OUT),
    _T.EMAIL_OPENED: TypeInfo(_C.EMAIL, _IN),
    _T.EMAIL_CLICKED: TypeInfo(_C.EMAIL, _IN),
    _T.EMAIL_UNSUBSCRIBED: TypeInfo(_C.EMAIL, _IN),
    _T.EMAIL_BOUNCED: TypeInfo(_C.EMAIL, _IN),
    _T.DONATION: TypeInfo(_C.WEB, _IN, is_action=True, has_amount=True),
    _T.DONATION_REFUND: TypeInfo(_C.WEB, _OUT, has_amount=True),
    _T.RECURRING_CANCELLED: TypeInfo(_C.WEB, _IN),
    _T.RSVP: TypeInfo(_C.WEB, _IN, is_action=True),
    _T.ATTENDANCE: TypeInfo(_C.IN_PERSON, _IN, is_action=True),
    _T.NO_SHOW: TypeInfo(_C.IN_PERSON, _IN),
    _T.SHIFT_COMPLETED: TypeInfo(_C.IN_PERSON, _IN, is_action=True),
    _T.PETITION_SIGNATURE: TypeInfo(_C.WEB, _IN, is_action=True),
    _T.FORM_SUBMISSION: TypeInfo(_C.WEB, _IN, is_action=True),
    _T.CALL: TypeInfo(_C.PHONE, _OUT, is_contact=True),
    _T.DOOR_KNOCK: TypeInfo(_C.DOOR, _OUT, is_contact=True),
    _T.TEXT: TypeInfo(_C.SMS, _OUT, is_contact=True),
    _T.MEETING: TypeInfo(_C.IN_PERSON, _OUT, is_contact=True, is_action=True),
    _T.SURVEY_RESPONSE: TypeInfo(_C.PHONE, _IN),
    _T.RELATIONAL_TOUCH: TypeInfo(_C.IN_PERSON, _OUT, is_contact=True),
    _T.SOCIAL_ENGAGEMENT: TypeInfo(_C.SOCIAL, _IN, is_action=True),
    _T.WEB_SIGNUP: TypeInfo(_C.WEB, _IN, is_action=True),
    _T.NOTE: TypeInfo(_C.SYSTEM, _OUT),
    _T.TAG_ADDED: TypeInfo(_C.SYSTEM, _OUT),
    _T.RECRUITED: TypeInfo(_C.IN_PERSON, _IN, is_action=True),
    _T.LEVEL_CHANGE: TypeInfo(_C.SYSTEM, _OUT),
    _T.MERGE: TypeInfo(_C.SYSTEM, _OUT),
    _T.ASK_OFFERED: TypeInfo(_C.SYSTEM, _OUT),
    _T.ASK_ACCEPTED: TypeInfo(_C.WEB, _IN, is_action=True),
    _T.ASK_DECLINED: TypeInfo(_C.WEB, _IN),
    _T.ASK_DROPPED: TypeInfo(_C.WEB, _IN),
}

CONTACT_TYPES = frozenset(t for t, i in CATALOGUE.items() if i.is_contact)
ACTION_TYPES = frozenset(t for t, i in CATALOGUE.items() if i.is_action)


class ContactResult(models.TextChoices):
    """Result codes for calls, doors and texts."""

    TALKED = "talked", "Talked"
    NOT_HOME = "not_home", "Not home"
    LEFT_MESSAGE = "left_message", "Left message"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    REFUSED = "refused", "Refused"
    MOVED = "moved", "Moved"
    DECEASED = "deceased", "Deceased"
    INACCESSIBLE = "inaccessible", "Inaccessible"


def info(activity_type: str) -> TypeInfo:
    return CATALOGUE[activity_type]
