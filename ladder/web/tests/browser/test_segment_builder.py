"""The organizer's universe, built in a real browser: "region IA, tagged education, minus donors
over $1,000, minus no email open in 90 days" — from the add menu, ordinary controls and a
one-click exclusion — with the live count checked against a count computed here in plain Python
from the data the test made; then saved, and exported to a CSV that holds exactly those people.

Screenshots of the builder and the detail page at 1366 px and 390 px go to var/screenshots/.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.people.models import Tag
from ladder.segments.models import Segment
from ladder.segments.tests.universe import build, expected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("var/screenshots")
FOUR_PARTS = (
    "In region IA",
    "tagged education",
    "minus given in the last 365 days more than $1,000",
    "minus no email opened in the last 90 days",
)


def login(page, username: str) -> None:
    from ladder.web.tests.browser.test_import_flow import login as import_login

    import_login(page, username)


def add_condition(page, title: str, kind: str) -> None:
    """Open the add menu and choose a condition; wait for its row to arrive."""
    before = page.locator(f".cond-row[data-kind={kind}]").count()
    menu = page.locator("details.add-menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    menu.get_by_role("button", name=title, exact=True).click()
    page.wait_for_function(
        f"document.querySelectorAll('.cond-row[data-kind={kind}]').length > {before}"
    )


def live_count(page) -> int:
    """The count once the description shows all four conditions and no request is running."""
    page.wait_for_function(
        """parts => {
            const d = document.querySelector('#live-description');
            const busy = document.querySelector('#segment-form.htmx-request, .htmx-request');
            return d && !busy && parts.every(p => d.textContent.includes(p));
        }""",
        arg=list(FOUR_PARTS),
    )
    return int(page.locator("#live-count").get_attribute("data-count"))


def test_build_count_save_export(page, tmp_path):
    make_user("dana", Role.STAFF)
    cast = build()
    want = expected(cast)
    assert len(want) == 3  # Rosa, June and =Eve; the others fail one clause each
    education = Tag.objects.get(name="education")

    login(page, "dana")
    page.goto("/segments/")
    page.get_by_role("link", name="New segment").click()
    page.wait_for_url("**/segments/new/")
    assert page.locator("#live-count").get_attribute("data-count") == str(len(cast))

    # Region IA.
    add_condition(page, "Region, city or district", "address")
    row = page.locator(".cond-row[data-kind=address]")
    row.locator("select.f-field").select_option("region")
    row.locator("input.f-values").fill("IA")
    page.wait_for_function("document.querySelector('#live-description')"
                           "?.textContent.includes('In region IA')")  # fmt: skip

    # Tagged education.
    add_condition(page, "Tag", "tags")
    row = page.locator(".cond-row[data-kind=tags]")
    row.locator("select.f-match").select_option("any")
    row.locator("select.f-tags").select_option(label="education")

    # Minus donors over $1,000: the one-click exclusion.
    page.get_by_role("button", name="Minus high-dollar donors").click()
    page.wait_for_selector(".cond-row[data-kind=stat] input[type=checkbox]:checked")

    # Minus no email open in 90 days: an activity row, negated.
    add_condition(page, "Activity", "activity")
    row = page.locator(".cond-row[data-kind=activity]")
    row.locator("select.f-types").select_option("email_opened")
    row.locator("select.f-measure").select_option("count")
    row.locator("select.f-op").select_option("eq")
    row.locator("input.f-value").fill("0")
    row.locator("input.f-days").fill("90")
    row.get_by_label("Minus").check()

    count = live_count(page)
    assert count == len(want)
    preview = page.locator(".preview-table tbody")
    for someone in cast:
        assert someone.person is not None
        shown = preview.get_by_text(someone.person.display_name).count()
        assert shown == (1 if someone.person.pk in want else 0), someone.first
    page.set_viewport_size({"width": 1366, "height": 1100})
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "segment-builder-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "segment-builder-390.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 850})

    # Save it.
    page.get_by_label("Name").fill("Education universe")
    page.get_by_role("button", name="Save segment").click()
    page.wait_for_url("**/segments/*/")
    segment = Segment.objects.get()
    assert segment.last_count == len(want)
    assert segment.definition["match"]["of"][1]["tags"] == [education.pk]
    assert page.locator("#segment-count").get_attribute("data-count") == str(len(want))
    assert "In region IA, tagged education" in page.locator("#segment-description").inner_text()
    page.screenshot(path=str(SHOTS / "segment-detail-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "segment-detail-390.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 850})

    # Export it: exactly those people, the formula-looking name neutralised.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    path = tmp_path / "segment.csv"
    download_info.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert {int(r["id"]) for r in rows} == want
    assert len(rows) == len(want)
    names = {r["first_name"] for r in rows}
    assert names == {"Rosa", "June", "'=Eve"}
