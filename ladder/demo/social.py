"""Social engagement in the demo: shares, replies and mentions imported from the platforms the
way a listening tool exports them — most from people whose email the organization has (they
match, and their handle is known from then on), some from handles nobody is known by yet (they
wait on the social engagement screen to be linked)."""

from __future__ import annotations

import datetime as dt
import random

from ladder.demo.data import DORMANT_CHAPTER
from ladder.identity.social import Ingested, social_rows_add
from ladder.people.models import EmailAddress

PLATFORMS = ("bluesky", "instagram", "facebook")
ACTIONS = ("shared", "replied", "mentioned us", "commented")
MATCHED, STRANGERS = 60, 12
# What people post, in their own words, on each of the demo's issues.
POSTS: dict[str, tuple[str, ...]] = {
    "school funding": (
        "31 kids in my daughter's class. Fund our schools!",
        "Signed the school funding petition. Our teachers deserve better.",
        "The district cut music again. Who is going to the board meeting?",
    ),
    "rent": (
        "Rent went up 18% this year. Half my paycheck now.",
        "Tenants' meeting Thursday — bring your lease questions.",
        "Nobody should choose between rent and groceries.",
    ),
    "transit": (
        "The 7 bus is how I get to work. Don't cut it.",
        "Two hours each way by bus to the clinic. We need better routes.",
        "Thank you for fighting for night buses!",
    ),
    "water quality": (
        "Boil order again in our town. This is the third time this year.",
        "We can smell the hog confinement from the school playground.",
        "Tested our well: nitrates over the limit. Clean water now.",
    ),
}


def demo_social(*, now: dt.datetime, seed: int) -> Ingested:
    rng = random.Random(seed * 31 + 5)
    # Not the dormant chapter's people: it has been quiet for weeks, and that is its story.
    emails = list(
        EmailAddress.objects.filter(person__merged_into__isnull=True)
        .exclude(person__home_group__slug=DORMANT_CHAPTER)
        .order_by("pk")
        .values_list("address", "person__first_name", "person__last_name")[:2000]
    )
    rows = []
    themes = sorted(POSTS)
    for address, first, last in rng.sample(emails, min(MATCHED, len(emails))):
        handle = f"{first}{last[:1]}{rng.randrange(10, 99)}".lower().replace(" ", "")
        rows.append({"email": address, "handle": handle, "name": f"{first} {last}"})
    for n in range(STRANGERS):
        rows.append({"handle": f"prairie_voice_{n}", "name": rng.choice(("", "Prairie Voice"))})
    out = []
    for n, row in enumerate(rows, start=1):
        theme = rng.choice(themes)
        when = now - dt.timedelta(days=rng.randrange(1, 60), minutes=rng.randrange(0, 1440))
        out.append((n, {
            **row, "platform": rng.choice(PLATFORMS), "action": rng.choice(ACTIONS),
            "text": rng.choice(POSTS[theme]), "occurred_at": when.isoformat(),
            "id": f"demo-{seed}-{n}",
        }))  # fmt: skip
    return social_rows_add(out, source="demo: listening export")


__all__ = ["demo_social"]
