"""Synthetic identities: who person number ``i`` of seed ``s`` is.

Every column of identity ``i`` is a pure function of ``(seed, i)``: a small counter-based hash
(`_mix`, integer arithmetic modulo a prime below 2**32, then xor-shift, three rounds) turns the
index into 32-bit words whose bit fields index precomputed tables (weights are baked into the
tables, so a uniform index is a weighted draw). Because it is plain integer arithmetic, the same
function runs row by row in Python (`identity`, for the demo database) and vectorised in polars
(`identity_frame`, for million-row benchmark files), and both give the same people; a test holds
them together. The demo database (`ladder.demo.generator`) and the benchmark files
(`ladder.demo.csvfile`) therefore share one identity space: person ``i`` of the demo loaded with
seed 42 is row ``i`` of a CSV written with seed 42.

Emails are unique across identities: every local part ends in the identity's index, and names
hold no digits, so two identities can never produce the same address.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from functools import cache

import polars as pl

from ladder.demo.data import (
    CITIES,
    EMAIL_DOMAINS,
    GENERIC_STREETS,
    NAME_POOLS,
    POOL_LANGUAGES,
    TAGS_ISSUES,
)

_NOT_EMAIL = re.compile(r"[^a-z0-9]")


def email_part(name: str) -> str:
    """The spelling of a name inside an email address: "O'Brien" -> "obrien"."""
    return _NOT_EMAIL.sub("", name.lower())


def _weighted[T](items: list[T], weights: list[float], size: int) -> tuple[T, ...]:
    """A table of ``size`` entries where each item fills a share proportional to its weight
    (largest-remainder rounding), so a uniform index into it is a weighted draw."""
    total = sum(weights)
    exact = [w / total * size for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(items)), key=lambda k: exact[k] - counts[k], reverse=True)
    for k in by_remainder[: size - sum(counts)]:
        counts[k] += 1
    return tuple(item for item, count in zip(items, counts, strict=True) for _ in range(count))


def _cycled[T](items: tuple[T, ...] | list[T], size: int) -> tuple[T, ...]:
    return tuple(items[k % len(items)] for k in range(size))


@dataclass(frozen=True)
class _Tables:
    first: tuple[tuple[int, str, str], ...]  # 4096: (pool, first name, its email spelling)
    mix: tuple[tuple[int, ...], ...]  # per pool, 256: the pool of the last name
    last: tuple[tuple[tuple[str, str], ...], ...]  # per pool, 4096: (last name, email spelling)
    domain: tuple[str, ...]  # 1024
    city: tuple[int, ...]  # 4096: index into CITIES
    area: tuple[str, ...]  # per city
    exchange: tuple[str, ...]  # 1024
    line: tuple[str, ...]  # 16384: four-digit line numbers
    streets: tuple[tuple[str, ...], ...]  # per city, 256
    apt: tuple[str, ...]  # 256: "" mostly, "Apt 7" for one in eight
    zips: tuple[tuple[str, ...], ...]  # per city, 16
    interest: tuple[int, ...]  # 1024: index into `interests`
    interests: tuple[tuple[str, ...], ...]  # combinations of issue tags, () first
    language: tuple[tuple[str, ...], ...]  # per pool, 128: preferred language or ""
    birth_year: tuple[int, ...]  # 4096: ordinal of 1 January of a birth year, skewed older


@cache
def tables() -> _Tables:
    pools = list(range(len(NAME_POOLS)))
    pool_weights = [float(p[1]) for p in NAME_POOLS]
    total = sum(pool_weights)
    pairs = [(p, name) for p in pools for name in NAME_POOLS[p][2]]
    pair_weights = [pool_weights[p] / len(NAME_POOLS[p][2]) for p, _ in pairs]
    first = tuple((p, name, email_part(name)) for p, name in _weighted(pairs, pair_weights, 4096))
    # One person in ten has a last name from any pool (families mix), nine in ten from their own.
    mix = tuple(
        _weighted([p, *pools], [0.9, *(0.1 * w / total for w in pool_weights)], 256) for p in pools
    )
    last = tuple(
        _cycled([(name, email_part(name)) for name in NAME_POOLS[p][3]], 4096) for p in pools
    )
    interests: list[tuple[str, ...]] = [()]
    interest_weights: list[float] = [40]
    for k, a in enumerate(TAGS_ISSUES):
        interests.append((a,))
        interest_weights.append(9)
        for b in TAGS_ISSUES[k + 1 :]:
            interests.append((a, b))
            interest_weights.append(2.5)
    interests.append(TAGS_ISSUES)
    interest_weights.append(1)
    # Real-looking exchanges: not N11, not 555.
    exchanges = [str(x) for x in range(201, 1000) if x % 100 != 11 and x != 555]
    language = []
    for p in pools:
        shares = POOL_LANGUAGES.get(NAME_POOLS[p][0], ())
        rest = 1 - sum(s for _, s in shares)
        language.append(
            _weighted(["", *(n for n, _ in shares)], [rest, *(s for _, s in shares)], 128)
        )
    # Organizing lists skew older: birth years 1933–2007, weighted toward the middle decades.
    years = list(range(1933, 2008))
    year_weights = [
        1.0 + 1.5 * min(y - 1933, 2007 - y) / 37 + (0.8 if y < 1965 else 0) for y in years
    ]
    return _Tables(
        first=first,
        mix=mix,
        last=last,
        domain=_weighted([d for d, _ in EMAIL_DOMAINS], [w for _, w in EMAIL_DOMAINS], 1024),
        city=_weighted(list(range(len(CITIES))), [c.weight for c in CITIES], 4096),
        area=tuple(c.area_code for c in CITIES),
        exchange=_cycled(exchanges, 1024),
        line=tuple(f"{k % 10000:04d}" for k in range(16384)),
        streets=tuple(_cycled(c.streets * 3 + GENERIC_STREETS, 256) for c in CITIES),
        apt=tuple(f"Apt {1 + k % 24}" if k < 32 else "" for k in range(256)),
        zips=tuple(_cycled(c.zips, 16) for c in CITIES),
        interest=_weighted(list(range(len(interests))), interest_weights, 1024),
        interests=tuple(interests),
        language=tuple(language),
        birth_year=tuple(
            dt.date(y, 1, 1).toordinal() for y in _weighted(years, year_weights, 4096)
        ),
    )


# The hash: x -> (x * a + c) mod M, then x ^= x >> 15, three rounds with per-(seed, field) keys.
# Products stay below 2**63 (x < 2**32, a < 2**31), so polars' Int64 arithmetic is exact.
M = 4_294_967_291  # the largest prime below 2**32
Key = tuple[tuple[int, int], ...]


@cache
def _key(seed: int, salt: str) -> Key:
    rng = random.Random(f"ladder-demo:{seed}:{salt}")
    return tuple((rng.randrange(1 << 24, 1 << 31) | 1, rng.randrange(M)) for _ in range(3))


def _mix(i: int, key: Key) -> int:
    x = i % M
    for a, c in key:
        x = (x * a + c) % M
        x ^= x >> 15
    return x


def _words(seed: int, i: int, salt: str, count: int) -> list[int]:
    """``count`` 32-bit words for identity ``i``: one full hash, then one round per word."""
    x = _mix(i, _key(seed, salt))
    return [_mix(x, _key(seed, f"{salt}{n}")[:1]) for n in range(1, count + 1)]


def _mix_expr(index: pl.Expr, key: Key) -> pl.Expr:
    x = index % M
    for a, c in key:
        x = (x * a + c) % M
        x = x.xor(x // 32768)
    return x


@dataclass(frozen=True, slots=True)
class Identity:
    index: int
    pool: int  # index into data.NAME_POOLS
    first: str
    last: str
    email: str
    phone: str  # E.164
    city: int  # index into data.CITIES
    line1: str
    line2: str
    zip: str
    interests: tuple[str, ...]  # issue tags this person cares about


def identity(seed: int, i: int) -> Identity:
    """Identity ``i`` of ``seed``; `identity_frame` computes the same, vectorised."""
    t = tables()
    # Bit fields: h1 = 12 first | 8 mix | 12 last; h2 = 3 shape | 10 domain | 12 city | 4 zip;
    # h3 = 10 exchange | 14 line | 8 street; h4 = 13 house | 8 apt | 10 interest.
    h1, h2, h3, h4 = _words(seed, i, "h", 4)
    pool, first, fe = t.first[h1 & 0xFFF]
    last, le = t.last[t.mix[pool][(h1 >> 12) & 0xFF]][(h1 >> 20) & 0xFFF]
    c = t.city[(h2 >> 13) & 0xFFF]
    local = _local((h2 & 7) % 6, fe, le, i)
    return Identity(
        index=i,
        pool=pool,
        first=first,
        last=last,
        email=f"{local}@{t.domain[(h2 >> 3) & 0x3FF]}",
        phone=f"+1{t.area[c]}{t.exchange[h3 & 0x3FF]}{t.line[(h3 >> 10) & 0x3FFF]}",
        city=c,
        line1=f"{100 + (h4 & 0x1FFF)} {t.streets[c][(h3 >> 24) & 0xFF]}",
        line2=t.apt[(h4 >> 13) & 0xFF],
        zip=t.zips[c][(h2 >> 25) & 0xF],
        interests=t.interests[t.interest[(h4 >> 21) & 0x3FF]],
    )


_LOCAL_SEPARATORS = (".", "", "", "_", ".", "")


def _local(shape: int, first: str, last: str, i: int) -> str:
    """The local part of an address in one of six common shapes, ending in the index."""
    if shape == 0:
        return f"{first}.{last}{i}"
    if shape == 1:
        return f"{first}{last}{i}"
    if shape == 2:
        return f"{first[:1]}{last}{i}"
    if shape == 3:
        return f"{first}_{last}{i}"
    if shape == 4:
        return f"{last}.{first}{i}"
    return f"{first}{i}"


def identity_frame(seed: int, start: int, stop: int) -> pl.DataFrame:
    """Identities ``start … stop-1`` as a polars frame: index, first, last, email, phone (E.164),
    city (name), line1, line2, zip, interest (index into ``tables().interests``)."""
    frame = pl.DataFrame({"i": pl.int_range(start, stop, eager=True, dtype=pl.Int64)})
    base = frame.select(_mix_expr(pl.col("i"), _key(seed, "h"))).to_series()
    h = pl.DataFrame({"x": base}).select(
        _mix_expr(pl.col("x"), _key(seed, f"h{n}")[:1]).alias(f"h{n}") for n in range(1, 5)
    )
    h1, h2, h3, h4 = (h[f"h{n}"] for n in range(1, 5))

    def bits(word: pl.Series, shift: int, width: int) -> pl.Series:
        return (word // (1 << shift)) % (1 << width)

    s = _series()
    first_ix = bits(h1, 0, 12)
    pool = s["first_pool"].gather(first_ix)
    last_pool = s["mix"].gather(pool * 256 + bits(h1, 12, 8))
    last_ix = last_pool * 4096 + bits(h1, 20, 12)
    city = s["city"].gather(bits(h2, 13, 12))
    fe = s["first_email"].gather(first_ix)
    le = s["last_email"].gather(last_ix)
    i = frame["i"].cast(pl.String)
    shape = bits(h2, 0, 3) % 6
    parts = pl.DataFrame({"fe": fe, "le": le, "i": i, "shape": shape})
    f, la, n = pl.col("fe"), pl.col("le"), pl.col("i")
    # The six shapes of `_local` as one concatenation of pieces picked per row, which is much
    # cheaper than six whole concatenations under when/then: front, separator, back, index.
    shape_of = pl.col("shape")
    local = parts.select(
        pl.concat_str(
            pl.when(shape_of == 4).then(la).when(shape_of == 2).then(f.str.slice(0, 1))
            .otherwise(f),
            pl.lit(pl.Series(_LOCAL_SEPARATORS)).gather(shape_of),
            pl.when(shape_of == 4).then(f).when(shape_of == 5).then(pl.lit("")).otherwise(la),
            n,
        ).alias("local")
    )["local"]  # fmt: skip
    domain = s["domain"].gather(bits(h2, 3, 10))
    phone = (
        "+1"
        + s["area"].gather(city)
        + s["exchange"].gather(bits(h3, 0, 10))
        + s["line"].gather(bits(h3, 10, 14))
    )
    line1 = (
        (bits(h4, 0, 13) + 100).cast(pl.String)
        + " "
        + s["streets"].gather(city * 256 + bits(h3, 24, 8))
    )
    return pl.DataFrame(
        {
            "index": frame["i"],
            "first": s["first_name"].gather(first_ix),
            "last": s["last_name"].gather(last_ix),
            "email": local + "@" + domain,
            "phone": phone,
            "city": s["city_name"].gather(city),
            "line1": line1,
            "line2": s["apt"].gather(bits(h4, 13, 8)),
            "zip": s["zips"].gather(city * 16 + bits(h2, 25, 4)),
            "interest": s["interest"].gather(bits(h4, 21, 10)),
        }
    )


@cache
def _series() -> dict[str, pl.Series]:
    """The tables as flat polars Series (two-level tables flattened row-major)."""
    t = tables()
    return {
        "first_pool": pl.Series([p for p, _, _ in t.first], dtype=pl.Int64),
        "first_name": pl.Series([name for _, name, _ in t.first]),
        "first_email": pl.Series([e for _, _, e in t.first]),
        "mix": pl.Series([p for row in t.mix for p in row], dtype=pl.Int64),
        "last_name": pl.Series([name for row in t.last for name, _ in row]),
        "last_email": pl.Series([e for row in t.last for _, e in row]),
        "city": pl.Series(t.city, dtype=pl.Int64),
        "city_name": pl.Series([c.name for c in CITIES]),
        "area": pl.Series(t.area),
        "exchange": pl.Series(t.exchange),
        "line": pl.Series(t.line),
        "streets": pl.Series([s for row in t.streets for s in row]),
        "apt": pl.Series(t.apt),
        "zips": pl.Series([z for row in t.zips for z in row]),
        "domain": pl.Series(t.domain),
        "interest": pl.Series(t.interest, dtype=pl.Int64),
    }


@dataclass(frozen=True, slots=True)
class Details:
    """What the database wants beyond the CSV columns."""

    email2: str  # a second address at another provider for some, "" otherwise
    phone2: str  # a home landline for some, "" otherwise
    mobile: bool  # whether `Identity.phone` is a mobile
    precinct: int  # 1 … city.precincts
    birthdate: dt.date
    language: str  # preferred language other than English, or ""


def identity_details(seed: int, person: Identity) -> Details:
    t = tables()
    i = person.index
    d1, d2, d3 = _words(seed, i, "d", 3)
    city = CITIES[person.city]
    email2 = ""
    if d1 & 0xFF < 38:  # ~15%
        local, domain = person.email.split("@")
        others = [d for d in ("gmail.example", "outlook.example", "yahoo.example") if d != domain]
        email2 = f"{local}@{others[(d1 >> 8) & 1]}"
    phone2 = ""
    if (d1 >> 9) & 0xFF < 26:  # ~10%
        phone2 = f"+1{city.area_code}{t.exchange[d2 & 0x3FF]}{t.line[(d2 >> 10) & 0x3FFF]}"
    return Details(
        email2=email2,
        phone2=phone2,
        mobile=(d1 >> 17) & 0xFF < 200,
        precinct=1 + (d3 & 0xFFFF) % city.precincts,
        birthdate=dt.date.fromordinal(t.birth_year[(d3 >> 16) & 0xFFF] + (d2 >> 24) % 365),
        language=t.language[person.pool][(d1 >> 25) & 0x7F],
    )


def van_id(index: int) -> str:
    """A VAN id per identity: an affine bijection on 8 digits, so ids never collide."""
    return str((index * 7919 + 1234567) % 90_000_000 + 10_000_000)


def precinct_districts(city_index: int, precinct: int) -> tuple[str, str, str]:
    """(precinct label, state senate district, state house district) for a precinct.

    Precincts are laid out in contiguous blocks per House district, and each Senate district
    holds two House districts, as in Iowa.
    """
    city = CITIES[city_index]
    house = city.house[(precinct - 1) * len(city.house) // city.precincts]
    return f"{city.name} {precinct}", f"SD-{(house + 1) // 2}", f"HD-{house}"
