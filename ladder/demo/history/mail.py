"""A year of email: two mailings a month with sends, opens, clicks, bounces and unsubscribes
(written to the consent ledger as opt-outs), a finished A/B test, and clicks that turn into
petition signatures and gifts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ladder.activity.catalogue import ActivityType
from ladder.demo.data import CHAPTERS, PETITIONS
from ladder.demo.history.field import Event
from ladder.demo.history.money import draw_amount, gift
from ladder.demo.history.touches import petition_sign
from ladder.demo.plan import PersonPlan, Story

T = ActivityType
OPEN_RATE = (0.12, 0.25, 0.35, 0.45, 0.55)  # by level
FUNDRAISING_SUBJECTS = (
    "Can you chip in $10 before midnight?",
    "We're $2,400 short of our goal",
    "Your gift is matched today",
)
NEWSLETTER_SUBJECTS = (
    "This month at Prairie Forward",
    "What we won this spring",
    "Three things to know before the session",
)
AB_TEST = ("Will you stand up for Iowa kids?", "Our schools can't wait")


@dataclass
class Mailing:
    id: int
    sent_at: dt.datetime
    kind: str  # petition, fundraising, newsletter, event_invite
    subject: str
    chapter: str | None = None
    petition: int | None = None
    variants: tuple[str, ...] = ()
    refcode: str = field(default="")


def mailings(story: Story, events: list[Event]) -> list[Mailing]:
    out: list[Mailing] = []
    kinds = ("petition", "fundraising", "newsletter", "event_invite")
    when = story.local((story.start + dt.timedelta(days=3)).date(), 10)
    while when < story.now - dt.timedelta(days=1):
        k = len(out)
        kind = kinds[k % 4]
        mailing = Mailing(k + 1, when, kind, "", refcode=f"em-{when:%Y%m%d}")
        if k == 5:  # the A/B test, long finished
            mailing.kind, mailing.petition, mailing.variants = "petition", 0, AB_TEST
            mailing.subject = AB_TEST[0]
        elif kind == "petition":
            mailing.petition = (k // 4) % len(PETITIONS)
            mailing.subject = f"Add your name: {PETITIONS[mailing.petition][0]}"
        elif kind == "fundraising":
            mailing.subject = FUNDRAISING_SUBJECTS[(k // 4) % 3]
        elif kind == "newsletter":
            mailing.subject = NEWSLETTER_SUBJECTS[(k // 4) % 3]
        else:
            mailing.chapter = CHAPTERS[(k // 4) % len(CHAPTERS)][0]
            upcoming = [e for e in events if e.chapter == mailing.chapter and e.start > when]
            title = upcoming[0].title if upcoming else "our next chapter meeting"
            mailing.subject = f"You're invited: {title}"
        out.append(mailing)
        when += dt.timedelta(days=15)
    return out


def email_program(story: Story, events: list[Event]) -> None:
    rng = story.rng
    people = [p for p in story.plan.people if p.email and not p.voter_file]
    for person in people:
        if rng.random() < 0.01:
            person.emails[0].status = "bouncing"
    schedule = mailings(story, events)
    first_send = schedule[0].sent_at if schedule else story.now
    if people and not any(
        p.emails[0].status == "bouncing" and p.joined < first_send for p in people
    ):
        # Even a small demo shows one bounce: the person who joined first gets the first send.
        min(people, key=lambda p: p.joined).emails[0].status = "bouncing"
    factor = {p.n: rng.uniform(0.4, 1.6) for p in people}
    gone: set[int] = set()  # unsubscribed or bounced
    signed: set[tuple[int, int]] = set()
    unsubscribed = 0
    last_audience: list[PersonPlan] = []
    last_mailing: Mailing | None = None
    for mailing in schedule:
        audience = [
            p
            for p in people
            if p.n not in gone
            and p.joined < mailing.sent_at
            and (mailing.chapter is None or p.chapter == mailing.chapter)
        ]
        if mailing.variants:
            rng.shuffle(audience)
        test_size = len(audience) // 10
        # One payload per mailing (and variant), shared by its rows: the plan of a large demo
        # holds millions of them, and the loader never changes one.
        shared = {"mailing": mailing.id, "subject": mailing.subject}
        variants: dict[str, dict[str, object]] = {}
        if mailing.variants:
            a, b = mailing.variants  # A wins the test and goes to everyone else
            variants = {
                v: {"mailing": mailing.id, "subject": subject, "variant": v}
                for v, subject in (("A", a), ("B", b), ("winner", a))
            }
        winner_at = mailing.sent_at + dt.timedelta(hours=4)
        for k, person in enumerate(audience):
            sent_at, payload = mailing.sent_at, shared
            if mailing.variants:
                variant = "A" if k < test_size else "B" if k < 2 * test_size else "winner"
                payload = variants[variant]
                if variant == "winner":
                    sent_at = winner_at
            if not story.act(
                person.n,
                T.EMAIL_SENT,
                sent_at,
                object_type="mailing",
                object_id=mailing.id,
                source=mailing.refcode,
                payload=payload,
            ):
                continue
            if person.emails[0].status == "bouncing":
                gone.add(person.n)
                story.act(
                    person.n,
                    T.EMAIL_BOUNCED,
                    sent_at + dt.timedelta(minutes=1),
                    object_type="mailing",
                    object_id=mailing.id,
                    payload={**payload, "bounce": "mailbox full"},
                )
                continue
            if rng.random() >= OPEN_RATE[person.level] * factor[person.n]:
                continue
            opened = sent_at + dt.timedelta(minutes=int(rng.expovariate(1 / 360)) + 1)
            story.act(
                person.n,
                T.EMAIL_OPENED,
                opened,
                object_type="mailing",
                object_id=mailing.id,
                payload=payload,
            )
            if rng.random() < (0.02 if person.level == 0 else 0.005):
                _unsubscribe(story, person, mailing, opened + dt.timedelta(minutes=1))
                unsubscribed += 1
                gone.add(person.n)
                continue
            if rng.random() < 0.15 + 0.05 * person.level:
                clicked = opened + dt.timedelta(minutes=rng.randint(0, 5))
                story.act(
                    person.n,
                    T.EMAIL_CLICKED,
                    clicked,
                    object_type="mailing",
                    object_id=mailing.id,
                    payload={**payload, "url": _url(mailing)},
                )
                _after_click(story, person, mailing, clicked, signed)
        if audience and mailing.chapter is None and not mailing.variants:
            last_audience, last_mailing = audience, mailing
    if not unsubscribed and last_mailing is not None:
        # Even a small demo shows one unsubscribe: a reader of the last statewide mailing.
        when = last_mailing.sent_at + dt.timedelta(hours=2)
        reader = next(
            (p for p in last_audience if p.n not in gone and story.plan.cutoff(p) >= when), None
        )
        if reader is not None:
            _unsubscribe(story, reader, last_mailing, when)


def _url(mailing: Mailing) -> str:
    if mailing.kind == "petition":
        return f"/act/petition-{(mailing.petition or 0) + 1}?refcode={mailing.refcode}"
    if mailing.kind == "fundraising":
        return f"https://secure.actblue.example/donate/prairie-forward?refcode={mailing.refcode}"
    return f"/news/{mailing.refcode}"


def _after_click(
    story: Story,
    person: PersonPlan,
    mailing: Mailing,
    clicked: dt.datetime,
    signed: set[tuple[int, int]],
) -> None:
    rng = story.rng
    if mailing.kind == "petition" and mailing.petition is not None:
        key = (person.n, mailing.petition)
        if key not in signed and rng.random() < 0.45:
            signed.add(key)
            petition_sign(
                story,
                person,
                mailing.petition,
                clicked + dt.timedelta(minutes=2),
                refcode=mailing.refcode,
            )
    elif mailing.kind == "fundraising" and rng.random() < 0.2:
        gift(
            story,
            person,
            clicked + dt.timedelta(minutes=3),
            draw_amount(story, 27, 0.8, 5, 500),
            refcode=mailing.refcode,
        )


def _unsubscribe(story: Story, person: PersonPlan, mailing: Mailing, when: dt.datetime) -> None:
    address = person.emails[0].address
    if story.act(
        person.n,
        T.EMAIL_UNSUBSCRIBED,
        when,
        object_type="mailing",
        object_id=mailing.id,
        payload={"mailing": mailing.id, "address": address},
    ):
        story.consent(
            person.n,
            "email",
            address,
            "opt_out",
            f"unsubscribe link: {mailing.subject}",
            when,
            wording="Unsubscribed from all email.",
        )
