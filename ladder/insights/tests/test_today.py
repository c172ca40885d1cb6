"""My day on the demo: a chapter leader sees the people of their chapter who acted since the
start of yesterday — all of them, and nobody else's — and who is new; a volunteer sees only
the people assigned to them."""

from __future__ import annotations

import pytest

from ladder.activity.models import PersonStats
from ladder.core.models import User
from ladder.demo import generate_demo
from ladder.insights.today import my_day
from ladder.people.selectors import visible_people
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):  # type: ignore[no-untyped-def]
    # History up to this moment, so that "since yesterday" has people in it.
    return generate_demo(seed=6, people=300, password="pw-demo-1")


def test_a_leaders_day_lists_their_people_who_acted_and_nobody_elses(demo):
    leader = User.objects.get(username="lead-des-moines")
    day = my_day(leader)
    acted_everywhere = set(
        PersonStats.objects.filter(last_action_at__gte=day.since, person__merged_into__isnull=True)
        .values_list("person_id", flat=True)
    )  # fmt: skip
    theirs = set(visible_people(leader).values_list("pk", flat=True))
    expected = acted_everywhere & theirs
    assert expected and acted_everywhere - theirs  # others acted too, elsewhere
    assert day.acted_count == len(expected)
    assert {p.pk for p in day.acted} == expected or (
        len(day.acted) == 50 and {p.pk for p in day.acted} <= expected
    )
    assert all(p.recent for p in day.acted)  # type: ignore[attr-defined]
    page = logged_in(leader).get("/insights/today/").content.decode()
    for person in day.acted[:5]:
        assert f'data-person="{person.pk}"' in page
    outsider = next(iter(acted_everywhere - theirs))
    assert f'data-person="{outsider}"' not in page


def test_a_volunteers_day_is_only_their_assigned_people(demo):
    volunteer = User.objects.filter(role="volunteer", person__isnull=False).first()
    assert volunteer is not None
    day = my_day(volunteer)
    reach = set(visible_people(volunteer).values_list("pk", flat=True))
    assert {p.pk for p in day.acted} <= reach and {p.pk for p in day.new_people} <= reach
    assert logged_in(volunteer).get("/insights/today/").status_code == 200
