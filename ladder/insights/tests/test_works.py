"""What works: each action is credited to the channel of the person's first activity and of the
last contact before it; mailings per thousand sent; pages by actions and the people they brought
in; and a leader's comparison counts only their people."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.services import activity_record
from ladder.insights.works import channels_credited
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def _at(person, kind: str, days_ago: float, **fields):  # type: ignore[no-untyped-def]
    return activity_record(person=person, type=kind, occurred_at=NOW - dt.timedelta(days=days_ago),
                           **fields)  # fmt: skip


def test_actions_are_credited_to_the_first_and_the_last_touch(staff_user, leader_a, person_in_a,
                                                              person_in_b):  # fmt: skip
    # A met us by email and gave after clicking; B signed up on the web, then a knock moved her.
    _at(person_in_a, T.EMAIL_CLICKED, 3)
    _at(person_in_a, T.DONATION, 2, amount=Decimal("50"))
    _at(person_in_b, T.WEB_SIGNUP, 10)
    _at(person_in_b, T.DOOR_KNOCK, 5)
    _at(person_in_b, T.PETITION_SIGNATURE, 4)
    credit = {c.channel: c for c in channels_credited(staff_user, 30)}
    assert (credit["Email"].first_actions, credit["Email"].first_money) == (1, Decimal("50"))
    assert (credit["Email"].last_actions, credit["Email"].last_money) == (1, Decimal("50"))
    assert credit["Web"].first_actions == 2  # B's signup and her signature
    assert credit["Door"].last_actions == 1 and credit["none before"].last_actions == 1
    # The leader of A's group sees A's action only.
    theirs = {c.channel: c for c in channels_credited(leader_a, 30)}
    assert sum(c.first_actions for c in theirs.values()) == 1 and "Web" not in theirs
    page = logged_in(leader_a).get("/insights/works/", {"days": "30"}).content.decode()
    assert 'id="works-channels"' in page and "Email" in page
    assert logged_in(staff_user).get("/insights/works/", {"days": "nonsense"}).status_code == 200
    assert channels_credited(staff_user, 1) == []  # nothing acted today
