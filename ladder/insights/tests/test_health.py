"""Group health on the demo: the chapter that went quiet 45 days ago is flagged, with a fix;
the busy chapters are not; and a leader sees only the groups they lead."""

from __future__ import annotations

import pytest

from ladder.core.models import User
from ladder.core.tests.test_demo import NOW
from ladder.demo import generate_demo
from ladder.demo.data import DORMANT_CHAPTER, DORMANT_DAYS
from ladder.insights.health import groups_health
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):  # type: ignore[no-untyped-def]
    return generate_demo(seed=5, people=300, now=NOW, password="pw-demo-1")


def test_the_dormant_chapter_is_flagged_and_the_busy_ones_are_not(demo, staff_user):
    health = {h.group.slug: h for h in groups_health(staff_user, now=NOW)}
    dormant = health[DORMANT_CHAPTER]
    assert [f.kind for f in dormant.flags][:1] == ["quiet"]
    assert dormant.days_quiet is not None and dormant.days_quiet >= DORMANT_DAYS
    assert dormant.active_members == 0 and "house meeting" in dormant.flags[0].fix
    busy = [h for slug, h in health.items() if h.group.kind == "chapter" and slug != DORMANT_CHAPTER
            and h.people]  # fmt: skip
    assert busy and all(h.days_quiet is not None and h.days_quiet < 30 for h in busy)
    assert all(not any(f.kind == "quiet" for f in h.flags) for h in busy)
    assert next(iter(health.values())).flags  # flagged groups come first
    page = logged_in(staff_user).get("/insights/groups/").content.decode()
    assert f'id="flag-{dormant.group.pk}"' in page and "Nobody in" in page


def test_a_leader_sees_the_health_of_their_groups_only(demo):
    leader = User.objects.get(username="lead-des-moines")
    seen = {h.group.slug for h in groups_health(leader, now=NOW)}
    assert "des-moines" in seen and DORMANT_CHAPTER not in seen
    page = logged_in(leader).get("/insights/groups/").content.decode()
    assert "Waterloo" not in page and "Des Moines" in page
