"""The dashboard on the demo in a real browser: every tile has something in it (no empty
placeholder), its charts are drawn by plotly, and a screenshot is kept
(var/screenshots/dashboard.png)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ladder.demo import generate_demo
from ladder.insights.listening import listening_perform, listening_run_start
from ladder.web.tests.browser.test_import_flow import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("var/screenshots")


def test_every_dashboard_tile_is_filled_with_demo_data(page, live_server):
    from ladder.core.models import Role
    from ladder.core.testing import make_user

    # The admin first, as `ladder demo` does: the demo's mailings need an author.
    admin = make_user("dana", Role.ADMIN)
    generate_demo(seed=42, people=1500, password="pw-demo-1")
    # What `ladder demo` asks the worker for: the themes in what people said.
    listening_perform(listening_run_start(actor=admin).pk)
    login(page, "dana")
    page.goto("/insights/?days=90")
    page.locator("#tile-actions .plotly-chart[data-drawn=yes] .main-svg").first.wait_for()
    tiles = page.locator("#tiles > section.tile")
    assert tiles.count() == 10
    for n in range(tiles.count()):
        tile = tiles.nth(n)
        name = tile.get_attribute("id")
        assert tile.locator(".empty").count() == 0, f"{name} is empty"
    assert page.locator(".plotly-chart[data-drawn=yes]").count() == 4
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)
