"""Distributed fundraising on a phone: a supporter creates her own page from a campaign, a
friend gives through it with the offline processor, and her page's thermometer and the
campaign's leaderboard move. Screenshots go to var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from ladder.actions.models import FundraisingPage, Gift
from ladder.actions.tests.testing import make_campaign
from ladder.core.models import Role
from ladder.core.testing import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("var/screenshots")


def test_a_personal_page_takes_a_gift_and_the_board_moves(phone, browser, live_server):
    campaign = make_campaign(make_user("dana", Role.STAFF))
    phone.goto(f"/act/{campaign.slug}/")
    phone.get_by_role("link", name="Start your own fundraising page →").click()
    phone.wait_for_url("**/start/")
    phone.fill("[name=first_name]", "Rosa")
    phone.fill("[name=last_name]", "Lee")
    phone.fill("[name=email]", "rosa@example.org")
    phone.fill("[name=story]", "Our canvass needs gas money & clipboards <3")
    phone.fill("[name=goal]", "200")
    phone.wait_for_timeout(1600)
    phone.get_by_role("button", name="Create my page").click()
    phone.wait_for_url("**/give/**")
    own = phone.url
    assert phone.get_by_text("Our canvass needs gas money & clipboards <3").is_visible()
    assert phone.locator("#amount-raised").get_attribute("data-raised") == "0.00"
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / "fundraiser-390.png"), full_page=True)

    # A friend gives $50 through Rosa's page, on her own phone.
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  base_url=live_server.url)  # fmt: skip
    friend = context.new_page()
    friend.goto(own)
    friend.locator("label.amount", has_text="$50").click()
    friend.fill("[name=first_name]", "June")
    friend.fill("[name=email]", "june@example.org")
    friend.wait_for_timeout(1600)
    friend.get_by_role("button", name="Give").click()
    friend.wait_for_url("**/thanks/**")
    assert friend.locator("#gift-status").get_attribute("data-status") == "pledged"
    context.close()

    phone.goto(own)
    assert phone.locator("#amount-raised").get_attribute("data-raised") == "50.00"
    assert phone.locator(".thermo-bar span").get_attribute("style") == "width: 25%"
    assert phone.locator(".honour-list").inner_text().startswith("June")
    phone.goto(f"/act/{campaign.slug}/")
    board = phone.locator(".board-list li").first
    assert "Rosa L." in board.inner_text()
    assert board.locator(".board-amount").get_attribute("data-raised") == "50.00"
    assert phone.locator("#amount-raised").get_attribute("data-raised") == "50.00"
    phone.screenshot(path=str(SHOTS / "campaign-board-390.png"), full_page=True)
    gift = Gift.objects.get()
    assert gift.fundraiser == FundraisingPage.objects.get() and gift.status == "pledged"
