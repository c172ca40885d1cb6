"""Consent columns, applied set-based by the rules of `ladder.people.services.consent_record`.

An opt-in applies only where nothing has been said yet and the address is not suppressed; an
opt-out always applies and puts the address on the suppression list. A line is written to the
consent ledger only when the status changes, so re-importing a file writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ladder.imports.matching import IN_SPAN, WRITING
from ladder.imports.sql import T, run, sha256_hex, suppressed

if TYPE_CHECKING:
    from ladder.imports.apply import BatchContext


def apply_consent(ctx: BatchContext) -> None:
    """Mapped consent columns, by the rules of `ladder.people.services.consent_record`: an
    opt-in applies only where nothing has been said yet and the address is not suppressed; an
    opt-out always applies and suppresses the address. Nothing is written twice."""
    f = ctx.features
    channels = []
    if f.email_consent and f.email:
        channels.append(
            ("email", T["email"], "subscription", "c.address",
             f"SELECT e.id FROM {T['row']} AS r JOIN {T['email']} AS e ON e.address = r.email "
             f"WHERE {IN_SPAN} AND {WRITING} AND r.email_consent = '{{status}}'")
        )  # fmt: skip
    if f.sms_consent and f.phones:
        channels.append(
            ("sms", T["phone"], "sms_subscription", "c.number",
             f"SELECT ph.id FROM {T['row']} AS r JOIN {T['phone']} AS ph "
             f"ON ph.person_id = r.person_id AND ph.number = {f.sms_phone} "
             f"WHERE {IN_SPAN} AND {WRITING} AND r.sms_consent = '{{status}}'")
        )  # fmt: skip
    for channel, table, field, point, chosen in channels:
        supp = suppressed(channel, point, any_suppressions=ctx.any_suppressions)
        for status, allowed, value in (
            ("opt_in", f"c.{field} = 'unknown' AND NOT {supp}", "subscribed"),
            ("opt_out", f"c.{field} <> 'unsubscribed'", "unsubscribed"),
        ):
            ids = chosen.format(status=status)
            where = f"c.id IN ({ids}) AND {allowed}"
            run(
                f"""INSERT INTO {T["consent"]} (person_id, channel, contact_point, status, source,
                    wording, by_person, occurred_at, actor_id, import_job_id, created_at)
                SELECT c.person_id, '{channel}', {point}, '{status}', %(source)s, '', FALSE,
                    %(now)s, %(actor)s, %(job)s, %(now)s
                FROM {table} AS c WHERE {where}""",
                ctx.params,
            )
            run(f"UPDATE {table} AS c SET {field} = '{value}' WHERE {where}", ctx.params)
            if status == "opt_out":
                run(
                    f"""INSERT INTO {T["suppression"]} (channel, address_hash, reason, created_at)
                    SELECT DISTINCT '{channel}', {sha256_hex(channel, point)},
                        'opt-out: ' || %(source)s, %(now)s
                    FROM {table} AS c WHERE c.id IN ({ids})
                    ON CONFLICT DO NOTHING""",
                    ctx.params,
                )
