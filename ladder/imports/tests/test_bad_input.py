"""Bad files get a clear answer and lose nothing (issue 2, "Bad input")."""

from __future__ import annotations

import csv
import io
import tracemalloc

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from ladder.imports.selectors import import_progress, import_rejections_csv
from ladder.imports.services import import_create, import_set_mapping, import_stage
from ladder.imports.tests.conftest import run_import, write_csv
from ladder.people.models import EmailAddress, Person

pytestmark = pytest.mark.django_db

HEADER = ["First Name", "Last Name", "Email", "Phone"]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-16", "latin-1"])
def test_common_encodings_keep_accents(tmp_path, encoding):
    path = write_csv(tmp_path / "people.csv", [
        HEADER, ["José", "Muñoz", "jose@example.org", ""], ["Zoë", "Brontë", "zoe@example.org", ""],
    ], encoding=encoding)  # fmt: skip
    run_import(path)
    assert set(Person.objects.values_list("first_name", "last_name")) == {
        ("José", "Muñoz"), ("Zoë", "Brontë"),
    }  # fmt: skip


def test_xlsx_imports(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Email Address", "First Name", "Zip Code"])
    sheet.append(["ana@example.org", "Ana", 50309])
    book.save(tmp_path / "people.xlsx")
    run_import(tmp_path / "people.xlsx")
    person = Person.objects.get()
    assert person.first_name == "Ana" and person.addresses.get().postal_code == "50309"


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n"])
def test_empty_files_are_refused_with_a_message(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(ValidationError) as error:
        import_create(actor=None, path_or_file=path, original_name="empty.csv")
    assert "empty" in " ".join(error.value.messages).lower()


def test_malformed_contacts_are_rejected_with_reason_and_column(tmp_path):
    path = write_csv(tmp_path / "people.csv", [
        HEADER,
        ["Good", "Row", "good@example.org", "515-555-0100"],
        ["Bad", "Email", "bad@@example", ""],
        ["Bad", "Phone", "", "12"],
        ["Kept", "Phone", "not-an-email", "515-555-0111"],
    ])  # fmt: skip
    job = run_import(path)
    counts = import_progress(job)["counts"]
    assert counts["new"] == 2 and counts["rejected"] == 2
    assert set(Person.objects.values_list("first_name", flat=True)) == {"Good", "Kept"}
    report = list(csv.reader(io.StringIO("".join(import_rejections_csv(job)))))
    header, rows = report[0], report[1:]
    assert [h.lower() for h in header[:3]] == ["row", "column", "value"]
    by_value = {row[2]: row for row in rows}
    assert by_value["bad@@example"][0] == "3" and by_value["bad@@example"][1] == "Email"
    assert by_value["12"][1] == "Phone"
    assert "not-an-email" in by_value  # dropped from a row kept through its phone


def test_spreadsheet_formulas_are_stored_as_text_and_never_evaluated(tmp_path):
    path = write_csv(tmp_path / "people.csv", [
        ["First Name", "Last Name", "Email"],
        ['=HYPERLINK("http://evil.example","x")', "+SUM(A1)", "f@example.org"],
    ])  # fmt: skip
    run_import(path)
    person = Person.objects.get()
    assert person.first_name == '=HYPERLINK("http://evil.example","x")'
    assert person.last_name == "+SUM(A1)"


def test_a_big_file_is_streamed_with_bounded_memory(tmp_path, monkeypatch):
    # Chunks of 5,000 rows stand in for the real 50,000 so that a test-sized file spans many.
    monkeypatch.setattr("ladder.imports.services.READ_CHUNK_ROWS", 5_000)
    rows = 60_000
    path = tmp_path / "big.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First Name", "Last Name", "Email", "Notes"])
        for i in range(rows):
            writer.writerow([f"P{i}", "Big", f"p{i}@example.org", "x" * 200])
    size = path.stat().st_size
    job = import_create(actor=None, path_or_file=path, original_name=path.name)
    import_set_mapping(actor=None, job=job, mapping=job.mapping)
    tracemalloc.start()
    try:
        import_stage(job=job)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert import_progress(job)["counts"]["new"] == rows
    # Staging reads chunk by chunk: the Python heap's peak stays a fraction of the file.
    # (tracemalloc sees Python objects, not polars' own buffers, which are chunk-sized too.)
    assert peak < size / 4, (peak, size)
    assert EmailAddress.objects.count() == 0  # a dry run writes nothing
