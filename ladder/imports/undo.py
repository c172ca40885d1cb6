"""Undoing an import, set-based: restore overwritten fields, delete what it added, then delete
the people it created (through the ORM, in chunks, so that every table that points at a person
— including ones other apps add later — is cleaned up by Django's cascade rules).

Consent is sticky (DESIGN.md §4.2): undo removes the opt-ins an import recorded but keeps its
opt-outs and suppressions, so undoing an import never re-subscribes anyone.
"""

from __future__ import annotations

from django.db import transaction

from ladder.imports.apply import DETAIL_FIELDS
from ladder.imports.matching import NAME_FIELDS
from ladder.imports.sql import T, date_from_text, jsonb, now_param, run, suppressed
from ladder.people.models import Person, Suppression

DELETE_CHUNK = 2_000


def restore_and_remove(job_id: int) -> None:
    """Everything but deleting created people, in one transaction."""
    params = {"job": job_id, "now": now_param()}
    fields = (*NAME_FIELDS, *DETAIL_FIELDS)

    def old(field: str) -> str:
        # Only where the value is still the one the import wrote: later edits survive.
        return (
            f"CASE WHEN r.prev_{field} IS NOT NULL AND p.{field} = r.{field} "
            f"THEN r.prev_{field} ELSE p.{field} END"
        )

    old_birthdate = date_from_text("NULLIF(r.prev_birthdate, '')")
    sets = ", ".join(
        [f"{f} = {old(f)}" for f in fields]
        + [
            "birthdate = CASE WHEN r.prev_birthdate IS NOT NULL AND p.birthdate = r.birthdate "
            f"THEN {old_birthdate} ELSE p.birthdate END",
            "custom_fields = CASE WHEN r.prev_custom IS NOT NULL "
            f"THEN {jsonb('r.prev_custom')} ELSE p.custom_fields END",
            f"sort_name = lower(trim({old('last_name')} || ' ' || {old('first_name')}))",
            "updated_at = %(now)s",
        ]
    )
    any_prev = " OR ".join(f"r.prev_{f} IS NOT NULL" for f in (*fields, "birthdate", "custom"))
    with transaction.atomic():
        run(
            f"UPDATE {T['person']} AS p SET {sets} FROM {T['row']} AS r "
            f"WHERE r.job_id = %(job)s AND r.person_id = p.id AND ({any_prev})",
            params,
        )
        for table in ("activity", "tagging", "membership", "extid", "address", "phone", "email"):
            run(f"DELETE FROM {T[table]} WHERE import_job_id = %(job)s", params)
        run(
            f"DELETE FROM {T['consent']} WHERE import_job_id = %(job)s AND status = 'opt_in'",
            params,
        )
        _rederive_consent(params)


def _rederive_consent(params: dict) -> None:
    """Contact points whose opt-in was removed go back to what the remaining ledger says."""
    any_suppressions = Suppression.objects.exists()
    for channel, table, field, point, chosen in (
        ("email", T["email"], "subscription", "c.address",
         f"c.address IN (SELECT r.email FROM {T['row']} AS r WHERE r.job_id = %(job)s"
         " AND r.email_consent = 'opt_in')"),
        ("sms", T["phone"], "sms_subscription", "c.number",
         f"c.number IN (SELECT COALESCE(r.phone_mobile, r.phone_other) FROM {T['row']} AS r"
         " WHERE r.job_id = %(job)s AND r.sms_consent = 'opt_in')"),
    ):  # fmt: skip
        latest = (
            "(SELECT CASE WHEN ce.status = 'opt_in' THEN 'subscribed' ELSE 'unsubscribed' END "
            f"FROM {T['consent']} AS ce WHERE ce.channel = '{channel}' "
            f"AND ce.contact_point = {point} ORDER BY ce.occurred_at DESC, ce.id DESC LIMIT 1)"
        )
        supp = suppressed(channel, point, any_suppressions=any_suppressions)
        run(
            f"""UPDATE {table} AS c SET {field} = CASE WHEN {supp} THEN 'unsubscribed'
                ELSE COALESCE({latest}, 'unknown') END
            WHERE {chosen}""",
            params,
        )


def delete_created_people(job_id: int) -> int:
    """Delete the people the import created, a chunk at a time (keyset on id)."""
    deleted, after = 0, 0
    while True:
        ids = list(
            Person.objects.filter(import_job_id=job_id, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:DELETE_CHUNK]
        )
        if not ids:
            return deleted
        with transaction.atomic():
            Person.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        after = ids[-1]
