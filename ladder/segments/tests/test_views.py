"""The segment and list screens through Django's test client: the builder's live preview and its
structural actions, saving, the detail and list pages, exports, uploads — bad input answers
with errors, never a 500 — and scoping: a leader's screens show only their people, and another
leader's segment or list answers 404."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.people.models import Relationship, Tag
from ladder.people.selectors import visible_people
from ladder.people.services import group_add_person, person_create
from ladder.segments.models import Segment, StaticList
from ladder.segments.services import list_from_segment, segment_create
from ladder.segments.tests.universe import build, expected, universe


@pytest.fixture
def cast(two_groups):
    return build({"a": two_groups[0], "b": two_groups[1]})


@pytest.fixture
def education(cast) -> Tag:
    return Tag.objects.get(name="education")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows_post(education: Tag, **extra: object) -> dict[str, object]:
    """The builder's form for the test universe, as the browser posts it."""
    data: dict[str, object] = {
        "match": "all", "mode": "rows", "rows": "0,1,2,3",
        "c0-kind": "address", "c0-field": "region", "c0-values": "IA",
        "c1-kind": "tags", "c1-match": "any", "c1-tags": [str(education.pk)],
        "c2-kind": "stat", "c2-field": "given_365d", "c2-op": "gt", "c2-value": "1000",
        "c2-minus": "on",
        "c3-kind": "activity", "c3-types": ["email_opened"], "c3-measure": "count",
        "c3-op": "eq", "c3-value": "0", "c3-days": "90", "c3-minus": "on",
        "sample_seed": "0",
    }  # fmt: skip
    data.update(extra)
    return data


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


# -- the builder --------------------------------------------------------------------------------


def test_preview_counts_describes_and_lists_the_universe(staff_user, cast, education):
    response = client_for(staff_user).post(
        "/segments/preview/", rows_post(education), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-count="{len(expected(cast))}"' in html
    assert "In region IA, tagged education" in html
    assert "minus no email opened in the last 90 days" in html
    for someone in cast:
        shown = someone.person.display_name in html
        assert shown == (someone.person.pk in expected(cast)), someone.first
    # Out of band: the JSON mirror and an (empty) error slot per row.
    assert 'id="row-err-3"' in html and 'hx-swap-oob="true"' in html
    assert "&quot;given_365d&quot;" in html


def test_preview_of_a_leader_counts_only_their_people(leader_a, cast, education):
    response = client_for(leader_a).post("/segments/preview/", rows_post(education))
    html = response.content.decode()
    visible = set(visible_people(leader_a).values_list("pk", flat=True))
    mine = expected(cast, visible=visible)
    assert f'data-count="{len(mine)}"' in html
    for someone in cast:
        if someone.person.pk in expected(cast) - mine:
            assert someone.person.display_name not in html


def test_preview_puts_errors_next_to_the_row_and_never_fails(staff_user, cast, education):
    client = client_for(staff_user)
    # A value that is not a number: the row says so, the rest still counts.
    response = client.post("/segments/preview/", rows_post(education, **{"c2-value": "lots"}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a number" in html
    assert "1 condition not filled in yet is left out of the count" in html
    # A tag that does not exist is caught by the form's choices.
    response = client.post("/segments/preview/", rows_post(education, **{"c1-tags": ["99999"]}))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "Not valid JSON"),
        ('{"version": 1, "match": {"kind": "all", "of": [{"kind": "nope"}]}}',
         "match.of[0].kind: unknown kind"),
        ('{"version": 2, "match": {"kind": "all", "of": []}}', "version: unsupported version"),
        ("[1, 2]", "must be an object"),
    ],
)  # fmt: skip
def test_json_mode_reports_path_and_message(staff_user, cast, text, message):
    response = client_for(staff_user).post(
        "/segments/preview/", {"mode": "json", "match": "all", "definition_json": text}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'data-count=""' in response.content.decode()


def test_nested_json_is_counted_and_kept_as_json(staff_user, cast, education):
    nested = {"version": 1, "match": {"kind": "all", "of": [
        {"kind": "any", "of": [{"kind": "address", "field": "locality", "values": ["Ames"]},
                               {"kind": "address", "field": "locality", "values": ["Omaha"]}]},
        {"kind": "tags", "match": "any", "tags": [education.pk]}]}}  # fmt: skip
    client = client_for(staff_user)
    data = {"mode": "rows", "match": "all", "rows": "", "definition_json": json.dumps(nested),
            "action": "apply_json"}  # fmt: skip
    response = client.post("/segments/new/", data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="mode" value="json"' in html
    ames_or_omaha = [s for s in cast if s.city in ("Ames", "Omaha") and "education" in s.tags]
    assert f'data-count="{len(ames_or_omaha)}"' in html


def test_apply_json_of_one_level_turns_into_rows(staff_user, cast, education):
    data = {
        "mode": "rows", "match": "all", "rows": "", "action": "apply_json",
        "definition_json": json.dumps(universe(education.pk)),
    }  # fmt: skip
    html = (
        client_for(staff_user).post("/segments/new/", data, HTTP_HX_REQUEST="true").content.decode()
    )
    assert 'name="rows" value="0,1,2,3"' in html
    assert 'name="c2-minus"' in html and 'data-kind="activity"' in html


def test_add_remove_and_one_click_exclusions(staff_user, cast, education):
    client = client_for(staff_user)
    base = {"mode": "rows", "match": "all", "rows": "", "sample_seed": "0"}
    html = client.post(
        "/segments/new/", {**base, "action": "add:tags"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert html.lstrip().startswith('<div id="builder"')  # the partial, not the page
    assert 'name="rows" value="0"' in html and 'name="c0-kind" value="tags"' in html
    html = client.post("/segments/new/", {**base, "action": "exclude:high_dollar"}).content.decode()
    assert "<html" in html  # without htmx the page comes back whole
    assert 'name="c0-kind" value="stat"' in html
    assert 'value="given_365d" selected' in html and 'id="id_c0-minus" checked' in html
    html = client.post(
        "/segments/new/", {**base, "action": "exclude:unsubscribed"}
    ).content.decode()
    donors = [s for s in cast if s.given_within(365) > 1000]
    assert "minus unsubscribed from email" in html.lower()
    data = {**rows_post(education), "action": "remove:2"}
    html = client.post("/segments/new/", data, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="rows" value="0,1,3"' in html
    assert 'name="c2-kind"' not in html
    without_donor_rule = {
        s.person.pk
        for s in cast
        if s.region.strip().lower() == "ia" and "education" in s.tags and s.opened_within(90)
    }
    assert f'data-count="{len(without_donor_rule)}"' in html
    assert donors  # the dataset has donors for the exclusion to remove


def test_save_creates_then_edit_updates(staff_user, cast, education):
    client = client_for(staff_user)
    data = {**rows_post(education), "action": "save", "name": "Education core", "description": "x"}
    response = client.post("/segments/new/", data)
    segment = Segment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/segments/{segment.pk}/"
    assert segment.last_count == 3 and segment.owner == staff_user
    assert segment.definition["match"]["of"][2] == {
        "kind": "not", "of": {"kind": "stat", "field": "given_365d", "op": "gt", "value": 1000}
    }  # fmt: skip
    page = client.get(f"/segments/{segment.pk}/edit/").content.decode()
    assert 'value="Education core"' in page and 'name="rows" value="0,1,2,3"' in page
    data = {**rows_post(education, **{"c0-values": "NE"}), "action": "save", "name": "NE"}
    assert client.post(f"/segments/{segment.pk}/edit/", data).status_code == 302
    segment.refresh_from_db()
    assert segment.name == "NE" and segment.last_count == 1


def test_save_without_a_name_or_with_a_broken_row_is_a_form_error(staff_user, cast, education):
    client = client_for(staff_user)
    response = client.post("/segments/new/", {**rows_post(education), "action": "save"})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    data = {**rows_post(education, **{"c3-days": "-4"}), "action": "save", "name": "X"}
    response = client.post("/segments/new/", data)
    assert response.status_code == 400
    assert "Some conditions are not filled in correctly" in response.content.decode()
    assert not Segment.objects.exists()


def test_volunteers_may_not_use_the_builder(cast):
    volunteer = make_user("vic", Role.VOLUNTEER)
    client = client_for(volunteer)
    assert client.get("/segments/").status_code == 403
    assert client.get("/segments/new/").status_code == 403
    assert client.post("/segments/preview/", {}).status_code == 403


@pytest.fixture
def knowers(two_groups, cast) -> dict[str, set[int]]:
    """Volunteers who know some of the cast: one in group a, one in group b, one in no group, and
    a person in group a without a login (who does not count). Returns who each one knows."""
    by_name = {s.first: s.person for s in cast}
    known = {
        "a": ["Rosa", "June", "Tom"],  # June is in group b, Tom in none
        "b": ["Kim", "Lena"],
        "none": ["Dev"],
        "no login": ["Omar"],
    }
    for label, names in known.items():
        user = None if label == "no login" else make_user(f"knower-{label[:2]}", Role.VOLUNTEER)
        knower = person_create(actor=None, first_name="Knower", last_name=label, user=user)
        if label in ("a", "b", "no login"):
            group = two_groups[0] if label in ("a", "no login") else two_groups[1]
            group_add_person(actor=None, group=group, person=knower)
        for name in names:
            Relationship.objects.create(knower=knower, person=by_name[name])
    return {label: {by_name[n].pk for n in names} for label, names in known.items()}


def known_by_post(*groups: object, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "match": "all", "mode": "rows", "rows": "0", "sample_seed": "0",
        "c0-kind": "known_by", "c0-groups": [str(g) for g in groups],
    }  # fmt: skip
    data.update(extra)
    return data


def test_builder_offers_known_by_a_volunteer_among_the_users_groups(
    leader_a, two_groups, cast, knowers
):
    client = client_for(leader_a)
    page = client.get("/segments/new/").content.decode()
    assert 'value="add:known_by"' in page and "Known by a volunteer" in page
    base = {"mode": "rows", "match": "all", "rows": "", "sample_seed": "0"}
    html = client.post(
        "/segments/new/", {**base, "action": "add:known_by"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'name="c0-kind" value="known_by"' in html and 'name="c0-groups"' in html
    assert f'<option value="{two_groups[0].pk}">' in html
    assert f'<option value="{two_groups[1].pk}">' not in html  # not a group they lead
    # Just added, with no group chosen, it already counts: the leader's people known by anyone.
    visible = set(visible_people(leader_a).values_list("pk", flat=True))
    anyone = knowers["a"] | knowers["b"] | knowers["none"]
    assert f'data-count="{len(anyone & visible)}"' in html
    assert 'id="live-description">Known by a volunteer</p>' in html


def test_preview_counts_people_known_by_a_volunteer(staff_user, two_groups, cast, knowers):
    client = client_for(staff_user)
    group_a, group_b = (g.pk for g in two_groups)
    any_volunteer = knowers["a"] | knowers["b"] | knowers["none"]  # not Omar: no login knows him
    for groups, members in [
        ((), any_volunteer),
        ((group_a,), knowers["a"]),
        ((group_a, group_b), knowers["a"] | knowers["b"]),
    ]:
        response = client.post("/segments/preview/", known_by_post(*groups))
        assert response.status_code == 200
        html = response.content.decode()
        assert f'data-count="{len(members)}"' in html, groups
        assert "&quot;kind&quot;: &quot;known_by&quot;" in html  # the JSON mirror
    assert (
        "Known by a volunteer in Des Moines"
        in client.post("/segments/preview/", known_by_post(group_a)).content.decode()
    )
    # As a "minus" row beside another: known by a volunteer, but not by one in group a.
    data = {
        **known_by_post(), "rows": "0,1", "c1-kind": "known_by",
        "c1-groups": [str(group_a)], "c1-minus": "on",
    }  # fmt: skip
    html = client.post("/segments/preview/", data).content.decode()
    assert f'data-count="{len(any_volunteer - knowers["a"])}"' in html
    assert "Known by a volunteer, minus known by a volunteer in Des Moines" in html
    # Saved, and opened again for editing, it is the same row.
    data = {**known_by_post(group_a), "action": "save", "name": "Friends of A"}
    assert client.post("/segments/new/", data).status_code == 302
    segment = Segment.objects.get()
    assert segment.definition["match"]["of"] == [{"kind": "known_by", "groups": [group_a]}]
    assert segment.last_count == len(knowers["a"])
    page = client.get(f"/segments/{segment.pk}/edit/").content.decode()
    assert 'data-kind="known_by"' in page
    assert f'<option value="{group_a}" selected>' in page


def test_a_leader_counts_their_own_people_known_by_a_volunteer_in_their_group(
    leader_a, two_groups, cast, knowers
):
    visible = set(visible_people(leader_a).values_list("pk", flat=True))
    html = (
        client_for(leader_a)
        .post("/segments/preview/", known_by_post(two_groups[0].pk))
        .content.decode()
    )
    assert f'data-count="{len(knowers["a"] & visible)}"' in html
    assert knowers["a"] - visible  # June and Tom are known in group a but not the leader's


def test_a_leader_cannot_pick_another_groups_volunteers(leader_a, two_groups, cast, knowers):
    client = client_for(leader_a)
    theirs = two_groups[1].pk
    # The row says what is wrong and is left out of the live count; nothing fails.
    response = client.post("/segments/preview/", known_by_post(theirs))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"In groups: Select a valid choice. {theirs} is not one of the available choices" in (
        html
    )
    assert "1 condition not filled in yet is left out of the count" in html
    # Saving refuses it.
    data = {**known_by_post(theirs), "action": "save", "name": "Theirs"}
    response = client.post("/segments/new/", data)
    assert response.status_code == 400
    assert "Some conditions are not filled in correctly" in response.content.decode()
    # So does the JSON, with the place it was named.
    naming = {"version": 1, "match": {"kind": "known_by", "groups": [theirs]}}
    data = {"mode": "json", "match": "all", "definition_json": json.dumps(naming)}
    response = client.post("/segments/preview/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"match.groups[0]: there is no group #{theirs} that you can use" in html
    assert 'data-count=""' in html and "Cedar Rapids" not in html
    data = {**data, "action": "save", "name": "Theirs"}
    assert client.post("/segments/new/", data).status_code == 400
    assert not Segment.objects.exists()


# -- saved segments ---------------------------------------------------------------------------


def test_segment_list_and_detail(staff_user, cast, education):
    segment = segment_create(
        actor=staff_user, name="Education core", definition=universe(education.pk)
    )
    client = client_for(staff_user)
    listing = client.get("/segments/").content.decode()
    assert "Education core" in listing and ">3<" in listing
    page = client.get(f"/segments/{segment.pk}/").content.decode()
    assert 'data-count="3"' in page
    assert "In region IA, tagged education" in page
    for someone in cast:
        assert (someone.person.display_name in page) == (someone.person.pk in expected(cast))


def test_detail_pages_with_keyset_next(staff_user, cast):
    everyone = {"version": 1, "match": {"kind": "all", "of": []}}
    segment = segment_create(actor=staff_user, name="All", definition=everyone)
    client = client_for(staff_user)
    from ladder.segments import views

    views.PAGE_SIZE, old = 4, views.PAGE_SIZE
    try:
        first = client.get(f"/segments/{segment.pk}/").content.decode()
        ids = sorted((s.person.pk for s in cast), reverse=True)
        assert f"?after={ids[3]}" in first
        second = client.get(f"/segments/{segment.pk}/?after={ids[3]}", HTTP_HX_REQUEST="true")
        html = second.content.decode()
        assert html.lstrip().startswith('<div id="people"')
        shown = [s.person.display_name for s in cast if s.person.pk in ids[4:8]]
        assert all(name in html for name in shown)
        assert client.get(f"/segments/{segment.pk}/?after=abc").status_code == 200
    finally:
        views.PAGE_SIZE = old


def test_export_is_the_segment_scoped_and_formula_safe(staff_user, leader_a, cast, education):
    segment = segment_create(actor=leader_a, name="Edu", definition=universe(education.pk))
    rows = csv_rows(client_for(leader_a).get(f"/segments/{segment.pk}/export.csv"))
    visible = set(visible_people(leader_a).values_list("pk", flat=True))
    assert {int(r["id"]) for r in rows} == expected(cast, visible=visible)
    staff_rows = csv_rows(client_for(staff_user).get(f"/segments/{segment.pk}/export.csv"))
    assert {int(r["id"]) for r in staff_rows} == expected(cast)
    eve = next(r for r in staff_rows if "Formula" in r["last_name"])
    assert eve["first_name"] == "'=Eve"
    bad = client_for(staff_user).get(f"/segments/{segment.pk}/export.csv?columns=id,password")
    assert bad.status_code == 400 and "Unknown column" in bad.content.decode()


def test_another_leaders_segment_is_404_everywhere(leader_a, leader_b, cast, education):
    theirs = segment_create(actor=leader_b, name="B's", definition=universe(education.pk))
    client = client_for(leader_a)
    for url in ("/", "/edit/", "/export.csv"):
        assert client.get(f"/segments/{theirs.pk}{url}").status_code == 404, url
    assert client.post(f"/segments/{theirs.pk}/freeze/", {"name": "x"}).status_code == 404
    assert client.post(f"/segments/{theirs.pk}/archive/").status_code == 404
    assert "B&#x27;s" not in client.get("/segments/").content.decode()
    # Naming it in a definition is refused too, with the place it was named.
    naming = {"version": 1, "match": {"kind": "segment", "id": theirs.pk}}
    data = {"mode": "json", "match": "all", "definition_json": json.dumps(naming)}
    html = client.post("/segments/preview/", data).content.decode()
    assert f"match.id: there is no segment #{theirs.pk} that you can use" in html


def test_a_groups_segment_is_shown_to_its_leader_with_their_own_count(
    staff_user, leader_a, two_groups, cast, education
):
    segment = segment_create(actor=staff_user, name="Shared", definition=universe(education.pk),
                             group=two_groups[0])  # fmt: skip
    client = client_for(leader_a)
    listing = client.get("/segments/").content.decode()
    assert "Shared" in listing and "open to count" in listing  # not the staff count
    visible = set(visible_people(leader_a).values_list("pk", flat=True))
    page = client.get(f"/segments/{segment.pk}/").content.decode()
    assert f'data-count="{len(expected(cast, visible=visible))}"' in page
    segment.refresh_from_db()
    assert segment.last_count == 3  # the owner's view was not overwritten


def test_freeze_and_archive(staff_user, cast, education):
    segment = segment_create(actor=staff_user, name="Edu", definition=universe(education.pk))
    client = client_for(staff_user)
    response = client.post(f"/segments/{segment.pk}/freeze/", {"name": "Monday calls"})
    frozen = StaticList.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/lists/{frozen.pk}/"
    assert frozen.size == 3 and frozen.name == "Monday calls"
    assert client.post(f"/segments/{segment.pk}/freeze/", {"name": ""}).status_code == 302
    assert StaticList.objects.count() == 1
    assert client.post(f"/segments/{segment.pk}/archive/").status_code == 302
    assert client.get(f"/segments/{segment.pk}/").status_code == 404
    assert ">Edu</a>" not in client.get("/segments/").content.decode()


# -- lists --------------------------------------------------------------------------------------


def test_list_pages_and_export(staff_user, cast, education):
    segment = segment_create(actor=staff_user, name="Edu", definition=universe(education.pk))
    frozen = list_from_segment(actor=staff_user, name="Monday calls", segment=segment)
    client = client_for(staff_user)
    assert "Monday calls" in client.get("/lists/").content.decode()
    page = client.get(f"/lists/{frozen.pk}/").content.decode()
    assert 'id="list-size">3<' in page and "Frozen from:" in page and "tagged education" in page
    rows = csv_rows(client.get(f"/lists/{frozen.pk}/export.csv"))
    assert {int(r["id"]) for r in rows} == expected(cast)
    member = next(iter(expected(cast)))
    response = client.post(f"/lists/{frozen.pk}/remove/", {"person_id": str(member)})
    assert response.status_code == 302
    frozen.refresh_from_db()
    assert frozen.size == 2
    assert client.post(f"/lists/{frozen.pk}/remove/", {"person_id": "x"}).status_code == 400


def test_list_of_another_leader_is_404_and_shared_lists_show_only_own_people(
    staff_user, leader_a, leader_b, two_groups, cast, education
):
    theirs = list_from_segment(actor=leader_b, name="B list", definition=universe(education.pk))
    client = client_for(leader_a)
    for url in ("/", "/export.csv"):
        assert client.get(f"/lists/{theirs.pk}{url}").status_code == 404
    assert client.post(f"/lists/{theirs.pk}/remove/", {"person_id": "1"}).status_code == 404
    assert "B list" not in client.get("/lists/").content.decode()
    shared = list_from_segment(actor=staff_user, name="Shared", definition=universe(education.pk),
                               group=two_groups[0])  # fmt: skip
    rows = csv_rows(client.get(f"/lists/{shared.pk}/export.csv"))
    visible = set(visible_people(leader_a).values_list("pk", flat=True))
    assert {int(r["id"]) for r in rows} == expected(cast) & visible
    assert "you can see" in client.get(f"/lists/{shared.pk}/").content.decode()


def test_upload_page_pasted_and_file(staff_user, cast):
    client = client_for(staff_user)
    assert client.get("/lists/upload/").status_code == 200
    rosa = cast[0].person
    text = f"{rosa.emails.first().address}\nnobody@example.org\n"
    response = client.post("/lists/upload/", {"name": "Pasted", "kind": "auto", "text": text})
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 of 2 lines matched" in html and "nobody@example.org" in html
    upload = io.BytesIO(f"Email,Name\n{cast[1].email},Dev\nbad-one,X\n".encode())
    upload.name = "list.csv"
    response = client.post("/lists/upload/", {"name": "File", "kind": "auto", "file": upload})
    html = response.content.decode()
    assert "1 of 2 lines matched" in html
    assert '<td class="num">3</td>' in html  # the bad line, numbered with its header
    assert StaticList.objects.filter(name="File", size=1).exists()


def test_upload_bad_input_is_a_form_error(staff_user, cast):
    client = client_for(staff_user)
    response = client.post("/lists/upload/", {"name": "Empty", "kind": "auto", "text": ""})
    assert response.status_code == 400 and "Paste some ids" in response.content.decode()
    response = client.post("/lists/upload/", {"name": "None", "kind": "auto", "text": "x@y.org"})
    assert response.status_code == 400 and "No line matched" in response.content.decode()
    binary = io.BytesIO(b"PK\x03\x04\x00\x00binary")
    binary.name = "list.xlsx"
    response = client.post("/lists/upload/", {"name": "Bin", "kind": "auto", "file": binary})
    assert response.status_code == 400 and "save it as CSV" in response.content.decode()
    response = client.post("/lists/upload/", {"name": "K", "kind": "fax", "text": "1"})
    assert response.status_code == 400
    assert not StaticList.objects.exists()
