"""Turning one chunk of raw rows into staged rows, tags, external ids and issues — vectorised.

The result is four polars frames shaped like the staging tables. A row is rejected when it has
no usable email, phone or external id; a bad value in a row that can still be identified is
dropped with a warning. Every problem is recorded with its row and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.conf import settings

from ladder.imports import columns
from ladder.imports import values as v
from ladder.imports.mapping import PHONE_TARGETS
from ladder.people.models import CustomField, Group, Tag

# Target → (staging column, longest value the people tables accept).
TEXT_TARGETS: dict[str, tuple[str, int]] = {
    "first_name": ("first_name", 100), "middle_name": ("middle_name", 100),
    "last_name": ("last_name", 100), "suffix": ("suffix", 20),
    "employer": ("employer", 200), "occupation": ("occupation", 200),
    "source": ("source", 200), "line1": ("line1", 200), "line2": ("line2", 200),
    "locality": ("locality", 100), "region": ("region", 50), "postal_code": ("postal_code", 20),
    "county": ("county", 100), "congressional_district": ("congressional_district", 10),
    "state_upper_district": ("state_upper_district", 10),
    "state_lower_district": ("state_lower_district", 10), "precinct": ("precinct", 50),
    "refcode": ("activity_source", 200), "result": ("result", 20),
}  # fmt: skip
PHONE_COLUMNS = {"mobile": "phone_mobile", "home": "phone_home", "work": "phone_work",
                 "other": "phone_other"}  # fmt: skip
STAGE_COLUMNS = [
    "row_number", "status", "canonical_row", "first_name", "middle_name", "last_name", "suffix",
    "sort_name", "birthdate", "employer", "occupation", "source", "email", "phone_mobile",
    "phone_home", "phone_work", "phone_other", "match_phone", "line1", "line2", "locality",
    "region", "postal_code", "country", "county", "congressional_district",
    "state_upper_district", "state_lower_district", "precinct", "group_id", "custom", "tags",
    "email_consent", "sms_consent", "occurred_at", "amount", "activity_source", "result",
    "payload", "activity_key",
]  # fmt: skip
ISSUE_COLUMNS = ["row_number", "column", "value", "code", "reason", "rejected"]


@dataclass(frozen=True)
class Column:
    name: str  # c0, c1, … in the raw frame
    header: str


@dataclass
class Plan:
    """A job's mapping compiled against its headers, custom fields and groups."""

    kind: str
    activity_type: str = ""
    single: dict[str, Column] = field(default_factory=dict)
    multi: dict[str, list[Column]] = field(default_factory=dict)
    tag_columns: list[tuple[Column, str]] = field(default_factory=list)
    externals: list[tuple[Column, str]] = field(default_factory=list)
    custom: list[tuple[Column, CustomField]] = field(default_factory=list)
    extra_tag: str = ""
    groups: dict[str, int] = field(default_factory=dict)
    # Lower-cased tag name → its spelling: an existing tag's, else the first one in the file.
    tag_names: dict[str, str] = field(default_factory=dict)
    region: str = "US"
    time_zone: str = "UTC"

    def columns(self) -> list[str]:
        """The raw columns this plan reads."""
        used = [c.name for c in self.single.values()]
        used += [c.name for cols in self.multi.values() for c in cols]
        used += [c.name for c, _ in (*self.tag_columns, *self.externals, *self.custom)]
        return sorted(set(used))

    @classmethod
    def build(
        cls, *, headers: list[str], mapping: dict[str, str], kind: str, activity_type: str = "",
        extra_tag: str = "",
    ) -> Plan:  # fmt: skip
        plan = cls(kind=kind, activity_type=activity_type, extra_tag=extra_tag.strip(),
                   region=settings.LADDER_PHONE_REGION, time_zone=settings.TIME_ZONE)  # fmt: skip
        fields = {f.key: f for f in CustomField.objects.all()}
        for index, header in enumerate(headers):
            target = mapping.get(header, "ignore")
            column = Column(f"c{index}", header)
            prefix, sep, rest = target.partition(":")
            if target == "ignore":
                continue
            if sep and prefix == "tag":
                plan.tag_columns.append((column, " ".join(rest.split())))
            elif sep and prefix == "external":
                plan.externals.append((column, rest))
            elif sep and prefix == "custom":
                plan.custom.append((column, fields[rest]))
            elif target in ("tags", "reference"):
                plan.multi.setdefault(target, []).append(column)
            else:
                plan.single[target] = column
        if plan.multi.get("tags") or plan.tag_columns or plan.extra_tag:
            for name in Tag.objects.values_list("name", flat=True):
                plan.tag_names.setdefault(name.lower(), name)
        if "group" in plan.single:
            for gid, slug, name in Group.objects.values_list("id", "slug", "name"):
                plan.groups.setdefault(name.strip().lower(), gid)
                plan.groups[slug.lower()] = gid
        return plan


@dataclass
class Staged:
    rows: pl.DataFrame
    externals: pl.DataFrame
    issues: pl.DataFrame


class Issues:
    """Problems found while normalising, kept as frames until the row's fate is known."""

    def __init__(self) -> None:
        self.parts: list[tuple[pl.DataFrame, bool | None]] = []

    def add(self, frame: pl.DataFrame, mask: pl.Series, column: Column | None, value: pl.Series,
            code: str, reason: pl.Series | str, fatal: bool | None = None) -> None:  # fmt: skip
        """``fatal`` None: the row is rejected only if it has nothing else to identify it."""
        reasons = reason if isinstance(reason, pl.Series) else pl.Series([reason] * frame.height)
        part = pl.DataFrame(
            {
                "row_number": frame.get_column("row_number"),
                "column": [column.header if column else ""] * frame.height,
                "value": value.cast(pl.String).fill_null(""),
                "code": [code] * frame.height,
                "reason": reasons.cast(pl.String),
                "identified": frame.get_column("_identified"),
            },
            schema_overrides={"column": pl.String, "code": pl.String},
        ).filter(mask.fill_null(False))
        if part.height:
            self.parts.append((part, fatal))

    def frame(self) -> pl.DataFrame:
        out = []
        for part, fatal in self.parts:
            rejected = pl.lit(fatal) if fatal is not None else ~pl.col("identified")
            out.append(part.with_columns(rejected=rejected).select(ISSUE_COLUMNS))
        if not out:
            return pl.DataFrame(schema={"row_number": pl.Int64, "column": pl.String,
                                        "value": pl.String, "code": pl.String,
                                        "reason": pl.String, "rejected": pl.Boolean})  # fmt: skip
        return pl.concat(out)


def normalise_chunk(raw: pl.DataFrame, plan: Plan) -> Staged:
    data_columns = [c for c in raw.columns if c != "row_number"]
    frame = raw.with_columns([v.blank_to_null(pl.col(c)) for c in plan.columns()])
    # Rows with nothing in any cell (blank lines, trailing ",,,,") are not rows at all.
    frame = frame.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in data_columns]))
    issues = Issues()
    out: dict[str, pl.Series] = {}
    s, frame = plan.single, frame.with_columns(_identified=pl.lit(True))

    checked: list[tuple[Column, pl.Series, pl.Series, str]] = []  # column, value, error, code
    if "email" in s:
        out["email"], error = v.clean_email(frame, s["email"].name)
        checked.append((s["email"], out["email"], error, "invalid_email"))
    phones: dict[str, pl.Series] = {}
    for target, kind in PHONE_TARGETS.items():
        if target in s:
            phones[kind], error = v.clean_phone(frame, s[target].name, plan.region)
            checked.append((s[target], phones[kind], error, "invalid_phone"))
    externals = _externals(frame, plan, issues)
    identified = frame["row_number"].is_in(externals["row_number"].implode())
    bad_value = pl.Series([False] * frame.height)
    for _, value, error, _ in checked:
        identified = identified | value.is_not_null()
        bad_value = bad_value | error.is_not_null()
    frame = frame.with_columns(_identified=identified)
    for col, _, error, code in checked:
        # Dropped with a warning when something else identifies the row; else it rejects it.
        issues.add(frame, error.is_not_null(), col, frame[col.name], code, error)
    issues.add(frame, ~identified & ~bad_value, None, pl.Series([""] * frame.height),
               "no_identifier",
               "no email address, phone number or external id to identify the person",
               fatal=True)  # fmt: skip

    for kind, series in phones.items():
        out[PHONE_COLUMNS[kind]] = series
    order = [phones[k] for k in ("mobile", "other", "home", "work") if k in phones]
    if order:
        out["match_phone"] = frame.select(pl.coalesce(order)).to_series()

    names = _names(frame, plan)
    for target, (column, limit) in TEXT_TARGETS.items():
        base = names.get(target)
        if target in s:
            value = frame.select(v.squeeze(pl.col(s[target].name))).to_series()
            base = value if base is None else value.fill_null(base)
        if base is None:
            continue
        if target == "region":
            base = frame.select(_region(base)).to_series()
        if target == "postal_code":
            base = frame.select(_zip(base, plan.region)).to_series()
        too_long = base.str.len_chars() > limit
        source = s.get(target) or s.get("full_name")
        issues.add(frame, too_long, source, base, "too_long",
                   f"longer than {limit} characters; cut to fit")  # fmt: skip
        out[column] = base.str.slice(0, limit)
    if "first_name" in out or "last_name" in out:
        # make_sort_name(), in polars: its lower-casing is Unicode-aware on every database
        # (SQLite's lower() only folds ASCII).
        parts = [out[k].fill_null("") for k in ("last_name", "first_name") if k in out]
        out["sort_name"] = (
            frame.select(pl.concat_str([pl.lit(p) for p in parts], separator=" ").str.strip_chars())
            .to_series()
            .str.to_lowercase()
        )
    columns.details(frame, plan, out, issues)
    if plan.kind == "activities":
        columns.activity(frame, plan, out, issues, externals)

    issue_frame = issues.frame()
    rejected = frame.get_column("row_number").is_in(
        issue_frame.filter(pl.col("rejected")).get_column("row_number").implode()
    )
    tags = columns.tags(frame, plan)
    if tags is not None:
        out["tags"] = tags
    rows = _rows(frame, out, rejected)
    ok_rows = rows.filter(pl.col("status") == "ok").get_column("row_number")
    externals = externals.filter(pl.col("row_number").is_in(ok_rows.implode()))
    return Staged(rows=rows, externals=externals, issues=issue_frame)


def _names(frame: pl.DataFrame, plan: Plan) -> dict[str, pl.Series]:
    if "full_name" not in plan.single:
        return {}
    parts = v.split_full_names(frame, plan.single["full_name"].name)
    return {
        "first_name": parts["first"], "middle_name": parts["middle"],
        "last_name": parts["last"], "suffix": parts["suffix"],
    }  # fmt: skip


def _region(series: pl.Series) -> pl.Expr:
    value = pl.lit(series)
    return pl.when(value.str.len_chars() == 2).then(value.str.to_uppercase()).otherwise(value)


def _zip(series: pl.Series, region: str) -> pl.Expr:
    value = pl.lit(series)
    if region != "US":
        return value
    # Spreadsheets drop the leading zero of New England ZIP codes (02134 → 2134).
    return pl.when(value.str.contains(r"^\d{4}$")).then(pl.lit("0") + value).otherwise(value)


def _externals(frame: pl.DataFrame, plan: Plan, issues: Issues) -> pl.DataFrame:
    parts = []
    for col, system in plan.externals:
        value = frame[col.name]
        too_long = value.str.len_chars() > 100
        issues.add(frame, too_long, col, value, "too_long",
                   "an id longer than 100 characters; left out", fatal=False)  # fmt: skip
        parts.append(
            pl.DataFrame({"row_number": frame["row_number"], "value": value})
            .filter(pl.col("value").is_not_null() & ~pl.Series(too_long).fill_null(False))
            .with_columns(system=pl.lit(system))
        )
    if not parts:
        return pl.DataFrame(schema={"row_number": pl.Int64, "system": pl.String,
                                    "value": pl.String})  # fmt: skip
    return (
        pl.concat(parts)
        .select("row_number", "system", "value")
        .unique(["row_number", "system", "value"], maintain_order=True)
    )


def _rows(frame: pl.DataFrame, out: dict, rejected: pl.Series) -> pl.DataFrame:
    columns: dict[str, pl.Series] = {
        "row_number": frame["row_number"],
        "status": pl.select(
            pl.when(pl.lit(rejected)).then(pl.lit("rejected")).otherwise(pl.lit("ok"))
        ).to_series(),
        "canonical_row": frame["row_number"],
    }
    types: dict[str, Any] = {
        "birthdate": pl.Date,
        "group_id": pl.Int64,
        "occurred_at": pl.Datetime("us", "UTC"),
    }
    for name in STAGE_COLUMNS:
        if name in columns:
            continue
        value = out.get(name)
        columns[name] = (
            value if value is not None
            else pl.Series([None] * frame.height, dtype=types.get(name, pl.String))
        )  # fmt: skip
    return pl.DataFrame(columns).select(STAGE_COLUMNS)
