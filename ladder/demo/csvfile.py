"""Benchmark files: people as CSV in the shapes organizers export, written without the database.

`write_people_csv` builds the rows vectorised with polars (`ladder.demo.identity.identity_frame`)
and appends them to the file in batches of `BATCH` rows, so it writes a million rows in a few
seconds and any size in bounded memory.

Overlap, exactly: a file is a list of identity indexes (see `ladder.demo.identity`).

* Without ``overlap_with``, row ``r`` is identity ``r`` (rows ``0 … rows-1``).
* With ``overlap_with=N`` (the row count of an earlier file written with the same seed and no
  overlap), the first ``k = min(N, round(rows * overlap_share))`` rows are identities
  ``0 … k-1`` — the same people as the earlier file's first ``k`` rows, with the same names,
  email and phone number — and rows ``k … rows-1`` are new identities ``N, N+1, …`` that no
  earlier file holds. So ``write_people_csv(b, rows=1_000_000, seed=7, overlap_with=1_000_000)``
  after ``write_people_csv(a, rows=1_000_000, seed=7)`` gives 300,000 rows that match people
  imported from ``a`` by email and 700,000 new people.
* An overlapping row differs from its earlier self in ways a merge must handle: the phone is
  written in another format, and the tags column carries one more issue tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Literal

import polars as pl

from ladder.demo.data import TAGS_ISSUES
from ladder.demo.identity import identity_frame, tables

HeaderStyle = Literal["ladder", "actionnetwork", "van"]

HEADERS: dict[str, tuple[str, ...]] = {
    "ladder": (
        "first_name",
        "last_name",
        "email",
        "phone",
        "address",
        "city",
        "state",
        "zip",
        "tags",
    ),
    # The column names of an Action Network activist export.
    "actionnetwork": (
        "first_name",
        "last_name",
        "email",
        "address",
        "city",
        "state",
        "zip_code",
        "country",
        "can2_phone",
        "can2_user_tags",
    ),
    # A VAN "export to file": tab-delimited, VANID first.
    "van": (
        "VANID",
        "LastName",
        "FirstName",
        "Address",
        "City",
        "State",
        "Zip5",
        "CellPhone",
        "Email",
    ),
}


BATCH = 250_000


@dataclass(frozen=True)
class CsvFileInfo:
    path: Path
    rows: int
    overlap_rows: int  # rows 0 … overlap_rows-1 reuse identities 0 … overlap_rows-1
    first_new_identity: int  # the identity index of row overlap_rows


def overlap_rows(rows: int, overlap_with: int, overlap_share: float = 0.3) -> int:
    if overlap_with <= 0:
        return 0
    return min(overlap_with, rows, round(rows * overlap_share))


def write_people_csv(
    path: str | Path,
    *,
    rows: int,
    seed: int,
    overlap_with: int = 0,
    overlap_share: float = 0.3,
    headers: HeaderStyle = "ladder",
) -> CsvFileInfo:
    """Write ``rows`` people to ``path`` (UTF-8; tab-delimited for ``headers="van"``).

    One row in five has no phone. See the module docstring for what ``overlap_with`` means.
    """
    if headers not in HEADERS:
        raise ValueError(f"headers must be one of {', '.join(HEADERS)}, not {headers!r}")
    if rows < 0:
        raise ValueError("rows must be zero or more")
    if not 0 <= overlap_share <= 1:
        raise ValueError("overlap_share must be between 0 and 1")
    path = Path(path)
    k = overlap_rows(rows, overlap_with, overlap_share)
    first_new = overlap_with if k else 0
    separator = "\t" if headers == "van" else ","
    with path.open("wb") as handle:
        handle.write((separator.join(HEADERS[headers]) + "\n").encode())
        # Overlapping rows first (identities 0 … k-1), then the new ones.
        _write_range(handle, seed, 0, k, headers, separator, overlap=True)
        _write_range(
            handle, seed, first_new, first_new + rows - k, headers, separator, overlap=False
        )
    return CsvFileInfo(path=path, rows=rows, overlap_rows=k, first_new_identity=first_new)


@cache
def _tag_strings() -> tuple[pl.Series, pl.Series]:
    """The tags column by interest index, and (for overlapping rows) by interest * 4 + extra."""
    interests = tables().interests
    base = [", ".join(tags) or None for tags in interests]
    extra = [
        ", ".join(tags if issue in tags else (*tags, issue)) or None
        for tags in interests
        for issue in TAGS_ISSUES
    ]
    return pl.Series(base), pl.Series(extra)


# The seven shapes, as the text around the three groups of digits: before, between, between.
_PHONE_PIECES = (
    ("(", ") ", "-"),  # (515) 555-0134
    ("", "-", "-"),  # 515-555-0134
    ("", ".", "."),  # 515.555.0134
    ("", "", ""),  # 5155550134
    ("+1 ", " ", " "),  # +1 515 555 0134
    ("1-", "-", "-"),  # 1-515-555-0134
    ("+1", "", ""),  # +15155550134
)


def _phone_shapes(phone: pl.Expr, index: pl.Expr, offset: int) -> pl.Expr:
    """The number the way people type it, seven shapes by row; one row in five has none."""
    a, x, n = phone.str.slice(2, 3), phone.str.slice(5, 3), phone.str.slice(8, 4)
    shape = (index + offset) % 7
    before, middle, after = (
        pl.lit(pl.Series([p[k] for p in _PHONE_PIECES])).gather(shape) for k in range(3)
    )
    return (
        pl.when(index % 5 == 4)
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.concat_str(before, a, middle, x, after, n))
    )


def _write_range(
    handle: IO[bytes],
    seed: int,
    start: int,
    stop: int,
    style: str,
    separator: str,
    *,
    overlap: bool,
) -> None:
    base_tags, extra_tags = _tag_strings()
    for batch_start in range(start, stop, BATCH):
        people = identity_frame(seed, batch_start, min(stop, batch_start + BATCH))
        if overlap:
            tags = extra_tags.gather(people["interest"] * 4 + people["index"] % 4)
        else:
            tags = base_tags.gather(people["interest"])
        people = people.with_columns(tags=tags)
        i = pl.col("index")
        address = (
            pl.when(pl.col("line2") == "")
            .then(pl.col("line1"))
            .otherwise(pl.concat_str(pl.col("line1"), pl.lit(" "), pl.col("line2")))
        )
        phone = _phone_shapes(pl.col("phone"), i, 3 if overlap else 0)
        state = pl.lit("IA")
        if style == "ladder":
            columns = [
                pl.col("first"),
                pl.col("last"),
                pl.col("email"),
                phone,
                address,
                pl.col("city"),
                state,
                pl.col("zip"),
                pl.col("tags"),
            ]
        elif style == "actionnetwork":
            columns = [
                pl.col("first"),
                pl.col("last"),
                pl.col("email"),
                address,
                pl.col("city"),
                state,
                pl.col("zip"),
                pl.lit("US"),
                phone,
                pl.col("tags"),
            ]
        else:
            van = (i * 7919 + 1234567) % 90_000_000 + 10_000_000  # as identity.van_id
            columns = [
                van,
                pl.col("last"),
                pl.col("first"),
                address,
                pl.col("city"),
                state,
                pl.col("zip"),
                phone,
                pl.col("email"),
            ]
        out = people.select(column.alias(f"c{n}") for n, column in enumerate(columns))
        out.write_csv(handle, include_header=False, separator=separator)
