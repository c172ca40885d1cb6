"""Organizing metrics: teams, leaders grown from volunteers, people per leader, and month by
month how many volunteers made contact and how many came back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.services import contact_log
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.organizing.selectors import organizing_metrics
from ladder.organizing.teams import team_create
from ladder.organizing.tests.test_call_lists import caller

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(dt.datetime(2026, 12, 15, 12, 0))


def test_metrics_count_teams_leaders_and_volunteers_who_come_back(
    two_groups, leader_a, client, staff_user
):
    group_a = two_groups[0]
    people = [caller(n, group=group_a) for n in range(1, 5)]
    tess = make_user("tess", Role.VOLUNTEER)
    team_create(actor=leader_a, parent=group_a, name="East", leader=tess, members=people[:2])
    ivan, jo = make_user("ivan", Role.VOLUNTEER), make_user("jo", Role.VOLUNTEER)
    november = timezone.make_aware(dt.datetime(2026, 11, 10, 12, 0))
    december = timezone.make_aware(dt.datetime(2026, 12, 3, 12, 0))
    for volunteer, when in ((ivan, november), (jo, november), (ivan, december),
                            (tess, december)):  # fmt: skip
        contact_log(actor=volunteer, person=people[0], kind=ActivityType.CALL,
                    result="talked", occurred_at=when)  # fmt: skip
    metrics = organizing_metrics(now=NOW, months=2)
    assert (metrics.teams, metrics.leaders_developed) == (1, 1)
    # Des Moines: 4 people, 1 leader (lena); East: 2 of them and tess herself, 1 leader.
    assert metrics.people_per_leader == round((4 + 3) / 2, 1)
    by_month = {m.month.month: (m.active, m.kept, m.retention) for m in metrics.months}
    assert by_month[11] == (2, 0, None)
    assert by_month[12] == (2, 1, 50)  # ivan came back, jo did not; tess is new

    client.force_login(staff_user)
    page = client.get(reverse("organizing:lists")).content.decode()
    assert 'id="organizing-metrics"' in page
    client.force_login(tess)
    assert 'id="organizing-metrics"' not in client.get(reverse("organizing:lists")).content.decode()
