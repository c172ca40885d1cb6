"""Normalising the optional columns of a chunk: details (birthdate, country, group, consent,
custom fields), tags, and the fields of activity imports. Each writes its staging columns into
``out`` and reports bad values to ``issues``, like `ladder.imports.normalise` does for names and
contact points."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import polars as pl

from ladder.imports import values as v

if TYPE_CHECKING:
    from ladder.imports.normalise import Issues, Plan

COUNTRIES = {"usa": "US", "united states": "US", "united states of america": "US",
             "u.s.": "US", "u.s.a.": "US", "canada": "CA", "mexico": "MX",
             "united kingdom": "GB", "uk": "GB"}  # fmt: skip


def details(frame: pl.DataFrame, plan: Plan, out: dict, issues: Issues) -> None:
    s = plan.single
    if "birthdate" in s:
        col = s["birthdate"]
        parsed = frame.select(v.parse_date(pl.col(col.name))).to_series()
        bad = frame[col.name].is_not_null() & parsed.is_null()
        issues.add(frame, bad, col, frame[col.name], "bad_date",
                   "not a date (use YYYY-MM-DD or MM/DD/YYYY); left out", fatal=False)  # fmt: skip
        out["birthdate"] = parsed
    if "country" in s:
        col = s["country"]
        low = frame[col.name].str.to_lowercase()
        code = frame.select(
            pl.when(pl.lit(low).str.contains(r"^[a-z]{2}$"))
            .then(pl.lit(low).str.to_uppercase())
            .otherwise(pl.lit(low).replace_strict(COUNTRIES, default=None))
        ).to_series()
        bad = frame[col.name].is_not_null() & code.is_null()
        issues.add(frame, bad, col, frame[col.name], "bad_country",
                   "not a two-letter country code; left out", fatal=False)  # fmt: skip
        out["country"] = code
    if "group" in s:
        col = s["group"]
        gid = (
            frame[col.name]
            .str.to_lowercase()
            .replace_strict(plan.groups, default=None, return_dtype=pl.Int64)
        )
        bad = frame[col.name].is_not_null() & gid.is_null()
        issues.add(frame, bad, col, frame[col.name], "unknown_group",
                   "no group with this name or slug; left out", fatal=False)  # fmt: skip
        out["group_id"] = gid
    for target, staged in (("email_consent", "email_consent"), ("sms_consent", "sms_consent")):
        if target in s:
            col = s[target]
            word = frame.select(v.consent_word(pl.col(col.name))).to_series()
            issues.add(frame, word == "?", col, frame[col.name], "bad_consent",
                       "not yes or no; consent left unchanged", fatal=False)  # fmt: skip
            out[staged] = word.replace("?", None)
    fragments = []
    for col, custom_field in plan.custom:
        fragment, error = v.custom_fragments(frame, col.name, custom_field)
        issues.add(frame, error.is_not_null(), col, frame[col.name], "bad_value", error,
                   fatal=False)  # fmt: skip
        fragments.append(fragment)
    if fragments:
        joined = frame.select(
            pl.concat_str([pl.lit(f) for f in fragments], separator=",", ignore_nulls=True)
        ).to_series()
        out["custom"] = frame.select(
            pl.when(pl.lit(joined).str.len_chars() > 0).then(pl.lit("{") + pl.lit(joined) + "}")
        ).to_series()


def tags(frame: pl.DataFrame, plan: Plan) -> pl.Series | None:
    """Each row's tags as a JSON array (NULL when none): from tags columns split on commas and
    semicolons, yes/no ``tag:`` columns, and the job's extra tag."""
    parts = []
    for col in plan.multi.get("tags", []):
        parts.append(
            frame.select("row_number", name=pl.col(col.name).str.split(";"))
            .explode("name")
            .with_columns(pl.col("name").str.split(","))
            .explode("name")
        )
    for col, name in plan.tag_columns:
        parts.append(
            frame.filter(v.truthy(pl.col(col.name))).select("row_number", name=pl.lit(name))
        )
    if plan.extra_tag:
        parts.append(frame.select("row_number", name=pl.lit(plan.extra_tag)))
    if not parts:
        return None
    tags = (
        pl.concat(parts)
        .with_columns(name=v.squeeze(pl.col("name").str.strip_chars()).str.slice(0, 100))
        .filter(pl.col("name").str.len_chars() > 0)
        .with_columns(key=pl.col("name").str.to_lowercase())
    )
    for key, name in tags.unique("key", maintain_order=True).select("key", "name").iter_rows():
        plan.tag_names.setdefault(key, name)
    tags = (
        tags.unique(["row_number", "key"], maintain_order=True)
        .with_columns(name=pl.col("key").replace_strict(plan.tag_names, return_dtype=pl.String))
        .group_by("row_number", maintain_order=True)
        .agg(pl.col("name"))
        # {"t":[…]} → […]: polars encodes structs, not bare lists.
        .with_columns(json=pl.struct(t=pl.col("name")).struct.json_encode().str.slice(5))
        .with_columns(json=pl.col("json").str.slice(0, pl.col("json").str.len_chars() - 1))
    )
    return (
        frame.select("row_number")
        .join(tags.select("row_number", "json"), on="row_number", how="left", maintain_order="left")
        .get_column("json")
    )


def activity(
    frame: pl.DataFrame, plan: Plan, out: dict, issues: Issues, externals: pl.DataFrame
) -> None:
    s = plan.single
    col = s["occurred_at"]
    when = frame.select(v.parse_datetime(pl.col(col.name), plan.time_zone)).to_series()
    issues.add(frame, when.is_null(), col, frame[col.name], "bad_date",
               "no date, or not a date and time this import understands", fatal=True)  # fmt: skip
    out["occurred_at"] = when
    if "amount" in s:
        col = s["amount"]
        amount = frame.select(v.parse_amount(pl.col(col.name))).to_series()
        bad = frame[col.name].is_not_null() & amount.is_null()
        issues.add(frame, bad, col, frame[col.name], "bad_amount", "not an amount; left out",
                   fatal=False)  # fmt: skip
        out["amount"] = amount
    references = [pl.col(c.name) for c in plan.multi.get("reference", [])]
    reference = (
        frame.select(pl.concat_str(references, separator=":", ignore_nulls=True)).to_series()
        if references else pl.Series([None] * frame.height, dtype=pl.String)
    )  # fmt: skip
    reference = reference.replace("", None)
    out["payload"] = frame.select(
        pl.when(pl.lit(reference).is_not_null())
        .then(pl.struct(pl.lit(reference).alias("reference")).struct.json_encode())
        .otherwise(pl.lit("{}"))
    ).to_series()
    first_ext = externals.unique("row_number", keep="first").select(
        "row_number", ext=pl.col("system") + ":" + pl.col("value")
    )
    identity = frame.select("row_number").join(
        first_ext, on="row_number", how="left", maintain_order="left"
    )["ext"]
    for key in ("email", "match_phone"):
        if out.get(key) is not None:
            identity = identity.fill_null(out[key])
    # The key is the row's content, never the job: the same file imported twice adds nothing.
    content = frame.select(
        pl.when(pl.lit(reference).is_not_null())
        .then(pl.lit(f"{plan.activity_type}|ref|") + pl.lit(reference))
        .otherwise(
            pl.concat_str(
                [
                    pl.lit(plan.activity_type),
                    pl.lit(identity).fill_null(""),
                    pl.lit(when).dt.strftime("%Y-%m-%dT%H:%M:%S").fill_null(""),
                    *[
                        pl.lit(out[k]).fill_null("")
                        for k in ("amount", "activity_source", "result")
                        if out.get(k) is not None
                    ],
                ],
                separator="|",
            )
        )
    ).to_series()
    out["activity_key"] = pl.Series(
        [
            f"import:{plan.activity_type}:{hashlib.sha1(c.encode()).hexdigest()}" if c else None
            for c in content.to_list()
        ],
        dtype=pl.String,
    )
