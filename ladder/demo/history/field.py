"""The field program: chapter events with shifts, RSVPs, attendance and flakes; canvasses and
phone banks with result codes and survey answers; 1:1s, relational touches and text reminders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ladder.activity.catalogue import ActivityChannel, ActivityType, ContactResult
from ladder.demo.data import (
    CHAPTERS,
    DORMANT_CHAPTER,
    SURVEY_COMMENTS,
    TAG_MAJOR_DONOR,
    TAGS_ISSUES,
)
from ladder.demo.history.touches import tag, theme_note
from ladder.demo.plan import PersonPlan, Story

T = ActivityType
R = ContactResult
SHIFTS = ("Sat 10:00–13:00", "Sat 13:00–16:00")
EVENT_KINDS = (
    ("canvass", "Neighborhood canvass"),
    ("meeting", "Chapter meeting"),
    ("phone_bank", "Phone bank"),
    ("forum", "Town hall on {theme}"),
    ("house_party", "House party at {host}'s"),
    ("canvass", "Weekend of action canvass"),
    ("phone_bank", "Call your legislator phone bank"),
)
# (result, weight) for door knocks and calls; "talked" leads to survey answers.
DOOR_RESULTS: tuple[tuple[str, int], ...] = (
    (R.NOT_HOME, 50),
    (R.TALKED, 28),
    (R.REFUSED, 8),
    (R.MOVED, 5),
    (R.INACCESSIBLE, 8),
    (R.DECEASED, 1),
)
CALL_RESULTS: tuple[tuple[str, int], ...] = (
    (R.NOT_HOME, 33),
    (R.LEFT_MESSAGE, 25),
    (R.TALKED, 26),
    (R.WRONG_NUMBER, 6),
    (R.REFUSED, 7),
    (R.MOVED, 2),
    (R.DECEASED, 1),
)
RSVP_CHANCE = (0.0, 0.015, 0.05, 0.18, 0.35)  # by level
SURVEY = "Issues survey"
# The questions' keys in `ladder.demo.organizing`'s survey, by the words asked.
SURVEY_KEYS = {
    "Support score": "support_score",
    "Top issue": "top_issue",
    "What's on your mind?": "on_your_mind",
}


@dataclass
class Event:
    id: int
    chapter: str
    kind: str
    title: str
    start: dt.datetime
    has_shifts: bool


def chapter_members(story: Story) -> dict[str, list[PersonPlan]]:
    members: dict[str, list[PersonPlan]] = {slug: [] for slug, _ in CHAPTERS}
    for person in story.plan.people:
        if person.chapter and person.duplicate_of is None:
            members[person.chapter].append(person)
    return members


def organizers(story: Story) -> dict[str, list[str]]:
    """Usernames per chapter, leader first."""
    out: dict[str, list[str]] = {}
    for user in story.plan.users:
        out.setdefault(user.chapter, []).append(user.username)
    return out


def schedule(story: Story) -> list[Event]:
    """Every chapter meets about every three weeks; the dormant one stops 46 days ago."""
    rng, events = story.rng, list[Event]()
    members = chapter_members(story)
    for c, (slug, _name) in enumerate(CHAPTERS):
        day = (story.start + dt.timedelta(days=5 + 4 * c)).date()
        k = c
        hosts = [p for p in members[slug] if p.level >= 4]
        end = (
            story.plan.dormant_after
            if slug == DORMANT_CHAPTER
            else story.now - dt.timedelta(days=1)
        )
        while True:
            day += dt.timedelta(days=rng.randint(16, 26))
            day += dt.timedelta(days=(5 - day.weekday()) % 7)  # a Saturday
            kind, title = EVENT_KINDS[k % len(EVENT_KINDS)]
            k += 1
            start = (
                story.local(day, 10)
                if kind in ("canvass", "phone_bank")
                else story.local(day, 18, 30)
            )
            if start >= end:
                break
            host = rng.choice(hosts).first if hosts else "a neighbor"
            title = title.format(theme=TAGS_ISSUES[k % 4], host=host)
            events.append(
                Event(len(events) + 1, slug, kind, title, start, kind in ("canvass", "phone_bank"))
            )
    return events


def events_program(story: Story, events: list[Event]) -> None:
    rng = story.rng
    members = chapter_members(story)
    staff = organizers(story)
    for event in events:
        crew = staff.get(event.chapter, [])
        invited = [p for p in members[event.chapter] if p.level >= 1]
        came: list[PersonPlan] = []
        for person in invited:
            if person.joined > event.start - dt.timedelta(days=3):
                continue
            if rng.random() >= RSVP_CHANCE[person.level]:
                continue
            rsvp_at = event.start - dt.timedelta(
                days=rng.randint(1, 12), minutes=rng.randrange(600)
            )
            payload = {"event": event.title}
            if event.has_shifts:
                payload["shift"] = rng.choice(SHIFTS)
            story.act(
                person.n,
                T.RSVP,
                rsvp_at,
                source="event page",
                object_type="event",
                object_id=event.id,
                payload=payload,
            )
            if person.mobile and crew and rng.random() < 0.5:
                reply = rng.random() < 0.3
                story.act(
                    person.n,
                    T.TEXT,
                    event.start - dt.timedelta(hours=20),
                    actor=crew[0],
                    result=R.TALKED if reply else "",
                    payload={
                        "message": f"Reminder: {event.title} tomorrow!",
                        **({"reply": "See you there!"} if reply else {}),
                    },
                )
            if rng.random() < 0.68 + 0.03 * person.level:
                came.append(person)
                _attend(story, person, event, payload)
            else:
                story.act(
                    person.n,
                    T.NO_SHOW,
                    event.start + dt.timedelta(hours=3),
                    object_type="event",
                    object_id=event.id,
                    payload=payload,
                )
        seen = {p.n for p in came}
        walk_ins = [p for p in invited if p.n not in seen and p.joined < event.start]
        for person in rng.sample(walk_ins, min(len(walk_ins), rng.randint(0, 3))):
            came.append(person)
            _attend(story, person, event, {"event": event.title, "walk_in": True})
        if event.kind == "canvass":
            _contacts(story, event, members[event.chapter], crew, door=True)
        elif event.kind == "phone_bank":
            _contacts(story, event, members[event.chapter], crew, door=False)


def _attend(story: Story, person: PersonPlan, event: Event, payload: dict) -> None:
    story.act(
        person.n,
        T.ATTENDANCE,
        event.start + dt.timedelta(minutes=15),
        object_type="event",
        object_id=event.id,
        payload=payload,
    )
    if event.has_shifts:
        story.act(
            person.n,
            T.SHIFT_COMPLETED,
            event.start + dt.timedelta(hours=3),
            object_type="event",
            object_id=event.id,
            payload={"event": event.title, "shift": payload.get("shift", SHIFTS[0])},
        )


def _contacts(
    story: Story, event: Event, members: list[PersonPlan], crew: list[str], *, door: bool
) -> None:
    """A canvass or phone bank: volunteers work a universe of the chapter's people."""
    rng = story.rng
    if not crew:
        return
    if door:
        # Field staff do not cold-knock major donors.
        universe = [p for p in members if p.address and TAG_MAJOR_DONOR not in p.tags]
        results, kind = DOOR_RESULTS, T.DOOR_KNOCK
    else:
        universe = [p for p in members if p.phones]
        results, kind = CALL_RESULTS, T.CALL
    universe = [p for p in universe if p.joined < event.start]
    codes = [r for r, _ in results]
    weights = [w for _, w in results]
    for person in rng.sample(universe, min(len(universe), rng.randint(25, 60))):
        actor = rng.choice(crew)
        when = event.start + dt.timedelta(minutes=rng.randrange(170))
        result = rng.choices(codes, weights)[0]
        payload = {"program": event.title}
        if not door:
            payload["number"] = person.phones[0].number
        story.act(
            person.n,
            kind,
            when,
            actor=actor,
            result=result,
            object_type="event",
            object_id=event.id,
            payload=payload,
        )
        if result == R.TALKED:
            survey(story, person, when + dt.timedelta(minutes=3), actor, door=door)
        elif result == R.REFUSED and not door and rng.random() < 0.3:
            story.consent(
                person.n,
                "phone",
                person.phones[0].number,
                "opt_out",
                f"call: {event.title}",
                when,
                wording="Asked not to be called.",
            )


def survey(story: Story, person: PersonPlan, when: dt.datetime, actor: str, *, door: bool) -> None:
    """Answers to the issues survey; the latest support score is kept as a custom field."""
    rng = story.rng
    channel = ActivityChannel.DOOR if door else ActivityChannel.PHONE
    score = rng.choices((1, 2, 3, 4, 5), (30 + 5 * person.level, 25, 20, 12, 8))[0]
    issue = rng.choice(person.interests or TAGS_ISSUES)

    def answer(prompt: str, value: str) -> bool:
        return story.act(
            person.n,
            T.SURVEY_RESPONSE,
            when,
            actor=actor,
            channel=channel,
            object_type="survey",
            object_id=1,
            payload={
                "survey": SURVEY,
                "question": SURVEY_KEYS[prompt],
                "prompt": prompt,
                "answer": value,
            },
        )

    if answer("Support score", str(score)):
        person.custom_fields["support_score"] = score
    if answer("Top issue", issue):
        tag(story, person, issue, when + dt.timedelta(seconds=5), actor=actor)
    if rng.random() < 0.3:
        answer("What's on your mind?", rng.choice(SURVEY_COMMENTS[issue]))
    if rng.random() < 0.15:
        story.act(
            person.n,
            T.NOTE,
            when + dt.timedelta(minutes=1),
            actor=actor,
            payload={"text": theme_note(story, person)},
        )


def relational(story: Story) -> None:
    """Leaders hold 1:1s with their core team; volunteers keep up with their neighbours."""
    rng = story.rng
    staff = organizers(story)
    for person in story.plan.people:
        crew = staff.get(person.chapter or "", [])
        if not crew or person.user == crew[0]:
            continue
        late = max(person.joined, story.start)
        if person.level >= 3:
            for _ in range(rng.randint(1, 3)):
                when = story.between(late, story.now)
                story.act(
                    person.n,
                    T.MEETING,
                    when,
                    actor=crew[0],
                    result=R.TALKED,
                    payload={"notes": theme_note(story, person)},
                )
        if person.point_person and person.point_person != crew[0]:
            for _ in range(rng.randint(2, 6)):
                how = rng.choice(("text", "coffee", "phone call", "at church", "at the game"))
                story.act(
                    person.n,
                    T.RELATIONAL_TOUCH,
                    story.between(late, story.now),
                    actor=person.point_person,
                    payload={"how": how},
                )
