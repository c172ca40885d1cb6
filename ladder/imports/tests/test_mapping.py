"""Header aliases, mapping proposals and mapping validation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ladder.imports.mapping import TARGETS, compact, propose_mapping, targets_for, validate_mapping
from ladder.imports.services import import_create, import_set_mapping
from ladder.imports.tests.conftest import write_csv
from ladder.people.models import CustomField

pytestmark = pytest.mark.django_db


def test_messy_headers_from_common_exports_map_to_targets():
    headers = [
        " Email Address ", "e-mail", "ZIP_CODE", "zip5", "Mobile Phone", "Cell Phone",
        "Phone Number", "VANID", "Voter File VANID", "FirstName", "last_name",
        "Donor First Name", "Address 1", "Address Line 2", "City", "State", "can2_user_tags",
        "Precinct Name", "Favourite colour",
    ]  # fmt: skip
    proposal = propose_mapping(headers, custom_fields={})
    assert proposal == {
        " Email Address ": "email",
        "e-mail": "ignore",  # the first email column wins; a second one is left to the person
        "ZIP_CODE": "postal_code",
        "zip5": "ignore",
        "Mobile Phone": "mobile_phone",
        "Cell Phone": "ignore",
        "Phone Number": "phone",
        "VANID": "external:van",
        "Voter File VANID": "external:voterfile",
        "FirstName": "first_name",
        "last_name": "last_name",
        "Donor First Name": "ignore",
        "Address 1": "line1",
        "Address Line 2": "line2",
        "City": "locality",
        "State": "region",
        "can2_user_tags": "tags",
        "Precinct Name": "precinct",
        "Favourite colour": "ignore",
    }


def test_header_normalisation_ignores_case_spacing_and_punctuation():
    spellings = ("Email Address", "email_address", "EmailAddress", "E-mail address")
    assert {compact(h) for h in spellings} == {"emailaddress"}


def test_consent_and_activity_columns_are_never_proposed_for_people():
    proposal = propose_mapping(["Email", "Email Opt-in", "Amount", "Date"], custom_fields={})
    assert proposal == {"Email": "email", "Email Opt-in": "ignore", "Amount": "ignore",
                        "Date": "ignore"}  # fmt: skip
    activity = propose_mapping(["Donor Email", "Amount", "Date", "Receipt ID", "Reference Code"],
                               kind="activities", custom_fields={})  # fmt: skip
    assert activity == {"Donor Email": "email", "Amount": "amount", "Date": "occurred_at",
                        "Receipt ID": "reference", "Reference Code": "refcode"}  # fmt: skip


def test_existing_custom_fields_are_proposed_by_label_or_key():
    CustomField.objects.create(key="shirt-size", label="T-shirt size", type="choice",
                               choices=["S", "M", "L"])  # fmt: skip
    assert propose_mapping(["Email", "T-Shirt Size"]) == {
        "Email": "email", "T-Shirt Size": "custom:shirt-size",
    }  # fmt: skip
    keys = [t.key for t in targets_for("people")]
    assert "custom:shirt-size" in keys and "occurred_at" not in keys
    assert "occurred_at" in [t.key for t in targets_for("activities")]
    assert all(t.label for t in TARGETS)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"First": "first_name", "Last": "last_name"}, "identifies a person"),
        ({"First": "email", "Last": "shoe_size"}, "not something Ladder can import"),
        ({"First": "email", "Last": "custom:nope"}, "no custom field"),
        ({"First": "email", "Last": "email"}, "both mapped to email"),
        ({"First": "email", "Last": "amount"}, "only applies to activity imports"),
        ({"First": "email", "Nope": "phone"}, "no column called"),
        ({"First": "external:Bad System!"}, "short name"),
    ],
)
def test_bad_mappings_are_refused_with_a_clear_message(mapping, message):
    with pytest.raises(ValidationError) as error:
        validate_mapping(mapping, headers=["First", "Last"], kind="people", custom_keys=set())
    assert message in " ".join(error.value.messages)


def test_activity_imports_need_a_date_column():
    with pytest.raises(ValidationError, match="date"):
        validate_mapping({"E": "email"}, headers=["E"], kind="activities", custom_keys=set())


def test_a_file_without_identifying_columns_cannot_be_mapped(tmp_path):
    path = write_csv(tmp_path / "names.csv", [["First Name", "Last Name"], ["Ana", "Ruiz"]])
    job = import_create(actor=None, path_or_file=path, original_name="names.csv")
    with pytest.raises(ValidationError, match="A name alone is not enough"):
        import_set_mapping(actor=None, job=job, mapping=job.mapping)


def test_a_yes_no_column_named_like_a_phone_is_not_taken_for_one(tmp_path):
    # ActBlue's "Mobile" column says whether the gift was made on a phone.
    path = write_csv(tmp_path / "actblue.csv", [
        ["Donor Email", "Cell Phone", "Donor Phone"],
        ["a@example.org", "TRUE", "515-555-0100"],
        ["b@example.org", "FALSE", ""],
    ])  # fmt: skip
    job = import_create(actor=None, path_or_file=path, original_name="actblue.csv")
    assert job.mapping == {"Donor Email": "email", "Cell Phone": "ignore", "Donor Phone": "phone"}
