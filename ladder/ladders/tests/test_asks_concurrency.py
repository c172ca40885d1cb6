"""Exactly N under concurrent accepts: six people press Accept at the same moment on an ask that
needs three, each in their own thread with their own database connection."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.ladders.asks import AskError, ask_create, ask_open, offer_accept, offer_drop
from ladder.ladders.models import Ask, AskOffer
from ladder.ladders.tests.ask_testing import make_person, make_segment


def _race(offers: list[AskOffer], action) -> tuple[list[int], list[str]]:  # type: ignore[no-untyped-def]
    """Run ``action(offer)`` for every offer at once; the ids that succeeded and the refusals."""
    barrier = threading.Barrier(len(offers))
    won: list[int] = []
    refused: list[str] = []
    crashed: list[BaseException] = []
    lock = threading.Lock()

    def run(offer: AskOffer) -> None:
        try:
            barrier.wait(timeout=30)
            action(offer)
            with lock:
                won.append(offer.pk)
        except AskError as exc:
            with lock:
                refused.append(" ".join(exc.messages))
        except BaseException as exc:  # surfaced below: a deadlock or error fails the test
            with lock:
                crashed.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(o,)) for o in offers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not crashed, crashed
    return won, refused


@pytest.mark.django_db(transaction=True)
def test_six_concurrent_accepts_on_an_ask_for_three_fill_exactly_three(staff_user):
    for i in range(8):
        make_person(f"C{i}", score=float(50 - i))
    ask = ask_create(
        actor=staff_user, title="Race", needed=3, segment=make_segment(staff_user), wave_factor=2
    )
    ask_open(actor=staff_user, ask=ask)
    offers = list(AskOffer.objects.filter(ask=ask))
    assert len(offers) == 6

    won, refused = _race(offers, lambda o: offer_accept(actor=None, offer=o))

    assert len(won) == 3
    assert len(refused) == 3
    assert all("All 3 places have been filled" in m for m in refused)
    ask.refresh_from_db()
    assert ask.status == Ask.Status.FILLED
    assert AskOffer.objects.filter(ask=ask, status=AskOffer.Status.ACCEPTED).count() == 3
    assert set(
        AskOffer.objects.filter(ask=ask, status=AskOffer.Status.ACCEPTED).values_list(
            "pk", flat=True
        )
    ) == set(won)
    accepted_log = Activity.objects.filter(
        type=ActivityType.ASK_ACCEPTED, object_type="ask", object_id=ask.pk
    )
    assert accepted_log.count() == 3

    # Two of the three drop out at once: two places reopen, each backfilled, no offer twice.
    dropping = list(AskOffer.objects.filter(pk__in=won[:2]))
    dropped, _ = _race(dropping, lambda o: offer_drop(actor=None, offer=o))
    assert len(dropped) == 2
    ask.refresh_from_db()
    assert ask.status == Ask.Status.OPEN
    assert AskOffer.objects.filter(ask=ask, status=AskOffer.Status.ACCEPTED).count() == 1
    # 2 open places × 2 = 4 waiting offers; only 2 people were never offered, so 2 go out.
    assert AskOffer.objects.filter(ask=ask, status=AskOffer.Status.OFFERED).count() == 2
    assert AskOffer.objects.filter(ask=ask).count() == 8
