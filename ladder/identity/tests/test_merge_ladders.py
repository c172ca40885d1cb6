"""A merge moves history, so the survivor stands where its new history puts it on every ladder
at the worker's next pass — not only on ladders that count merges."""

from __future__ import annotations

from ladder.activity.catalogue import ActivityType as T
from ladder.identity.merging import merge_undo, person_merge
from ladder.ladders.models import RungPlacement
from ladder.ladders.tests.test_placement import did, fold, make_ladder, record, stat
from ladder.people.services import person_create


def test_the_survivor_is_placed_by_the_history_it_gained_and_the_undo_places_it_back(db):
    ladder = make_ladder(
        "events", [("Attendee", did([T.ATTENDANCE])), ("Regular", stat("events_attended", 2))]
    )
    keep = person_create(actor=None, first_name="Sam", last_name="Okafor", email="s@ex.org")
    fold_in = person_create(actor=None, first_name="Sam", last_name="Okafor", email="o@ex.net")
    record(keep, T.ATTENDANCE, days_ago=3)
    record(fold_in, T.ATTENDANCE)
    fold()

    def rung_of(person):  # type: ignore[no-untyped-def]
        row = RungPlacement.objects.filter(ladder=ladder, person=person).first()
        return row.rung.name if row and row.rung else None

    assert (rung_of(keep), rung_of(fold_in)) == ("Attendee", "Attendee")
    merge = person_merge(actor=None, survivor=keep, merged=fold_in)
    fold()
    assert rung_of(keep) == "Regular"
    merge_undo(actor=None, merge=merge)
    fold()
    assert (rung_of(keep), rung_of(fold_in)) == ("Attendee", "Attendee")
