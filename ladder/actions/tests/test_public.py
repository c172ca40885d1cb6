"""The public pages through Django's test client: the form, the thank-you page, the security
headers, and every kind of bad input — each answered clearly, none recorded twice."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from ladder.actions.models import Submission
from ladder.actions.safety import form_token
from ladder.actions.services import page_close, referral_code_for
from ladder.actions.tests.testing import make_page, signature
from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity
from ladder.people.models import Person
from ladder.people.services import person_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(staff_user):  # type: ignore[no-untyped-def]
    return make_page(staff_user)


def url(page) -> str:  # type: ignore[no-untyped-def]
    return f"/act/{page.slug}/"


def test_the_page_shows_the_form_and_says_who_may_frame_it(page):
    response = Client().get(url(page))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Fully fund our schools" in html and "To: The Iowa Legislature" in html
    assert 'name="token"' in html and 'name="website"' in html  # the honeypot
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_allowed_origins_may_embed_the_page(staff_user):
    embeddable = make_page(staff_user, allowed_origins="https://prairieforward.example\n")
    response = Client().get(url(embeddable))
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://prairieforward.example" in policy
    assert "X-Frame-Options" not in response


def test_signing_thanks_with_a_share_link_and_the_count(page):
    client = Client()
    response = client.post(url(page), signature(page))
    assert response.status_code == 302
    thanks = client.get(response["Location"])
    html = thanks.content.decode()
    assert "Thank you, Rosa!" in html
    person = Person.objects.get()
    code = referral_code_for(person)
    assert f"/act/{page.slug}/?ref={code}" in html
    assert 'data-count="1"' in html
    assert Activity.objects.filter(person=person, type=T.PETITION_SIGNATURE).count() == 1


def test_the_same_form_posted_twice_is_one_signature(page):
    client = Client()
    data = signature(page)
    first = client.post(url(page), data)
    second = client.post(url(page), data)
    assert first.status_code == second.status_code == 302
    assert Submission.objects.count() == 1
    page.refresh_from_db()
    assert page.actions_count == 1


def test_a_referral_link_is_carried_through_the_form(page):
    recruiter = person_create(actor=None, first_name="Ann", email="ann@example.org")
    code = referral_code_for(recruiter)
    form = Client().get(url(page), {"ref": code}).content.decode()
    assert f'name="ref" value="{code}"' in form
    Client().post(url(page), signature(page, ref=code))
    assert Person.objects.get(emails__address="rosa@example.org").recruited_by == recruiter


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "", "This field is required."),
        ("email", "rosa@", "Please check this address"),
        ("first_name", "R" * 5000, "Ensure this value has at most 100 characters"),
        ("postal_code", "<b>503", "A ZIP code is letters and digits"),
    ],
)
def test_bad_input_is_answered_next_to_the_field_and_nothing_is_kept(page, field, value, message):
    response = Client().post(url(page), signature(page, **{field: value}))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'value="Martínez"' in html or field == "last_name"  # the other answers stay
    assert not Submission.objects.exists() and not Person.objects.exists()


def test_html_in_a_field_is_kept_as_text_and_shown_escaped(page):
    client = Client()
    hostile = '<script>alert("x")</script>'
    response = client.post(url(page), signature(page, first_name=hostile, last_name=hostile))
    person = Person.objects.get()
    assert person.first_name == hostile  # kept as typed: it is a name, not markup
    thanks = client.get(response["Location"]).content.decode()
    assert "<script>alert" not in thanks and "&lt;script&gt;alert" in thanks


def test_too_fast_comes_back_with_the_answers_and_keeps_nothing(page):
    data = signature(page, token=form_token(page.pk))  # shown this very moment
    response = Client().post(url(page), data)
    html = response.content.decode()
    assert response.status_code == 200 and "That was very quick" in html
    assert 'value="rosa@example.org"' in html
    assert not Submission.objects.exists()


def test_an_altered_token_is_refused_politely(page):
    response = Client().post(url(page), signature(page, token="forged"))
    assert "expired or was changed" in response.content.decode()
    assert not Submission.objects.exists()


def test_the_honeypot_thanks_the_bot_and_records_nothing(page):
    response = Client().post(url(page), signature(page, website="http://spam.example"))
    assert response.status_code == 302 and response["Location"].endswith("/thanks/")
    assert not Person.objects.exists()


@override_settings(LADDER_PUBLIC_POSTS_PER_MINUTE=2)
def test_a_flood_from_one_address_is_slowed_not_lost(page):
    client = Client()
    for n in range(2):
        assert client.post(url(page), signature(page, email=f"p{n}@example.org")).status_code == 302
    third = client.post(url(page), signature(page, email="p2@example.org"))
    assert third.status_code == 429
    html = third.content.decode()
    assert "Please wait a minute" in html and 'value="p2@example.org"' in html
    assert Submission.objects.count() == 2


def test_a_cross_origin_post_is_rejected(page):
    client = Client(enforce_csrf_checks=True)
    client.get(url(page))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    data = {**signature(page), "csrfmiddlewaretoken": token}
    evil = client.post(url(page), data, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert not Submission.objects.exists()
    ours = client.post(url(page), data, headers={"Origin": "http://testserver"})
    assert ours.status_code == 302


def test_drafts_do_not_exist_and_closed_pages_say_so(staff_user, page):
    draft = make_page(staff_user, title="Not yet", publish=False)
    assert Client().get(url(draft)).status_code == 404
    page_close(actor=staff_user, page=page)
    closed = Client().get(url(page))
    assert closed.status_code == 200 and "has closed" in closed.content.decode()
    posted = Client().post(url(page), signature(page))
    assert posted.status_code == 410 and not Submission.objects.exists()


def test_a_thank_you_link_cannot_be_forged(page):
    assert Client().get(f"/act/{page.slug}/thanks/12345/").status_code == 404


def test_the_thank_you_offers_the_next_step_in_the_supporters_words(page):
    from ladder.ladders.models import Ladder, Rung

    ladder = Ladder.objects.create(name="Volunteer", slug="volunteer")
    Rung.objects.create(ladder=ladder, position=1, name="Signed up", criteria={
        "version": 1, "match": {"kind": "activity", "types": ["petition_signature"]}},
        next_steps=[{"text": "Invite them to the canvass", "channel": "events",
                     "public": "Knock doors with us on Saturday", "url": "/act/canvass/"},
                    {"text": "Call them (staff only)", "channel": "calls"}])  # fmt: skip
    client = Client()
    thanks = client.get(client.post(url(page), signature(page))["Location"]).content.decode()
    assert "Your next step" in thanks and "Knock doors with us on Saturday" in thanks
    assert 'href="/act/canvass/"' in thanks
    assert "Invite them" not in thanks and "staff only" not in thanks  # organizers' words stay in
