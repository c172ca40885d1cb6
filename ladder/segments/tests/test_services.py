"""Segment and list services on the real database: saving, counting, freezing, uploading — and
that a leader's universes and lists only ever hold people the leader may see."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ladder.people.models import Person, Tag
from ladder.people.selectors import visible_people
from ladder.people.services import phone_add
from ladder.segments.filters import FilterError
from ladder.segments.models import ListMember, Segment
from ladder.segments.selectors import segment_count
from ladder.segments.services import (
    UploadError,
    definition_check,
    list_add,
    list_from_segment,
    list_remove,
    list_upload,
    segment_archive,
    segment_count_refresh,
    segment_create,
    segment_update,
    upload_values,
)
from ladder.segments.tests.universe import build, expected, universe


@pytest.fixture
def cast(two_groups):
    return build({"a": two_groups[0], "b": two_groups[1]})


@pytest.fixture
def education(cast) -> Tag:
    return Tag.objects.get(name="education")


def ids(people) -> set[int]:
    return set(people.values_list("pk", flat=True))


def test_segment_create_stores_normalised_definition_and_owner_count(staff_user, cast, education):
    segment = segment_create(
        actor=staff_user, name="  Education core ", definition=universe(education.pk)
    )
    segment.refresh_from_db()
    assert segment.name == "Education core"
    assert segment.owner == staff_user
    assert segment.definition["version"] == 1
    assert segment.definition["match"]["of"][3]["of"]["measure"] == "count"  # defaults filled in
    assert segment.last_count == len(expected(cast)) == 3
    assert segment.counted_at is not None


def test_segment_create_rejects_a_bad_definition_with_its_path(staff_user, cast):
    bad = {"version": 1, "match": {"kind": "all", "of": [{"kind": "tags", "match": "some"}]}}
    with pytest.raises(FilterError) as caught:
        segment_create(actor=staff_user, name="Bad", definition=bad)
    assert caught.value.path == "match.of[0].match"
    assert not Segment.objects.exists()


def test_segment_update_recounts_and_refuses_to_include_itself(staff_user, cast, education):
    segment = segment_create(actor=staff_user, name="Edu", definition=universe(education.pk))
    segment_update(actor=staff_user, segment=segment, definition=universe(education.pk, "NE"))
    segment.refresh_from_db()
    assert segment.last_count == 1  # Lena, the one educator in NE who opens her email
    assert segment.definition["match"]["of"][0]["values"] == ["NE"]
    own = {"version": 1, "match": {"kind": "segment", "id": segment.pk}}
    with pytest.raises(FilterError, match="cannot include itself"):
        segment_update(actor=staff_user, segment=segment, definition=own)


def test_segment_count_refresh_counts_as_the_owner_sees(leader_a, staff_user, cast, education):
    segment = segment_create(actor=leader_a, name="Mine", definition=universe(education.pk))
    visible = ids(visible_people(leader_a))
    assert segment.last_count == len(expected(cast, visible=visible))
    # Staff opening it does not turn the stored size into the whole organization's.
    assert segment_count_refresh(actor=staff_user, segment=segment) == segment.last_count
    assert segment_count(staff_user, segment.definition) == len(expected(cast))
    assert len(expected(cast)) > segment.last_count


def test_segment_archive_hides_it(staff_user, cast, education):
    from ladder.segments.selectors import segments_visible

    segment = segment_create(actor=staff_user, name="Edu", definition=universe(education.pk))
    segment_archive(actor=staff_user, segment=segment)
    assert not segments_visible(staff_user).filter(pk=segment.pk).exists()
    assert Segment.objects.get(pk=segment.pk).is_archived


def test_definition_check_refuses_another_leaders_segment_list_and_group(
    leader_a, leader_b, two_groups, cast, education
):
    theirs = segment_create(actor=leader_b, name="B only", definition=universe(education.pk))
    their_list = list_from_segment(actor=leader_b, name="B list", segment=theirs)
    for node, path in [
        ({"kind": "segment", "id": theirs.pk}, "match.of[0].id"),
        ({"kind": "list", "id": their_list.pk}, "match.of[0].id"),
        ({"kind": "groups", "match": "any", "groups": [two_groups[1].pk]}, "match.of[0].groups[0]"),
        ({"kind": "known_by", "groups": [two_groups[1].pk]}, "match.of[0].groups[0]"),
    ]:
        with pytest.raises(FilterError) as caught:
            definition_check(leader_a, {"version": 1, "match": {"kind": "all", "of": [node]}})
        assert caught.value.path == path
    # Their own group and segments are fine.
    mine = {"kind": "groups", "match": "any", "groups": [two_groups[0].pk]}
    assert definition_check(leader_a, {"version": 1, "match": mine})["match"] == mine


def test_list_from_segment_freezes_the_members_set_based(staff_user, cast, education):
    segment = segment_create(actor=staff_user, name="Edu", definition=universe(education.pk))
    frozen = list_from_segment(actor=staff_user, name="Call list", segment=segment)
    members = set(ListMember.objects.filter(static_list=frozen).values_list("person_id", flat=True))
    assert members == expected(cast)
    assert frozen.size == 3 and frozen.origin == "segment"
    assert frozen.definition == segment.definition and frozen.source_segment == segment
    # A list is a snapshot: the segment changes, the list does not.
    segment_update(actor=staff_user, segment=segment, definition=universe(education.pk, "NE"))
    assert ListMember.objects.filter(static_list=frozen).count() == 3


def test_list_from_segment_holds_only_what_the_leader_sees(leader_a, cast, education):
    frozen = list_from_segment(actor=leader_a, name="Mine", definition=universe(education.pk))
    members = set(ListMember.objects.filter(static_list=frozen).values_list("person_id", flat=True))
    visible = ids(visible_people(leader_a))
    assert members == expected(cast, visible=visible)
    assert members and members <= visible


def test_list_from_segment_with_a_top_level_sample(staff_user, cast):
    definition = {
        "version": 1,
        "match": {"kind": "all", "of": []},
        "sample": {"size": 4, "seed": 3},
    }
    frozen = list_from_segment(actor=staff_user, name="Sample", definition=definition)
    assert frozen.size == 4


def test_upload_values_reads_a_header_column_or_the_first_cell():
    values, kind = upload_values("name,Email\nRosa,rosa@example.org\n,\nDev,dev@example.org\n")
    assert kind == "email" and values == [(2, "rosa@example.org"), (4, "dev@example.org")]
    values, kind = upload_values("12\n\n 13 \n")
    assert kind is None and values == [(1, "12"), (3, "13")]


def test_list_upload_matches_ids_emails_phones_and_reports_bad_lines(staff_user, cast):
    rosa, dev, kim = (s.person for s in cast[:3])
    assert rosa and dev and kim
    phone_add(actor=None, person=kim, number="515-555-0134", kind="mobile")
    text = "\n".join([
        "ROSA.Martinez@Example.org ",  # 1: email, case and spaces do not matter
        str(dev.pk),  # 2: id
        "(515) 555-0134",  # 3: phone
        "nobody@example.org",  # 4: unknown email
        "not a thing",  # 5: unusable
        "",  # 6: blank lines are skipped, but count
        "999999",  # 7: no such id
        f"#{dev.pk}",  # 8: the same person again
    ])  # fmt: skip
    result = list_upload(actor=staff_user, name="Pasted", text=text)
    assert result.static_list is not None
    members = set(ListMember.objects.filter(static_list=result.static_list)
                  .values_list("person_id", flat=True))  # fmt: skip
    assert members == {rosa.pk, dev.pk, kim.pk}
    assert result.static_list.size == 3 and result.people == 3
    assert result.lines == 7 and result.matched == 4
    assert [(p.line, p.value) for p in result.problems] == [
        (4, "nobody@example.org"), (5, "not a thing"), (7, "999999")
    ]  # fmt: skip
    assert "no one you can see" in result.problems[0].reason
    assert "not an email" in result.problems[1].reason


def test_list_upload_is_scoped_to_the_leader(leader_a, cast):
    inside = next(s.person for s in cast if s.group == "a")
    outside = next(s.person for s in cast if s.group == "b")
    assert inside and outside
    text = f"{inside.pk}\n{outside.pk}\n{outside.emails.first().address}\n"
    result = list_upload(actor=leader_a, name="Mine", text=text)
    assert result.static_list is not None
    members = list(ListMember.objects.filter(static_list=result.static_list)
                   .values_list("person_id", flat=True))  # fmt: skip
    assert members == [inside.pk]
    assert [p.line for p in result.problems] == [2, 3]


def test_list_upload_refuses_empty_and_makes_nothing_when_nothing_matches(staff_user, cast):
    with pytest.raises(UploadError):
        list_upload(actor=staff_user, name="Empty", text="\n \n")
    result = list_upload(actor=staff_user, name="None", text="nobody@example.org\n")
    assert result.static_list is None and result.problems[0].line == 1
    with pytest.raises(UploadError):
        list_upload(actor=staff_user, name="Kind", text="1", kind="fax")


def test_list_add_and_remove_only_touch_people_the_actor_sees(leader_a, cast):
    inside = [s.person.pk for s in cast if s.group == "a" and s.person]
    outside = [s.person.pk for s in cast if s.group == "b" and s.person]
    result = list_upload(actor=leader_a, name="Mine", text=str(inside[0]))
    static_list = result.static_list
    assert static_list is not None
    assert (
        list_add(actor=leader_a, static_list=static_list, person_ids=inside + outside)
        == len(inside) - 1
    )
    assert set(ListMember.objects.filter(static_list=static_list)
               .values_list("person_id", flat=True)) == set(inside)  # fmt: skip
    assert (
        list_remove(actor=leader_a, static_list=static_list, person_ids=[inside[0], outside[0]])
        == 1
    )
    static_list.refresh_from_db()
    assert static_list.size == len(inside) - 1


def test_counting_is_one_query(staff_user, cast, education, django_assert_num_queries):
    definition = universe(education.pk)
    with django_assert_num_queries(1):
        count = segment_count(staff_user, definition, now=timezone.now())
    assert count == 3
    assert Person.objects.count() == len(cast)


def test_the_demo_saves_its_segments_counted(staff_user):
    from ladder.demo import generate_demo

    generate_demo(seed=3, people=400, duplicates=0)
    segments = {s.name: s for s in Segment.objects.all()}
    named = {"Iowa school-funding universe", "Des Moines volunteer prospects",
             "Event regulars to call", "Lapsed donors to win back"}  # fmt: skip
    assert named <= set(segments)
    # The rest are the universes chapter leaders saved for their call and walk lists.
    for name in set(segments) - named:
        assert name.endswith(": school funding") and segments[name].group is not None
    universe_ = segments["Iowa school-funding universe"]
    assert universe_.owner == staff_user
    assert universe_.last_count == segment_count(staff_user, universe_.definition) > 0
    shared = segments["Des Moines volunteer prospects"]
    assert shared.group is not None and shared.group.slug == "des-moines"
    assert all(s.last_count is not None for s in segments.values())
