"""Money: gifts recorded once per the processor's own order number and line item, totals kept
with them, refunds and cancelled series, pledges on a donation page and supporters' own
fundraising pages with their thermometer, honour roll and leaderboard."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from ladder.actions.gifts import (
    fundraiser_create,
    gift_record,
    gift_refund,
    pledge_take,
    series_cancel,
)
from ladder.actions.models import ActionPage, FundraisingPage, Gift
from ladder.actions.services import PageError
from ladder.actions.tests.testing import aged_token, make_campaign
from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity
from ladder.people.services import person_create

pytestmark = pytest.mark.django_db


def test_the_same_order_line_is_one_gift_and_totals_follow(staff_user):
    page = make_campaign(staff_user)
    donor = person_create(actor=None, first_name="Ann", email="ann@example.org")
    first = gift_record(person=donor, amount=Decimal("25"), processor="actblue", page=page,
                        order_number="AB123", line_item="1")  # fmt: skip
    again = gift_record(person=donor, amount=Decimal("25"), processor="actblue", page=page,
                        order_number="AB123", line_item="1")  # fmt: skip
    other_line = gift_record(person=donor, amount=Decimal("10"), processor="actblue",
                             page=page, order_number="AB123", line_item="2")  # fmt: skip
    assert first.new and not again.new and other_line.new
    assert Gift.objects.count() == 2
    assert Activity.objects.filter(type=T.DONATION, person=donor).count() == 2
    page.refresh_from_db()
    assert page.amount_raised == Decimal("35")
    assert gift_refund(gift=first.gift) and not gift_refund(gift=first.gift)
    page.refresh_from_db()
    assert page.amount_raised == Decimal("10")
    refund = Activity.objects.get(type=T.DONATION_REFUND)
    assert refund.amount == Decimal("25")


def test_a_cancelled_series_keeps_its_gifts_once(staff_user):
    donor = person_create(actor=None, first_name="Ann", email="ann@example.org")
    gift_record(person=donor, amount=Decimal("10"), processor="actblue", order_number="R1",
                recurring=True, series="S-9")  # fmt: skip
    assert series_cancel(person=donor, processor="actblue", series="S-9")
    assert not series_cancel(person=donor, processor="actblue", series="S-9")
    assert Activity.objects.filter(type=T.RECURRING_CANCELLED).count() == 1
    assert Gift.objects.get().recurring is False and Gift.objects.get().status == "paid"


def test_a_pledge_is_recorded_once_per_form(staff_user):
    page = make_campaign(staff_user)
    kwargs = {"page": page, "token": "n1", "amount": Decimal("50"), "email": "ann@example.org",
              "first_name": "Ann"}  # fmt: skip
    first = pledge_take(**kwargs)
    again = pledge_take(**kwargs)
    assert first.new and not again.new and first.gift.status == "pledged"
    assert first.gift.processor == "offline"
    with pytest.raises(PageError):
        pledge_take(**{**kwargs, "token": "n2", "amount": Decimal("0.5")})
    page.refresh_from_db()
    assert page.amount_raised == Decimal("50") and page.actions_count == 1


def test_a_fundraising_page_gets_the_gifts_given_through_it(staff_user):
    campaign = make_campaign(staff_user)
    mine, created = fundraiser_create(campaign=campaign, email="rosa@example.org",
                                      first_name="Rosa", goal=Decimal("500"))  # fmt: skip
    again, created_again = fundraiser_create(campaign=campaign, email="rosa@example.org",
                                             first_name="Rosa", goal=Decimal("900"))  # fmt: skip
    assert created and not created_again and again.pk == mine.pk
    assert mine.slug == "rosa-power-the-canvass"
    pledge_take(page=campaign, token="a", amount=Decimal("40"), email="june@example.org",
                first_name="June", fundraiser=mine)  # fmt: skip
    mine.refresh_from_db()
    campaign.refresh_from_db()
    assert (mine.raised, mine.donors) == (Decimal("40"), 1)
    assert campaign.amount_raised == Decimal("40")  # the campaign counts it too
    gift = Gift.objects.get()
    assert gift.fundraiser == mine and gift.referrer == mine.owner  # credited to Rosa
    assert gift.person.recruited_by == mine.owner  # June is new: Rosa's recruit
    # A campaign that does not take personal pages refuses them.
    closed = make_campaign(staff_user, title="No pages", allow_fundraisers=False)
    with pytest.raises(PageError):
        fundraiser_create(campaign=closed, email="x@example.org", first_name="X",
                          goal=Decimal("10"))  # fmt: skip


def test_give_through_the_public_pages_and_see_the_board(staff_user):
    campaign = make_campaign(staff_user)
    client = Client()
    start = client.get(f"/act/{campaign.slug}/start/")
    assert "Start your own fundraising page" in start.content.decode()
    response = client.post(f"/act/{campaign.slug}/start/", {
        "first_name": "Rosa", "last_name": "Lee", "email": "rosa@example.org",
        "title": "", "story": "My kids' school <b>needs</b> this.", "goal": "300",
        "token": aged_token(campaign)})  # fmt: skip
    fundraiser = FundraisingPage.objects.get()
    assert response["Location"] == f"/give/{fundraiser.slug}/"
    page = client.get(f"/give/{fundraiser.slug}/").content.decode()
    assert "Rosa is raising money for Power the canvass" in page
    assert "&lt;b&gt;needs&lt;/b&gt;" in page  # a supporter's story is text, not HTML
    gave = client.post(f"/give/{fundraiser.slug}/", {
        "first_name": "June", "email": "june@example.org", "amount": "25",
        "token": aged_token(campaign), "postal_code": ""}, follow=True)  # fmt: skip
    thanks = gave.content.decode()
    assert "Your gift of <strong>$25.00</strong> is pledged" in thanks
    assert "counts towards Rosa" in thanks
    page = client.get(f"/give/{fundraiser.slug}/").content.decode()
    assert 'data-raised="25.00"' in page and "June" in page  # thermometer and honour roll
    board = client.get(f"/act/{campaign.slug}/").content.decode()
    assert "Top fundraisers" in board and "Rosa L." in board
    # Bad amounts are answered next to the field.
    bad = client.post(f"/act/{campaign.slug}/", {
        "first_name": "Kim", "email": "kim@example.org", "other_amount": "-5",
        "token": aged_token(campaign), "postal_code": ""})  # fmt: skip
    assert "Ensure this value is greater than or equal to 1" in bad.content.decode()
    none = client.post(f"/act/{campaign.slug}/", {
        "first_name": "Kim", "email": "kim@example.org", "token": aged_token(campaign),
        "postal_code": ""})  # fmt: skip
    assert "Choose an amount, or type another one." in none.content.decode()
    assert Gift.objects.count() == 1
    assert ActionPage.objects.get(pk=campaign.pk).amount_raised == Decimal("25")


def test_an_actblue_page_sends_the_gift_to_actblue_with_the_refcode(staff_user):
    campaign = make_campaign(staff_user, processor="actblue",
                             processor_url="https://secure.actblue.com/donate/pf")  # fmt: skip
    page = Client().get(f"/act/{campaign.slug}/", {"ref": "abc1234"}).content.decode()
    assert 'href="https://secure.actblue.com/donate/pf?refcode=abc1234"' in page
    assert 'name="email"' not in page  # ActBlue collects the donor's details
    mine, _ = fundraiser_create(campaign=campaign, email="rosa@example.org", first_name="Rosa",
                                goal=Decimal("100"))  # fmt: skip
    own = Client().get(f"/give/{mine.slug}/").content.decode()
    assert f"refcode=fundraiser-{mine.slug}" in own
    # A post to the page anyway goes to ActBlue and records nothing here.
    posted = Client().post(f"/act/{campaign.slug}/", {
        "first_name": "Kim", "email": "kim@example.org", "amount": "25",
        "token": aged_token(campaign), "postal_code": ""})  # fmt: skip
    assert posted.status_code == 302 and posted["Location"].startswith("https://secure.actblue")
    assert not Gift.objects.exists()


def test_staff_see_what_a_campaign_raised_and_export_its_donors(staff_user, leader_b, two_groups):
    campaign = make_campaign(staff_user)
    pledge_take(page=campaign, token="a", amount=Decimal("75"), email="june@example.org",
                first_name="June")  # fmt: skip
    client = Client()
    client.force_login(staff_user)
    detail = client.get(f"/actions/{campaign.pk}/").content.decode()
    assert "$75</strong> raised" in detail and "June" in detail
    listing = client.get("/actions/").content.decode()
    assert "$75" in listing and "1 gifts" in listing
    export = client.get(f"/actions/{campaign.pk}/export.csv").getvalue().decode("utf-8-sig")
    assert "june@example.org" in export
    # A leader of another group sees neither the page nor its donors.
    other = Client()
    other.force_login(leader_b)
    assert other.get(f"/actions/{campaign.pk}/export.csv").status_code == 404
