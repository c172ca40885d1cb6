"""Relational organizing: a volunteer uploads the people they know; Ladder matches them by
email, then phone, then name and postal code; a segment finds everyone a volunteer knows."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.organizing.relational import (
    contacts_add,
    contacts_parse,
    relational_touch,
    volunteer_person,
)
from ladder.people.models import Address, Person, Relationship
from ladder.people.services import group_add_person, person_create
from ladder.segments.selectors import segment_people

pytestmark = pytest.mark.django_db

CSV = """Name,E-mail Address,Mobile Phone,ZIP
Ana Alvarez,ana@example.org,,
Ben Brooks,BEN@Example.org,,
Cy Chen,cy@example.org,,
Dee Diaz,,515-555-0104,
Eve Evans,,(515) 555-0105,
Flo Fox,,,50309
Gus Green,,,50310
Hal Hart,hal@example.org,,
Ivy Ito,,515-555-0109,
Jo Jones,,,50311
,,,
"""


@pytest.fixture
def known_world(db):
    for first, last in [("Ana", "Alvarez"), ("Ben", "Brooks"), ("Cy", "Chen")]:
        person_create(actor=None, first_name=first, last_name=last,
                      email=f"{first.lower()}@example.org")  # fmt: skip
    person_create(actor=None, first_name="Dee", last_name="Diaz", phone="515-555-0104")
    person_create(actor=None, first_name="Eve", last_name="Evans", phone="515-555-0105")
    for first, last, postal in (("Flo", "Fox", "50309"), ("Gus", "Green", "50310")):
        person = person_create(actor=None, first_name=first, last_name=last)
        Address.objects.create(person=person, postal_code=postal, is_primary=True)
    # Someone with a name like a contact's but in another postal code: not a match.
    stranger = person_create(actor=None, first_name="Jo", last_name="Jones")
    Address.objects.create(person=stranger, postal_code="52240", is_primary=True)
    return Person.objects.count()


def test_ten_contacts_seven_matched_and_a_segment_finds_them(known_world, staff_user):
    volunteer = make_user("vera", Role.VOLUNTEER)
    contacts = contacts_parse(CSV.encode(), "contacts.csv")
    done = contacts_add(actor=volunteer, contacts=contacts)
    assert sorted(p.first_name for p in done.matched) == [
        "Ana", "Ben", "Cy", "Dee", "Eve", "Flo", "Gus",
    ]  # fmt: skip
    assert sorted(p.first_name for p in done.added) == ["Hal", "Ivy", "Jo"]
    assert done.unusable == [12]  # the empty row
    knower = volunteer_person(volunteer)
    assert Relationship.objects.filter(knower=knower).count() == 10
    known = segment_people(staff_user, {"version": 1, "match": {"kind": "known_by", "groups": []}})
    assert {p.pk for p in known} == {p.pk for p in done.known}
    # A second upload of the same file changes nothing.
    again = contacts_add(actor=volunteer, contacts=contacts)
    assert len(again.matched) == 10 and not again.added
    assert Relationship.objects.filter(knower=knower).count() == 10


def test_known_by_a_volunteer_in_a_group(known_world, staff_user, two_groups):
    in_a, in_b = make_user("ada_v", Role.VOLUNTEER), make_user("bo_v", Role.VOLUNTEER)
    group_add_person(actor=None, group=two_groups[0], person=volunteer_person(in_a))
    group_add_person(actor=None, group=two_groups[1], person=volunteer_person(in_b))
    contacts = contacts_parse(CSV.encode(), "contacts.csv")
    contacts_add(actor=in_a, contacts=contacts[:2])
    contacts_add(actor=in_b, contacts=contacts[2:3])
    via_a = segment_people(
        staff_user, {"version": 1, "match": {"kind": "known_by", "groups": [two_groups[0].pk]}}
    )
    assert sorted(p.first_name for p in via_a) == ["Ana", "Ben"]


def test_a_vcard_file_is_read(known_world):
    vcard = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Alvarez;Ana;;;\r\nFN:Ana Alvarez\r\n"
        "EMAIL;TYPE=INTERNET:ana@example.org\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Flo Fox\r\n"
        "ADR;TYPE=home:;;1 Elm St;Des Moines;IA;50309;US\r\nEND:VCARD\r\n"
    )
    contacts = contacts_parse(vcard.encode(), "export.vcf")
    assert [(c.first_name, c.last_name, c.email, c.postal_code) for c in contacts] == [
        ("Ana", "Alvarez", "ana@example.org", ""),
        ("Flo", "Fox", "", "50309"),
    ]
    done = contacts_add(actor=make_user("vera", Role.VOLUNTEER), contacts=contacts)
    assert sorted(p.first_name for p in done.matched) == ["Ana", "Flo"]


def test_a_file_with_nothing_to_match_on_gets_a_clear_answer(db):
    with pytest.raises(ValidationError, match="No column to match on"):
        contacts_parse(b"Nickname,Birthday\nAce,1990-01-01\n", "contacts.csv")
    volunteer = make_user("vera", Role.VOLUNTEER)
    contacts = contacts_parse(b"Name,ZIP\nAce,\nBo,\n", "contacts.csv")
    with pytest.raises(ValidationError, match="needs an email, a phone, or a name"):
        contacts_add(actor=volunteer, contacts=contacts)
    assert not Relationship.objects.exists()


def test_a_relational_touch_is_an_activity_by_the_volunteer(known_world):
    volunteer = make_user("vera", Role.VOLUNTEER)
    ana = Person.objects.get(first_name="Ana")
    relational_touch(actor=volunteer, person=ana, note="Coffee; she'll come Saturday")
    touch = Activity.objects.get(type=ActivityType.RELATIONAL_TOUCH, person=ana)
    assert touch.actor_id == volunteer.pk and "Saturday" in touch.payload["note"]


def test_the_condition_reads_in_words_and_refuses_bad_groups(two_groups):
    from ladder.segments.filters import FilterError, describe, parse

    assert describe({"version": 1, "match": {"kind": "known_by", "groups": []}}) == (
        "Known by a volunteer"
    )
    words = describe({"version": 1, "match": {"kind": "known_by", "groups": [two_groups[0].pk]}})
    assert words == "Known by a volunteer in Des Moines"
    with pytest.raises(FilterError, match="groups"):
        parse({"version": 1, "match": {"kind": "known_by", "groups": ["x"]}})
