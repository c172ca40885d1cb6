"""Planted duplicates: second records of real people, the way they arise in practice — a nickname
on a petition, a typo at an event sign-in, a new email address, a phone-only call sheet.

Every planted record remembers its original (`PersonPlan.duplicate_of`), which is the ground
truth that duplicate detection is scored against.
"""

from __future__ import annotations

import dataclasses

from ladder.demo.data import NICKNAMES
from ladder.demo.identity import email_part
from ladder.demo.plan import EmailPlan, PersonPlan, PhonePlan, Story

VARIANTS = ("nickname", "typo", "email", "phone")
VOWELS = "aeiou"
OTHER_DOMAINS = ("gmail.example", "yahoo.example", "outlook.example", "icloud.example")


def typo(name: str, story: Story) -> str:
    """One keyboard slip: two letters swapped, one dropped or doubled, or a vowel changed."""
    rng = story.rng
    for _ in range(10):
        k = rng.randrange(1, max(2, len(name) - 1))
        op = rng.randrange(4)
        if op == 0 and k + 1 < len(name):
            out = name[:k] + name[k + 1] + name[k] + name[k + 2 :]
        elif op == 1 and len(name) > 3:
            out = name[:k] + name[k + 1 :]
        elif op == 2:
            out = name[:k] + name[k] + name[k:]
        else:
            vowels = [j for j, c in enumerate(name) if c in VOWELS and j > 0]
            if not vowels:
                continue
            j = rng.choice(vowels)
            out = name[:j] + rng.choice(VOWELS.replace(name[j], "")) + name[j + 1 :]
        if out != name and out[:1].isupper():
            return out
    return name + "e"


def plant_duplicates(story: Story, share: float) -> None:
    rng, people = story.rng, story.plan.people
    count = round(len(people) * share)
    candidates = [p for p in people if p.user is None and (p.email or p.phones)]
    originals = sorted(rng.sample(candidates, min(count, len(candidates))), key=lambda p: p.n)
    for original in originals:
        variant = rng.choice(VARIANTS)
        if variant == "nickname" and original.first not in NICKNAMES:
            variant = "typo"
        if variant == "phone" and not original.phones:
            variant = "email"
        first, last = original.first, original.last
        if variant == "nickname":
            first = rng.choice(NICKNAMES[first])
        elif variant == "typo":
            if rng.random() < 0.7:
                last = typo(last, story)
            else:
                first = typo(first, story)
        copy = PersonPlan(
            n=len(people),
            identity=original.identity,
            first=first,
            last=last,
            birthdate=original.birthdate if rng.random() < 0.4 else None,
            languages="",
            occupation="",
            employer="",
            source="",
            chapter=original.chapter,
            joined=story.between(max(original.joined, story.start), story.now),
            level=0,
            interests=original.interests[:1],
            duplicate_of=original.n,
            variant=variant,
            mobile=original.mobile,
        )
        if variant != "phone":
            # A different address from the same person. "name.<index>" never clashes with a
            # generated address, where the index always follows a letter.
            domain = rng.choice(
                [d for d in OTHER_DOMAINS if not (original.email or "").endswith(d)]
            )
            local = f"{email_part(first)}{email_part(last)}.{original.identity}"
            copy.emails.append(EmailPlan(f"{local}@{domain}", True))
        if original.phones and (variant == "phone" or rng.random() < 0.7):
            copy.phones.append(PhonePlan(original.phones[0].number, original.phones[0].kind, True))
        if original.address and rng.random() < 0.6:
            copy.address = dataclasses.replace(original.address)
        people.append(copy)
        story.plan.duplicates.append((original.n, copy.n, variant))
