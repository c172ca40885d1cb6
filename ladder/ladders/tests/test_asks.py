"""Asks with capacity, through the services: exactly N, waves, backfill, order, deadline,
ranking, targets and scope — on real SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.ladders.ask_selectors import (
    ask_for,
    ask_progress,
    ask_ranked,
    asks_visible,
    asks_with_progress,
)
from ladder.ladders.asks import (
    AskError,
    ask_close,
    ask_create,
    ask_offer_wave,
    ask_open,
    asks_sweep,
    offer_accept,
    offer_decline,
    offer_drop,
)
from ladder.ladders.models import Ask, AskOffer, Ladder, Rung, RungPlacement
from ladder.ladders.tests.ask_testing import (
    future,
    make_person,
    make_segment,
    offered_names,
    statuses,
    tagged,
)
from ladder.people.models import Phone, Tag
from ladder.people.services import consent_record

pytestmark = pytest.mark.django_db

A = AskOffer.Status


def activities(kind: str, ask: Ask) -> int:
    return Activity.objects.filter(type=kind, object_type="ask", object_id=ask.pk).count()


@pytest.fixture
def pool_of_20(staff_user):
    """A segment of exactly 20 people (tagged "captain pool"), plus 5 people outside it."""
    people = [
        make_person(f"P{i:02d}", tags=("captain pool",), score=float(100 - i)) for i in range(20)
    ]
    for i in range(5):
        make_person(f"Out{i}", score=500.0)
    tag = Tag.objects.get(name="captain pool")
    return people, make_segment(staff_user, tagged(tag.pk))


def test_done_when_ask_for_3_closes_at_exactly_3_and_a_dropout_reopens_one(staff_user, pool_of_20):
    _, segment = pool_of_20
    ask = ask_create(
        actor=staff_user, title="Phone-bank captains", needed=3, segment=segment, wave_factor=2
    )
    ask_open(actor=staff_user, ask=ask)
    ask.refresh_from_db()
    assert ask.status == Ask.Status.OPEN
    # First wave: 3 places × 2 = 6 offers, to the six best-scored people of the segment only.
    assert offered_names(ask) == ["P00", "P01", "P02", "P03", "P04", "P05"]
    assert activities(ActivityType.ASK_OFFERED, ask) == 6

    offers = {o.person.first_name: o for o in AskOffer.objects.filter(ask=ask)}
    for name in ("P03", "P00", "P05"):
        offer_accept(actor=None, offer=offers[name], source="ask link")
    ask.refresh_from_db()
    assert ask.status == Ask.Status.FILLED and ask.filled_at is not None
    assert statuses(ask) == {A.ACCEPTED: 3, A.WITHDRAWN: 3}
    assert activities(ActivityType.ASK_ACCEPTED, ask) == 3

    # Any later accept is refused with a clear message, and nothing changes.
    with pytest.raises(AskError, match="All 3 places have been filled"):
        offer_accept(actor=None, offer=offers["P01"])
    with pytest.raises(AskError):
        ask_offer_wave(actor=staff_user, ask=ask)
    assert ask_progress(ask).accepted == 3
    assert AskOffer.objects.filter(ask=ask).count() == 6

    # A dropout reopens exactly one place and backfills it with the next-best people.
    offer_drop(actor=staff_user, offer=offers["P05"])
    ask.refresh_from_db()
    assert ask.status == Ask.Status.OPEN and ask.filled_at is None
    progress = ask_progress(ask)
    assert (progress.accepted, progress.open_places, progress.dropped) == (2, 1, 1)
    assert offered_names(ask, wave=2) == ["P06", "P07"]  # 1 place × 2, best not yet offered
    assert activities(ActivityType.ASK_DROPPED, ask) == 1

    offer_accept(actor=None, offer=AskOffer.objects.get(ask=ask, person__first_name="P07"))
    ask.refresh_from_db()
    assert ask.status == Ask.Status.FILLED
    assert ask_progress(ask).accepted == 3
    assert AskOffer.objects.get(ask=ask, person__first_name="P06").status == A.WITHDRAWN


def test_decline_tops_the_wave_up(staff_user, pool_of_20):
    _, segment = pool_of_20
    ask = ask_create(actor=staff_user, title="Hosts", needed=2, segment=segment, wave_factor=2)
    ask_open(actor=staff_user, ask=ask)
    assert offered_names(ask) == ["P00", "P01", "P02", "P03"]
    offer_decline(actor=None, offer=AskOffer.objects.get(ask=ask, person__first_name="P01"))
    assert offered_names(ask, wave=2) == ["P04"]
    assert statuses(ask) == {A.OFFERED: 4, A.DECLINED: 1}
    assert activities(ActivityType.ASK_DECLINED, ask) == 1
    # An accept does not top up (the place is taken); the next wave is empty by the rule.
    offer_accept(actor=None, offer=AskOffer.objects.get(ask=ask, person__first_name="P00"))
    assert ask_progress(ask).next_wave == 0
    assert ask_offer_wave(actor=staff_user, ask=ask) == []


def test_offer_to_n_more_and_wave_bounds(staff_user, pool_of_20):
    _, segment = pool_of_20
    ask = ask_create(actor=staff_user, title="Callers", needed=2, segment=segment, wave_factor=1)
    ask_open(actor=staff_user, ask=ask)
    assert len(offered_names(ask)) == 2
    more = ask_offer_wave(actor=staff_user, ask=ask, count=5)
    assert [o.person.first_name for o in more] == ["P02", "P03", "P04", "P05", "P06"]
    assert {o.wave for o in more} == {2}
    with pytest.raises(AskError) as err:
        ask_offer_wave(actor=staff_user, ask=ask, count=0)
    assert "count" in err.value.message_dict
    # Asking for more than are left offers the rest, no error.
    rest = ask_offer_wave(actor=staff_user, ask=ask, count=100)
    assert len(rest) == 20 - 7
    assert ask_offer_wave(actor=staff_user, ask=ask, count=3) == []


def test_answers_are_idempotent_and_state_checked(staff_user, pool_of_20):
    _, segment = pool_of_20
    ask = ask_create(actor=staff_user, title="Drivers", needed=2, segment=segment)
    ask_open(actor=staff_user, ask=ask)
    first = AskOffer.objects.get(ask=ask, person__first_name="P00")
    offer_accept(actor=None, offer=first)
    offer_accept(actor=None, offer=first)  # a second click on the same link
    assert activities(ActivityType.ASK_ACCEPTED, ask) == 1
    assert ask_progress(ask).accepted == 1
    with pytest.raises(AskError, match="record a dropout"):
        offer_decline(actor=None, offer=first)
    second = AskOffer.objects.get(ask=ask, person__first_name="P01")
    with pytest.raises(AskError, match="Only someone who accepted"):
        offer_drop(actor=None, offer=second)
    offer_decline(actor=None, offer=second)
    with pytest.raises(AskError, match="already declined"):
        offer_accept(actor=None, offer=second)
    activity = Activity.objects.get(type=ActivityType.ASK_DECLINED, person=second.person)
    assert activity.payload == {"ask": "Drivers", "wave": 1}
    assert activity.idempotency_key == f"ask-offer:{second.pk}:ask_declined"


def test_withdrawn_offer_can_take_a_reopened_place(staff_user, pool_of_20):
    _, segment = pool_of_20
    ask = ask_create(actor=staff_user, title="Captains", needed=1, segment=segment)
    ask_open(actor=staff_user, ask=ask)
    winner = AskOffer.objects.get(ask=ask, person__first_name="P00")
    late = AskOffer.objects.get(ask=ask, person__first_name="P01")
    offer_accept(actor=None, offer=winner)
    late.refresh_from_db()
    assert late.status == A.WITHDRAWN
    offer_drop(actor=None, offer=winner)
    offer_accept(actor=None, offer=late)
    ask.refresh_from_db()
    assert ask.status == Ask.Status.FILLED and ask_progress(ask).accepted == 1


def test_opens_after_chains_asks(staff_user, pool_of_20):
    _, segment = pool_of_20
    captains = ask_create(actor=staff_user, title="Captains", needed=1, segment=segment)
    callers = ask_create(
        actor=staff_user, title="Callers", needed=2, segment=segment, opens_after=captains
    )
    ask_open(actor=staff_user, ask=callers)
    callers.refresh_from_db()
    assert callers.status == Ask.Status.WAITING
    assert AskOffer.objects.filter(ask=callers).count() == 0
    assert asks_sweep().offered == 0  # the worker does not open a waiting ask early

    ask_open(actor=staff_user, ask=captains)
    offer_accept(actor=None, offer=AskOffer.objects.filter(ask=captains).order_by("-rank")[0])
    captains.refresh_from_db()
    callers.refresh_from_db()
    assert captains.status == Ask.Status.FILLED
    assert callers.status == Ask.Status.OPEN and callers.opened_at is not None
    assert AskOffer.objects.filter(ask=callers, status=A.OFFERED).count() == 4


def test_waiting_ask_can_be_opened_by_hand(staff_user, pool_of_20):
    _, segment = pool_of_20
    first = ask_create(actor=staff_user, title="First", needed=1, segment=segment)
    second = ask_create(
        actor=staff_user, title="Second", needed=1, segment=segment, opens_after=first
    )
    ask_open(actor=staff_user, ask=second)
    ask_open(actor=staff_user, ask=second)  # the organizer overrides the order
    second.refresh_from_db()
    assert second.status == Ask.Status.OPEN
    with pytest.raises(AskError, match="already open"):
        ask_open(actor=staff_user, ask=second)


def test_deadline_stops_offers_and_closing_withdraws(staff_user, pool_of_20):
    _, segment = pool_of_20
    deadline = future(1)
    ask = ask_create(actor=staff_user, title="Friday", needed=3, segment=segment, deadline=deadline)
    ask_open(actor=staff_user, ask=ask)
    offer = AskOffer.objects.filter(ask=ask).order_by("-rank")[0]
    offer_accept(actor=None, offer=offer)
    after = deadline + dt.timedelta(minutes=1)
    # Past the deadline, before the worker's pass: accepts and waves are refused.
    with pytest.raises(AskError, match="deadline"):
        offer_accept(actor=None, offer=AskOffer.objects.filter(ask=ask, status=A.OFFERED)[0],
                     now=after)  # fmt: skip
    with pytest.raises(AskError, match="deadline"):
        ask_offer_wave(actor=staff_user, ask=ask, now=after)
    # A decline past the deadline is recorded but sends no backfill.
    offer_decline(actor=None, offer=AskOffer.objects.filter(ask=ask, status=A.OFFERED)[0],
                  now=after)  # fmt: skip
    assert AskOffer.objects.filter(ask=ask, wave=2).count() == 0
    result = asks_sweep(now=after)
    ask.refresh_from_db()
    assert (result.closed, ask.status) == (1, Ask.Status.CLOSED)
    assert statuses(ask) == {A.ACCEPTED: 1, A.DECLINED: 1, A.WITHDRAWN: 4}
    with pytest.raises(AskError, match="closed"):
        offer_accept(actor=None, offer=AskOffer.objects.filter(ask=ask, status=A.WITHDRAWN)[0])


def test_close_by_hand_keeps_acceptances(staff_user, pool_of_20):
    _, segment = pool_of_20
    ask = ask_create(actor=staff_user, title="Close me", needed=2, segment=segment)
    ask_open(actor=staff_user, ask=ask)
    offer_accept(actor=None, offer=AskOffer.objects.filter(ask=ask).order_by("-rank")[0])
    ask_close(actor=staff_user, ask=ask)
    ask.refresh_from_db()
    assert ask.status == Ask.Status.CLOSED
    assert statuses(ask) == {A.ACCEPTED: 1, A.WITHDRAWN: 3}
    with pytest.raises(AskError):
        ask_open(actor=staff_user, ask=ask)


def test_sweep_tops_up_an_open_ask_when_new_people_join(staff_user):
    make_person("Only", tags=("pool",))
    segment = make_segment(staff_user, tagged(Tag.objects.get(name="pool").pk))
    ask = ask_create(actor=staff_user, title="Grow", needed=2, segment=segment)
    ask_open(actor=staff_user, ask=ask)
    assert AskOffer.objects.filter(ask=ask).count() == 1  # wave ran short
    make_person("Newcomer", tags=("pool",))
    assert asks_sweep().offered == 1
    assert offered_names(ask, wave=2) == ["Newcomer"]
    assert asks_sweep().offered == 0


def test_ranking_prefers_tags_and_place_then_engagement(staff_user):
    make_person("HighScore", score=800.0, postal_code="10001")
    make_person("Skilled", tags=("spanish",), score=5.0, postal_code="10001")
    make_person("Nearby", score=1.0, postal_code="50309")
    make_person("Both", tags=("spanish",), score=0.0, postal_code="50311")
    make_person("Mid", score=300.0)
    make_person("Unscored")
    segment = make_segment(staff_user)
    spanish = Tag.objects.get(name="spanish")
    ask = ask_create(
        actor=staff_user, title="Spanish callers in Des Moines", needed=1, segment=segment,
        prefer_tags=[spanish], prefer_postal_prefix="503",
    )  # fmt: skip
    ranked: list[Any] = list(ask_ranked(ask, actor=staff_user))  # annotated rows
    assert [p.first_name for p in ranked] == [
        "Both", "Skilled", "Nearby", "HighScore", "Mid", "Unscored",
    ]  # fmt: skip
    both = ranked[0]
    assert (both.pref_tags, both.pref_near) == (1, 1)
    assert ranked[3].engagement == pytest.approx(800.0, abs=0.01)
    # The fit of each offer is kept on it.
    ask_open(actor=staff_user, ask=ask)
    assert AskOffer.objects.get(ask=ask, person=both).rank == pytest.approx(2000.0, abs=0.01)


def test_ranking_counts_responsiveness_and_outstanding_asks(staff_user):
    busy = make_person("Busy", score=50.0)
    responsive = make_person("Responsive", score=50.0)
    make_person("Plain", score=50.0)
    segment = make_segment(staff_user)
    # Busy has two unanswered offers elsewhere; Responsive answered one recently.
    for title in ("Other 1", "Other 2"):
        other = ask_create(actor=staff_user, title=title, needed=5, segment=segment)
        Ask.objects.filter(pk=other.pk).update(status=Ask.Status.OPEN)
        now = timezone.now()
        AskOffer.objects.create(ask=other, person=busy, offered_at=now)
        AskOffer.objects.create(
            ask=other, person=responsive, offered_at=now, status=A.DECLINED, answered_at=now
        )
    ask = ask_create(actor=staff_user, title="Now", needed=1, segment=segment)
    ranked: list[Any] = list(ask_ranked(ask, actor=staff_user))  # annotated rows
    assert [p.first_name for p in ranked] == ["Responsive", "Plain", "Busy"]
    assert (ranked[0].responsive, ranked[2].outstanding) == (2, 2)


def test_excludes_unreachable_merged_and_already_offered(staff_user):
    keep = make_person("Keep")
    phone_only = make_person("PhoneOnly", email=False, phone="515-555-0101")
    make_person("NoContact", email=False)
    dnc = make_person("DoNotCall", email=False, phone="515-555-0102")
    Phone.objects.filter(person=dnc).update(do_not_call=True)
    unsubscribed = make_person("Unsub")
    consent_record(
        actor=None, person=unsubscribed, channel="email", contact_point="unsub@example.org",
        status="opt_out", source="unsubscribe link", by_person=True,
    )  # fmt: skip
    merged = make_person("Merged")
    merged.merged_into = keep
    merged.save()
    ask = ask_create(actor=staff_user, title="Reach", needed=5, segment=make_segment(staff_user))
    assert {p.first_name for p in ask_ranked(ask, actor=staff_user)} == {"Keep", "PhoneOnly"}
    ask_open(actor=staff_user, ask=ask)
    assert set(AskOffer.objects.filter(ask=ask).values_list("person_id", flat=True)) == {
        keep.pk, phone_only.pk,
    }  # fmt: skip
    assert list(ask_ranked(ask, actor=staff_user)) == []


def test_rung_target_takes_that_rung_and_higher(staff_user):
    ladder = Ladder.objects.create(name="Volunteer", slug="volunteer")
    rungs = [
        Rung.objects.create(ladder=ladder, position=i, name=name, criteria={})
        for i, name in enumerate(["Supporter", "Volunteer", "Captain"], start=1)
    ]
    now = timezone.now()
    for name, rung in [("Low", rungs[0]), ("Mid", rungs[1]), ("Top", rungs[2])]:
        person = make_person(name)
        RungPlacement.objects.create(person=person, ladder=ladder, rung=rung, since=now)
    make_person("Off")
    ask = ask_create(actor=staff_user, title="Leads", needed=2, rung=rungs[1])
    assert {p.first_name for p in ask_ranked(ask, actor=staff_user)} == {"Mid", "Top"}
    # Segment and rung together: people in both.
    only_top = make_segment(staff_user, {"version": 1, "match": {
        "kind": "field", "field": "first_name", "op": "in", "value": ["Top", "Low"]}})  # fmt: skip
    both = ask_create(actor=staff_user, title="Both", needed=1, rung=rungs[1], segment=only_top)
    assert [p.first_name for p in ask_ranked(both, actor=staff_user)] == ["Top"]


def test_create_validates(staff_user, leader_a, two_groups, pool_of_20):
    _, segment = pool_of_20
    with pytest.raises(AskError) as err:
        ask_create(
            actor=staff_user, title="  ", needed=0, wave_factor=0,
            deadline=timezone.now() - dt.timedelta(hours=1), prefer_postal_prefix="5-0",
        )  # fmt: skip
    assert set(err.value.message_dict) == {
        "title", "needed", "wave_factor", "segment", "deadline", "prefer_postal_prefix",
    }  # fmt: skip
    # A leader: only their groups, only segments they may use.
    with pytest.raises(AskError) as err:
        ask_create(actor=leader_a, title="X", needed=1, segment=segment, group=two_groups[1])
    assert set(err.value.message_dict) == {"segment", "group"}
    with pytest.raises(AskError) as err:
        ask_create(actor=leader_a, title="X", needed=1, segment=segment)
    assert "group" in err.value.message_dict
    volunteer = make_user("vee", Role.VOLUNTEER)
    with pytest.raises(AskError, match="Only staff and leaders"):
        ask_create(actor=volunteer, title="X", needed=1, segment=segment)


def test_scoping_leader_asks_reach_only_their_people(leader_a, leader_b, two_groups, staff_user):
    for i in range(3):
        make_person(f"A{i}", group=two_groups[0], score=10.0)
        make_person(f"B{i}", group=two_groups[1], score=90.0)
    # The leader's segment is "everyone": scope still keeps it to group A.
    segment = make_segment(leader_a, group=two_groups[0])
    ask = ask_create(
        actor=leader_a, title="A's captains", needed=2, segment=segment, group=two_groups[0]
    )
    ask_open(actor=leader_a, ask=ask)
    assert sorted(offered_names(ask)) == ["A0", "A1", "A2"]
    # Leader B sees nothing of it: not listed, 404 on it, no offers.
    assert list(asks_visible(leader_b)) == []
    assert asks_with_progress(leader_b) == []
    with pytest.raises(Http404):
        ask_for(leader_b, ask.pk)
    assert ask_for(leader_a, ask.pk) == ask
    assert ask_for(staff_user, ask.pk) == ask
    # Staff acting on the leader's ask still offer within the leader's scope.
    assert list(ask_ranked(ask, actor=staff_user)) == []
    # And a leader acting on a staff ask offers only within their own scope.
    staff_ask = ask_create(
        actor=staff_user, title="Org-wide", needed=1, segment=make_segment(staff_user),
        group=two_groups[1],
    )  # fmt: skip
    assert {p.first_name for p in ask_ranked(staff_ask, actor=leader_b)} == {"B0", "B1", "B2"}
