"""Finding likely duplicates in batch: probabilistic matching with splink on DuckDB.

Exact keys (email, phone, external id) already match at write time; this finds the rest — a
nickname on a petition, a typo at a sign-in table, a new email address, a phone-only call
sheet. People are read from the database in one query per contact kind into polars frames,
normalised for matching (given names to their formal forms, email local parts without Gmail
dots and plus-tags, the last 10 digits of phones, street words abbreviated one way, 5-digit
postal codes), and handed to splink, which scores only the pairs the blocking rules produce —
so the work grows with pairs, not with the square of people.

The model is trained without labels: u (how often strangers agree) from random pairs, or for
phones and emails counted from value frequencies; m (how often the same person agrees) by
expectation maximisation on blocks that people living together do not share. Names count for
more the rarer they are. Two vetoes and one correction follow: see `find_pairs` and
`exclusive`. Each pair's evidence is kept field by field (splink's match weights) for review.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from ladder.identity.nicknames import canonical_first_name, formal_forms
from ladder.people.models import Address, EmailAddress, Person, Phone

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]

# Blocking: a pair is scored only if it agrees on one of these. Each is selective on its own
# (a phone, an email local part, a surname or given name in a postal code, a name with a
# birthdate), and together they leave a typo in any one field something else to meet on.
BLOCKS = (
    ("phone",),
    ("email_local",),
    ("last_name", "postal_code"),
    ("first_canon", "last_name"),
    ("first_canon", "postal_code"),
    ("first_canon", "birthdate"),
    ("last_name", "birthdate"),
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


# Street words written out or abbreviated compare as one ("Avenue" and "Ave").
STREET_WORDS = {"avenue": "ave", "street": "st", "road": "rd", "drive": "dr", "lane": "ln",
                "boulevard": "blvd", "court": "ct", "place": "pl", "north": "n", "south": "s",
                "east": "e", "west": "w", "apartment": "apt", "suite": "ste"}  # fmt: skip


def _email_local(email: pl.Expr) -> pl.Expr:
    """The part of an address that names the person: Gmail ignores dots and every provider
    that supports plus-tags ignores them, so "Jo.Ann+petition@gmail.com" is "joann"."""
    local = email.str.split("@").list.first().str.split("+").list.first()
    gmail = (
        email.str.split("@")
        .list.get(1, null_on_oob=True)
        .str.contains(r"^(gmail\.|googlemail\.com$)")
    )
    return pl.when(gmail).then(local.str.replace_all(".", "", literal=True)).otherwise(local)


def _given_names(first: pl.Series) -> pl.DataFrame:
    """first_name → first_canon and first_forms, for each distinct given name (a list has a
    few thousand of them: map those, not every row)."""
    distinct = first.drop_nulls().unique().to_list()
    return pl.DataFrame(
        {"first_name": distinct, "first_canon": [canonical_first_name(x) for x in distinct],
         "first_forms": [formal_forms(x) for x in distinct]},
        schema={"first_name": pl.Utf8, "first_canon": pl.Utf8,
                "first_forms": pl.List(pl.Utf8)},
    )  # fmt: skip


def _line1(line1: pl.Expr) -> pl.Expr:
    words = line1.str.to_lowercase().str.replace_all(r"[^a-z0-9 ]", "").str.split(" ")
    return words.list.eval(pl.element().filter(pl.element() != "").replace(STREET_WORDS)).list.join(
        " "
    )


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
    names = _given_names(frame["first_name"])
    return (
        frame.join(names, on="first_name", how="left", maintain_order="left")
        .with_columns(
            last_name=pl.col("last_name").str.to_lowercase().str.strip_chars(),
            email_local=_email_local(pl.col("email").str.to_lowercase()),
            phone=pl.col("phone").str.replace_all(r"\D", "").str.slice(-10),
            postal_code=pl.col("postal_code").str.slice(0, 5),
            line1=_line1(pl.col("line1")),
            birthdate=pl.col("birthdate").cast(pl.Utf8),
        )
        .with_columns(*(blank(c).alias(c) for c in COMPARED))
    )


def agreement_u(frame: pl.DataFrame, column: str) -> float:
    """The chance that two random records with ``column`` agree on it, counted from how often
    each value occurs. For phones and email addresses it is far too small for a random sample
    of pairs to see, and a guessed default would make a shared phone count for little."""
    counts = frame[column].drop_nulls().value_counts()["count"].cast(pl.Float64)
    n = float(counts.sum())
    if n < 2:
        return 1.0
    return max(float((counts * (counts - 1)).sum()) / (n * (n - 1)), 1 / (n * n))


# Two random phone numbers one digit apart: ten places times nine digits in ten million
# local numbers.
PHONE_ONE_DIGIT_U = 1e-5


def _settings(frame: pl.DataFrame) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    def fixed_u(level: Any, u: float) -> Any:
        return level.configure(u_probability=u, fix_u_probability=True)

    phone_u, email_u = agreement_u(frame, "phone"), agreement_u(frame, "email_local")
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[block_on(*cols) for cols in BLOCKS],
        comparisons=[
            # A shared name says more the rarer it is: "Okonkwo" more than "Smith".
            cl.CustomComparison(
                [
                    cll.NullLevel("first_canon"),
                    cll.ExactMatchLevel("first_canon", term_frequency_adjustments=True),
                    cll.ArrayIntersectLevel("first_forms").configure(label_for_charts="Nickname"),
                    cll.JaroWinklerLevel("first_canon", 0.92),
                    cll.JaroWinklerLevel("first_canon", 0.8),
                    cll.ElseLevel(),
                ],
                output_column_name="first_canon",
            ),
            cl.JaroWinklerAtThresholds("last_name", [0.92, 0.8]).configure(
                term_frequency_adjustments=True
            ),
            cl.CustomComparison(
                [
                    cll.NullLevel("email_local"),
                    fixed_u(cll.ExactMatchLevel("email_local"), email_u),
                    fixed_u(cll.ElseLevel(), 1 - email_u),
                ],
                output_column_name="email_local",
            ),
            cl.CustomComparison(
                [
                    cll.NullLevel("phone"),
                    fixed_u(cll.ExactMatchLevel("phone"), phone_u),
                    fixed_u(cll.LevenshteinLevel("phone", 1), PHONE_ONE_DIGIT_U),
                    fixed_u(cll.ElseLevel(), 1 - phone_u - PHONE_ONE_DIGIT_U),
                ],
                output_column_name="phone",
            ),
            cl.ExactMatch("postal_code"),
            cl.DamerauLevenshteinAtThresholds("birthdate", [1]),
            cl.JaroWinklerAtThresholds("line1", [0.9]),
        ],
        retain_intermediate_calculation_columns=True,
    )


def trained_linker(frame: pl.DataFrame, report: Progress, seed: int = 7) -> tuple[Any, Any]:
    """A splink linker over ``frame``, trained without labels, and its DuckDB backend."""
    from splink import Linker, block_on
    from splink.backends.duckdb import DuckDBAPI
    from splink.internals.exceptions import EMTrainingException

    db_api = DuckDBAPI()
    table = db_api.register(frame.to_arrow(), table_name="people")
    linker = Linker(table, _settings(frame), log_level=logging.WARNING)
    report("training", 0, 3)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("phone"), block_on("email_local")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(
        max_pairs=min(2e6, frame.height * 40), seed=seed
    )
    report("training", 1, 3)
    # Each EM pass trains the comparisons its blocking columns leave free. Not a phone or an
    # address block: people who live together share those, so pairs agreeing on them would
    # teach the model that a different given name is common among matches.
    # A small list may have no pairs on a rule; its comparisons keep their starting values.
    for rule in (block_on("first_canon", "last_name"), block_on("postal_code", "birthdate")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        except EMTrainingException:
            log.info("no pairs to train on for %s", rule)
    report("training", 3, 3)
    return linker, db_api


def find_pairs(
    frame: pl.DataFrame,
    *,
    threshold: float = 0.5,
    progress: Progress | None = None,
    seed: int = 7,
) -> list[Pair]:
    """Score the blocked pairs of ``frame`` (see `people_frame`); pairs at or above
    ``threshold`` match probability, best first."""
    report = progress or (lambda phase, done, total: None)
    if frame.height < 2:
        return []
    linker, db_api = trained_linker(frame, report, seed)
    report("scoring", 0, 1)
    # Rivals below the threshold still count against a pair (see `exclusive`).
    scored = linker.inference.predict(threshold_match_probability=min(threshold, RIVAL_FLOOR))
    # Two vetoes the model cannot make by itself, because it adds evidence as if fields were
    # independent, and within a household they are not (the address, the landline and the
    # surname come together): given names that do not resemble each other even after
    # nicknames, or birthdates further apart than one slip of the keyboard, are two people —
    # a couple, a parent and child, roommates — however much else they share. Unless they
    # have the same email address: people who live together do not share that.
    table = scored.physical_name
    columns = db_api._execute_sql_against_backend(f"SELECT * FROM {table} LIMIT 0").description
    where = _kept({d[0] for d in columns})
    rows = db_api._execute_sql_against_backend(f"SELECT * FROM {table} WHERE {where}")
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
    pairs = [p for p in exclusive(pairs) if p.probability >= threshold]
    pairs.sort(key=lambda p: (-p.probability, p.low, p.high))
    return pairs


RIVAL_FLOOR = 0.05


def _kept(columns: set[str]) -> str:
    """The SQL condition for the vetoes above, over the gamma columns splink wrote (a field
    empty on every record has no comparison, so nothing to test)."""
    vetoes = [f"gamma_{c} = 0" for c in ("first_canon", "birthdate") if f"gamma_{c}" in columns]
    if not vetoes:
        return "true"
    same_email = "gamma_email_local = 1" if "gamma_email_local" in columns else "false"
    return f"{same_email} OR NOT ({' OR '.join(vetoes)})"


def exclusive(pairs: list[Pair]) -> list[Pair]:
    """The pairs with each probability shared among its rivals. The model scores every pair
    on its own, so a name-and-postal-code petition signature fits each of two namesakes in
    that postal code equally well; but a record is one person, so those are rival hypotheses,
    and each gets its odds over one plus the odds of all (``o / (1 + o + rivals)``), from
    whichever side has more rivals. A rival that itself matches the other record is no rival:
    three records of one person all stand."""
    odds = {(p.low, p.high): p.probability / max(1e-12, 1 - p.probability) for p in pairs}
    partners: dict[int, list[int]] = {}
    for p in pairs:
        partners.setdefault(p.low, []).append(p.high)
        partners.setdefault(p.high, []).append(p.low)

    def odds_of(a: int, b: int) -> float:
        return odds.get((a, b) if a < b else (b, a), 0.0)

    out = []
    for p in pairs:
        o = odds[(p.low, p.high)]
        shared = p.probability
        for record, other in ((p.low, p.high), (p.high, p.low)):
            rivals = sum(
                odds_of(record, b) for b in partners[record]
                if b != other and odds_of(other, b) < 1
            )  # fmt: skip
            shared = min(shared, o / (1 + o + rivals))
        out.append(dataclasses.replace(p, probability=shared))
    return out


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
