"""Setting a goal in a real browser, then watching it move: staff set a goal for doors knocked,
volunteers knock doors, and the goal's page shows the progress and the projection rising, with
its trend drawn by plotly (from the installed package)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.services import contact_log
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.insights.models import Goal
from ladder.people.services import person_create
from ladder.web.tests.browser.test_import_flow import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("var/screenshots")


def test_a_goal_is_set_and_its_progress_and_projection_move(page, live_server):
    make_user("dana", Role.STAFF)
    today = timezone.localdate()
    people = [person_create(actor=None, first_name=f"Door{n}", last_name="Neighbor",
                            email=f"door{n}@ex.org") for n in range(4)]  # fmt: skip
    login(page, "dana")
    page.goto("/insights/goals/")
    page.fill("input[name=name]", "Doors before the forum")
    page.select_option("select[name=metric]", "doors_knocked")
    page.fill("input[name=target]", "10")
    page.fill("input[name=starts_on]", (today - dt.timedelta(days=4)).isoformat())
    page.fill("input[name=deadline]", (today + dt.timedelta(days=5)).isoformat())
    page.get_by_role("button", name="Set the goal").click()
    page.get_by_text("Goal set: Doors before the forum.").wait_for()
    goal = Goal.objects.get()
    card = page.locator(f"#goal-{goal.pk}")
    assert card.get_attribute("data-done") == "0"
    assert card.get_attribute("data-projection") == "0.00"
    assert "behind" in card.inner_text().lower()

    for person in people[:3]:
        contact_log(actor=None, person=person, kind=T.DOOR_KNOCK, result="talked")
    page.reload()
    card = page.locator(f"#goal-{goal.pk}")
    # 3 doors in 5 of 10 days: 0.6 a day so far, 1.4 a day needed, 6 projected.
    assert card.get_attribute("data-done") == "3"
    assert card.get_attribute("data-projection") == "6.00"
    text = card.inner_text()
    assert "3 of 10" in text and "(30%)" in text and "projected 6" in text
    page.locator(".plotly-chart[data-drawn=yes] .main-svg").first.wait_for()

    for _ in range(7):
        contact_log(actor=None, person=people[3], kind=T.DOOR_KNOCK, result="not_home")
    page.reload()
    card = page.locator(f"#goal-{goal.pk}")
    assert card.get_attribute("data-done") == "10" and "reached" in card.inner_text().lower()
    page.locator(".plotly-chart[data-drawn=yes] .main-svg").first.wait_for()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "goal.png"), full_page=True)
    page.goto("/insights/goals/")
    assert "Doors before the forum" in page.locator(".goals-grid").inner_text()
