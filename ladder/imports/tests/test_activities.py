"""Importing activity history: donations, attendance… matched to people like any import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ladder.activity.models import Activity
from ladder.imports.services import import_create
from ladder.imports.tests.conftest import run_import, write_csv
from ladder.people.models import Person
from ladder.people.services import person_create

pytestmark = pytest.mark.django_db


def test_donations_are_recorded_with_amount_reference_and_refcode(tmp_path):
    ana = person_create(actor=None, first_name="Ana", email="ana@example.org")
    path = write_csv(tmp_path / "actblue.csv", [
        ["Receipt ID", "Date", "Amount", "Donor First Name", "Donor Email", "Reference Code",
         "Lineitem ID"],
        ["AB1", "2026-03-01 14:22:11", "$1,250.50", "Ana", "ana@example.org", "email-0301", "1"],
        ["AB2", "03/02/2026", "25", "Bo", "bo@example.org", "", "1"],
        ["AB3", "not a date", "5", "Cy", "cy@example.org", "", "1"],
    ])  # fmt: skip
    job = run_import(path, kind="activities", activity_type="donation")
    assert job.counts["new"] == 1 and job.counts["updated"] == 1 and job.counts["rejected"] == 1
    assert job.counts["activities"] == 2
    gift = Activity.objects.get(person=ana)
    assert (gift.type, gift.channel, gift.direction) == ("donation", "web", "in")
    assert gift.amount == Decimal("1250.50") and gift.source == "email-0301"
    assert gift.payload == {"reference": "AB1:1"}
    # Chicago is UTC-6 in March before the switch: 14:22 local is 20:22 UTC.
    assert gift.occurred_at == dt.datetime(2026, 3, 1, 20, 22, 11, tzinfo=dt.UTC)
    assert gift.import_job_id == job.pk
    assert Person.objects.get(emails__address="bo@example.org").activities.get().amount == 25


def test_the_same_history_imported_twice_is_recorded_once(tmp_path):
    path = write_csv(tmp_path / "attended.csv", [
        ["Email", "Event Date"],
        ["ana@example.org", "2026-04-01T18:00:00-05:00"],
        ["ana@example.org", "2026-04-08T18:00:00-05:00"],
        ["bo@example.org", "2026-04-01T18:00:00-05:00"],
    ])  # fmt: skip
    first = run_import(path, kind="activities", activity_type="attendance")
    assert Activity.objects.filter(type="attendance").count() == 3
    second = run_import(path, kind="activities", activity_type="attendance")
    assert Activity.objects.filter(type="attendance").count() == 3
    assert (second.counts["new"], second.counts["updated"], second.counts["unchanged"]) == (0, 0, 3)
    # Keys come from the rows' content, not from the job that imported them.
    keys = set(Activity.objects.values_list("idempotency_key", flat=True))
    assert all(k.startswith("import:attendance:") for k in keys) and len(keys) == 3
    assert set(Activity.objects.values_list("import_job_id", flat=True)) == {first.pk}


def test_activity_imports_need_a_known_type(tmp_path):
    path = write_csv(tmp_path / "a.csv", [["Email", "Date"], ["a@example.org", "2026-01-01"]])
    with pytest.raises(ValidationError, match="activity type"):
        import_create(actor=None, path_or_file=path, original_name="a.csv", kind="activities",
                      activity_type="bake_sale")  # fmt: skip
