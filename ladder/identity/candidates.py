"""Finding likely duplicates in batch: probabilistic matching with splink on DuckDB.

Exact keys (email, phone, external id) already match at write time; this finds the rest — a
nickname on a petition, a typo at a sign-in table, a new email address, a phone-only call
sheet. People are read from the database in one query per contact kind into polars frames,
normalised for matching (names lower-cased with nicknames mapped to one form, email local parts
without dots and plus-tags, the last 10 digits of phones, 5-digit postal codes), and handed to
splink, which is trained without labels (u from random pairs, m by expectation maximisation on
blocks) and scores only the pairs the blocking rules produce — so the work grows with pairs,
not with the square of people. Each pair's evidence is kept field by field (splink's comparison
levels and their Bayes factors) for the review screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from ladder.identity.nicknames import canonical_first_name
from ladder.people.models import Address, EmailAddress, Person, Phone

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]

# Blocking: a pair is scored only if it agrees on one of these. Each is selective on its own
# (a phone, an email local part, a surname in a postal code, a name with a birthdate).
BLOCKS = (
    ("phone",),
    ("email_local",),
    ("last_name", "postal_code"),
    ("first_canon", "last_name"),
    ("first_canon", "postal_code", "birthdate"),
    ("line1", "postal_code"),
)
COMPARED = ("first_canon", "last_name", "email_local", "phone", "postal_code", "birthdate",
            "line1")  # fmt: skip


@dataclass(frozen=True)
class Pair:
    low: int
    high: int
    probability: float
    weight: float
    # field -> (the two values compared, the match weight it added: log2 of its Bayes factor)
    evidence: dict[str, tuple[str, float]]


def _email_local(address: str) -> str:
    local, _, domain = address.partition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com") or domain.startswith("gmail."):
        local = local.replace(".", "")
    return local


def people_frame(person_ids: list[int] | None = None) -> pl.DataFrame:
    """One row per live person: the fields matching compares, normalised."""
    people = Person.objects.filter(merged_into__isnull=True)
    if person_ids is not None:
        people = people.filter(pk__in=person_ids)
    base = pl.DataFrame(
        list(people.values_list("pk", "first_name", "last_name", "birthdate")),
        schema={"unique_id": pl.Int64, "first_name": pl.Utf8, "last_name": pl.Utf8,
                "birthdate": pl.Date},
        orient="row",
    )  # fmt: skip

    def first_of(rows: Any, name: str) -> pl.DataFrame:
        frame = pl.DataFrame(
            list(rows), schema={"unique_id": pl.Int64, name: pl.Utf8}, orient="row"
        )
        return frame.unique("unique_id", keep="first")

    emails = first_of(
        EmailAddress.objects.filter(person__in=people).order_by("person_id", "-is_primary", "id")
        .values_list("person_id", "address"), "email",
    )  # fmt: skip
    phones = first_of(
        Phone.objects.filter(person__in=people).order_by("person_id", "-is_primary", "id")
        .values_list("person_id", "number"), "phone",
    )  # fmt: skip
    addresses = pl.DataFrame(
        list(
            Address.objects.filter(person__in=people).order_by("person_id", "-is_primary", "id")
            .values_list("person_id", "line1", "postal_code")
        ),
        schema={"unique_id": pl.Int64, "line1": pl.Utf8, "postal_code": pl.Utf8}, orient="row",
    ).unique("unique_id", keep="first")  # fmt: skip
    frame = (
        base.join(emails, on="unique_id", how="left")
        .join(phones, on="unique_id", how="left")
        .join(addresses, on="unique_id", how="left")
    )
    return normalised(frame)


def normalised(frame: pl.DataFrame) -> pl.DataFrame:
    """The matching columns of raw rows (unique_id, first_name, last_name, birthdate as a date,
    email, phone, line1, postal_code): the same for the database and for a benchmark's plan."""
    blank = lambda c: pl.when(pl.col(c).str.len_chars() > 0).then(pl.col(c)).otherwise(None)  # noqa: E731
    return frame.with_columns(
        first_canon=pl.col("first_name").map_elements(canonical_first_name, return_dtype=pl.Utf8),
        last_name=pl.col("last_name").str.to_lowercase().str.strip_chars(),
        email_local=pl.col("email").map_elements(_email_local, return_dtype=pl.Utf8),
        phone=pl.col("phone").str.replace_all(r"\D", "").str.slice(-10),
        postal_code=pl.col("postal_code").str.slice(0, 5),
        line1=pl.col("line1")
        .str.to_lowercase()
        .str.replace_all(r"[^a-z0-9 ]", "")
        .str.strip_chars(),
        birthdate=pl.col("birthdate").cast(pl.Utf8),
    ).with_columns(*(blank(c).alias(c) for c in COMPARED))


def _settings() -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[block_on(*cols) for cols in BLOCKS],
        comparisons=[
            cl.JaroWinklerAtThresholds("first_canon", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("last_name", [0.92, 0.8]),
            cl.LevenshteinAtThresholds("email_local", [1, 2]),
            cl.LevenshteinAtThresholds("phone", [1, 2]),
            cl.ExactMatch("postal_code"),
            cl.LevenshteinAtThresholds("birthdate", [1, 2]),
            cl.JaroWinklerAtThresholds("line1", [0.9]),
        ],
        retain_intermediate_calculation_columns=True,
    )


def find_pairs(
    frame: pl.DataFrame,
    *,
    threshold: float = 0.5,
    progress: Progress | None = None,
    seed: int = 7,
) -> list[Pair]:
    """Score the blocked pairs of ``frame`` (see `people_frame`); pairs at or above
    ``threshold`` match probability, best first."""
    from splink import Linker, block_on
    from splink.backends.duckdb import DuckDBAPI

    report = progress or (lambda phase, done, total: None)
    if frame.height < 2:
        return []
    db_api = DuckDBAPI()
    table = db_api.register(frame.to_arrow(), table_name="people")
    linker = Linker(table, _settings(), log_level=logging.WARNING)
    report("training", 0, 3)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("phone"), block_on("email_local")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(
        max_pairs=min(2e6, frame.height * 40), seed=seed
    )
    report("training", 1, 3)
    # Each EM pass trains the comparisons its blocking columns leave free.
    for rule in (block_on("first_canon", "last_name"), block_on("phone")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    report("training", 3, 3)
    report("scoring", 0, 1)
    scored = linker.inference.predict(threshold_match_probability=threshold)
    rows = db_api._execute_sql_against_backend(f"SELECT * FROM {scored.physical_name}")
    columns = [d[0] for d in rows.description]
    pairs = []
    for values in rows.fetchall():
        row = dict(zip(columns, values, strict=True))
        evidence = {}
        for name in COMPARED:
            weight = row.get(f"mw_{name}")
            if weight is not None and row.get(f"gamma_{name}", -1) != -1:
                left, right = row.get(f"{name}_l"), row.get(f"{name}_r")
                evidence[name] = (f"{left or '—'} / {right or '—'}", round(float(weight), 2))
        low, high = sorted((int(row["unique_id_l"]), int(row["unique_id_r"])))
        pairs.append(Pair(low, high, float(row["match_probability"]), float(row["match_weight"]),
                          evidence))  # fmt: skip
    report("scoring", 1, 1)
    pairs.sort(key=lambda p: (-p.probability, p.low, p.high))
    return pairs


def scores(pairs: list[Pair], truth: set[tuple[int, int]]) -> dict[str, float]:
    """Precision, recall and F1 of ``pairs`` against known duplicate pairs (low, high)."""
    found = {(p.low, p.high) for p in pairs}
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "pairs": len(found),
            "truth": len(truth)}  # fmt: skip


__all__ = ["BLOCKS", "Pair", "find_pairs", "normalised", "people_frame", "scores"]
