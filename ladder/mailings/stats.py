"""The variant test's statistics: each variant's rate with a 95% credible interval, and the
probability that it is the best, from Beta posteriors (a uniform prior on each rate).

Bayesian rather than a significance test because the question organizers ask is "which is
best, and how sure are we?", asked again every few minutes while results arrive; a posterior
answers it directly and does not need a sample size fixed in advance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Q
from scipy.stats import beta

from ladder.mailings.models import Delivery, Mailing, Variant

DRAWS = 20_000
# Below this many sent per variant a confident early call is noise: wait for the clock.
MIN_SENT_EARLY = 100


@dataclass(frozen=True)
class VariantResult:
    variant: Variant
    sent: int
    successes: int
    rate: float
    low: float
    high: float
    p_best: float


@dataclass(frozen=True)
class Decision:
    variant: Variant
    note: str


def _success(metric: str) -> Q:
    if metric == Mailing.Metric.ACTIONS:
        return Q(acted_at__isnull=False)
    if metric == Mailing.Metric.GIFTS:
        return Q(gifts__gt=0)
    return Q(clicked_at__isnull=False)


def variant_report(mailing: Mailing, *, test_only: bool = True) -> list[VariantResult]:
    rows = Delivery.objects.filter(mailing=mailing, state=Delivery.State.SENT)
    if test_only and mailing.variants.count() > 1:
        rows = rows.filter(in_test=True)
    counts = {
        r["variant_id"]: (r["sent"], r["wins"])
        for r in rows.values("variant_id")
        .order_by()
        .annotate(sent=Count("id"), wins=Count("id", filter=_success(mailing.metric)))
    }
    variants = list(mailing.variants.select_related("sender"))
    if not variants:
        return []
    sent = np.array([counts.get(v.pk, (0, 0))[0] for v in variants], dtype=float)
    wins = np.array([counts.get(v.pk, (0, 0))[1] for v in variants], dtype=float)
    a, b = 1 + wins, 1 + sent - wins
    low, high = beta.ppf(0.025, a, b), beta.ppf(0.975, a, b)
    rng = np.random.default_rng(mailing.pk)  # the same report every time it is drawn
    draws = rng.beta(a, b, size=(DRAWS, len(variants)))
    best = np.bincount(draws.argmax(axis=1), minlength=len(variants)) / DRAWS
    return [
        VariantResult(
            variant=v,
            sent=int(sent[i]),
            successes=int(wins[i]),
            rate=float(wins[i] / sent[i]) if sent[i] else 0.0,
            low=float(low[i]),
            high=float(high[i]),
            p_best=float(best[i]),
        )
        for i, v in enumerate(variants)
    ]


def decide(mailing: Mailing, now: dt.datetime) -> Decision | None:
    """The winner, once the rule is confident or the test's time is up; else None."""
    results = variant_report(mailing)
    if not results:
        return None
    leader = max(results, key=lambda r: (r.p_best, r.rate, -r.variant.pk))
    started = mailing.test_started_at or mailing.started_at or now
    time_up = now - started >= dt.timedelta(hours=float(mailing.test_hours))
    enough = min(r.sent for r in results) >= MIN_SENT_EARLY
    metric = mailing.get_metric_display().lower()
    if enough and leader.p_best >= mailing.confidence:
        return Decision(
            leader.variant,
            f"{leader.variant.label} is best on {metric} with probability "
            f"{leader.p_best:.1%} (rule: {mailing.confidence:.0%}); decided early.",
        )
    if time_up:
        return Decision(
            leader.variant,
            f"Test time ({mailing.test_hours} h) is up; {leader.variant.label} led on "
            f"{metric} with probability {leader.p_best:.1%} of being best.",
        )
    return None
