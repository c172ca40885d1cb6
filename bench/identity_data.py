"""People with planted duplicates and household traps for the identity benchmark, vectorised.

The demo's identity space (`ladder.demo.identity`) is built for a state-sized organization of
thousands: it has about 230 first names, 210 surnames and 56 postal codes. At a million people
that makes twenty namesakes of everyone, which no real list has, and names would say nothing.
So this module keeps the demo's names as the head of the distribution and draws a long tail
from syllables, rank by rank with probability falling as 1/rank (the shape of real surname
and given-name counts). Postal codes get their last two digits from the person, so there are
a few thousand.

Each planted duplicate is a second record of a real person, the way they arise: a nickname or
a keyboard slip in the name; a new email address, or the same Gmail address with dots and a
plus-tag; the phone written another way; the address abbreviated otherwise, or only a postal
code; and fields missing, as each source collects its own. Household traps are not
duplicates: someone living with a person (same surname, address and often the landline, a
different given name), and a parent of the same name at the same address, born a generation earlier.

The ground truth is the set of (original, duplicate) id pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ladder.demo.data import NICKNAMES
from ladder.demo.identity import identity_frame

ONSETS = ("b", "br", "c", "ch", "d", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n", "p",
          "r", "s", "sh", "st", "t", "th", "v", "w")  # fmt: skip
VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ie", "o", "ou", "a", "e")
CODAS = ("", "n", "r", "l", "s", "t", "m", "k", "nd", "rt", "ss", "ck", "ng", "th")
SYLLABLES = len(ONSETS) * len(VOWELS) * len(CODAS)
STREET_WORDS = {"Ave": "Avenue", "St": "Street", "Rd": "Road", "Dr": "Drive", "Ln": "Lane",
                "Blvd": "Boulevard", "Ct": "Court", "Pl": "Place"}  # fmt: skip
PHONE_SHAPES = ("({a}) {e}-{l}", "{a}.{e}.{l}", "{a}-{e}-{l}", "1 {a} {e} {l}", "{a}{e}{l}")
PLUS_TAGS = ("+petition", "+ladder", "+news", "+events")


@dataclass(frozen=True)
class Records:
    frame: pl.DataFrame  # raw rows: unique_id, first_name, last_name, birthdate, email, …
    truth: set[tuple[int, int]]
    # duplicate id -> the ways it differs from its original ("nickname", "gmail", …)
    kinds: dict[int, tuple[str, ...]]
    households: int


def _syllable(k: np.ndarray) -> np.ndarray:
    onset = np.array(ONSETS)[k % len(ONSETS)]
    vowel = np.array(VOWELS)[(k // len(ONSETS)) % len(VOWELS)]
    coda = np.array(CODAS)[(k // (len(ONSETS) * len(VOWELS))) % len(CODAS)]
    return np.char.add(np.char.add(onset, vowel), coda)


def _tail_names(rng: np.random.Generator, size: int, ranks: int, salt: int) -> np.ndarray:
    """``size`` names drawn with P(rank) ∝ 1/rank over ``ranks`` two-syllable names."""
    rank = np.floor(np.exp(rng.random(size) * np.log(ranks))).astype(np.int64)
    mixed = (rank * 2654435761 + salt) % (SYLLABLES * SYLLABLES)
    return np.char.capitalize(np.char.add(_syllable(mixed % SYLLABLES),
                                          _syllable(mixed // SYLLABLES)))  # fmt: skip


def _typo(rng: np.random.Generator, name: str) -> str:
    k = int(rng.integers(1, max(2, len(name) - 1)))
    op = int(rng.integers(3))
    if op == 0 and k + 1 < len(name):
        return name[:k] + name[k + 1] + name[k] + name[k + 2 :]
    if op == 1 and len(name) > 3:
        return name[:k] + name[k + 1 :]
    return name[:k] + name[k] + name[k:]


def _phone_shape(rng: np.random.Generator, e164: str) -> str:
    digits = e164[-10:]
    shape = PHONE_SHAPES[int(rng.integers(len(PHONE_SHAPES)))]
    return shape.format(a=digits[:3], e=digits[3:6], l=digits[6:])


def _gmail(rng: np.random.Generator, local: str) -> str:
    cut = int(rng.integers(1, max(2, len(local))))
    dotted = local if "." in local else local[:cut] + "." + local[cut:]
    return dotted + (PLUS_TAGS[int(rng.integers(len(PLUS_TAGS)))] if rng.random() < 0.7 else "")


def _street(rng: np.random.Generator, line1: str) -> str:
    words = line1.split()
    if words and words[-1] in STREET_WORDS and rng.random() < 0.6:
        words[-1] = STREET_WORDS[words[-1]]
    out = " ".join(words)
    return out.upper() if rng.random() < 0.3 else out


def people(seed: int, count: int) -> pl.DataFrame:
    """``count`` originals: the demo's identities with a long tail of names, and the fields a
    merged list has (not everyone gave an email, a phone, an address or a birthdate)."""
    rng = np.random.default_rng(seed)
    base = identity_frame(seed, 0, count)
    first = base["first"].to_numpy().astype(object)
    last = base["last"].to_numpy().astype(object)
    # Roughly the shares of the census name files: the two hundred commonest surnames cover
    # about a quarter of people, the two hundred commonest given names about three fifths.
    tail_last = rng.random(count) < 0.72
    last[tail_last] = _tail_names(rng, int(tail_last.sum()), 150_000, 11)
    tail_first = rng.random(count) < 0.4
    first[tail_first] = _tail_names(rng, int(tail_first.sum()), 8_000, 29)
    ids = np.arange(count)
    shapes = rng.integers(4, size=count)
    f_low = np.char.lower(first.astype(str))
    l_low = np.char.lower(np.char.replace(last.astype(str), "'", ""))
    local = np.where(
        shapes == 0, np.char.add(np.char.add(f_low, "."), l_low),
        np.where(shapes == 1, np.char.add(f_low, l_low),
                 np.where(shapes == 2, np.char.add(f_low.astype("<U1"), l_low),
                          np.char.add(l_low, f_low))),
    )  # fmt: skip
    domain = base["email"].str.split("@").list.get(1).to_numpy().astype(str)
    email = np.char.add(np.char.add(np.char.add(local, ids.astype(str)), "@"), domain)
    zip_tail = np.char.zfill((rng.integers(100, size=count)).astype(str), 2)
    postal = np.char.add(base["zip"].to_numpy().astype("<U3"), zip_tail)
    days = rng.integers(-25_000, -6_600, size=count)
    birth = (np.datetime64("2026-01-01") + days).astype("datetime64[D]")
    has = {k: rng.random(count) < p for k, p in
           (("email", 0.85), ("phone", 0.75), ("address", 0.8), ("birthdate", 0.55))}  # fmt: skip
    frame = pl.DataFrame({
        "unique_id": ids,
        "first_name": first.astype(str),
        "last_name": last.astype(str),
        "birthdate": pl.Series(birth).cast(pl.Date),
        "email": email,
        "phone": base["phone"],
        "line1": base["line1"],
        "postal_code": postal,
    })  # fmt: skip
    return frame.with_columns(
        *(pl.when(pl.Series(has[c])).then(pl.col(c)).otherwise(None).alias(c)
          for c in ("email", "phone", "birthdate")),
        line1=pl.when(pl.Series(has["address"])).then(pl.col("line1")).otherwise(None),
    )  # fmt: skip


def records(seed: int, count: int, share: float = 0.02, households: float = 0.02) -> Records:
    """``count`` people, ``share`` of them with a second record, and household traps."""
    rng = np.random.default_rng(seed + 1)
    originals = people(seed, count)
    firsts = originals["first_name"].to_numpy()
    dup_ids = sorted(rng.choice(count, size=round(count * share), replace=False).tolist())
    gmail: dict[int, str] = {}
    out: list[dict] = []
    truth: set[tuple[int, int]] = set()
    kinds: dict[int, tuple[str, ...]] = {}
    next_id = count
    for n, o in zip(dup_ids, originals[dup_ids].rows(named=True), strict=True):
        kind: list[str] = []
        first, last = o["first_name"], o["last_name"]
        r = rng.random()
        if r < 0.25 and first in NICKNAMES:
            first = NICKNAMES[first][int(rng.integers(len(NICKNAMES[first])))]
            kind.append("nickname")
        elif r < 0.5:
            if rng.random() < 0.7:
                last = _typo(rng, last)
            else:
                first = _typo(rng, first)
            kind.append("typo")
        email = None
        r = rng.random()
        if r < 0.2 and o["email"]:
            local, _, _ = o["email"].partition("@")
            gmail[n] = f"{local}@gmail.com"  # the original uses Gmail too
            email = f"{_gmail(rng, local)}@gmail.com"
            kind.append("gmail")
        elif r < 0.55:
            handle = f"{first[:1]}{last}".lower().replace("'", "").replace(" ", "")
            email = f"{handle}{int(rng.integers(10, 10**6))}@mail.example"
            kind.append("new email")
        phone = None
        if o["phone"] and rng.random() < 0.6:
            phone = _phone_shape(rng, o["phone"])
            kind.append("phone")
        line1 = postal = None
        r = rng.random()
        if r < 0.55 and o["line1"]:
            line1, postal = _street(rng, o["line1"]), o["postal_code"]
            kind.append("address")
        elif r < 0.85:
            postal = o["postal_code"]
        birthdate = o["birthdate"] if rng.random() < 0.35 else None
        if sum(x is not None for x in (email, phone, line1, birthdate)) <= 1:
            kind.append("sparse")
        out.append({"unique_id": next_id, "first_name": first, "last_name": last,
                    "birthdate": birthdate, "email": email, "phone": phone, "line1": line1,
                    "postal_code": postal})  # fmt: skip
        truth.add((n, next_id))
        kinds[next_id] = tuple(kind)
        next_id += 1
    traps = 0
    trap_ids = sorted(rng.choice(count, size=round(count * households), replace=False).tolist())
    for o in originals[trap_ids].rows(named=True):
        if not o["line1"]:
            continue
        junior = rng.random() < 0.15 and o["birthdate"] is not None
        if junior:
            first = o["first_name"]
            birthdate = o["birthdate"].replace(year=o["birthdate"].year - 27, day=1)
        else:
            first = str(firsts[int(rng.integers(count))])
            if first == o["first_name"]:
                continue
            birthdate = None
        out.append({
            "unique_id": next_id, "first_name": first, "last_name": o["last_name"],
            "birthdate": birthdate,
            "email": f"{first.lower()}.{o['last_name'].lower()}.home{next_id}@mail.example",
            "phone": o["phone"] if rng.random() < 0.5 else None,
            "line1": o["line1"], "postal_code": o["postal_code"],
        })  # fmt: skip
        next_id += 1
        traps += 1
    changed = originals.with_columns(
        email=pl.col("unique_id").replace_strict(
            gmail, default=pl.col("email"), return_dtype=pl.Utf8
        )
    )
    planted = pl.DataFrame(out, schema=originals.schema)
    return Records(pl.concat([changed, planted]), truth, kinds, traps)


__all__ = ["Records", "people", "records"]
