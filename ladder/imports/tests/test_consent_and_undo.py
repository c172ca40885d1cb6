"""Consent columns (only when mapped, never turning an unsubscribe back on) and undo."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ladder.activity.models import Activity
from ladder.imports.services import import_undo
from ladder.imports.tests.conftest import run_import, stage, write_csv
from ladder.people.models import (
    ConsentEvent,
    EmailAddress,
    ExternalId,
    Person,
    Phone,
    Subscription,
    Suppression,
    Tagging,
)
from ladder.people.normalize import address_hash
from ladder.people.services import person_create, suppress, tag_add

pytestmark = pytest.mark.django_db

HEADER = ["Email", "Mobile Phone", "Email Opt-in", "Text Opt-in"]


def test_consent_columns_apply_only_when_mapped(tmp_path):
    path = write_csv(tmp_path / "p.csv", [HEADER, ["a@example.org", "515-555-0100", "yes", "yes"]])
    run_import(path)  # the proposal leaves consent columns unmapped
    assert ConsentEvent.objects.count() == 0
    assert EmailAddress.objects.get().subscription == Subscription.UNKNOWN


def test_mapped_opt_ins_and_opt_outs_follow_the_ledger_rules(tmp_path):
    path = write_csv(tmp_path / "p.csv", [
        HEADER,
        ["in@example.org", "515-555-0101", "Subscribed", "yes"],
        ["out@example.org", "515-555-0102", "unsubscribed", "no"],
        ["odd@example.org", "", "maybe", ""],
    ])  # fmt: skip
    job = run_import(path, mapping={"Email Opt-in": "email_consent", "Text Opt-in": "sms_consent"})
    assert EmailAddress.objects.get(address="in@example.org").subscription == "subscribed"
    assert EmailAddress.objects.get(address="out@example.org").subscription == "unsubscribed"
    assert EmailAddress.objects.get(address="odd@example.org").subscription == "unknown"
    assert Phone.objects.get(number="+15155550101").sms_subscription == "subscribed"
    assert Phone.objects.get(number="+15155550102").sms_subscription == "unsubscribed"
    events = set(ConsentEvent.objects.values_list("channel", "contact_point", "status", "source"))
    source = f"import #{job.pk}"
    assert events == {
        ("email", "in@example.org", "opt_in", source),
        ("email", "out@example.org", "opt_out", source),
        ("sms", "+15155550101", "opt_in", source),
        ("sms", "+15155550102", "opt_out", source),
    }
    # An opt-out suppresses the address, so it stays off even if its person is deleted.
    assert Suppression.objects.filter(
        channel="email", address_hash=address_hash("email", "out@example.org")
    ).exists()


def test_a_suppressed_address_never_seen_before_arrives_unsubscribed(tmp_path):
    suppress(actor=None, channel="email", contact_point="gone@example.org", reason="complaint")
    suppress(actor=None, channel="sms", contact_point="515-555-0103", reason="STOP")
    path = write_csv(
        tmp_path / "p.csv", [HEADER, ["gone@example.org", "515-555-0103", "yes", "yes"]]
    )
    run_import(path, mapping={"Email Opt-in": "email_consent", "Text Opt-in": "sms_consent"})
    assert EmailAddress.objects.get().subscription == Subscription.UNSUBSCRIBED
    assert Phone.objects.get().sms_subscription == Subscription.UNSUBSCRIBED
    assert not ConsentEvent.objects.filter(status="opt_in").exists()


def test_undo_restores_everything_the_import_changed(tmp_path):
    ana = person_create(actor=None, first_name="Ana", last_name="Ruiz", email="ana@example.org",
                        employer="City")  # fmt: skip
    tag_add(actor=None, person=ana, name="rent")
    path = write_csv(tmp_path / "p.csv", [
        ["Email", "First Name", "Employer", "Mobile Phone", "Tags", "VANID", "Email Opt-in"],
        ["ana@example.org", "Anita", "County", "515-555-0100", "rent, transit", "9", "yes"],
        ["new@example.org", "Neu", "", "515-555-0101", "transit", "10", "no"],
    ])  # fmt: skip
    job = run_import(path, mapping={"Email Opt-in": "email_consent"})
    assert Person.objects.count() == 2
    undone = import_undo(actor=None, job=job)
    assert undone.status == "undone" and undone.phase == "undone"
    ana.refresh_from_db()
    assert (ana.first_name, ana.employer, ana.sort_name) == ("Ana", "City", "ruiz ana")
    assert list(Person.objects.all()) == [ana]
    assert list(ana.phones.all()) == [] and ExternalId.objects.count() == 0
    assert list(Tagging.objects.values_list("tag__name", flat=True)) == ["rent"]
    assert EmailAddress.objects.get().subscription == Subscription.UNKNOWN  # its opt-in removed
    # The opt-out the file recorded stays in the ledger and on the suppression list.
    assert list(ConsentEvent.objects.values_list("contact_point", "status")) == [
        ("new@example.org", "opt_out")]  # fmt: skip
    assert Suppression.objects.count() == 1
    with pytest.raises(ValidationError, match="already undone"):
        import_undo(actor=None, job=job)


def test_undo_keeps_edits_made_after_the_import(tmp_path):
    ana = person_create(actor=None, first_name="Ana", email="ana@example.org", employer="City")
    path = write_csv(tmp_path / "p.csv", [["Email", "Employer"], ["ana@example.org", "County"]])
    job = run_import(path)
    Person.objects.filter(pk=ana.pk).update(employer="State")
    import_undo(actor=None, job=job)
    ana.refresh_from_db()
    assert ana.employer == "State"


def test_undo_removes_imported_activities_from_existing_people(tmp_path):
    person_create(actor=None, first_name="Ana", email="ana@example.org")
    path = write_csv(tmp_path / "g.csv", [["Email", "Date", "Amount"],
                                          ["ana@example.org", "2026-01-05", "10"]])  # fmt: skip
    job = run_import(path, kind="activities", activity_type="donation")
    assert Activity.objects.count() == 1
    import_undo(actor=None, job=job)
    assert Activity.objects.count() == 0 and Person.objects.count() == 1


def test_a_dry_run_cannot_be_undone(tmp_path):
    job = stage(write_csv(tmp_path / "p.csv", [["Email"], ["a@example.org"]]))
    with pytest.raises(ValidationError, match="nothing to undo"):
        import_undo(actor=None, job=job)
