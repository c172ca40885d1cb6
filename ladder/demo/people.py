"""Who is in Prairie Forward: people, chapters, teams, leaders, recruiters and point persons."""

from __future__ import annotations

import bisect
import datetime as dt

from ladder.demo.data import (
    CHAPTERS,
    CITIES,
    DORMANT_CHAPTER,
    LANGUAGE_CODES,
    OCCUPATIONS,
    ORG_NAME,
    ORG_SLUG,
)
from ladder.demo.identity import identity, identity_details, precinct_districts, van_id
from ladder.demo.plan import (
    AddressPlan,
    EmailPlan,
    GroupPlan,
    PersonPlan,
    PhonePlan,
    Plan,
    Story,
    UserPlan,
)

# Share of people at each engagement level: 0 list only, 1 signer, 2 donor or attendee,
# 3 volunteer, 4 host / leader track.
LEVEL_SHARES = (0.45, 0.28, 0.15, 0.08, 0.04)
VOTER_FILE_SHARE = 0.22


def team_slug(chapter: str) -> str:
    return f"{chapter}-canvass-team"


def build_groups(story: Story) -> None:
    groups = story.plan.groups
    groups.append(GroupPlan(ORG_SLUG, ORG_NAME, "chapter", None))
    for slug, name in CHAPTERS:
        groups.append(GroupPlan(slug, f"{name} chapter", "chapter", ORG_SLUG))
        groups.append(GroupPlan(team_slug(slug), f"{name} canvass team", "team", slug))


def build_people(story: Story, count: int) -> None:
    """Person 0 … count-1 from identities 0 … count-1, with a level, a history start and the
    contact points a real list would have (voter-file people often have no email)."""
    rng, plan = story.rng, story.plan
    seed = plan.seed
    edges = _cumulative(LEVEL_SHARES)
    for n in range(count):
        who = identity(seed, n)
        more = identity_details(seed, who)
        city = CITIES[who.city]
        r = rng.random()
        level = next(k for k, edge in enumerate(edges) if r < edge)
        # Voter-file records are people who never acted: levels 0 and 1 only.
        voter_file = level <= 1 and rng.random() < VOTER_FILE_SHARE / sum(LEVEL_SHARES[:2])
        # A third were on the list before this year; everyone else joined during it.
        if voter_file or rng.random() < 0.33:
            joined = story.between(plan.now - dt.timedelta(days=5 * 365), story.start)
        else:
            joined = story.between(story.start, plan.now - dt.timedelta(days=2))
        person = PersonPlan(
            n=n,
            identity=n,
            first=who.first,
            last=who.last,
            birthdate=more.birthdate,
            languages="",
            occupation="",
            employer="",
            source="",
            chapter=city.chapter,
            joined=joined,
            level=level,
            interests=who.interests,
            voter_file=voter_file,
            mobile=more.mobile,
        )
        if person.chapter == DORMANT_CHAPTER:
            # Keep the dormant chapter's people: they joined before it went quiet.
            person.joined = min(
                joined, plan.dormant_after - dt.timedelta(days=rng.randrange(3, 200))
            )
        if not (voter_file and rng.random() < 0.4):
            person.emails.append(EmailPlan(who.email, True))
            if more.email2:
                person.emails.append(EmailPlan(more.email2, False))
        person.phones.append(PhonePlan(who.phone, "mobile" if more.mobile else "home", True))
        if more.phone2 and more.phone2 != who.phone:
            person.phones.append(PhonePlan(more.phone2, "home", False))
        if voter_file or rng.random() < 0.85:
            label, upper, lower = precinct_districts(who.city, more.precinct)
            person.address = AddressPlan(
                line1=who.line1,
                line2=who.line2,
                locality=city.name,
                postal_code=who.zip,
                county=city.county,
                congressional_district=city.district,
                state_upper_district=upper,
                state_lower_district=lower,
                precinct=label,
                latitude=round(city.lat + rng.uniform(-0.04, 0.04), 5),
                longitude=round(city.lon + rng.uniform(-0.05, 0.05), 5),
            )
        if voter_file:
            person.source = "VAN voter file share"
            person.external_ids.append(("van", van_id(n)))
        elif rng.random() < 0.25:
            person.external_ids.append(("van", van_id(n)))
        if more.language:
            person.languages = f"{LANGUAGE_CODES[more.language]}, en"
            person.custom_fields["preferred_language"] = more.language
        elif rng.random() < 0.5:
            person.languages = "en"
            person.custom_fields["preferred_language"] = "English"
        if rng.random() < 0.4:
            person.occupation, person.employer = rng.choice(OCCUPATIONS)
        plan.people.append(person)


def _cumulative(shares: tuple[float, ...]) -> list[float]:
    out, total = [], 0.0
    for share in shares:
        total += share
        out.append(total)
    out[-1] = 1.0
    return out


def build_organizers(story: Story) -> None:
    """A leader and two volunteers with logins per chapter, a canvass team, point persons."""
    plan, rng = story.plan, story.rng
    by_chapter: dict[str, list[PersonPlan]] = {slug: [] for slug, _ in CHAPTERS}
    for person in plan.people:
        if person.chapter:
            by_chapter[person.chapter].append(person)
    for slug, _name in CHAPTERS:
        members = sorted(by_chapter[slug], key=lambda p: p.joined)
        core = [p for p in members if p.level >= 3 and p.email]
        if len(core) < 3:  # small demos: promote the earliest members with an email
            core = [p for p in members if p.email][:3] or members[:3]
            for person in core:
                person.level = max(person.level, 3)
        if not core:
            continue
        leader = core[0]
        leader.level = 4
        _login(plan, leader, f"lead-{slug}", "leader", slug)
        for k, person in enumerate(core[1:3], start=1):
            _login(plan, person, f"vol-{slug}-{k}", "volunteer", slug)
        for person in members:
            if person.level >= 3:
                person.teams.append(team_slug(slug))
                if person.user is None:
                    person.point_person = leader.user
        # Each volunteer has a short list of neighbours they stay in touch with.
        volunteers = [p.user for p in core[1:3] if p.user]
        others = [p for p in members if p.level < 3 and p.point_person is None]
        for username in volunteers:
            for person in rng.sample(others, min(12, len(others))):
                if person.point_person is None:
                    person.point_person = username


def _login(plan: Plan, person: PersonPlan, username: str, role: str, chapter: str) -> None:
    person.user = username
    plan.users.append(UserPlan(username, role, person.first, person.last, chapter, person.n))


def build_recruiters(story: Story) -> None:
    """Recruiters: one in five people who joined this year were brought in by someone already
    active in their chapter, so chains form (a recruit can recruit in turn)."""
    plan, rng = story.plan, story.rng
    active: dict[str | None, list[PersonPlan]] = {}
    for person in sorted(plan.people, key=lambda p: p.joined):
        pool = active.setdefault(person.chapter, [])
        if person.joined >= story.start and not person.voter_file and pool and rng.random() < 0.2:
            # Prefer people who joined not long before: recruiting is a recent habit.
            keys = [p.joined for p in pool]
            lo = bisect.bisect_left(keys, person.joined - dt.timedelta(days=180))
            candidates = pool[lo:] or pool
            recruiter = rng.choice(candidates)
            person.recruited_by = recruiter.n
            person.source = f"referral: {recruiter.name}"
        if person.level >= 2:
            pool.append(person)
