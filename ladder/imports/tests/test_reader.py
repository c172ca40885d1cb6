"""Reading files: format, encoding and delimiter detection, headers, XLSX cells."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from ladder.imports.models import ImportJob
from ladder.imports.services import import_create
from ladder.imports.tests.conftest import run_import, write_csv
from ladder.people.models import ExternalId, Person, Phone

pytestmark = pytest.mark.django_db


def create(path) -> ImportJob:
    return import_create(actor=None, path_or_file=path, original_name=path.name)


def test_a_van_export_is_tab_delimited_and_maps_its_headers(tmp_path):
    path = write_csv(tmp_path / "van.txt", [
        ["Voter File VANID", "VANID", "LastName", "FirstName", "Address", "City", "State",
         "Zip5", "Cell Phone", "Home Phone", "Email", "CD", "SD", "HD", "Precinct Name"],
        ["990001", "101", "Diaz", "Rosa", "12 Elm St", "Des Moines", "IA", "50309",
         "515-555-0101", "515-555-0199", "rosa@example.org", "3", "17", "33", "DM-12"],
    ], delimiter="\t")  # fmt: skip
    job = create(path)
    assert job.delimiter == "\t" and job.encoding == "utf-8"
    assert job.mapping["Voter File VANID"] == "external:voterfile"
    assert job.mapping["Cell Phone"] == "mobile_phone"
    assert job.mapping["Home Phone"] == "home_phone"
    assert job.mapping["Precinct Name"] == "precinct"
    run_import(path)
    rosa = Person.objects.get()
    assert {(e.system, e.value) for e in ExternalId.objects.all()} == {
        ("voterfile", "990001"), ("van", "101"),
    }  # fmt: skip
    assert sorted(rosa.phones.values_list("kind", "number", "is_primary")) == [
        ("home", "+15155550199", False), ("mobile", "+15155550101", True),
    ]  # fmt: skip
    address = rosa.addresses.get()
    districts = (address.congressional_district, address.state_upper_district,
                 address.state_lower_district, address.precinct)  # fmt: skip
    assert districts == ("3", "17", "33", "DM-12")


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("cp1252", "cp1252"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("utf-8", "utf-8")],
)
def test_the_encoding_is_detected(tmp_path, encoding, expected):
    path = write_csv(tmp_path / "p.csv", [
        ["Name", "Email"], ["Renée Ñúñez", "renee@example.org"], ["Zoë", "zoe@example.org"],
    ], encoding=encoding)  # fmt: skip
    job = create(path)
    assert job.encoding == expected
    assert job.sample[0] == ["Renée Ñúñez", "renee@example.org"]


@pytest.mark.parametrize("delimiter", [";", "|", ","])
def test_the_delimiter_is_detected(tmp_path, delimiter):
    path = write_csv(tmp_path / "p.csv", [
        ["First Name", "Email"], ["Ana, the elder", "ana@example.org"],
    ], delimiter=delimiter)  # fmt: skip
    job = create(path)
    assert job.delimiter == delimiter
    assert job.headers == ["First Name", "Email"]


def test_a_file_whose_first_row_is_data_is_refused(tmp_path):
    path = write_csv(tmp_path / "p.csv", [["ana@example.org", "515-555-0100"], ["b@x.org", "1"]])
    with pytest.raises(ValidationError, match="looks like data"):
        create(path)
    assert ImportJob.objects.count() == 0


def test_a_header_without_rows_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="no rows"):
        create(write_csv(tmp_path / "p.csv", [["Email", "Name"]]))


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"%PDF-1.7 ...", "PDF"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".xls"),
     (b"PK\x03\x04 not really a spreadsheet", "cannot be read")],
)  # fmt: skip
def test_unknown_or_broken_formats_are_refused(tmp_path, content, message):
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    with pytest.raises(ValidationError, match=message):
        create(path)


def test_duplicate_and_blank_headers_are_made_unique(tmp_path):
    path = write_csv(
        tmp_path / "p.csv", [["Email", "", "Email", "Tag"], ["a@x.org", "1", "b", "c"]]
    )
    job = create(path)
    assert job.headers == ["Email", "Column 2", "Email (2)", "Tag"]


def test_ragged_rows_and_blank_lines_are_read(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "Email,First Name,Tags\r\n"
        "a@example.org,Ana\r\n"
        "\r\n"
        "b@example.org,Bo,x,extra,cells\r\n"
        ",,\r\n"
        '"c@example.org","Cy\nline two",y\r\n',
        encoding="utf-8",
    )
    job = run_import(path)
    assert job.counts["new"] == 3 and job.counts["rejected"] == 0
    assert Person.objects.get(emails__address="c@example.org").first_name == "Cy line two"


def test_old_mac_line_endings_are_read(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b"Email,First Name\rana@example.org,Ana\rbo@example.org,Bo\r")
    job = run_import(path)
    assert job.counts["new"] == 2


def test_xlsx_cells_are_read_as_typed_and_formulas_stay_text(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Email", "Mobile Phone", "Zip Code", "Birthdate", "First Name", "VANID"])
    sheet.append(["ana@example.org", 5155550134, 2134, dt.datetime(1980, 5, 17),
                  "=CONCAT(\"A\",\"na\")", 1234567.0])  # fmt: skip
    sheet.append([None, None, None, None, None, None])
    book.save(tmp_path / "p.xlsx")
    job = run_import(tmp_path / "p.xlsx")
    assert job.file_format == "xlsx" and job.counts["new"] == 1
    ana = Person.objects.get()
    assert ana.first_name == '=CONCAT("A","na")'
    assert ana.birthdate == dt.date(1980, 5, 17)
    assert Phone.objects.get().number == "+15155550134"
    assert ana.addresses.get().postal_code == "02134"  # the leading zero Excel dropped
    assert ana.external_ids.get().value == "1234567"
