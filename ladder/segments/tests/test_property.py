"""The compiler against the reference evaluator, on generated data and generated trees.

Each example draws a small dataset (people with names, custom fields, tags, groups, point
people, logins and who knows whom, addresses, emails, phones, suppressions, activities, ladder
placements, lists, a merged person or two), writes it with bulk inserts, rebuilds the rollups and
scores, saves two segments (the second may use the first), and then checks several generated
definitions: the compiled SQL (through `segment_people`, and the bare `compile_definition` Q)
must select exactly the people that `reference.evaluate` selects. The dataset lives in a
savepoint that is rolled back after the example, so examples never see each other's rows.

A failure prints the definition and which ids only one side selected; `reference.py` says, rule
by rule, what the specification means.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.db.models import F
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from ladder.activity.models import Activity
from ladder.activity.rollups import rollups_rebuild
from ladder.core.models import Role, User
from ladder.core.testing import make_user
from ladder.people.models import Group, Person
from ladder.people.selectors import visible_people
from ladder.segments.filters import FilterError, compile_definition, parse
from ladder.segments.selectors import segment_people
from ladder.segments.tests import reference
from ladder.segments.tests.reference import Snapshot, evaluate
from ladder.segments.tests.strategies import (
    NOW,
    Fixed,
    build,
    build_fixed,
    datasets,
    definitions,
    leaf_options,
    save_segment,
)

pytestmark = pytest.mark.django_db

TREES_PER_DATASET = 6


def _dump(definition: Any) -> str:
    return json.dumps(definition, indent=1, default=str)


def _members(user: User, definition: dict[str, Any]) -> set[int]:
    try:
        parsed = parse(definition)
    except FilterError as exc:
        pytest.fail(f"parse() rejected a definition the spec allows: {exc}\n{_dump(definition)}")
    assert parse(parsed) == parsed, f"parse() is not idempotent on\n{_dump(definition)}"
    return set(segment_people(user, parsed, now=NOW).values_list("id", flat=True))


def _bare(definition: dict[str, Any], within: Any = None) -> set[int]:
    """The compiled Q of the match alone, over people who were not merged away (and, with
    ``within``, a subquery of ids, over those people only)."""
    parsed = parse({"version": 1, "match": definition["match"]})
    people = Person.objects.filter(merged_into__isnull=True)
    if within is not None:
        people = people.filter(pk__in=within)
    q = compile_definition(parsed, now=NOW, within=within)
    return set(people.filter(q).values_list("id", flat=True))


def _people(snap: Snapshot, ids: set[int]) -> str:
    """Everything the snapshot holds about these people, for a failure message."""
    out = []
    for pid in sorted(ids)[:4]:
        rows = {
            "person": snap.people.get(pid),
            "tags": snap.tags.get(pid),
            "groups": snap.groups.get(pid),
            "known by": {
                k: {"user": snap.people[k]["user_id"], "groups": sorted(snap.groups.get(k, ()))}
                for k in sorted(snap.knowers.get(pid, ()))
            },
            "addresses": snap.addresses.get(pid),
            "emails": snap.emails.get(pid),
            "phones": snap.phones.get(pid),
            "activities": snap.activities.get(pid),
            "stats": snap.stats.get(pid),
            "placements": {f"ladder {k[1]}": v for k, v in snap.placements.items() if k[0] == pid},
        }
        out.append(f"person {pid}: {_dump({k: v for k, v in rows.items() if v})}")
    return "\n".join(out)


def check(
    user: User,
    definition: dict[str, Any],
    snap: Snapshot,
    leader: User | None = None,
    bare: bool = True,
) -> None:
    """segment_people(user) is the reference's answer; with ``bare``, the compiled Q of the
    match alone is the reference's answer without the top-level sample; with ``leader``, the
    leader's segment_people is the visible part."""
    expected = evaluate(definition, snap, NOW)
    event(
        "matches "
        + ("no one" if not expected else "everyone" if expected == _everyone(snap) else "some")
    )
    got = _members(user, definition)
    assert got == expected, (
        f"segment_people disagrees with the reference\n{_dump(definition)}\n"
        f"only the reference: {sorted(expected - got)}\nonly the compiler: {sorted(got - expected)}"
        f"\n{_people(snap, expected ^ got)}"
    )
    if "sample" in definition:
        match_only = evaluate({"version": 1, "match": definition["match"]}, snap, NOW)
    else:
        match_only = expected
    if bare:
        compiled = _bare(definition)
        assert compiled == match_only, (
            f"compile_definition disagrees with the reference\n{_dump(definition['match'])}\n"
            f"only the reference: {sorted(match_only - compiled)}\n"
            f"only the compiler: {sorted(compiled - match_only)}"
        )
        # Narrowed to some of the people (as the worker does for those who just acted), the
        # answer for each of them is the same.
        odd = Person.objects.annotate(half=F("pk") % 2).filter(half=1).values("pk")
        narrowed = _bare(definition, within=odd)
        assert narrowed == {pid for pid in match_only if pid % 2 == 1}, (
            f"compile_definition(within=…) disagrees with the reference\n"
            f"{_dump(definition['match'])}"
        )
    if leader is not None:
        # Scoping holds too: a leader gets the matches they may see (a top-level sample is
        # drawn from those, see segment_people).
        mine = match_only & _visible(leader)
        if "sample" in definition:
            sample = definition["sample"]
            mine = set(reference.sample_order(mine, sample["seed"])[: sample["size"]])
        theirs = _members(leader, definition)
        assert theirs == mine, (
            f"a leader's segment_people is not the visible part of the reference\n"
            f"{_dump(definition)}\nonly the reference: {sorted(mine - theirs)}\n"
            f"only the compiler: {sorted(theirs - mine)}"
        )


def _visible(user: User) -> set[int]:
    return set(visible_people(user).values_list("id", flat=True))


def _everyone(snap: Snapshot) -> set[int]:
    return {pid for pid, p in snap.people.items() if p["merged_into_id"] is None}


# LADDER_PROPERTY_EXAMPLES=2000 for a long local hunt; LADDER_PROPERTY_SHRINK=0 to report
# failures as found (shrinking a dataset takes minutes).
_SHRINK = os.environ.get("LADDER_PROPERTY_SHRINK", "1") != "0"


@settings(
    max_examples=int(os.environ.get("LADDER_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    database=None,  # no .hypothesis/ in the repository; a failure prints its blob instead
    print_blob=True,
    phases=list(Phase) if _SHRINK else [Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_compiled_sql_selects_what_the_reference_selects(
    data: st.DataObject, staff: User, leader: User, fixed: Fixed
) -> None:
    spec = data.draw(datasets(), label="dataset")
    with transaction.atomic():
        world = build(spec, fixed)
        snap = Snapshot.load()
        # Two saved segments; the second may refer to the first.
        for label in ("segment 0", "segment 1"):
            segment = data.draw(definitions(world, snap, 2), label=label)
            snap.segments[save_segment(segment, world)] = segment
        trees = definitions(world, snap, 3)
        # Hypothesis favours some branches of a one_of for a whole run, so each tree also gets
        # a leaf of a kind chosen in turn (from the dataset's seed): every kind, every run.
        kinds = leaf_options(world, snap)
        for n in range(TREES_PER_DATASET):
            tree = data.draw(trees, label=f"tree {n}")
            leaf = data.draw(kinds[(spec.seed + n) % len(kinds)], label=f"leaf {n}")
            shapes = [
                leaf,
                {"kind": "any", "of": [leaf, tree["match"]]},
                {"kind": "all", "of": [tree["match"], {"kind": "not", "of": leaf}]},
                tree["match"],
            ]
            definition = {**tree, "match": shapes[n % len(shapes)]}
            # Leaders' views and the bare Q on some trees only: each is one more query.
            check(
                staff,
                definition,
                snap,
                leader=leader if n % 3 == 0 else None,
                bare=n % 2 == 1 or "sample" in definition,
            )
        transaction.set_rollback(True)


@pytest.fixture
def staff(db) -> User:
    return make_user("prop-staff", Role.STAFF)


@pytest.fixture
def fixed(db) -> Fixed:
    return build_fixed()


@pytest.fixture
def leader(fixed: Fixed) -> User:
    """A leader of the first group: sees its members, and the people they are point person for."""
    user = make_user("prop-leader", Role.LEADER)
    Group.objects.get(pk=fixed.groups[0]).leaders.add(user)
    return user


# ---------------------------------------------------------------------------------------------
# Examples of the semantics that are easiest to get wrong


def _both(user: User, match: dict[str, Any]) -> set[int]:
    """The compiler's answer, after checking that the reference gives the same one."""
    definition = {"version": 1, "match": match}
    got = _members(user, definition)
    assert got == evaluate(definition, Snapshot.load(), NOW)
    return got


def _person(first_name: str, **fields: Any) -> Person:
    return Person.objects.create(first_name=first_name, **fields)


def _activity(person: Person, kind: str, days_ago: float, amount: str | None = None) -> None:
    Activity.objects.create(
        person=person,
        type=kind,
        occurred_at=NOW - dt.timedelta(days=days_ago),
        channel="web",
        direction="in",
        amount=Decimal(amount) if amount is not None else None,
        idempotency_key=f"{person.pk}-{kind}-{days_ago}",
    )


def test_count_zero_includes_people_with_no_activity_at_all(staff: User) -> None:
    quiet = _person("Quiet")
    old_opener = _person("Old")
    recent_opener = _person("Recent")
    _activity(old_opener, "email_opened", 200)
    _activity(recent_opener, "email_opened", 3)
    opened_none = {
        "kind": "activity",
        "types": ["email_opened"],
        "days": 90,
        "op": "eq",
        "value": 0,
    }
    assert _both(staff, opened_none) == {quiet.pk, old_opener.pk}


def test_sum_of_no_gifts_is_zero(staff: User) -> None:
    none = _person("None")
    small = _person("Small")
    _activity(small, "donation", 10, "20")
    under_50 = {
        "kind": "activity",
        "types": ["donation"],
        "measure": "sum",
        "op": "lt",
        "value": 50,
    }
    assert _both(staff, under_50) == {none.pk, small.pk}


def test_min_and_max_of_nothing_never_match(staff: User) -> None:
    _person("No gifts")
    giver = _person("Giver")
    _activity(giver, "donation", 10, "20")
    _activity(giver, "donation", 20, "80")
    for measure, op, value, expected in [
        ("min", "lte", 1_000_000, {giver.pk}),
        ("max", "gte", 0, {giver.pk}),
        ("min", "eq", 20, {giver.pk}),
        ("max", "lt", 80, set()),
    ]:
        condition = {
            "kind": "activity",
            "types": ["donation"],
            "measure": measure,
            "op": op,
            "value": value,
        }
        assert _both(staff, condition) == expected, condition
        # …and "not" of it is everyone else, the giftless included.
        assert _both(staff, {"kind": "not", "of": condition}) == (
            {p.pk for p in Person.objects.all()} - expected
        )


def test_ne_on_a_custom_field_holds_for_people_without_it(staff: User) -> None:
    red = _person("Red", custom_fields={"team": "Red"})
    blue = _person("Blue", custom_fields={"team": "blue"})
    nothing = _person("Nothing")
    empty = _person("Empty", custom_fields={"team": ""})
    assert _both(staff, {"kind": "custom", "key": "team", "op": "ne", "value": "RED"}) == {
        blue.pk,
        nothing.pk,
        empty.pk,
    }
    assert _both(staff, {"kind": "custom", "key": "team", "op": "blank"}) == {nothing.pk, empty.pk}
    assert _both(staff, {"kind": "custom", "key": "team", "op": "eq", "value": "rED"}) == {red.pk}


def test_not_of_an_empty_any_is_everyone_but_the_merged(staff: User) -> None:
    kept = _person("Kept")
    other = _person("Other")
    _person("Gone", merged_into=kept)
    assert _both(staff, {"kind": "not", "of": {"kind": "any", "of": []}}) == {kept.pk, other.pk}
    assert _both(staff, {"kind": "all", "of": []}) == {kept.pk, other.pk}
    assert _both(staff, {"kind": "any", "of": []}) == set()


def test_activity_between_dates_uses_local_calendar_days(staff: User) -> None:
    # 03:30 UTC on 2026-06-02 is the evening of 2026-06-01 in America/Chicago.
    evening = _person("Evening")
    Activity.objects.create(
        person=evening,
        type="attendance",
        occurred_at=dt.datetime(2026, 6, 2, 3, 30, tzinfo=dt.UTC),
        channel="in_person",
        direction="in",
        idempotency_key="evening",
    )
    june_first = {
        "kind": "activity",
        "types": ["attendance"],
        "from": "2026-06-01",
        "to": "2026-06-01",
    }
    june_second = {**june_first, "from": "2026-06-02", "to": "2026-06-02"}
    assert _both(staff, june_first) == {evening.pk}
    assert _both(staff, june_second) == set()


def test_stat_fields_of_people_without_a_stats_row_count_as_zero(staff: User) -> None:
    giver = _person("Giver")
    quiet = _person("Quiet")
    _activity(giver, "donation", 10, "30")
    Activity.objects.update(created_at=NOW - dt.timedelta(hours=1))
    rollups_rebuild(now=NOW)
    from ladder.activity.models import PersonStats

    PersonStats.objects.filter(person=quiet).delete()
    assert _both(staff, {"kind": "stat", "field": "given_total", "op": "lt", "value": 1}) == {
        quiet.pk
    }
    assert _both(staff, {"kind": "stat", "field": "last_gift_at", "op": "never"}) == {quiet.pk}
    assert _both(
        staff, {"kind": "stat", "field": "last_gift_at", "op": "not_within_days", "value": 5}
    ) == {giver.pk, quiet.pk}


def test_top_level_sample_keeps_the_smallest_hashes(staff: User) -> None:
    people = [_person(f"P{i}") for i in range(12)]
    definition = {
        "version": 1,
        "match": {"kind": "all", "of": []},
        "sample": {"size": 4, "seed": 11},
    }
    expected = set(reference.sample_order([p.pk for p in people], 11)[:4])
    assert _members(staff, definition) == expected
    assert evaluate(definition, Snapshot.load(), NOW) == expected


def test_an_empty_all_among_the_members_of_an_any_is_everyone(staff: User) -> None:
    # all of [] holds for everyone, so "A or everyone" is everyone (found by the property test).
    ana = _person("Ana")
    bo = _person("Bo")
    named_ana = {"kind": "field", "field": "first_name", "op": "eq", "value": "ana"}
    everyone = {"kind": "all", "of": []}
    assert _both(staff, {"kind": "any", "of": [named_ana, everyone]}) == {ana.pk, bo.pk}
    assert _both(staff, {"kind": "any", "of": [named_ana, {"kind": "all", "of": [everyone]}]}) == {
        ana.pk,
        bo.pk,
    }


def test_eq_with_a_fraction_never_matches_a_whole_number(staff: User) -> None:
    # No count is 1.5 (found by the property test: the value must not be rounded or cut).
    once = _person("Once")
    _activity(once, "donation", 10, "20")
    Activity.objects.update(created_at=NOW - dt.timedelta(hours=1))
    rollups_rebuild(now=NOW)
    gave_1_5_times = {"kind": "activity", "types": ["donation"], "op": "eq", "value": 1.5}
    assert _both(staff, gave_1_5_times) == set()
    assert _both(staff, {"kind": "stat", "field": "gifts_count", "op": "eq", "value": 1.5}) == set()
    assert _both(staff, {"kind": "stat", "field": "recruits", "op": "eq", "value": 0.5}) == set()
    # Below zero too: every count is more than -0.5, none is at most -0.5.
    quiet = _person("Quiet")
    rollups_rebuild(now=NOW)
    more = {"kind": "stat", "field": "gifts_count", "op": "gt", "value": -0.5}
    assert _both(staff, more) == {once.pk, quiet.pk}
    assert _both(staff, {**more, "op": "lte"}) == set()
    assert _both(staff, {**gave_1_5_times, "op": "lt"}) == {once.pk, quiet.pk}
