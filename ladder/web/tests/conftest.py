"""Fixtures of the staff-screen tests: logged-in clients and people with real contact points,
tags, custom fields and history, all written through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import PersonStats
from ladder.activity.services import activity_record
from ladder.core.models import Role, User
from ladder.core.services import user_create
from ladder.ladders.scoring import raw_bound
from ladder.people.models import Address, CustomField, Person
from ladder.people.services import (
    consent_record,
    custom_fields_set,
    email_add,
    external_id_add,
    group_add_person,
    person_create,
    phone_add,
    tag_add,
)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(staff_user) -> Client:
    return logged_in(staff_user)


@pytest.fixture
def volunteer_user(db) -> User:
    return user_create(username="vic", role=Role.VOLUNTEER, password="x", validate=False)


@pytest.fixture
def fields(db) -> dict[str, CustomField]:
    definitions = [
        ("support", "Support score", CustomField.Type.CHOICE, ["1", "2", "3", "4", "5"]),
        ("yard_sign", "Wants yard sign", CustomField.Type.BOOLEAN, []),
        ("first_event", "First event", CustomField.Type.DATE, []),
        ("dues", "Monthly dues", CustomField.Type.NUMBER, []),
        ("shirt", "T-shirt size", CustomField.Type.TEXT, []),
    ]
    return {
        key: CustomField.objects.create(key=key, label=label, type=kind, choices=choices)
        for key, label, kind, choices in definitions
    }


@pytest.fixture
def maria(two_groups, staff_user, fields) -> Person:
    """A full profile: two emails (one unsubscribed), a do-not-call phone, an address with
    districts, tags, custom fields, external ids, stats and a history of several kinds."""
    person = person_create(
        actor=staff_user, first_name="Maria", last_name="Gonzalez",
        email="maria@example.org", phone="515-555-0134", source="petition: schools",
    )  # fmt: skip
    group_add_person(actor=None, group=two_groups[0], person=person)
    consent_record(
        actor=None, person=person, channel="email", contact_point="maria@example.org",
        status="opt_in", source="petition", by_person=True,
    )  # fmt: skip
    person_email = "maria.g@work.example"
    email_add(actor=None, person=person, address=person_email)
    consent_record(
        actor=None, person=person, channel="email", contact_point=person_email,
        status="opt_out", source="unsubscribe link", by_person=True,
    )  # fmt: skip
    phone_add(actor=None, person=person, number="319-555-0144", kind="home", do_not_call=True)
    Address.objects.create(
        person=person, line1="12 Grand Ave", locality="Des Moines", region="IA",
        postal_code="50309", congressional_district="IA-03", state_upper_district="17",
        state_lower_district="34", precinct="DM-12", is_primary=True,
    )  # fmt: skip
    tag_add(actor=None, person=person, name="school funding")
    external_id_add(actor=None, person=person, system="VAN", value="100234567")
    custom_fields_set(actor=None, person=person, values={"support": "2", "yard_sign": "yes"})
    now = timezone.now()
    history = [
        (ActivityType.DONATION, {"refcode": "em-0312"}, Decimal("25.00"), 10),
        (ActivityType.EMAIL_OPENED, {"subject": "Schools can't wait"}, None, 5),
        (ActivityType.SURVEY_RESPONSE, {"question": "Top issue?", "answer": "Rent"}, None, 3),
    ]
    for kind, payload, amount, days in history:
        activity_record(
            person=person, type=kind, payload=payload, amount=amount,
            occurred_at=now - dt.timedelta(days=days), source="seed",
        )  # fmt: skip
    PersonStats.objects.create(
        person=person, engagement_score=68, engagement_raw=raw_bound(68, now), actions_total=5,
        given_total=Decimal("1369.00"),
        given_365d=Decimal("461.00"), given_largest=Decimal("457.00"), gifts_count=3,
        events_attended=6, last_action_at=now - dt.timedelta(days=3), computed_at=now,
    )  # fmt: skip
    return person
