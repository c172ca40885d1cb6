"""PostgreSQL statistics on UPPER(TRIM(<field>)) of addresses.

The segment compiler compares address fields case- and space-insensitively, and PostgreSQL
keeps no statistics on an expression unless told to: it guessed that "region IA" matches 0.5%
of addresses instead of a third, and planned a universe's count around that guess. Statistics
objects on expressions (PostgreSQL 14+) cost nothing on writes, unlike an index.
"""

from django.db import migrations

# The address fields of the filter language (ladder.segments.filters.schema.ADDRESS_FIELDS),
# spelled out here because a migration must not change when that module does.
FIELDS = (
    "region",
    "locality",
    "county",
    "country",
    "congressional_district",
    "state_upper_district",
    "state_lower_district",
    "precinct",
)


def _supported(schema_editor) -> bool:  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    return connection.vendor == "postgresql" and connection.pg_version >= 140000


def create(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if not _supported(schema_editor):
        return
    for field in FIELDS:
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS address_{field}_key "
            f"ON (UPPER(TRIM({field}))) FROM people_address"
        )
    schema_editor.execute("ANALYZE people_address")


def drop(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if not _supported(schema_editor):
        return
    for field in FIELDS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS address_{field}_key")


class Migration(migrations.Migration):
    dependencies = [("people", "0002_drop_duplicate_person_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=True)]
