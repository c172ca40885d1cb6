from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ladder.activity.models import Activity
from ladder.imports.tests.conftest import write_csv
from ladder.people.models import Person, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def people_file(tmp_path):
    return write_csv(tmp_path / "van.tsv", [
        ["VANID", "FirstName", "LastName", "Email", "Cell Phone"],
        ["101", "Rosa", "Diaz", "rosa@example.org", "515-555-0101"],
        ["102", "Sam", "Ng", "not an email", ""],
        ["103", "Ida", "Berg", "ida@example.org", "+1 319 555 0103"],
    ], delimiter="\t")  # fmt: skip


def test_dry_run_changes_nothing_and_reports(people_file, capsys):
    call_command("import", "people", str(people_file), "--dry-run", "--no-progress")
    out = capsys.readouterr().out
    assert "Dry run: 3 new" in out
    assert Person.objects.count() == 0


def test_import_people_applies_with_a_tag(people_file, capsys):
    call_command("import", "people", str(people_file), "--tag", "voter file", "--no-progress")
    assert "done: 3 new" in capsys.readouterr().out
    assert Person.objects.count() == 3
    assert Tag.objects.get(name="voter file").taggings.count() == 3
    assert Person.objects.get(external_ids__system="van", external_ids__value="101").first_name == (
        "Rosa"
    )


def test_import_activities_then_again_adds_nothing(people_file, tmp_path):
    call_command("import", "people", str(people_file), "--no-progress")
    gifts = write_csv(tmp_path / "gifts.csv", [
        ["Email", "Amount", "Date", "Receipt ID"],
        ["rosa@example.org", "35", "2026-09-01", "R1"],
    ])  # fmt: skip
    for _ in range(2):
        call_command("import", "activities", str(gifts), "--type", "donation", "--no-progress")
    assert Activity.objects.filter(type="donation").count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["people", "missing.csv"], "No such file"),
        (["activities", "FILE"], "need --type"),
        (["people", "FILE", "--mapping", "{oops"], "not JSON"),
        (["people", "FILE", "--mapping", '{"Nope": "email"}'], "lacks"),
    ],
)
def test_bad_arguments_get_clear_errors(people_file, args, message):
    args = [str(people_file) if a == "FILE" else a for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("import", *args, "--no-progress")


def test_a_file_with_nothing_to_identify_people_is_refused(tmp_path):
    names = write_csv(tmp_path / "names.csv", [["First Name", "Last Name"], ["A", "B"]])
    with pytest.raises(CommandError):
        call_command("import", "people", str(names), "--no-progress")
