import pytest

from ladder.imports.tests.conftest import run_import, write_csv
from ladder.people.models import Person

pytestmark = pytest.mark.django_db


def test_smoke(tmp_path):
    path = write_csv(
        tmp_path / "a.csv",
        [
            [
                "First Name",
                "Last Name",
                "Email Address",
                "Mobile Phone",
                "Zip Code",
                "Tags",
                "VANID",
            ],
            ["Ann", "Lee", "ann@example.org", "(515) 555-0134", "50309", "a, b", "123"],
            ["Bob", "Ray", "bad@", "515-555-0135", "", "b", ""],
            ["Ann", "Lee", "ANN@example.org", "515 555 0199", "", "c", ""],
            ["Nobody", "", "", "", "", "", ""],
        ],
    )
    job = run_import(path)
    print(job.counts)
    assert Person.objects.count() == 2
