"""How people arrived (first touches and the consent they gave), and the quieter parts of a
timeline: tags, social engagement, ladder level changes, staff notes and old merges."""

from __future__ import annotations

import datetime as dt

from ladder.activity.catalogue import ActivityChannel, ActivityType
from ladder.demo.data import FORMS, PETITIONS, TAG_HOST, TAG_VOLUNTEER, THEME_NOTES
from ladder.demo.plan import PersonPlan, PersonRef, Story

T = ActivityType
EMAIL_WORDING = "Yes, send me email updates from Prairie Forward."
SMS_WORDING = (
    "Text me updates from Prairie Forward. Msg & data rates may apply. Reply STOP to stop."
)
OLD_SOURCES = (
    "2022 caucus sign-in sheet",
    "2023 petition: Stop the CAFO expansion",
    "2023 state fair booth",
    "2024 school board forum",
)
# (first touch, weight) for people who joined on their own.
FIRST_TOUCHES = (
    ("petition", 40),
    ("form", 15),
    ("signup", 17),
    ("donation", 10),
    ("event", 8),
    ("social", 10),
)


def tag(
    story: Story, person: PersonPlan, name: str, when: dt.datetime, actor: str | None = None
) -> None:
    """Tag a person at a moment, with its timeline line, once."""
    if name in person.tags:
        return
    if story.act(
        person.n, T.TAG_ADDED, when, actor=actor, object_type="tag", payload={"tag": name}
    ):
        person.tags.append(name)


def petition_sign(
    story: Story, person: PersonPlan, petition: int, when: dt.datetime, refcode: str = ""
) -> None:
    title, theme = PETITIONS[petition]
    payload = {"petition": title, **({"refcode": refcode} if refcode else {})}
    if story.act(
        person.n,
        T.PETITION_SIGNATURE,
        when,
        source=f"petition: {title}",
        object_type="petition",
        object_id=petition + 1,
        payload=payload,
    ):
        tag(story, person, theme, when + dt.timedelta(seconds=1))


def first_touches(story: Story) -> None:
    rng = story.rng
    kinds = [k for k, _ in FIRST_TOUCHES]
    weights = [w for _, w in FIRST_TOUCHES]
    people = story.plan.people
    for person in people:
        when = person.joined
        if person.voter_file:
            person.first_touch = "list"
            continue
        if person.recruited_by is not None:
            recruiter = people[person.recruited_by]
            person.first_touch = "referral"
            story.act(
                person.n,
                T.WEB_SIGNUP,
                when,
                source=person.source,
                payload={
                    "page": "Join Prairie Forward",
                    "refcode": f"ref-{recruiter.n}",
                    "referrer": PersonRef(recruiter.n),
                },
            )
            story.act(
                recruiter.n,
                T.RECRUITED,
                when,
                payload={"recruit": person.name, "recruit_id": PersonRef(person.n)},
            )
        else:
            kind = rng.choices(kinds, weights)[0]
            if kind == "form" and person.level < 3:
                kind = "signup"
            person.first_touch = kind
            if when < story.start:
                person.source = person.source or rng.choice(OLD_SOURCES)
            _first_touch(story, person, kind, when)
        if person.email:
            story.consent(
                person.n,
                "email",
                person.email,
                "opt_in",
                person.source or "website",
                when,
                wording=EMAIL_WORDING,
            )
        if person.phones and person.mobile and rng.random() < 0.3:
            story.consent(
                person.n,
                "sms",
                person.phones[0].number,
                "opt_in",
                person.source or "website",
                when,
                wording=SMS_WORDING,
            )
        for theme in person.interests:
            tag(story, person, theme, story.between(when, story.now))


def _first_touch(story: Story, person: PersonPlan, kind: str, when: dt.datetime) -> None:
    rng = story.rng
    if kind == "petition":
        mine = [k for k, (_, theme) in enumerate(PETITIONS) if theme in person.interests]
        petition = rng.choice(mine or range(len(PETITIONS)))
        person.source = person.source or f"petition: {PETITIONS[petition][0]}"
        petition_sign(story, person, petition, when)
    elif kind == "form":
        form = FORMS[2] if person.level >= 4 else FORMS[0]
        person.source = person.source or f"form: {form}"
        story.act(
            person.n,
            T.FORM_SUBMISSION,
            when,
            source=person.source,
            object_type="form",
            object_id=FORMS.index(form) + 1,
            payload={"form": form},
        )
        tag(story, person, TAG_HOST if form == FORMS[2] else TAG_VOLUNTEER, when)
    elif kind == "signup":
        person.source = person.source or "website"
        story.act(
            person.n,
            T.WEB_SIGNUP,
            when,
            source=person.source,
            payload={"page": "Join Prairie Forward"},
        )
    elif kind == "donation":
        person.source = person.source or "ActBlue"  # the gift itself comes from money.py
    elif kind == "event":
        person.source = person.source or "event sign-in sheet"
        story.act(
            person.n,
            T.ATTENDANCE,
            when,
            source=person.source,
            object_type="event",
            payload={"event": "Community listening session", "walk_in": True},
        )
    else:
        person.source = person.source or "facebook ad"
        theme = person.interests[0] if person.interests else "school funding"
        story.act(
            person.n,
            T.SOCIAL_ENGAGEMENT,
            when,
            source="facebook",
            payload={"platform": "facebook", "action": "clicked ad", "post": theme},
        )
        story.act(
            person.n,
            T.WEB_SIGNUP,
            when + dt.timedelta(minutes=2),
            source=person.source,
            payload={"page": "Join Prairie Forward", "refcode": f"fb-ad-{theme[:5]}"},
        )


def engagement(story: Story) -> None:
    """Volunteer and host forms, social engagement, ladder level changes, notes and merges."""
    rng = story.rng
    for person in story.plan.people:
        late = max(person.joined, story.start)
        if person.level >= 3 and TAG_VOLUNTEER not in person.tags:
            when = story.between(late, story.now)
            story.act(
                person.n,
                T.FORM_SUBMISSION,
                when,
                source=f"form: {FORMS[0]}",
                object_type="form",
                object_id=1,
                payload={"form": FORMS[0]},
            )
            tag(story, person, TAG_VOLUNTEER, when)
        if person.level >= 4 and TAG_HOST not in person.tags:
            when = story.between(late, story.now)
            story.act(
                person.n,
                T.FORM_SUBMISSION,
                when,
                source=f"form: {FORMS[2]}",
                object_type="form",
                object_id=3,
                payload={"form": FORMS[2]},
            )
            tag(story, person, TAG_HOST, when)
        if person.level >= 1 and rng.random() < 0.25:
            for _ in range(rng.randint(1, 6)):
                story.act(
                    person.n,
                    T.SOCIAL_ENGAGEMENT,
                    story.between(late, story.now),
                    source=rng.choice(("facebook", "instagram", "bluesky")),
                    payload={
                        "platform": rng.choice(("facebook", "instagram", "bluesky")),
                        "action": rng.choice(("shared", "commented", "liked")),
                        "post": rng.choice(list(THEME_NOTES)),
                    },
                )
        if person.level >= 1 and rng.random() < 0.04:
            story.act(
                person.n,
                T.NOTE,
                story.between(late, story.now),
                payload={"text": theme_note(story, person)},
            )
        if rng.random() < 0.002:
            story.act(
                person.n,
                T.MERGE,
                story.between(late, story.now),
                channel=ActivityChannel.SYSTEM,
                payload={
                    "merged": "an older record from the 2022 caucus list",
                    "by": "data manager",
                },
            )


def theme_note(story: Story, person: PersonPlan) -> str:
    """A believable note about one of the person's themes, in an organizer's shorthand."""
    rng = story.rng
    theme = rng.choice(person.interests or tuple(THEME_NOTES))
    text = rng.choice(THEME_NOTES[theme])
    return text.format(occ=person.occupation or "Neighbor").replace("Neighbor, ", "")


def ensure_every_type(story: Story) -> None:
    """Rare events (a merge, a refund, a staff note) get one instance even in a small demo, so
    that every activity type of the catalogue shows up on some timeline."""
    seen = {a.type for a in story.plan.activities}
    people = [p for p in story.plan.people if p.duplicate_of is None]
    if not people:
        return
    cutoff = story.plan.cutoff
    engaged = max(people, key=lambda p: (p.level, -p.n))
    some_day = story.between(max(engaged.joined, story.start), cutoff(engaged))
    if T.MERGE not in seen:
        story.act(
            engaged.n,
            T.MERGE,
            some_day,
            payload={"merged": "an older record from the 2022 caucus list", "by": "data manager"},
        )
    if T.NOTE not in seen:
        story.act(engaged.n, T.NOTE, some_day, payload={"text": theme_note(story, engaged)})
    if T.DONATION_REFUND not in seen:
        gift = next(
            (
                a
                for a in story.plan.activities
                if a.type == T.DONATION
                and not a.payload.get("recurring")
                and a.occurred_at + dt.timedelta(days=3) <= cutoff(story.plan.people[a.person])
            ),
            None,
        )
        if gift is not None:
            story.act(
                gift.person,
                T.DONATION_REFUND,
                gift.occurred_at + dt.timedelta(days=3),
                source="actblue",
                amount=gift.amount,
                payload={
                    "receipt_id": gift.payload.get("receipt_id", ""),
                    "reason": "donor request",
                },
            )
    if T.RECURRING_CANCELLED not in seen:
        # A small demo may have no series that stopped: the latest monthly donor stops theirs.
        monthly = [a for a in story.plan.activities if a.payload.get("series")]
        if monthly:
            last = max(monthly, key=lambda a: a.occurred_at)
            stop = last.occurred_at + dt.timedelta(days=5)
            story.act(
                last.person,
                T.RECURRING_CANCELLED,
                min(stop, cutoff(story.plan.people[last.person])),
                source="actblue",
                payload={"processor": "actblue", "series": last.payload["series"],
                         "amount": str(last.amount)},
            )  # fmt: skip
