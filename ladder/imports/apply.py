"""Applying one batch of staged rows: set-based INSERT … SELECT / UPDATE … FROM statements, in
one transaction with the ``ImportBatch`` row that records it as applied.

Rows that add nothing (``unchanged``) are skipped entirely. Every row this writes carries the
job's id in ``import_job_id`` so that undo can find it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from ladder.activity.catalogue import info
from ladder.imports import matching
from ladder.imports.consent import apply_consent
from ladder.imports.matching import IN_SPAN, NAME_FIELDS, WRITING, Features, Span
from ladder.imports.models import ImportJob
from ladder.imports.sql import (
    T,
    is_postgres,
    json_contains,
    json_items,
    json_merge,
    jsonb,
    no_hash,
    no_jit,
    now_param,
    run,
    suppressed,
)

FRESH = "{a}.status = 'new'"
DETAIL_FIELDS = ("employer", "occupation", "source")
PHONE_KINDS = (("phone_mobile", "mobile", 1), ("phone_other", "other", 2),
               ("phone_home", "home", 3), ("phone_work", "work", 4))  # fmt: skip

# Tests set this to simulate a process killed part-way through a batch.
before_commit_hook: Callable[[ImportJob, int], None] | None = None


@dataclass
class BatchContext:
    job: ImportJob
    span: Span
    features: Features
    any_suppressions: bool

    @property
    def params(self) -> dict[str, Any]:
        return {
            **self.span.params,
            "now": now_param(),
            "actor": self.job.created_by_id,
            "source": self.job.source_label,
            "person_source": f"{self.job.source_label}: {self.job.original_name}"[:200],
            "country": settings.LADDER_PHONE_REGION,
        }


def apply_batch(ctx: BatchContext) -> int:
    """Everything for one batch; returns the number of people created. Call inside a
    transaction."""
    span, f = ctx.span, ctx.features
    if is_postgres():
        # Every statement here touches one batch of staged rows and must probe indexes. The
        # people tables grow during the import, so PostgreSQL's statistics lag and it would
        # scan whole tables once per batch. Local to the batch's transaction.
        run("SET LOCAL enable_seqscan = off")
        no_jit()
    _reset(ctx)
    matching.match_existing(span, leaders_only=True)
    matching.follow_leaders(span)
    matching.classify(span, f, any_suppressions=ctx.any_suppressions)
    if f.text_fields or f.birthdate or f.custom:
        _update_people(ctx)
    created = _create_people(ctx)
    matching.follow_leaders(span)
    steps = [
        (f.email, _emails), (bool(f.phones), _phones), (f.address, _addresses),
        (f.external, _external_ids), (f.tags, _tags), (f.group, _memberships),
        (f.email_consent or f.sms_consent, apply_consent), (f.activities, _activities),
    ]  # fmt: skip
    for wanted, step in steps:
        if wanted:
            step(ctx)
    return created


def _reset(ctx: BatchContext) -> None:
    """Revisit the dry run's verdicts for this batch against what the database holds now.

    Rows that would update someone are classified again (the person may have changed or
    gone). Rows the dry run found to add nothing keep that verdict — the data manager approved
    it, and an edit made since (a tag removed by hand) should not be undone by the import —
    unless their person has been deleted, when they are matched again from scratch."""
    run(
        f"""UPDATE {T["row"]} AS r SET status = 'ok',
            person_id = (SELECT p.id FROM {T["person"]} AS p WHERE p.id = r.person_id)
        WHERE {IN_SPAN} AND r.status = 'update'""",
        ctx.span.params,
    )
    run(
        f"""UPDATE {T["row"]} AS r SET status = 'ok', person_id = NULL
        WHERE {IN_SPAN} AND r.status = 'unchanged' AND NOT EXISTS (
            SELECT 1 FROM {T["person"]} AS p WHERE p.id = r.person_id{no_hash()})""",
        ctx.span.params,
    )


def _changed(field: str) -> str:
    if field == "birthdate":
        return "(r.birthdate IS NOT NULL AND (p.birthdate IS NULL OR p.birthdate <> r.birthdate))"
    if field == "custom":
        return f"(r.custom IS NOT NULL AND NOT {json_contains('p.custom_fields', 'r.custom')})"
    return f"(r.{field} IS NOT NULL AND lower(r.{field}) <> lower(p.{field}))"


def _update_people(ctx: BatchContext) -> None:
    """Overwrite a matched person's fields where the file has a different non-empty value,
    keeping the old values on the staged row for undo."""
    f = ctx.features
    leaders = f"{IN_SPAN} AND r.status = 'update' AND r.canonical_row = r.row_number"
    keep = [f"prev_{x} = CASE WHEN {_changed(x)} THEN p.{x} END" for x in f.text_fields]
    if f.birthdate:
        keep.append(
            f"prev_birthdate = CASE WHEN {_changed('birthdate')} "
            "THEN COALESCE(CAST(p.birthdate AS text), '') END"
        )
    if f.custom:
        keep.append(
            f"prev_custom = CASE WHEN {_changed('custom')} THEN CAST(p.custom_fields AS text) END"
        )
    run(
        f"UPDATE {T['row']} AS r SET {', '.join(keep)} FROM {T['person']} AS p "
        f"WHERE {leaders} AND p.id = r.person_id",
        ctx.params,
    )

    def new(field: str) -> str:
        if field not in f.text_fields:
            return f"p.{field}"
        return f"CASE WHEN r.prev_{field} IS NOT NULL THEN r.{field} ELSE p.{field} END"

    sets = [f"{x} = {new(x)}" for x in f.text_fields]
    if f.birthdate:
        sets.append(
            "birthdate = CASE WHEN r.prev_birthdate IS NOT NULL THEN r.birthdate "
            "ELSE p.birthdate END"
        )
    if f.custom:
        sets.append(
            "custom_fields = CASE WHEN r.prev_custom IS NOT NULL "
            f"THEN {json_merge('p.custom_fields', 'r.custom')} ELSE p.custom_fields END"
        )
    sets += [
        f"sort_name = lower(trim({new('last_name')} || ' ' || {new('first_name')}))",
        "updated_at = %(now)s",
    ]
    changed = [*f.text_fields, *(["birthdate"] if f.birthdate else []),
               *(["custom"] if f.custom else [])]  # fmt: skip
    any_prev = " OR ".join(f"r.prev_{x} IS NOT NULL" for x in changed)
    # Driven from the staged rows (an indexed range), one person row each.
    run(
        f"""UPDATE {T["person"]} AS p SET {", ".join(sets)} FROM {T["row"]} AS r
        WHERE {leaders} AND p.id = r.person_id AND ({any_prev})""",
        ctx.params,
    )


def _create_people(ctx: BatchContext) -> int:
    """One person per unmatched group leader; import_job_id + import_row let the next
    statement find the ids it inserted."""
    text = ", ".join(f"COALESCE(r.{f}, '')" for f in (*NAME_FIELDS, "employer", "occupation"))
    created = run(
        f"""INSERT INTO {T["person"]} (first_name, middle_name, last_name, suffix, employer,
            occupation, sort_name, birthdate, languages, custom_fields, source, home_group_id,
            import_job_id, import_row, created_at, updated_at)
        SELECT {text}, COALESCE(r.sort_name, ''),
            r.birthdate, '', {jsonb("COALESCE(r.custom, '{}')")},
            COALESCE(r.source, %(person_source)s),
            (SELECT g.id FROM {T["group"]} AS g WHERE g.id = r.group_id),
            r.job_id, r.row_number, %(now)s, %(now)s
        FROM {T["row"]} AS r
        WHERE {IN_SPAN} AND r.status = 'ok' AND r.person_id IS NULL
          AND r.canonical_row = r.row_number
        ORDER BY r.row_number""",
        ctx.params,
    )
    if created:
        # A correlated lookup per staged row (index on import_job_id, import_row): SQLite
        # plans UPDATE … FROM people as a scan of everyone this job created so far.
        run(
            f"""UPDATE {T["row"]} AS r SET status = 'new', person_id = (
                SELECT p.id FROM {T["person"]} AS p
                WHERE p.import_job_id = %(job)s AND p.import_row = r.row_number)
            WHERE {IN_SPAN} AND r.status = 'ok' AND r.person_id IS NULL
              AND r.canonical_row = r.row_number""",
            ctx.params,
        )
    return created


def _emails(ctx: BatchContext) -> None:
    supp = suppressed("email", "s.email", any_suppressions=ctx.any_suppressions)
    run(
        f"""INSERT INTO {T["email"]} (person_id, address, is_primary, status, subscription,
            import_job_id, created_at)
        SELECT s.person_id, s.email,
            (s.rn = 1 AND ({FRESH.format(a="s")} OR NOT EXISTS (
                SELECT 1 FROM {T["email"]} AS e2 WHERE e2.person_id = s.person_id{no_hash()}))),
            'active', CASE WHEN {supp} THEN 'unsubscribed' ELSE 'unknown' END,
            %(job)s, %(now)s
        FROM (SELECT r.person_id, r.email, r.status,
                     ROW_NUMBER() OVER (PARTITION BY r.person_id ORDER BY r.row_number) AS rn
              FROM {T["row"]} AS r
              WHERE {IN_SPAN} AND {WRITING} AND r.email IS NOT NULL
                AND ({FRESH.format(a="r")} OR NOT EXISTS (
                  SELECT 1 FROM {T["email"]} AS e WHERE e.address = r.email{no_hash()}))) AS s
        WHERE TRUE
        ON CONFLICT DO NOTHING""",
        ctx.params,
    )


def _phones(ctx: BatchContext) -> None:
    sms = suppressed("sms", "s.number", any_suppressions=ctx.any_suppressions)
    dnc = suppressed("phone", "s.number", any_suppressions=ctx.any_suppressions)
    each = " UNION ALL ".join(
        f"""SELECT r.person_id, r.row_number, r.status, r.{column} AS number,
                   '{kind}' AS kind, {order} AS ord
            FROM {T["row"]} AS r WHERE {IN_SPAN} AND {WRITING} AND r.{column} IS NOT NULL"""
        for column, kind, order in PHONE_KINDS
        if column in ctx.features.phones
    )
    run(
        f"""INSERT INTO {T["phone"]} (person_id, number, kind, do_not_call, is_primary, status,
            sms_subscription, import_job_id, created_at)
        SELECT s.person_id, s.number, s.kind, {dnc},
            (s.rn = 1 AND ({FRESH.format(a="s")} OR NOT EXISTS (
                SELECT 1 FROM {T["phone"]} AS p2 WHERE p2.person_id = s.person_id{no_hash()}))),
            'active', CASE WHEN {sms} THEN 'unsubscribed' ELSE 'unknown' END,
            %(job)s, %(now)s
        FROM (SELECT u.person_id, u.number, u.kind, u.status,
                     ROW_NUMBER() OVER (PARTITION BY u.person_id ORDER BY u.row_number, u.ord)
                       AS rn
              FROM ({each}) AS u
              WHERE {FRESH.format(a="u")} OR NOT EXISTS (
                SELECT 1 FROM {T["phone"]} AS ph
                WHERE ph.person_id = u.person_id AND ph.number = u.number{no_hash()})) AS s
        WHERE TRUE
        ON CONFLICT DO NOTHING""",
        ctx.params,
    )


ADDRESS_FIELDS = ("line1", "line2", "locality", "region", "postal_code", "county",
                  "congressional_district", "state_upper_district", "state_lower_district",
                  "precinct")  # fmt: skip


def _addresses(ctx: BatchContext) -> None:
    fields = ", ".join(ADDRESS_FIELDS)
    values = ", ".join(f"COALESCE(s.{f}, '')" for f in ADDRESS_FIELDS)
    staged = ", ".join(f"r.{f}" for f in ADDRESS_FIELDS)
    run(
        f"""INSERT INTO {T["address"]} ({fields}, country, person_id, is_primary, status,
            import_job_id, created_at)
        SELECT {values}, COALESCE(s.country, %(country)s), s.person_id,
            (s.first = 1 AND ({FRESH.format(a="s")} OR NOT EXISTS (
                SELECT 1 FROM {T["address"]} AS a2 WHERE a2.person_id = s.person_id{no_hash()}))),
            'active', %(job)s, %(now)s
        FROM (SELECT {staged}, r.country, r.person_id, r.status,
                -- the first row of each person is also the first with its address
                ROW_NUMBER() OVER (PARTITION BY r.person_id ORDER BY r.row_number) AS first,
                ROW_NUMBER() OVER (
                  PARTITION BY r.person_id, lower(COALESCE(r.line1, '')),
                    COALESCE(r.postal_code, ''), lower(COALESCE(r.locality, ''))
                  ORDER BY r.row_number) AS same
              FROM {T["row"]} AS r
              WHERE {IN_SPAN} AND {WRITING}
                AND (r.line1 IS NOT NULL OR r.postal_code IS NOT NULL OR r.locality IS NOT NULL)
                AND ({FRESH.format(a="r")}
                     OR NOT EXISTS ({matching.same_address("r")}{no_hash()}))) AS s
        WHERE s.same = 1""",
        ctx.params,
    )


def _external_ids(ctx: BatchContext) -> None:
    run(
        f"""INSERT INTO {T["extid"]} (person_id, system, value, import_job_id, created_at)
        SELECT r.person_id, x.system, x.value, %(job)s, %(now)s
        FROM {T["iext"]} AS x JOIN {T["row"]} AS r
          ON r.job_id = x.job_id AND r.row_number = x.row_number
        WHERE x.job_id = %(job)s AND x.row_number BETWEEN %(lo)s AND %(hi)s AND {WRITING}
        ON CONFLICT DO NOTHING""",
        ctx.params,
    )


def _tags(ctx: BatchContext) -> None:
    """Tag names were spelled like existing tags while staging, so an exact (indexed) name
    match finds them."""
    tagged = f"{IN_SPAN} AND {WRITING} AND r.tags IS NOT NULL"
    run(
        f"""INSERT INTO {T["tag"]} (name, created_at)
        SELECT DISTINCT j.value, %(now)s FROM {T["row"]} AS r, {json_items("r.tags", "j")}
        WHERE {tagged}
          AND NOT EXISTS (SELECT 1 FROM {T["tag"]} AS tt WHERE tt.name = j.value{no_hash()})
        ON CONFLICT DO NOTHING""",
        ctx.params,
    )
    run(
        f"""INSERT INTO {T["tagging"]} (person_id, tag_id, import_job_id, created_at)
        SELECT r.person_id, tt.id, %(job)s, %(now)s
        FROM {T["row"]} AS r, {json_items("r.tags", "j")}, {T["tag"]} AS tt
        WHERE {tagged} AND tt.name = j.value
        ON CONFLICT DO NOTHING""",
        ctx.params,
    )


def _memberships(ctx: BatchContext) -> None:
    run(
        f"""INSERT INTO {T["membership"]} (person_id, group_id, import_job_id, joined_at)
        SELECT DISTINCT r.person_id, g.id, %(job)s, %(now)s
        FROM {T["row"]} AS r JOIN {T["group"]} AS g ON g.id = r.group_id
        WHERE {IN_SPAN} AND {WRITING}
        ON CONFLICT DO NOTHING""",
        ctx.params,
    )


def _activities(ctx: BatchContext) -> None:
    meta = info(ctx.job.activity_type)
    run(
        f"""INSERT INTO {T["activity"]} (person_id, type, occurred_at, channel, direction,
            source, object_type, amount, result, payload, idempotency_key, import_job_id,
            created_at)
        SELECT r.person_id, %(type)s, r.occurred_at, %(channel)s, %(direction)s,
            COALESCE(r.activity_source, ''), '', r.amount, COALESCE(r.result, ''),
            {jsonb("COALESCE(r.payload, '{}')")}, r.activity_key, %(job)s, %(now)s
        FROM {T["row"]} AS r
        WHERE {IN_SPAN} AND {WRITING} AND r.activity_key IS NOT NULL
          AND r.occurred_at IS NOT NULL
        ON CONFLICT DO NOTHING""",
        {
            **ctx.params,
            "type": ctx.job.activity_type,
            "channel": meta.channel,
            "direction": meta.direction,
        },
    )
