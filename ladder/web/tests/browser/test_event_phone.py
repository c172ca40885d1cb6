"""An event on phones: people RSVP to a shift with two places until it is full; the next one is
waitlisted and told so; when someone cancels from their RSVP page, the waitlisted person is
promoted; and the host checks an attendee in from the host link. Screenshots go to
var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from ladder.actions.models import Rsvp
from ladder.actions.tests.testing import make_event
from ladder.actions.views.host import host_path
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.people.services import person_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("var/screenshots")


def new_phone(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, base_url=live_server.url)  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def rsvp(browser, live_server, path: str, name: str):  # type: ignore[no-untyped-def]
    context, page = new_phone(browser, live_server)
    page.goto(path)
    page.fill("[name=first_name]", name)
    page.fill("[name=email]", f"{name.lower()}@example.org")
    page.locator("fieldset.shifts label").first.click()
    page.wait_for_timeout(1600)  # a person takes a moment; the timing check knows it
    page.get_by_role("button", name="RSVP").click()
    page.wait_for_url("**/rsvp/**")
    return context, page


def test_rsvp_until_full_waitlist_promotion_and_check_in(browser, live_server):
    staff = make_user("dana", Role.STAFF)
    host = person_create(actor=None, first_name="Hana", email="hana@example.org")
    event = make_event(staff, capacity=2, hosts=[host])
    path = f"/act/{event.slug}/"

    rosa_context, rosa = rsvp(browser, live_server, path, "Rosa")
    assert rosa.locator("#rsvp-status").get_attribute("data-status") == "confirmed"
    june_context, june = rsvp(browser, live_server, path, "June")
    assert june.locator("#rsvp-status").get_attribute("data-status") == "confirmed"
    SHOTS.mkdir(parents=True, exist_ok=True)
    june.screenshot(path=str(SHOTS / "event-rsvp-390.png"), full_page=True)

    # Full now: the form says so, and the next person is waitlisted and told her place.
    kim_context, kim = rsvp(browser, live_server, path, "Kim")
    status = kim.locator("#rsvp-status")
    assert status.get_attribute("data-status") == "waitlisted"
    assert "on the waitlist: number 1" in status.inner_text()
    kim.goto(path)
    assert "full: join the waitlist" in kim.locator("fieldset.shifts").inner_text()
    kim.screenshot(path=str(SHOTS / "event-full-390.png"), full_page=True)

    # Rosa cannot make it: she cancels from her RSVP page, and Kim is promoted.
    rosa.get_by_role("button", name="I can't make it — cancel my RSVP").click()
    rosa.wait_for_selector("#rsvp-status[data-status=cancelled]")
    kim.go_back()
    kim.reload()
    assert kim.locator("#rsvp-status").get_attribute("data-status") == "confirmed"
    for context in (rosa_context, june_context, kim_context):
        context.close()

    # The host, on her phone, checks June in.
    host_context, desk = new_phone(browser, live_server)
    desk.goto(host_path(event.event, host))
    june_row = desk.locator(".checkin", has_text="June")
    june_row.get_by_role("button", name="Check in June").click()
    desk.wait_for_selector(".checkin.done:has-text('June')")
    desk.screenshot(path=str(SHOTS / "event-host-390.png"), full_page=True)
    host_context.close()
    june_rsvp = Rsvp.objects.get(person__first_name="June")
    assert june_rsvp.attended is True
