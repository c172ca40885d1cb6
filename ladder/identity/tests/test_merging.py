"""Merging two records of one person and undoing it: everything moves over, the merged id keeps
answering (in the UI and the API), consent keeps the strictest word, and an unmerge puts back
both records — with what reached the survivor since through the other's address."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity
from ladder.activity.services import activity_record
from ladder.api import ids
from ladder.api.tokens import token_create
from ladder.identity.merging import MergeError, merge_undo, not_duplicate_mark, person_merge
from ladder.identity.models import NotDuplicate
from ladder.identity.tests.state import ledger, person_state
from ladder.people.models import Channel, ConsentEvent, Person, Relationship, Subscription
from ladder.people.selectors import person_match, visible_people
from ladder.people.services import (
    consent_record,
    contact_suppressed,
    group_add_person,
    person_create,
    tag_add,
)
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def unsubscribe(person: Person, address: str) -> None:
    consent_record(
        actor=None, person=person, channel=Channel.EMAIL, contact_point=address,
        status=ConsentEvent.Status.OPT_OUT, source="unsubscribe link", by_person=True,
    )  # fmt: skip


@pytest.fixture
def pair(two_groups):  # type: ignore[no-untyped-def]
    """Ana, and a second record of her from a petition (a nickname, another email), in group A
    with a recruit and a friend of her own."""
    ana = person_create(actor=None, first_name="Ana", last_name="Lopez",
                        email="ana@example.org", phone="515-555-0101")  # fmt: skip
    dup = person_create(actor=None, first_name="Annie", email="annie@mail.example",
                        phone="515-555-0102")  # fmt: skip
    for person in (ana, dup):
        tag_add(actor=None, person=person, name="rent")
        group_add_person(actor=None, group=two_groups[0], person=person)
    tag_add(actor=None, person=dup, name="transit")
    activity_record(person=ana, type=T.RSVP, occurred_at=NOW - dt.timedelta(days=9))
    activity_record(person=dup, type=T.PETITION_SIGNATURE, occurred_at=NOW - dt.timedelta(days=3))
    recruit = person_create(actor=None, first_name="Rae", email="rae@example.org")
    recruit.recruited_by = dup
    recruit.save(update_fields=["recruited_by"])
    Relationship.objects.create(knower=dup, person=recruit)
    return ana, dup, recruit


def test_a_merge_moves_everything_over_and_keeps_what_would_clash_aside(staff_user, pair):
    ana, dup, recruit = pair
    merge = person_merge(actor=staff_user, survivor=ana, merged=dup)
    ana.refresh_from_db()
    dup.refresh_from_db()
    assert dup.merged_into == ana and not visible_people(staff_user).filter(pk=dup.pk).exists()
    assert (ana.first_name, ana.last_name) == ("Ana", "Lopez")  # the survivor's, by default
    assert set(ana.emails.values_list("address", flat=True)) == {  # type: ignore[attr-defined]
        "ana@example.org", "annie@mail.example",
    }  # fmt: skip
    assert ana.phones.count() == 2  # type: ignore[attr-defined]
    assert set(ana.taggings.values_list("tag__name", flat=True)) == {"rent", "transit"}  # type: ignore[attr-defined]
    # The same tag on both: the survivor has it; the other record's copy stays where it was.
    assert list(dup.taggings.values_list("tag__name", flat=True)) == ["rent"]  # type: ignore[attr-defined]
    kinds = set(Activity.objects.filter(person=ana).values_list("type", flat=True))
    assert {T.RSVP, T.PETITION_SIGNATURE, T.MERGE} <= kinds
    recruit.refresh_from_db()
    assert recruit.recruited_by == ana
    assert Relationship.objects.filter(knower=ana, person=recruit).exists()
    assert person_match(email="annie@mail.example") == ana
    assert ana.stats.actions_total == 2  # type: ignore[attr-defined]
    assert "people.EmailAddress.person" in merge.moved


def test_choices_pick_fields_from_either_record(staff_user, pair):
    ana, dup, _ = pair
    person_merge(actor=staff_user, survivor=ana, merged=dup,
                 choices={"first_name": "merged", "last_name": "survivor"})  # fmt: skip
    ana.refresh_from_db()
    assert (ana.first_name, ana.last_name, ana.sort_name) == ("Annie", "Lopez", "lopez annie")
    with pytest.raises(MergeError):
        other = person_create(actor=None, first_name="Zed")
        person_merge(actor=staff_user, survivor=other, merged=ana, choices={"first_name": "both"})


def test_the_merged_id_answers_in_the_ui_and_the_api(staff_user, leader_b, pair):
    ana, dup, _ = pair
    person_merge(actor=staff_user, survivor=ana, merged=dup)
    page = logged_in(staff_user).get(f"/people/{dup.pk}/")
    assert page.status_code == 302 and page["Location"] == f"/people/{ana.pk}/"
    assert logged_in(leader_b).get(f"/people/{dup.pk}/").status_code == 404  # not theirs
    _, raw = token_create(actor=None, user=staff_user, name="sync")
    api = Client().get(f"/api/v2/people/{ids.encode('person', dup.pk)}",
                       headers={"OSDI-API-Token": raw})  # fmt: skip
    assert api.status_code == 200
    body = api.json()
    assert body["identifiers"][0].endswith(ids.encode("person", ana.pk))
    assert {e["address"] for e in body["email_addresses"]} >= {"annie@mail.example"}


def test_merging_a_subscribed_duplicate_into_an_unsubscribed_person_keeps_them_unsubscribed(
    staff_user, pair
):
    ana, dup, _ = pair
    unsubscribe(ana, "ana@example.org")
    consent_record(actor=None, person=dup, channel=Channel.EMAIL,
                   contact_point="annie@mail.example", status=ConsentEvent.Status.OPT_IN,
                   source="petition", by_person=True)  # fmt: skip
    before = ledger()
    merge = person_merge(actor=staff_user, survivor=dup, merged=ana)  # either way round
    statuses = dict(dup.emails.values_list("address", "subscription"))  # type: ignore[attr-defined]
    assert statuses == {"ana@example.org": Subscription.UNSUBSCRIBED,
                        "annie@mail.example": Subscription.UNSUBSCRIBED}  # fmt: skip
    assert contact_suppressed(Channel.EMAIL, "annie@mail.example")
    assert ledger()[: len(before)] == before  # the ledger only grows
    merge_undo(actor=staff_user, merge=merge)
    assert dict(Person.objects.get(pk=dup.pk).emails.values_list("address", "subscription")) == {  # type: ignore[attr-defined]
        "annie@mail.example": Subscription.SUBSCRIBED,
    }
    assert not contact_suppressed(Channel.EMAIL, "annie@mail.example")
    assert ana.emails.get().subscription == Subscription.UNSUBSCRIBED  # type: ignore[attr-defined]
    assert ledger()[: len(before)] == before


def test_a_person_who_spoke_after_the_merge_keeps_their_word_on_unmerge(staff_user, pair):
    ana, dup, _ = pair
    unsubscribe(ana, "ana@example.org")
    merge = person_merge(actor=staff_user, survivor=ana, merged=dup)
    consent_record(actor=None, person=ana, channel=Channel.EMAIL,
                   contact_point="annie@mail.example", status=ConsentEvent.Status.OPT_IN,
                   source="preferences page", by_person=True,
                   occurred_at=timezone.now() + dt.timedelta(seconds=1))  # fmt: skip
    merge_undo(actor=staff_user, merge=merge)
    assert dup.emails.get().subscription == Subscription.SUBSCRIBED  # type: ignore[attr-defined]
    latest = ConsentEvent.objects.filter(contact_point="annie@mail.example").latest("id")
    assert latest.source == "preferences page"  # no unmerge line over the person's own word


def test_unmerge_restores_both_records_exactly(staff_user, pair):
    ana, dup, recruit = pair
    before = [person_state(p.pk) for p in (ana, dup, recruit)]
    merge = person_merge(actor=staff_user, survivor=ana, merged=dup,
                         choices={"first_name": "merged"})  # fmt: skip
    assert [person_state(p.pk) for p in (ana, dup, recruit)] != before
    merge_undo(actor=staff_user, merge=merge)
    assert [person_state(p.pk) for p in (ana, dup, recruit)] == before
    assert visible_people(staff_user).filter(pk=dup.pk).exists()
    with pytest.raises(MergeError, match="already been undone"):
        merge_undo(actor=staff_user, merge=merge)


def test_mail_that_reached_the_survivor_through_the_other_address_goes_back(staff_user, pair):
    from ladder.mailings.models import Delivery, Mailing

    ana, dup, _ = pair
    merge = person_merge(actor=staff_user, survivor=ana, merged=dup)
    news, appeal = (Mailing.objects.create(name=n, created_by=staff_user) for n in ("News", "Ask"))
    to_theirs = Delivery.objects.create(mailing=news, person=ana, email="annie@mail.example")
    to_mine = Delivery.objects.create(mailing=appeal, person=ana, email="ana@example.org")
    opened = activity_record(person=ana, type=T.EMAIL_OPENED, occurred_at=timezone.now(),
                             object_type="mailing", object_id=news.pk)  # fmt: skip
    clicked = activity_record(person=ana, type=T.EMAIL_CLICKED, occurred_at=timezone.now(),
                              object_type="mailing", object_id=appeal.pk)  # fmt: skip
    merge_undo(actor=staff_user, merge=merge)
    for row in (to_theirs, to_mine, opened, clicked):
        row.refresh_from_db()
    assert (to_theirs.person_id, opened.person_id) == (dup.pk, dup.pk)
    assert (to_mine.person_id, clicked.person_id) == (ana.pk, ana.pk)


def test_bad_merges_are_refused_and_change_nothing(staff_user, leader_b, pair):
    ana, dup, _ = pair
    with pytest.raises(MergeError):
        person_merge(actor=staff_user, survivor=ana, merged=ana)
    with pytest.raises(PermissionDenied):
        person_merge(actor=leader_b, survivor=ana, merged=dup)
    person_merge(actor=staff_user, survivor=ana, merged=dup)
    with pytest.raises(MergeError, match="already been merged"):
        person_merge(actor=staff_user, survivor=dup, merged=ana)
    assert Person.objects.get(pk=ana.pk).merged_into_id is None


def test_not_a_duplicate_is_remembered_once(staff_user, pair):
    ana, dup, _ = pair
    first = not_duplicate_mark(actor=staff_user, one=dup, other=ana)
    again = not_duplicate_mark(actor=staff_user, one=ana, other=dup)
    assert first.pk == again.pk and (first.low_id, first.high_id) == tuple(sorted((ana.pk, dup.pk)))
    assert NotDuplicate.objects.count() == 1


def test_an_unmerge_gives_back_times_to_the_microsecond(staff_user, pair):
    ana, dup, _ = pair
    odd = timezone.now().replace(microsecond=123)  # below a millisecond: JSON at ms would lose it
    Person.objects.filter(pk=dup.pk).update(created_at=odd, birthdate=dt.date(1990, 2, 28))
    merge = person_merge(actor=staff_user, survivor=ana, merged=dup)
    merge_undo(actor=staff_user, merge=merge)
    restored = Person.objects.get(pk=dup.pk)
    assert restored.created_at == odd and restored.birthdate == dt.date(1990, 2, 28)
