"""The pages behind a mailing's unsubscribe and preferences links, on a phone (390 px, touch,
the CSP enforced): nothing wider than the screen, errors shown beside their field, the
choices saved, and the unsubscribe button doing what it says.

Screenshots go to var/screenshots/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.mailings import tokens
from ladder.mailings.models import MailPreference
from ladder.mailings.tests.intake_fixtures import sent_delivery
from ladder.people.models import ConsentEvent
from ladder.people.services import person_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("var/screenshots")


def fits(page) -> bool:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    return bool(width <= 390)


def test_preferences_and_unsubscribe_on_a_phone(phone):
    staff = make_user("dana", Role.STAFF)
    person = person_create(actor=None, first_name="Rosa", email="rosa.martinez@example.org")
    delivery = sent_delivery(person, staff)
    token = tokens.make("list", delivery.pk)
    SHOTS.mkdir(parents=True, exist_ok=True)

    phone.goto(f"/m/p/{token}")
    assert phone.get_by_role("heading", name="Email preferences").is_visible()
    assert fits(phone)
    phone.get_by_label("Fundraising").uncheck()
    phone.fill("[name=weekly_cap]", "0")
    phone.get_by_role("button", name="Save my choices").click()
    error = phone.locator("#id_weekly_cap-error")
    error.wait_for()
    assert "greater than or equal to 1" in error.inner_text()
    assert error.is_visible() and fits(phone)
    phone.screenshot(path=str(SHOTS / "mail-preferences-error-390.png"), full_page=True)

    phone.fill("[name=weekly_cap]", "2")
    phone.get_by_role("button", name="Save my choices").click()
    saved = phone.get_by_text("Saved.")
    saved.wait_for()
    assert saved.is_visible()
    preference = MailPreference.objects.get()
    assert (preference.topics_off, preference.weekly_cap) == (",fundraising,", 2)
    phone.screenshot(path=str(SHOTS / "mail-preferences-390.png"), full_page=True)

    phone.goto(f"/m/u/{token}")
    assert fits(phone)
    assert not ConsentEvent.objects.filter(status="opt_out").exists()  # a GET only asks
    phone.screenshot(path=str(SHOTS / "mail-unsubscribe-390.png"), full_page=True)
    phone.get_by_role("button", name="Unsubscribe").tap()
    done = phone.get_by_role("heading", name="You are unsubscribed")
    done.wait_for()
    assert done.is_visible()
    assert ConsentEvent.objects.filter(status="opt_out").count() == 1
