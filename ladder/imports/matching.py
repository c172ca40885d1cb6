"""Finding the people a file is about — set-based SQL over the staging table.

* **Duplicates in the file**: rows that share an email, phone or external id form one group,
  led by its first row (``canonical_row``). Groups are found by label propagation: each key
  pulls its rows down to the smallest label, repeated until nothing moves (usually one pass).
* **Existing people**: external id first, then email, then phone — a phone only when exactly one
  person has it.
* **Classification**: a matched row is ``update`` when it adds anything (a name that differs, a
  new email, phone, address, tag, id, group, custom value, consent change or activity) and
  ``unchanged`` otherwise.

Every statement takes a row range so that apply can re-run matching for one batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ladder.imports.sql import T, derived, json_contains, json_items, no_hash, run, suppressed

NAME_FIELDS = ("first_name", "middle_name", "last_name", "suffix")
TEXT_FIELDS = (*NAME_FIELDS, "employer", "occupation", "source")
PHONE_FIELDS = ("phone_mobile", "phone_other", "phone_home", "phone_work")
MAX_ROUNDS = 20


@dataclass(frozen=True)
class Features:
    """What a job's mapping can write, so that SQL for unmapped parts is never run."""

    text_fields: tuple[str, ...] = ()
    birthdate: bool = False
    custom: bool = False
    email: bool = False
    phones: tuple[str, ...] = ()  # staging columns, in the order a primary is chosen
    address: bool = False
    tags: bool = False
    external: bool = False
    group: bool = False
    email_consent: bool = False
    sms_consent: bool = False
    activities: bool = False

    @classmethod
    def of(cls, *, mapping: dict[str, str], kind: str, extra_tag: str = "") -> Features:
        targets = set(mapping.values())
        names = set(NAME_FIELDS) if "full_name" in targets else set()
        phones = {"mobile_phone": "phone_mobile", "phone": "phone_other",
                  "home_phone": "phone_home", "work_phone": "phone_work"}  # fmt: skip
        return cls(
            text_fields=tuple(f for f in TEXT_FIELDS if f in targets or f in names),
            birthdate="birthdate" in targets,
            custom=any(t.startswith("custom:") for t in targets),
            email="email" in targets,
            phones=tuple(col for target, col in phones.items() if target in targets),
            address=bool(targets & {"line1", "postal_code", "locality"}),
            tags=bool(extra_tag) or "tags" in targets or any(t.startswith("tag:") for t in targets),
            external=any(t.startswith("external:") for t in targets),
            group="group" in targets,
            email_consent="email_consent" in targets,
            sms_consent="sms_consent" in targets,
            activities=kind == "activities",
        )

    @property
    def sms_phone(self) -> str:
        """The staged number text-message consent is about: the mobile, else the main phone."""
        cols = [c for c in ("phone_mobile", "phone_other") if c in self.phones]
        if not cols:
            return "NULL"
        return f"COALESCE({', '.join('r.' + c for c in cols)})" if len(cols) > 1 else f"r.{cols[0]}"


@dataclass(frozen=True)
class Span:
    """The rows one statement works on: a job and a row-number range (inclusive)."""

    job: int
    lo: int = 0
    hi: int = 2_147_483_647

    @property
    def params(self) -> dict[str, Any]:
        return {"job": self.job, "lo": self.lo, "hi": self.hi}


IN_SPAN = "r.job_id = %(job)s AND r.row_number BETWEEN %(lo)s AND %(hi)s"
# Rows that write something. 'unchanged' rows add nothing by definition.
WRITING = "r.status IN ('new', 'duplicate', 'update') AND r.person_id IS NOT NULL"
# A row whose person this batch just created: it has no contact points yet, so the checks for
# existing ones (an index probe each) are skipped.


def group_duplicates(job: int) -> None:
    """Give every row of one person in the file the row number of the first such row."""
    p = {"job": job}
    row = T["row"]
    for _ in range(MAX_ROUNDS):
        moved = 0
        for key in ("email", "match_phone"):
            with derived(
                "dup_keys",
                f"""SELECT {key} AS k, MIN(canonical_row) AS c FROM {row}
                WHERE job_id = %(job)s AND status = 'ok' AND {key} IS NOT NULL
                GROUP BY {key} HAVING COUNT(*) > 1""",
                p,
                key="k",
            ) as keys:
                moved += run(
                    f"""UPDATE {row} AS r SET canonical_row = m.c FROM {keys} AS m
                    WHERE r.job_id = %(job)s AND r.status = 'ok' AND r.{key} = m.k
                      AND r.canonical_row > m.c""",
                    p,
                )
        with derived(
            "dup_ids",
            f"""SELECT x2.system, x2.value, MIN(r2.canonical_row) AS c
            FROM {T["iext"]} AS x2 JOIN {row} AS r2
              ON r2.job_id = x2.job_id AND r2.row_number = x2.row_number
            WHERE x2.job_id = %(job)s AND r2.status = 'ok'
            GROUP BY x2.system, x2.value HAVING COUNT(DISTINCT x2.row_number) > 1""",
            p,
            key="system, value",
        ) as ids:
            moved += run(
                f"""UPDATE {row} AS r SET canonical_row = m.c FROM {T["iext"]} AS x, {ids} AS m
                WHERE x.job_id = %(job)s AND x.system = m.system AND x.value = m.value
                  AND r.job_id = %(job)s AND r.row_number = x.row_number AND r.status = 'ok'
                  AND r.canonical_row > m.c""",
                p,
            )
        if not moved:
            return
        # Follow chains (row 9 → row 5 → row 2) so every row points at its group's first row.
        run(
            f"""UPDATE {row} AS r SET canonical_row = c.canonical_row FROM {row} AS c
            WHERE r.job_id = %(job)s AND r.canonical_row <> r.row_number
              AND c.job_id = %(job)s AND c.row_number = r.canonical_row
              AND c.canonical_row < r.canonical_row""",
            p,
        )


def match_existing(span: Span, *, leaders_only: bool = False) -> None:
    """Set person_id on unmatched rows from external ids, then emails, then phones."""
    row = T["row"]
    only = " AND r.canonical_row = r.row_number" if leaders_only else ""
    pending = f"{IN_SPAN} AND r.person_id IS NULL AND r.status = 'ok'{only}"
    with derived(
        "id_matches",
        f"""SELECT x.row_number, MIN(e.person_id) AS person_id
        FROM {T["iext"]} AS x JOIN {T["extid"]} AS e ON e.system = x.system AND e.value = x.value
        WHERE x.job_id = %(job)s AND x.row_number BETWEEN %(lo)s AND %(hi)s
        GROUP BY x.row_number""",
        span.params,
        key="row_number",
    ) as found:
        run(
            f"""UPDATE {row} AS r SET person_id = m.person_id FROM {found} AS m
            WHERE {pending} AND r.row_number = m.row_number""",
            span.params,
        )
    run(
        f"""UPDATE {row} AS r SET person_id = e.person_id FROM {T["email"]} AS e
        WHERE {pending} AND r.email IS NOT NULL AND e.address = r.email""",
        span.params,
    )
    with derived(
        "phone_matches",
        f"""SELECT ph.number, MIN(ph.person_id) AS person_id FROM {T["phone"]} AS ph
        WHERE ph.number IN (SELECT r.match_phone FROM {row} AS r
                            WHERE {pending} AND r.match_phone IS NOT NULL)
        GROUP BY ph.number HAVING COUNT(DISTINCT ph.person_id) = 1""",
        span.params,
        key="number",
    ) as found:
        run(
            f"""UPDATE {row} AS r SET person_id = m.person_id FROM {found} AS m
            WHERE {pending} AND r.match_phone = m.number""",
            span.params,
        )


def spread_matches(job: int) -> None:
    """After matching the whole file: a group whose first row found nobody takes the person
    of its first row that did; the rest of the group follows its first row; and all rows of
    one person are led by that person's first row (whose values update the person)."""
    row = T["row"]
    p = {"job": job}
    with derived(
        "group_people",
        f"""SELECT c, person_id FROM (
              SELECT canonical_row AS c, person_id,
                     ROW_NUMBER() OVER (PARTITION BY canonical_row ORDER BY row_number) AS rn
              FROM {row} WHERE job_id = %(job)s AND status = 'ok' AND person_id IS NOT NULL
                AND canonical_row <> row_number) AS g
            WHERE rn = 1""",
        p,
        key="c",
    ) as groups:
        run(
            f"""UPDATE {row} AS r SET person_id = g.person_id FROM {groups} AS g
            WHERE r.job_id = %(job)s AND r.row_number = g.c AND r.person_id IS NULL
              AND r.status = 'ok'""",
            p,
        )
    follow_leaders(Span(job))
    with derived(
        "person_rows",
        f"""SELECT person_id, MIN(row_number) AS c FROM {row}
        WHERE job_id = %(job)s AND status = 'ok' AND person_id IS NOT NULL
        GROUP BY person_id
        -- several rows, or one row whose group is led by a row of somebody else
        HAVING COUNT(*) > 1 OR MIN(canonical_row) <> MIN(row_number)""",
        p,
        key="person_id",
    ) as people:
        run(
            f"""UPDATE {row} AS r SET canonical_row = m.c FROM {people} AS m
            WHERE r.job_id = %(job)s AND r.status = 'ok' AND r.person_id = m.person_id
              AND r.canonical_row <> m.c""",
            p,
        )


def follow_leaders(span: Span) -> None:
    """Unmatched rows in the span take their group leader's person (already matched, or
    created by an earlier batch). Rows of a person this import created are duplicates.

    Only non-leading rows are touched (few, in most files), each through a lookup of its leader
    by the unique index. No EXISTS on the staging table: its statistics on person_id go stale
    while a job is applied and PostgreSQL would scan the whole job for it."""
    row = T["row"]
    leader = f"FROM {row} AS c WHERE c.job_id = r.job_id AND c.row_number = r.canonical_row"
    run(
        f"""UPDATE {row} AS r SET
            person_id = (SELECT c.person_id {leader}),
            status = (SELECT CASE WHEN c.status IN ('new', 'duplicate') AND c.person_id IS NOT NULL
                                  THEN 'duplicate' ELSE r.status END {leader})
        WHERE {IN_SPAN} AND r.person_id IS NULL AND r.status = 'ok'
          AND r.canonical_row <> r.row_number""",
        span.params,
    )


def _adds_something(f: Features, *, any_suppressions: bool) -> str:
    """SQL true when matched row r would change person p. Only mapped parts are checked."""
    field_changes = [f"(r.{x} IS NOT NULL AND lower(r.{x}) <> lower(p.{x}))" for x in f.text_fields]
    if f.birthdate:
        field_changes.append(
            "(r.birthdate IS NOT NULL AND (p.birthdate IS NULL OR p.birthdate <> r.birthdate))"
        )
    if f.custom:
        field_changes.append(
            f"(r.custom IS NOT NULL AND NOT {json_contains('p.custom_fields', 'r.custom')})"
        )
    parts = []
    if field_changes:
        parts.append(f"(r.canonical_row = r.row_number AND ({' OR '.join(field_changes)}))")
    if f.email:
        parts.append(
            f"""(r.email IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {T["email"]} AS e
                 WHERE e.address = r.email{no_hash()}))"""
        )
    parts += [
        f"""(r.{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {T["phone"]} AS ph
             WHERE ph.person_id = r.person_id AND ph.number = r.{col}{no_hash()}))"""
        for col in f.phones
    ]
    if f.address:
        parts.append(
            f"""((r.line1 IS NOT NULL OR r.postal_code IS NOT NULL OR r.locality IS NOT NULL)
                 AND NOT EXISTS ({same_address("r")}{no_hash()}))"""
        )
    if f.tags:
        parts.append(
            f"""(r.tags IS NOT NULL AND EXISTS (SELECT 1 FROM {json_items("r.tags", "j")}
                 WHERE NOT EXISTS (
                   SELECT 1 FROM {T["tagging"]} AS tg JOIN {T["tag"]} AS tt ON tt.id = tg.tag_id
                   WHERE tg.person_id = r.person_id AND tt.name = j.value{no_hash()})
                 {no_hash()}))"""
        )
    if f.external:
        parts.append(
            f"""EXISTS (SELECT 1 FROM {T["iext"]} AS x WHERE x.job_id = r.job_id
                 AND x.row_number = r.row_number AND NOT EXISTS (SELECT 1 FROM {T["extid"]} AS e
                   WHERE e.system = x.system AND e.value = x.value{no_hash()}){no_hash()})"""
        )
    if f.group:
        parts.append(
            f"""(r.group_id IS NOT NULL
                 AND EXISTS (SELECT 1 FROM {T["group"]} AS g WHERE g.id = r.group_id{no_hash()})
                 AND NOT EXISTS (SELECT 1 FROM {T["membership"]} AS m
                   WHERE m.person_id = r.person_id AND m.group_id = r.group_id{no_hash()}))"""
        )
    if f.email_consent:
        supp = suppressed("email", "r.email", any_suppressions=any_suppressions)
        parts.append(
            f"""(r.email_consent = 'opt_in' AND NOT {supp} AND EXISTS (
                   SELECT 1 FROM {T["email"]} AS e WHERE e.address = r.email
                   AND e.subscription = 'unknown'{no_hash()}))
            OR (r.email_consent = 'opt_out' AND EXISTS (SELECT 1 FROM {T["email"]} AS e
                 WHERE e.address = r.email AND e.subscription <> 'unsubscribed'{no_hash()}))"""
        )
    if f.sms_consent and f.phones:
        sms = f.sms_phone
        supp = suppressed("sms", sms, any_suppressions=any_suppressions)
        parts.append(
            f"""(r.sms_consent = 'opt_in' AND NOT {supp} AND EXISTS (
                   SELECT 1 FROM {T["phone"]} AS ph WHERE ph.person_id = r.person_id
                   AND ph.number = {sms} AND ph.sms_subscription = 'unknown'{no_hash()}))
            OR (r.sms_consent = 'opt_out' AND EXISTS (SELECT 1 FROM {T["phone"]} AS ph
                 WHERE ph.person_id = r.person_id AND ph.number = {sms}
                 AND ph.sms_subscription <> 'unsubscribed'{no_hash()}))"""
        )
    if f.activities:
        parts.append(
            f"""(r.activity_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {T["activity"]} AS a
                 WHERE a.idempotency_key = r.activity_key{no_hash()}))"""
        )
    return " OR ".join(parts) or "FALSE"


def same_address(alias: str) -> str:
    """A subquery finding an address of the person equal to the staged one, comparing only the
    parts the file has (a ZIP alone matches any address in that ZIP)."""
    a = alias
    return f"""SELECT 1 FROM {T["address"]} AS ad WHERE ad.person_id = {a}.person_id
        AND ({a}.line1 IS NULL OR lower(ad.line1) = lower({a}.line1))
        AND ({a}.postal_code IS NULL OR ad.postal_code = {a}.postal_code)
        AND ({a}.locality IS NULL OR lower(ad.locality) = lower({a}.locality))"""


def classify(span: Span, features: Features, *, any_suppressions: bool) -> None:
    """Mark matched, still-pending rows of the span as ``update`` or ``unchanged``."""
    adds = _adds_something(features, any_suppressions=any_suppressions)
    run(
        f"""UPDATE {T["row"]} AS r
        SET status = CASE WHEN ({adds}) THEN 'update' ELSE 'unchanged' END
        FROM {T["person"]} AS p
        WHERE {IN_SPAN} AND r.status = 'ok' AND r.person_id IS NOT NULL AND p.id = r.person_id""",
        span.params,
    )
