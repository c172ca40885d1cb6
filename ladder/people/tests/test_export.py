"""People export: the service, the streamed download and `ladder export people`."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import PASSWORD
from ladder.activity.models import PersonStats
from ladder.core.models import User
from ladder.people.export import (
    EXPORT_COLUMNS,
    ExportError,
    people_export_csv,
    people_export_rows,
)
from ladder.people.models import Address, CustomField, EmailAddress, Person, Phone
from ladder.people.services import (
    custom_fields_set,
    external_id_add,
    group_add_person,
    person_create,
    tag_add,
)

pytestmark = pytest.mark.django_db

URL = "/export/people.csv"


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def export(user, columns: str, **filters) -> list[list[str]]:
    return parse("".join(people_export_csv(user, columns=columns.split(","), **filters)))


def download(client, user, query: str):
    client.login(username=user.username, password=PASSWORD)
    return client.get(f"{URL}?{query}")


@pytest.fixture
def rich_person(two_groups) -> Person:
    person = person_create(
        actor=None, first_name="María", last_name="Gómez", email="maria@example.org",
        phone="(515) 555-0134", home_group=two_groups[0],
    )  # fmt: skip
    Address.objects.create(
        person=person, line1="1 Old Rd", postal_code="50300", is_primary=False
    )  # an older, non-primary address must not win
    Address.objects.create(
        person=person, line1="12 Elm St", locality="Des Moines", region="IA",
        postal_code="50309", precinct="DM-12", is_primary=True,
    )  # fmt: skip
    tag_add(actor=None, person=person, name="volunteer")
    tag_add(actor=None, person=person, name="donor")
    CustomField.objects.create(key="shirt_size", label="Shirt size")
    custom_fields_set(actor=None, person=person, values={"shirt_size": "M"})
    external_id_add(actor=None, person=person, system="van", value="V123")
    PersonStats.objects.create(person=person, given_total=Decimal("125.50"), engagement_score=42)
    return person


def test_csv_has_header_then_chosen_columns_in_order(staff_user, rich_person, two_groups):
    rows = export(
        staff_user,
        "last_name,id,email,phone,address_line1,city,state,postal_code,precinct,tags,groups,"
        "home_group,custom:shirt_size,external:van,given_total,engagement_score,last_action_at",
    )
    assert rows[0][:3] == ["last_name", "id", "email"]
    assert rows[1] == [
        "Gómez", str(rich_person.pk), "maria@example.org", "+15155550134", "12 Elm St",
        "Des Moines", "IA", "50309", "DM-12", "donor, volunteer", "Des Moines", "Des Moines",
        "M", "V123", "125.50", "42", "",
    ]  # fmt: skip
    assert len(rows) == 2


def test_people_without_related_rows_get_empty_cells(staff_user):
    person_create(actor=None, first_name="Bare")
    rows = export(staff_user, "first_name,email,phone,postal_code,tags,given_total,external:van")
    assert rows[1] == ["Bare", "", "", "", "", "", ""]


def test_rows_function_yields_header_first_then_lists(staff_user, person_in_a):
    rows = list(people_export_rows(staff_user, columns=["id", "email"]))
    assert rows == [["id", "email"], [str(person_in_a.pk), "alma@example.org"]]


def test_formulas_are_neutralised_but_phones_and_numbers_are_not(staff_user):
    evil = person_create(
        actor=None, first_name="=HYPERLINK(\"http://x\",\"y\")", last_name="+SUM(A1)",
        phone="+1 515 555 0134", employer="@cmd", occupation="-2+3", source="\tTAB",
        languages="\rCR",
    )  # fmt: skip
    PersonStats.objects.create(person=evil, given_total=Decimal("-5.00"))
    rows = export(
        staff_user, "first_name,last_name,employer,occupation,source,languages,phone,given_total"
    )
    assert rows[1] == [
        "'=HYPERLINK(\"http://x\",\"y\")", "'+SUM(A1)", "'@cmd", "'-2+3", "'\tTAB", "'\rCR",
        "+15155550134", "-5.00",
    ]  # fmt: skip


def test_unknown_column_is_refused_at_once(staff_user):
    with pytest.raises(ExportError, match="Unknown column “favourite_colour”"):
        people_export_csv(staff_user, columns=["id", "favourite_colour"])
    with pytest.raises(ExportError, match="no custom field “nope”"):
        people_export_rows(staff_user, columns=["custom:nope"])
    with pytest.raises(ExportError, match="at least one column"):
        people_export_csv(staff_user, columns=[" "])


def test_leader_exports_only_their_group(leader_a, person_in_a, person_in_b):
    assert export(leader_a, "id,email")[1:] == [[str(person_in_a.pk), "alma@example.org"]]
    assert export(leader_a, "id", query="bert") == [["id"]]
    assert export(leader_a, "id", group_id=person_in_b.groups.get().pk) == [["id"]]


def test_search_tag_and_group_filters_match_people_search(staff_user, person_in_a, person_in_b):
    tag_add(actor=None, person=person_in_b, name="donor")
    assert export(staff_user, "id", query="bishop")[1:] == [[str(person_in_b.pk)]]
    assert export(staff_user, "id", query="alma@")[1:] == [[str(person_in_a.pk)]]
    donor = person_in_b.taggings.get().tag_id
    assert export(staff_user, "id", tag_id=donor)[1:] == [[str(person_in_b.pk)]]
    group_a = person_in_a.groups.get().pk
    assert export(staff_user, "id", group_id=group_a)[1:] == [[str(person_in_a.pk)]]


def test_merged_people_are_not_exported(staff_user, person_in_a, person_in_b):
    person_in_b.merged_into = person_in_a
    person_in_b.save()
    assert export(staff_user, "id")[1:] == [[str(person_in_a.pk)]]


def test_keyset_chunks_visit_everyone_once_with_constant_queries(staff_user, two_groups):
    columns = ["id", "email", "phone", "city", "tags", "groups", "external:van", "given_total"]

    def run(chunk_size: int) -> tuple[list[list[str]], int]:
        with CaptureQueriesContext(connection) as queries:
            rows = parse("".join(people_export_csv(
                staff_user, columns=columns, chunk_size=chunk_size, use_copy=False
            )))  # fmt: skip
        return rows, len(queries)

    for i in range(6):
        person = person_create(actor=None, first_name=f"P{i}", email=f"p{i}@example.org")
        tag_add(actor=None, person=person, name=f"t{i % 2}")
        group_add_person(actor=None, group=two_groups[i % 2], person=person)
    rows, small_chunks = run(chunk_size=4)
    ids = [int(r[0]) for r in rows[1:]]
    assert ids == sorted(Person.objects.values_list("id", flat=True))
    # per chunk, one query for the people (stats joined in) and one per related table: email,
    # phone, address, tags, groups, external ids. Two chunks here.
    assert small_chunks == 2 * 7
    _, one_chunk = run(chunk_size=100)
    for i in range(6, 30):
        person_create(actor=None, first_name=f"P{i}", email=f"p{i}@example.org")
    rows, more_people = run(chunk_size=100)
    assert len(rows) == 31
    assert more_people == one_chunk == 7  # five times the people, same number of queries


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")


@postgres_only
def test_copy_path_writes_the_same_bytes_as_the_portable_path(
    staff_user, leader_a, rich_person, two_groups
):
    """On PostgreSQL the database formats the CSV; it must match Python's formatting exactly."""
    CustomField.objects.create(key="flags", label="Flags")
    odd = person_create(
        actor=None, first_name='Quote "Q" Comma, Jr.', last_name="Line\nBreak",
        email="odd@example.org", employer="=1+1", occupation="@home", source="-x",
        phone="+44 20 7946 0958", birthdate=dt.date(1980, 2, 29), home_group=two_groups[1],
    )  # fmt: skip
    odd.custom_fields = {"shirt_size": "=XL", "flags": [1, "two", {"b": True}]}
    odd.save()
    external_id_add(actor=None, person=odd, system="van", value="V9")
    external_id_add(actor=None, person=odd, system="van", value="V10")
    external_id_add(actor=None, person=odd, system="actblue", value="-A1")
    EmailAddress.objects.create(person=odd, address="second@example.org", is_primary=False)
    odd.phones.update(is_primary=False)
    Phone.objects.create(person=odd, number="=2+3", is_primary=True)  # bad data from elsewhere
    PersonStats.objects.create(
        person=odd,
        given_total=Decimal("-5.00"),
        last_action_at=dt.datetime(2026, 7, 4, 12, 30, 15, tzinfo=dt.UTC),
    )
    flag_person = person_create(actor=None, first_name="Bool", recruited_by=odd)
    flag_person.custom_fields = {"shirt_size": 12, "flags": False}
    flag_person.save()
    person_create(actor=None, first_name="")  # all empty
    everything = [*EXPORT_COLUMNS, "custom:shirt_size", "custom:flags", "external:van",
                  "external:actblue", "external:none"]  # fmt: skip
    cases: list[tuple[User, list[str], str]] = [
        (staff_user, everything, ""),
        (staff_user, ["first_name"], ""),  # one column: empty cells are ""
        (staff_user, ["email", "tags"], "odd@"),
        (leader_a, ["id", "last_name", "groups"], ""),
    ]
    for user, columns, query in cases:
        copied = "".join(
            people_export_csv(user, columns=columns, query=query, use_copy=True, chunk_size=2)
        )
        portable = "".join(
            people_export_csv(user, columns=columns, query=query, use_copy=False, chunk_size=2)
        )
        assert copied == portable, columns
    rows = parse(
        "".join(people_export_csv(staff_user, columns=["phone", "employer"], use_copy=True))
    )
    assert ["'=2+3", "'=1+1"] in rows


@postgres_only
def test_copy_path_reports_progress_per_chunk(staff_user):
    for i in range(5):
        person_create(actor=None, first_name=f"P{i}")
    counts: list[int] = []
    text = "".join(
        people_export_csv(staff_user, columns=["first_name"], chunk_size=2, progress=counts.append)
    )
    assert counts == [2, 2, 1]
    assert parse(text)[1:] == [[f"P{i}"] for i in range(5)]


# The download ------------------------------------------------------------------------------


def test_download_streams_csv(client, staff_user, person_in_a, person_in_b):
    response = download(client, staff_user, "columns=id,first_name,email")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="people-')
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads accents correctly with a BOM
    assert parse(body) == [
        ["id", "first_name", "email"],
        [str(person_in_a.pk), "Alma", "alma@example.org"],
        [str(person_in_b.pk), "Bert", "bert@example.org"],
    ]


def test_download_default_columns_and_filters(client, staff_user, person_in_a, person_in_b):
    tag_add(actor=None, person=person_in_a, name="Donor")
    rows = parse(b"".join(download(client, staff_user, "").streaming_content).decode())
    assert rows[0] == ["id", "first_name", "last_name", "email", "phone", "postal_code", "tags"]
    by_id = parse(b"".join(download(
        client, staff_user, f"columns=id&tag={person_in_a.taggings.get().tag_id}"
    ).streaming_content).decode())  # fmt: skip
    by_name = parse(b"".join(download(
        client, staff_user, "columns=id&tag=donor&q=alma"
    ).streaming_content).decode())  # fmt: skip
    by_group = parse(b"".join(download(
        client, staff_user, "columns=id&group=cedar-rapids"
    ).streaming_content).decode())  # fmt: skip
    assert by_id == by_name == [["id"], [str(person_in_a.pk)]]
    assert by_group == [["id"], [str(person_in_b.pk)]]


def test_download_unknown_column_tag_or_group_is_a_400(client, staff_user):
    response = download(client, staff_user, "columns=id,ssn")
    assert response.status_code == 400
    assert "Unknown column “ssn”" in response.content.decode()
    response = client.get(f"{URL}?tag=nonexistent")
    assert response.status_code == 400 and "no tag “nonexistent”" in response.content.decode()
    response = client.get(f"{URL}?group=atlantis")
    assert response.status_code == 400 and "no group “atlantis”" in response.content.decode()


def test_download_needs_login(client, person_in_a):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_leader_download_is_scoped(client, leader_a, person_in_a, person_in_b):
    response = download(client, leader_a, "columns=id,email")
    body = parse(b"".join(response.streaming_content).decode())
    assert body == [["id", "email"], [str(person_in_a.pk), "alma@example.org"]]
    response = client.get(f"{URL}?columns=id&group=cedar-rapids")
    assert parse(b"".join(response.streaming_content).decode()) == [["id"]]


# The command -------------------------------------------------------------------------------


def test_command_writes_a_file(tmp_path, person_in_a, person_in_b):
    target = tmp_path / "people.csv"
    err = io.StringIO()
    call_command(
        "export", "people", "--columns", "id,last_name,email", "--output", str(target),
        stderr=err,
    )  # fmt: skip
    assert parse(target.read_text(encoding="utf-8")) == [
        ["id", "last_name", "email"],
        [str(person_in_a.pk), "Avery", "alma@example.org"],
        [str(person_in_b.pk), "Bishop", "bert@example.org"],
    ]
    assert "Wrote 2 people" in err.getvalue()


def test_command_to_stdout_as_a_leader_with_filters(leader_a, person_in_a, person_in_b):
    out = io.StringIO()
    call_command("export", "people", "--columns", "id", "--as-user", "lena", stdout=out,
                 stderr=io.StringIO())  # fmt: skip
    assert parse(out.getvalue()) == [["id"], [str(person_in_a.pk)]]
    out = io.StringIO()
    call_command("export", "people", "--columns", "id", "--group", "cedar-rapids",
                 "--query", "bert", stdout=out, stderr=io.StringIO())  # fmt: skip
    assert parse(out.getvalue()) == [["id"], [str(person_in_b.pk)]]


def test_command_bad_input_is_a_command_error(tmp_path, person_in_a):
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    with pytest.raises(CommandError, match="Unknown column “nope”"):
        call_command("export", "people", "--columns", "id,nope", **quiet)
    with pytest.raises(CommandError, match="no user called ghost"):
        call_command("export", "people", "--as-user", "ghost", **quiet)
    with pytest.raises(CommandError, match="no tag called"):
        call_command("export", "people", "--tag", "missing", **quiet)
    with pytest.raises(CommandError, match="no group with the slug"):
        call_command("export", "people", "--group", "missing", **quiet)
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export", "people", "--output", str(tmp_path / "no" / "dir.csv"), **quiet)
