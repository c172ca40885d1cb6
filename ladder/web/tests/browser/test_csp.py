"""Ladder's content security policy, enforced, on the staff screens and a public page: nothing
the pages need is refused (no inline script, no eval, nothing from elsewhere) — htmx included,
by using the segment builder's live count."""

from __future__ import annotations

import pytest

from ladder.actions.tests.testing import make_page
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.people.services import person_create, tag_add
from ladder.web.tests.browser.test_import_flow import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_page_breaks_the_policy(browser, live_server):
    staff = make_user("dana", Role.ADMIN)
    person = person_create(actor=None, first_name="Rosa", email="rosa@example.org")
    tag_add(actor=None, person=person, name="education")  # the builder offers tags that exist
    petition = make_page(staff)
    context = browser.new_context(base_url=live_server.url)  # the policy is enforced
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(f"{page.url}: {m.text}") if "Content Security" in m.text else None,
    )
    page.on("pageerror", lambda e: refused.append(f"{page.url}: {e}"))

    login(page, "dana")
    for path in ("/people/", f"/people/{person.pk}/", "/ladders/", "/asks/", "/asks/new/",
                 "/actions/", f"/actions/{petition.pk}/", "/imports/", "/admin/",
                 f"/act/{petition.slug}/"):  # fmt: skip
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert "frame-ancestors" in (response.header_value("content-security-policy") or "")
    page.goto("/segments/new/")
    menu = page.locator("details.add-menu")
    if menu.get_attribute("open") is None:  # open on an empty builder
        menu.locator("summary").click()
    page.locator("details.add-menu").get_by_role("button", name="Tag", exact=True).click()
    row = page.locator(".cond-row[data-kind=tags]")
    row.wait_for()  # htmx answered the click
    # …and the live count follows an edit (the hx-trigger on the form).
    row.locator("select.f-match").select_option("any")
    row.locator("select.f-tags").select_option(label="education")
    page.wait_for_selector("#live-count[data-count='1']")
    row.locator("select.f-match").select_option("none")
    page.wait_for_selector("#live-count[data-count='0']")
    assert refused == []
    context.close()
