"""The data manager's path through a real browser: log in, import a file with messy headers,
watch it run, read the summary, then find the imported history on a profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from ladder.core.models import Role
from ladder.core.testing import PASSWORD, make_user
from ladder.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE_CSV = (
    "\ufeffFirst Name,LAST NAME,E-mail Address,Mobile Phone,Zip Code,Tags\r\n"
    "Rosa,Martínez,ROSA.M@Example.org ,(515) 555-0134,50309,school funding\r\n"
    'Dev,Patel,dev@example.org,515.555.0188,50310,"transit, rent"\r\n'
    "Kim,Nguyen,not-an-email,,50311,\r\n"
    "June,Olsen,june@example.org,,50312,water quality\r\n"
)
DONATIONS_CSV = (
    "Donor Email,Amount,Date,Receipt ID,Reference Code\r\n"
    "rosa.m@example.org,25.00,2026-10-03,AB123,email-oct\r\n"
    "rosa.m@example.org,50.00,2026-11-01,AB456,email-nov\r\n"
)


def login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url("**/people/**")


def upload(page, path: Path, kind: str = "people", activity_type: str = "") -> None:
    page.goto("/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.check(f"input[name=kind][value={kind}]")
    if activity_type:
        page.select_option("select[name=activity_type]", activity_type)
    page.get_by_role("button", name="Upload and match columns").click()
    page.wait_for_url("**/mapping/")


def run_to(page, phase: str) -> dict[str, str]:
    page.wait_for_selector(f".phase[data-phase={phase}]", timeout=30_000)
    return {
        name: page.locator(f"[data-count={name}]").inner_text()
        for name in ("new", "updated", "unchanged", "rejected")
    }


def test_import_with_messy_headers_then_history_on_profile(page, tmp_path):
    make_user("dana", Role.STAFF)
    people_file = tmp_path / "Action Network export.csv"
    people_file.write_text(PEOPLE_CSV, encoding="utf-8")
    donations_file = tmp_path / "actblue.csv"
    donations_file.write_text(DONATIONS_CSV, encoding="utf-8")

    login(page, "dana")
    upload(page, people_file)
    # The messy headers were recognised.
    assert page.locator("select[data-header='E-mail Address']").input_value() == "email"
    assert page.locator("select[data-header='Mobile Phone']").input_value() == "mobile_phone"
    assert page.locator("select[data-header='Zip Code']").input_value() == "postal_code"
    page.get_by_role("button", name="Check the import (dry run)").click()
    page.wait_for_url("**/imports/*/")
    assert page.get_by_role("progressbar").is_visible()
    counts = run_to(page, "staged")
    assert counts == {"new": "3", "updated": "0", "unchanged": "0", "rejected": "1"}
    assert Person.objects.count() == 0  # a dry run writes nothing
    page.get_by_role("button", name="Apply the import").click()
    counts = run_to(page, "done")
    assert counts["new"] == "3"
    assert page.locator("#error-report").is_visible()
    assert Person.objects.count() == 3

    upload(page, donations_file, kind="activities", activity_type="donation")
    assert page.locator("select[data-header='Donor Email']").input_value() == "email"
    page.get_by_role("button", name="Check the import (dry run)").click()
    run_to(page, "staged")
    page.get_by_role("button", name="Apply the import").click()
    run_to(page, "done")

    page.goto("/people/?q=rosa.m@example.org")
    page.get_by_role("link", name="Rosa Martínez").click()
    # expect() waits for the profile to be there: the click returns once the navigation has
    # started, and is_visible() does not wait (the contact card may not be parsed yet).
    page.wait_for_url("**/people/*/")
    timeline = page.locator(".timeline")
    expect(timeline.get_by_text("$50.00")).to_be_visible()
    expect(timeline.get_by_text("$25.00")).to_be_visible()
    expect(page.locator("#contact-points").get_by_text("(515) 555-0134")).to_be_visible()
    page.screenshot(path=str(tmp_path / "profile.png"), full_page=True)
