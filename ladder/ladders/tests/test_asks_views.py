"""The ask screens and the public accept/decline link, through Django's test client."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.ladders.ask_selectors import LINK_MAX_AGE, LINK_SALT, offer_token
from ladder.ladders.asks import ask_create, ask_open, offer_accept
from ladder.ladders.models import Ask, AskOffer
from ladder.ladders.tests.ask_testing import future, make_person, make_segment
from ladder.people.models import Tag

pytestmark = pytest.mark.django_db
A = AskOffer.Status


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def open_ask(staff_user) -> Ask:
    for i in range(6):
        make_person(f"Vol{i}", phone=f"515-555-01{i:02d}", score=float(60 - i))
    ask = ask_create(
        actor=staff_user, title="Canvass captains", needed=2, segment=make_segment(staff_user),
        description="Lead a canvass team on Saturday.", deadline=future(3),
    )  # fmt: skip
    ask_open(actor=staff_user, ask=ask)
    return ask


# ---- Staff screens ------------------------------------------------------------------------


def test_list_shows_progress_status_and_deadline(staff_user, open_ask):
    offer_accept(actor=None, offer=AskOffer.objects.filter(ask=open_ask).order_by("-rank")[0])
    response = logged_in(staff_user).get("/asks/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Canvass captains" in html
    assert 'aria-valuenow="1"' in html and 'aria-valuemax="2"' in html
    assert "1 / 2" in html
    assert "Open" in html
    assert "<time" in html  # the deadline


def test_nav_has_asks_for_staff_and_leaders_only(staff_user, leader_a):
    assert 'href="/asks/"' in logged_in(staff_user).get("/people/").content.decode()
    assert 'href="/asks/"' in logged_in(leader_a).get("/people/").content.decode()
    volunteer = make_user("vee", Role.VOLUNTEER)
    assert 'href="/asks/"' not in logged_in(volunteer).get("/people/").content.decode()
    assert logged_in(volunteer).get("/asks/").status_code == 403
    assert Client().get("/asks/").status_code == 302  # to the login page


def test_new_ask_form_creates_a_draft(staff_user):
    make_person("Ana", tags=("spanish",))
    segment = make_segment(staff_user)
    spanish = Tag.objects.get(name="spanish")
    client = logged_in(staff_user)
    assert client.get("/asks/new/").status_code == 200
    deadline = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/asks/new/", {
        "title": "Phone-bank captains", "description": "Run a phone bank.", "needed": "10",
        "segment": segment.pk, "prefer_tags": [spanish.pk], "prefer_postal_prefix": "503",
        "deadline": deadline, "wave_factor": "3",
    })  # fmt: skip
    ask = Ask.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/asks/{ask.pk}/"
    assert (ask.status, ask.needed, ask.wave_factor, ask.created_by) == (
        Ask.Status.DRAFT, 10, 3, staff_user,
    )  # fmt: skip
    assert list(ask.prefer_tags.all()) == [spanish]
    assert ask.prefer_postal_prefix == "503"


def _errors_next_to_fields(html: str) -> dict[str, str]:
    """Field name → the error text rendered in that field's group."""
    found = {}
    for name in ("title", "needed", "segment", "deadline", "wave_factor", "prefer_postal_prefix",
                 "group", "opens_after"):  # fmt: skip
        match = re.search(rf'<ul class="errorlist" id="id_{name}_error"><li>(.*?)</li>', html, re.S)
        if match:
            found[name] = match.group(1)
    return found


def test_new_ask_bad_input_shows_errors_next_to_fields(staff_user):
    client = logged_in(staff_user)
    past = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/asks/new/", {
        "title": "", "needed": "0", "deadline": past, "wave_factor": "abc",
        "prefer_postal_prefix": "50-3", "segment": "999999",
    })  # fmt: skip
    assert response.status_code == 200
    errors = _errors_next_to_fields(response.content.decode())
    assert set(errors) == {
        "title", "needed", "segment", "deadline", "wave_factor", "prefer_postal_prefix",
    }  # fmt: skip
    assert "future" in errors["deadline"]
    assert Ask.objects.count() == 0
    # No target at all: the error sits by the segment field.
    response = client.post("/asks/new/", {"title": "T", "needed": "2", "wave_factor": "2"})
    assert (
        "a segment, a rung, or both" in _errors_next_to_fields(response.content.decode())["segment"]
    )


def _select(html: str, name: str) -> str:
    start = html.index(f'name="{name}"')
    return html[start : html.index("</select>", start)]


def test_leader_form_offers_only_their_groups_and_segments(leader_a, leader_b, two_groups):
    mine = make_segment(leader_a, group=two_groups[0])
    theirs = make_segment(leader_b, group=two_groups[1])
    client = logged_in(leader_a)
    html = client.get("/asks/new/").content.decode()
    segment_select = _select(html, "segment")
    assert f'value="{mine.pk}"' in segment_select
    assert f'value="{theirs.pk}"' not in segment_select
    group_select = _select(html, "group")
    assert f'value="{two_groups[0].pk}"' in group_select
    assert f'value="{two_groups[1].pk}"' not in group_select
    response = client.post("/asks/new/", {
        "title": "Sneaky", "needed": "1", "segment": theirs.pk, "group": two_groups[1].pk,
        "wave_factor": "2",
    })  # fmt: skip
    errors = _errors_next_to_fields(response.content.decode())
    assert set(errors) == {"segment", "group"}
    assert Ask.objects.count() == 0
    response = client.post("/asks/new/", {
        "title": "Mine", "needed": "1", "segment": mine.pk, "group": two_groups[0].pk,
        "wave_factor": "2",
    })  # fmt: skip
    assert response.status_code == 302
    assert Ask.objects.get().group == two_groups[0]


def test_detail_lists_offers_with_contact_rank_status_and_link(staff_user, open_ask):
    response = logged_in(staff_user).get(f"/asks/{open_ask.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    offers = list(AskOffer.objects.filter(ask=open_ask).select_related("person"))
    assert len(offers) == 4
    for offer in offers:
        assert offer.person.display_name in html
        assert f"{offer.person.first_name.lower()}@example.org" in html
        assert f'id="offer-{offer.pk}"' in html
    assert "(515) 555-0100" in html  # the best fit's phone, formatted
    assert html.count("http://testserver/a/") == 4  # one signed link per waiting offer
    assert "Offer to N more" in html and "Close the ask" in html


def test_staff_record_answers_and_over_accept_is_a_message(staff_user, open_ask):
    client = logged_in(staff_user)
    offers = list(AskOffer.objects.filter(ask=open_ask).order_by("-rank"))
    for offer in offers[:2]:
        response = client.post(f"/asks/{open_ask.pk}/offers/{offer.pk}/accept/", follow=True)
        assert response.status_code == 200
        assert f"{offer.person.display_name} accepted." in response.content.decode()
    open_ask.refresh_from_db()
    assert open_ask.status == Ask.Status.FILLED
    response = client.post(f"/asks/{open_ask.pk}/offers/{offers[2].pk}/accept/", follow=True)
    assert response.status_code == 200
    assert "All 2 places have been filled" in response.content.decode()
    assert AskOffer.objects.filter(ask=open_ask, status=A.ACCEPTED).count() == 2
    # A dropout recorded by staff reopens the ask and backfills.
    response = client.post(f"/asks/{open_ask.pk}/offers/{offers[0].pk}/drop/", follow=True)
    assert "the place is open again" in response.content.decode()
    open_ask.refresh_from_db()
    assert open_ask.status == Ask.Status.OPEN
    assert AskOffer.objects.filter(ask=open_ask, wave=2).count() == 2
    activity = Activity.objects.filter(type=ActivityType.ASK_DROPPED).get()
    assert (activity.actor, activity.source) == (staff_user, "staff")
    # Unknown answers and offers of other asks are 404s, GET is not allowed.
    assert client.post(f"/asks/{open_ask.pk}/offers/{offers[1].pk}/maybe/").status_code == 404
    assert client.post(f"/asks/{open_ask.pk}/offers/999999/accept/").status_code == 404
    assert client.get(f"/asks/{open_ask.pk}/offers/{offers[1].pk}/accept/").status_code == 405


def test_open_wave_and_close_buttons(staff_user):
    for i in range(10):
        make_person(f"W{i}")
    ask = ask_create(actor=staff_user, title="Buttons", needed=2, segment=make_segment(staff_user))
    client = logged_in(staff_user)
    response = client.post(f"/asks/{ask.pk}/open/", follow=True)
    assert "offered to 4 people" in response.content.decode()
    response = client.post(f"/asks/{ask.pk}/wave/", {"count": "3"}, follow=True)
    assert "Offered to 3 more people" in response.content.decode()
    response = client.post(f"/asks/{ask.pk}/wave/", {"count": "-2"}, follow=True)
    assert response.status_code == 200
    assert "Offer to how many?" in response.content.decode()
    response = client.post(f"/asks/{ask.pk}/wave/", {"count": ""}, follow=True)
    assert "Nobody new to offer it to right now" in response.content.decode()  # 7 out ≥ 2×2
    assert AskOffer.objects.filter(ask=ask).count() == 7
    response = client.post(f"/asks/{ask.pk}/close/", follow=True)
    assert "offers still waiting were withdrawn" in response.content.decode()
    response = client.post(f"/asks/{ask.pk}/wave/", {"count": "1"}, follow=True)
    assert "Only an open ask is offered" in response.content.decode()
    assert AskOffer.objects.filter(ask=ask, status=A.WITHDRAWN).count() == 7


def test_leader_of_another_group_sees_and_offers_nothing(leader_a, leader_b, two_groups):
    for i in range(3):
        make_person(f"A{i}", group=two_groups[0])
    segment = make_segment(leader_a, group=two_groups[0])
    ask = ask_create(actor=leader_a, title="Chapter A", needed=1, segment=segment,
                     group=two_groups[0])  # fmt: skip
    ask_open(actor=leader_a, ask=ask)
    offer = AskOffer.objects.filter(ask=ask).first()
    assert offer is not None
    mine = logged_in(leader_a)
    assert "Chapter A" in mine.get("/asks/").content.decode()
    assert mine.get(f"/asks/{ask.pk}/").status_code == 200
    other = logged_in(leader_b)
    assert "Chapter A" not in other.get("/asks/").content.decode()
    assert other.get(f"/asks/{ask.pk}/").status_code == 404
    for path in ("open/", "wave/", "close/", f"offers/{offer.pk}/accept/"):
        assert other.post(f"/asks/{ask.pk}/{path}").status_code == 404, path
    ask.refresh_from_db()
    assert ask.status == Ask.Status.OPEN
    assert AskOffer.objects.filter(ask=ask).count() == 2
    offer.refresh_from_db()
    assert offer.status == A.OFFERED


def test_staff_ask_shown_to_a_group_leader_lists_only_their_people(
    staff_user, leader_a, two_groups
):
    make_person("InA", group=two_groups[0])
    make_person("InB", group=two_groups[1])
    ask = ask_create(actor=staff_user, title="Shared", needed=1, segment=make_segment(staff_user),
                     group=two_groups[0])  # fmt: skip
    ask_open(actor=staff_user, ask=ask)
    assert AskOffer.objects.filter(ask=ask).count() == 2
    html = logged_in(leader_a).get(f"/asks/{ask.pk}/").content.decode()
    assert "InA Tester" in html and "InB Tester" not in html


# ---- The public link ------------------------------------------------------------------------


def _best(ask: Ask) -> AskOffer:
    return AskOffer.objects.filter(ask=ask).order_by("-rank").select_related("person")[0]


def test_link_page_accepts_with_csrf_and_thanks(open_ask):
    offer = _best(open_ask)
    url = f"/a/{offer_token(offer)}/"
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Canvass captains" in html and "Lead a canvass team" in html
    assert 'value="accept"' in html and 'value="decline"' in html
    assert 'name="viewport"' in html
    # Without the CSRF token the POST is refused; with it, it works.
    assert client.post(url, {"answer": "accept"}).status_code == 403
    token = client.cookies["csrftoken"].value
    response = client.post(url, {"answer": "accept", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == f"{url}?answered=accept"
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you — you're in!" in thanks
    assert "I can't make it any more" in thanks
    offer.refresh_from_db()
    assert offer.status == A.ACCEPTED
    activity = Activity.objects.get(type=ActivityType.ASK_ACCEPTED, person=offer.person)
    assert (activity.actor, activity.source, activity.object_id) == (None, "ask link", open_ask.pk)


def test_link_page_decline_then_drop_and_refusals(open_ask):
    client = Client()
    offers = list(AskOffer.objects.filter(ask=open_ask).order_by("-rank"))
    declined = f"/a/{offer_token(offers[0])}/"
    response = client.post(declined, {"answer": "decline"}, follow=True)
    assert "Thanks for letting us know" in response.content.decode()
    offers[0].refresh_from_db()
    assert offers[0].status == A.DECLINED
    # Accepting after declining: a clear refusal, not a 500.
    response = client.post(declined, {"answer": "accept"})
    assert response.status_code == 409
    assert "already declined" in response.content.decode()
    # Two accept; the ask fills; a third link holder is told so.
    for offer in offers[1:3]:
        client.post(f"/a/{offer_token(offer)}/", {"answer": "accept"})
    response = client.post(f"/a/{offer_token(offers[3])}/", {"answer": "accept"})
    assert response.status_code == 409
    assert "All 2 places have been filled" in response.content.decode()
    assert AskOffer.objects.filter(ask=open_ask, status=A.ACCEPTED).count() == 2
    # One who accepted drops out through their link: the ask reopens.
    response = client.post(f"/a/{offer_token(offers[1])}/", {"answer": "drop"}, follow=True)
    assert "given your place to someone else" in response.content.decode()
    open_ask.refresh_from_db()
    assert open_ask.status == Ask.Status.OPEN
    # A made-up answer is a 400.
    assert client.post(f"/a/{offer_token(offers[2])}/", {"answer": "x"}).status_code == 400


def test_tampered_expired_and_unknown_links(open_ask):
    offer = _best(open_ask)
    token = offer_token(offer)
    client = Client()
    _, stamp, signature = token.split(":")
    other = AskOffer.objects.exclude(pk=offer.pk).first()
    assert other is not None
    for bad in (f"{other.pk}:{stamp}:{signature}", token[:-2] + "xx", "garbage"):
        response = client.get(f"/a/{bad}/")
        assert response.status_code == 400, bad
        assert "This link does not work" in response.content.decode()
        assert client.post(f"/a/{bad}/", {"answer": "accept"}).status_code == 400
    old = signing.TimestampSigner(salt=LINK_SALT)
    old.timestamp = lambda: signing.b62_encode(  # type: ignore[method-assign]
        int(time.time() - LINK_MAX_AGE.total_seconds() - 60)
    )
    response = client.get(f"/a/{old.sign(str(offer.pk))}/")
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    gone = signing.TimestampSigner(salt=LINK_SALT).sign("99999999")
    assert client.get(f"/a/{gone}/").status_code == 404
    offer.refresh_from_db()
    assert offer.status == A.OFFERED
    # A token signed for something else (another salt) does not open an offer.
    assert client.get(f"/a/{signing.TimestampSigner().sign(str(offer.pk))}/").status_code == 400
