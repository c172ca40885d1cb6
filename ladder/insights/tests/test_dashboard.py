"""The dashboard on the demo: every tile has something in it, the window and the group filter
narrow it, a leader's dashboard counts their groups only (another group's id is refused), and
the live refresh returns the tiles alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ladder.core.models import User
from ladder.demo import generate_demo
from ladder.insights.dashboard import TILES, dashboard, scope_for
from ladder.mailings.models import Delivery
from ladder.people.models import Group
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(admin_user):  # type: ignore[no-untyped-def]
    # After the admin, as `ladder demo` does it: the demo's mailings need an author.
    return generate_demo(seed=8, people=400, password="pw-demo-1")


def test_every_tile_is_filled_on_the_demo(demo, admin_user):
    board = dashboard(scope_for(admin_user, days=90))
    t = board.tiles
    assert set(t) == set(TILES) and set(board.seconds) == set(TILES)
    assert t["actions"]["total"] > 0 and len(t["actions"]["days"]) == 90
    assert t["money"]["total"] > 0 and t["money"]["gifts"] > 0
    assert t["new_people"]["total"] > 0 and t["new_people"]["sources"]
    assert any(n for _, n in t["volunteers"]["types"])
    assert t["funnel"]["ladder"] is not None and any(n for _, n in t["funnel"]["rungs"])
    assert t["goals"]["progress"] and t["groups"]["flagged"]
    start = timezone.make_aware(dt.datetime.combine(board.scope.start, dt.time.min))
    sent = Delivery.objects.filter(state="sent", sent_at__gte=start)
    mailings = set(sent.values_list("mailing_id", flat=True))
    assert mailings and len(t["mailings"]["mailings"]) == min(5, len(mailings))
    assert {m.pk for m in t["mailings"]["mailings"]} <= mailings
    assert t["recruiters"]["board"], "recruiters"
    page = logged_in(admin_user).get("/insights/", {"days": 90}).content.decode()
    for name in ("goals", "actions", "money", "new-people", "volunteers", "funnel", "mailings",
                 "recruiters", "groups"):  # fmt: skip
        assert f'id="tile-{name}"' in page
    assert "Nobody recruited" not in page and "No mail sent" not in page
    week = dashboard(scope_for(admin_user, days=7)).tiles["actions"]
    assert len(week["days"]) == 7 and week["total"] <= t["actions"]["total"]


def test_a_leaders_dashboard_counts_their_groups_only(demo, admin_user):
    leader = User.objects.get(username="lead-des-moines")
    everyone = dashboard(scope_for(admin_user, days=90)).tiles
    theirs = dashboard(scope_for(leader, days=90)).tiles
    assert 0 < theirs["actions"]["total"] < everyone["actions"]["total"]
    assert theirs["new_people"]["total"] < everyone["new_people"]["total"]
    mine = Group.objects.get(slug="des-moines")
    chosen = dashboard(scope_for(admin_user, days=90, group=mine)).tiles
    assert chosen["actions"]["total"] == theirs["actions"]["total"]
    other = Group.objects.get(slug="iowa-city")
    client = logged_in(leader)
    page = client.get("/insights/", {"group": other.pk, "days": 90}).content.decode()
    assert "Select a valid choice" not in page  # the filter falls back to the leader's groups
    assert f'<option value="{other.pk}"' not in page
    assert "What people are saying" not in page  # themes are staff's
    tiles = client.get("/insights/tiles/", {"days": 7})
    assert tiles.status_code == 200 and tiles.content.decode().lstrip().startswith("<div")


def test_what_works_compares_pages_mailings_and_asks_on_the_demo(demo, admin_user):
    from django.utils.html import escape

    from ladder.insights import works

    pages = works.pages_compared(admin_user, 365)
    assert pages and all(0 <= r["new_people"] <= r["actions"] for r in pages)
    assert [r["actions"] for r in pages] == sorted((r["actions"] for r in pages), reverse=True)
    for r in works.mailings_compared(admin_user, 365):
        assert r["acted_per_1000"] == round(1000 * r["acted"] / r["sent"], 1)
    asks = works.asks_compared(admin_user)
    assert asks and all(r["accepted"] <= r["offered"] for r in asks)
    page = logged_in(admin_user).get("/insights/works/", {"days": "365"}).content.decode()
    assert 'id="works-pages"' in page and escape(pages[0]["page"].title) in page
