"""Listening at scale: `ladder.insights.listening.themes_of` over N short texts like the ones
people write (the demo's canvass notes and social posts on its four issues, each with a few
words of its own), beside a floor measured in the same run: TF-IDF alone over the same texts
(the grouping's own cost is the ratio). Reports the time, the memory and each theme's top words,
and how pure the themes are: the share of texts whose theme's biggest issue is their own.

    python -m bench.listening_bench --texts 100000 --out bench/results/listening-100000.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

FILLER = (
    "yesterday", "again", "honestly", "my neighbor too", "since spring", "every week",
    "for years", "at church", "after work", "with my kids", "downtown", "on the east side",
)  # fmt: skip


def texts(n: int, seed: int = 11) -> tuple[list[str], list[str]]:
    """``n`` texts and the issue each was written about."""
    from ladder.demo.data import THEME_NOTES
    from ladder.demo.social import POSTS

    rng = random.Random(seed)
    notes = [(i, t.format(occ="Neighbor")) for i, group in THEME_NOTES.items() for t in group]
    pool = notes + [(i, t) for i, group in POSTS.items() for t in group]
    out, issues = [], []
    for _ in range(n):
        issue, text = rng.choice(pool)
        extra = " ".join(rng.sample(FILLER, rng.randint(0, 3)))
        out.append(f"{text} {extra}".strip())
        issues.append(issue)
    return out, issues


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--themes", type=int, default=10)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ladder.settings")
    import django

    django.setup()
    from sklearn.feature_extraction.text import TfidfVectorizer

    from ladder.insights.listening import themes_of

    said, issues = texts(args.texts)
    started = time.perf_counter()
    TfidfVectorizer(stop_words="english", ngram_range=(1, 2), min_df=2).fit_transform(said)
    floor = time.perf_counter() - started
    started = time.perf_counter()
    words, assigned, _ = themes_of(said, args.themes)
    seconds = time.perf_counter() - started
    by_theme: dict[int, Counter[str]] = {}
    for theme, issue in zip(assigned, issues, strict=True):
        by_theme.setdefault(theme, Counter())[issue] += 1
    pure = sum(c.most_common(1)[0][1] for c in by_theme.values()) / len(said)
    result = {
        "benchmark": "listening",
        "texts": len(said),
        "themes": len(words),
        "seconds": round(seconds, 2),
        "floor_seconds": round(floor, 2),
        "floor": "TfidfVectorizer(stop_words='english', ngram_range=(1, 2), min_df=2) alone",
        "ratio": round(seconds / floor, 2) if floor else None,
        "purity": round(pure, 3),
        "top_words": [w[:5] for w in words],
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "machine": {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    out = Path(args.out or f"bench/results/listening-{args.texts}.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("texts", "seconds", "floor_seconds", "purity",
                                             "max_rss_mb")}))  # fmt: skip


if __name__ == "__main__":
    main()
