"""Exactly the capacity under concurrent RSVPs: eight people RSVP at the same moment to a shift
with three places, each in their own thread and database connection."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from ladder.actions.events import rsvp_take
from ladder.actions.models import Rsvp, Shift
from ladder.actions.tests.testing import make_event


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_rsvps_to_three_places(staff_user):
    shift = make_event(staff_user, capacity=3).event.shifts.get()
    barrier = threading.Barrier(8)
    crashed: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            rsvp_take(shift=shift, email=f"racer{n}@example.org", first_name=f"R{n}")
        except BaseException as exc:  # a deadlock or an error fails the test below
            crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not crashed, crashed
    statuses = list(Rsvp.objects.values_list("status", flat=True))
    assert statuses.count(Rsvp.Status.CONFIRMED) == 3
    assert statuses.count(Rsvp.Status.WAITLISTED) == 5
    shift = Shift.objects.get(pk=shift.pk)
    assert (shift.confirmed_count, shift.waitlist_count) == (3, 5)
