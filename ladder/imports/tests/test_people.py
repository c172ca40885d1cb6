"""Importing people: the dry run, duplicates inside a file, matching existing people, updates,
tags, custom fields and groups."""

from __future__ import annotations

import datetime as dt

import pytest

from ladder.imports.models import ImportRow
from ladder.imports.services import import_apply
from ladder.imports.tests.conftest import run_import, stage, write_csv
from ladder.people.models import (
    Address,
    CustomField,
    EmailAddress,
    ExternalId,
    Person,
    Phone,
    Tag,
    Tagging,
)
from ladder.people.services import external_id_add, person_create, tag_add

pytestmark = pytest.mark.django_db


def people_tables() -> tuple[int, ...]:
    models = (Person, EmailAddress, Phone, Address, Tagging, ExternalId)
    return tuple(model.objects.count() for model in models)


def test_the_dry_run_counts_new_updated_unchanged_and_rejected_without_writing(tmp_path):
    person_create(actor=None, first_name="Alma", last_name="Avery", email="alma@example.org")
    person_create(actor=None, first_name="Bert", last_name="Bishop", email="bert@example.org")
    before = people_tables()
    path = write_csv(tmp_path / "p.csv", [
        ["First Name", "Last Name", "Email"],
        ["Alma", "Avery", "alma@example.org"],       # unchanged
        ["Bert", "Bishop-Ray", "BERT@example.org"],  # updated: a different last name
        ["Cleo", "Cruz", "cleo@example.org"],        # new
        ["Dee", "", "dee@"],                         # rejected: malformed email, nothing else
        ["Eve", "", ""],                             # rejected: nothing identifies her
    ])  # fmt: skip
    job = stage(path)
    assert job.status == "staged" and job.phase == "staged"
    counts = job.counts
    assert (counts["new"], counts["updated"], counts["unchanged"], counts["rejected"]) == (
        1,
        1,
        1,
        2,
    )
    assert counts["rejected_reasons"] == {
        "malformed email address": 1, "no email, phone or external id": 1,
    }  # fmt: skip
    assert people_tables() == before
    import_apply(job=job)
    assert (job.counts["new"], job.counts["updated"], job.counts["unchanged"]) == (1, 1, 1)
    assert Person.objects.get(emails__address="bert@example.org").last_name == "Bishop-Ray"
    assert Person.objects.count() == 3


def test_duplicate_rows_in_one_file_become_one_person_with_everything(tmp_path):
    path = write_csv(tmp_path / "p.csv", [
        ["First Name", "Email", "Mobile Phone", "Tags", "VANID"],
        ["Rosa", "rosa@example.org", "515-555-0101", "rent", ""],
        ["Rosa", "ROSA@example.org ", "515-555-0102", "transit", ""],  # same email
        ["R.", "", "(515) 555-0102", "water", "77"],                  # same phone as row 3
        ["Sam", "sam@example.org", "", "", "77"],                      # same VAN id as row 4
        ["Ida", "ida@example.org", "", "", ""],
    ])  # fmt: skip
    job = run_import(path)
    assert (job.counts["new"], job.counts["duplicates"]) == (2, 3)
    rosa = Person.objects.get(emails__address="rosa@example.org")
    assert rosa.first_name == "Rosa"  # the first row's values make the person
    assert set(rosa.emails.values_list("address", flat=True)) == {"rosa@example.org",
                                                                   "sam@example.org"}  # fmt: skip
    assert rosa.emails.get(is_primary=True).address == "rosa@example.org"
    assert set(rosa.phones.values_list("number", flat=True)) == {"+15155550101", "+15155550102"}
    assert rosa.phones.filter(is_primary=True).count() == 1
    assert set(rosa.taggings.values_list("tag__name", flat=True)) == {"rent", "transit", "water"}
    assert rosa.external_ids.get().value == "77"
    assert Person.objects.count() == 2


def test_matching_prefers_external_id_then_email_then_a_phone_only_one_person_has(tmp_path):
    van = person_create(actor=None, first_name="Van", email="van@example.org")
    external_id_add(actor=None, person=van, system="van", value="501")
    by_email = person_create(actor=None, first_name="Mail", email="mail@example.org")
    by_phone = person_create(actor=None, first_name="Phone", phone="515-555-0110")
    person_create(actor=None, first_name="Twin1", phone="515-555-0120")
    person_create(actor=None, first_name="Twin2", phone="515-555-0120")
    path = write_csv(tmp_path / "p.csv", [
        ["VANID", "Email", "Phone", "Occupation"],
        ["501", "mail@example.org", "", "teacher"],   # VAN id wins over the email
        ["", "mail@example.org", "515-555-0110", "nurse"],  # email wins over the phone
        ["", "", "515-555-0110", "welder"],           # only the phone: one person has it
        ["", "", "515-555-0120", "baker"],            # shared by two people: a new person
    ])  # fmt: skip
    job = run_import(path)
    assert job.counts["new"] == 1
    van.refresh_from_db()
    by_email.refresh_from_db()
    by_phone.refresh_from_db()
    assert van.occupation == "teacher"
    assert by_email.occupation == "nurse"
    assert by_phone.occupation == "welder"
    assert Person.objects.get(occupation="baker").phones.get().number == "+15155550120"


def test_updates_fill_and_overwrite_only_where_the_file_has_a_value(tmp_path):
    ana = person_create(actor=None, first_name="Ana", last_name="Ruiz", email="ana@example.org",
                        employer="City", birthdate=dt.date(1970, 1, 2))  # fmt: skip
    path = write_csv(tmp_path / "p.csv", [
        ["Email", "First Name", "Last Name", "Employer", "Occupation", "Birthdate"],
        ["ana@example.org", "ANA", "", "County", "Clerk", ""],
    ])  # fmt: skip
    job = run_import(path)
    assert job.counts["updated"] == 1
    ana.refresh_from_db()
    # "ANA" is Ana in capitals: not a change. Blank cells never erase.
    assert (ana.first_name, ana.last_name, ana.employer, ana.occupation, ana.birthdate) == (
        "Ana", "Ruiz", "County", "Clerk", dt.date(1970, 1, 2))  # fmt: skip
    assert ana.sort_name == "ruiz ana"
    row = ImportRow.objects.get(job_id=job.pk)
    assert (row.prev_employer, row.prev_occupation, row.prev_first_name) == ("City", "", None)


def test_names_from_a_full_name_column_are_split(tmp_path):
    path = write_csv(tmp_path / "p.csv", [
        ["Name", "Email"], ["Dr. Martin Luther King Jr.", "mlk@example.org"],
    ])  # fmt: skip
    run_import(path)
    mlk = Person.objects.get()
    assert (mlk.first_name, mlk.middle_name, mlk.last_name, mlk.suffix) == (
        "Martin", "Luther", "King", "Jr.")  # fmt: skip
    assert mlk.sort_name == "king martin"


def test_tags_custom_fields_groups_and_yes_no_tag_columns(tmp_path, two_groups):
    CustomField.objects.create(key="shirt", label="Shirt", type="choice", choices=["S", "M", "L"])
    CustomField.objects.create(key="dues", label="Dues", type="number")
    existing = person_create(actor=None, first_name="Old", email="old@example.org",
                             custom_fields={"dues": 5, "other": "kept"})  # fmt: skip
    tag_add(actor=None, person=existing, name="Renter")
    path = write_csv(tmp_path / "p.csv", [
        ["Email", "Tags", "Volunteer?", "Shirt", "Dues", "Chapter"],
        ["old@example.org", "renter; Transit", "yes", "m", "12.50", "Des Moines"],
        ["new@example.org", "", "no", "XXL", "ten", "nowhere"],
    ])  # fmt: skip
    job = run_import(path, mapping={"Volunteer?": "tag:Volunteer prospect", "Shirt": "custom:shirt",
                                    "Dues": "custom:dues", "Chapter": "group"},
                     extra_tag="Spring list")  # fmt: skip
    existing.refresh_from_db()
    assert set(existing.taggings.values_list("tag__name", flat=True)) == {
        "Renter", "Transit", "Volunteer prospect", "Spring list"}  # fmt: skip
    assert Tag.objects.filter(name__iexact="renter").count() == 1  # matched whatever its case
    assert existing.custom_fields == {"dues": 12.5, "other": "kept", "shirt": "M"}
    assert existing.groups.get().slug == "des-moines"
    new = Person.objects.get(emails__address="new@example.org")
    assert set(new.taggings.values_list("tag__name", flat=True)) == {"Spring list"}
    assert new.custom_fields == {}
    warnings = {(i.column, i.code) for i in job_issues(job.pk)}
    assert warnings == {("Shirt", "bad_value"), ("Dues", "bad_value"), ("Chapter", "unknown_group")}


def job_issues(job_id: int):
    from ladder.imports.models import ImportIssue

    return ImportIssue.objects.filter(job_id=job_id, rejected=False)


def test_a_value_longer_than_its_field_is_cut_with_a_warning(tmp_path):
    path = write_csv(tmp_path / "p.csv", [["Email", "First Name"], ["a@example.org", "A" * 150]])
    job = run_import(path)
    assert Person.objects.get().first_name == "A" * 100
    assert [i.code for i in job_issues(job.pk)] == ["too_long"]


def test_addresses_are_added_once(tmp_path):
    ana = person_create(actor=None, first_name="Ana", email="ana@example.org")
    Address.objects.create(person=ana, line1="12 Elm St", postal_code="50309", is_primary=True)
    path = write_csv(tmp_path / "p.csv", [
        ["Email", "Address 1", "Zip Code", "City"],
        ["ana@example.org", "12 ELM ST", "50309", ""],        # the same address
        ["ana@example.org", "9 Oak Ave", "50310", "Ames"],    # a second one
        ["ana@example.org", "9 Oak Ave", "50310", "Ames"],    # twice in the file
    ])  # fmt: skip
    run_import(path)
    assert sorted(ana.addresses.values_list("line1", "is_primary")) == [
        ("12 Elm St", True), ("9 Oak Ave", False)]  # fmt: skip


def test_sort_names_are_lower_cased_beyond_ascii(tmp_path):
    # Voter files shout. SQLite's lower() only folds ASCII, so this is done while staging.
    path = write_csv(tmp_path / "p.csv", [["Email", "FirstName", "LastName"],
                                          ["a@example.org", "ÁNGEL", "MUÑOZ"]])  # fmt: skip
    run_import(path)
    assert Person.objects.get().sort_name == "muñoz ángel"
