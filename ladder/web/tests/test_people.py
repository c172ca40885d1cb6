"""The people search: name/email/phone, tag and group filters, keyset paging, htmx, scope."""

from __future__ import annotations

import html as html_lib
from urllib.parse import parse_qs, urlsplit

import pytest

from ladder.activity.models import PersonStats
from ladder.people.models import Address, Person
from ladder.people.services import group_add_person, person_create, tag_add
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    """The names in the results table, in order."""
    page = response.content.decode()
    found = []
    for chunk in page.split('<th scope="row" data-label="Name"><a href="/people/')[1:]:
        found.append(html_lib.unescape(chunk.split(">", 1)[1].split("</a>", 1)[0]))
    return found


def test_search_by_name_email_and_phone(staff_client, person_in_a, person_in_b):
    assert names(staff_client.get("/people/", {"q": "alma"})) == ["Alma Avery"]
    assert names(staff_client.get("/people/", {"q": "bishop bert"})) == ["Bert Bishop"]
    assert names(staff_client.get("/people/", {"q": "Bert Bishop"})) == ["Bert Bishop"]
    assert names(staff_client.get("/people/", {"q": "alma@"})) == ["Alma Avery"]
    assert names(staff_client.get("/people/", {"q": "(515) 555-0199"})) == ["Bert Bishop"]
    assert names(staff_client.get("/people/", {"q": "nobody-here"})) == []
    assert "Nobody matches" in staff_client.get("/people/", {"q": "zzz"}).content.decode()


def test_columns_show_contact_city_tags_action_and_score(staff_client, maria, person_in_b):
    response = staff_client.get("/people/")
    row = response.content.decode().split(f'href="/people/{maria.pk}/"')[1].split("</tr>")[0]
    assert "maria@example.org" in row
    assert "(515) 555-0134" in row
    assert "Des Moines" in row and "50309" in row
    assert "school funding" in row
    assert ">68<" in row  # engagement score from PersonStats
    # Bert has no stats row at all: his cells are blank, not an error.
    other = response.content.decode().split(f'href="/people/{person_in_b.pk}/"')[1]
    assert "—" in other.split("</tr>")[0]


def test_tag_and_group_filters(staff_client, two_groups, person_in_a, person_in_b):
    tag = tag_add(actor=None, person=person_in_b, name="volunteer prospect").tag
    by_tag = staff_client.get("/people/", {"tag": tag.pk})
    assert names(by_tag) == ["Bert Bishop"]
    by_group = staff_client.get("/people/", {"group": two_groups[0].pk})
    assert names(by_group) == ["Alma Avery"]
    both = staff_client.get("/people/", {"group": two_groups[0].pk, "tag": tag.pk})
    assert names(both) == []
    page = by_tag.content.decode()
    assert f'<option value="{tag.pk}" selected>volunteer prospect</option>' in page


def test_bad_filter_values_get_a_clear_message(staff_client, person_in_a):
    response = staff_client.get("/people/", {"tag": "abc", "group": "999999"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Those filters do not work" in page
    assert "Tag: Select a valid choice" in page and "Group: Select a valid choice" in page
    assert names(response) == []


def test_keyset_paging_with_next_and_back_to_first(staff_client):
    for i in range(60):
        person_create(actor=None, first_name=f"Pat{i:02d}", last_name="Pager")
    first = staff_client.get("/people/", {"q": "pager"})
    first_names = names(first)
    assert len(first_names) == 50
    page = first.content.decode()
    assert "50+ people" in page
    assert "Back to first page" not in page
    next_href = html_lib.unescape(page.split('rel="next" href="')[1].split('"')[0])
    params = parse_qs(urlsplit(next_href).query)
    assert params["q"] == ["pager"] and params["after"]
    second = staff_client.get("/people/", {k: v[0] for k, v in params.items()})
    second_names = names(second)
    assert len(second_names) == 10
    assert not set(first_names) & set(second_names)
    assert len(set(first_names) | set(second_names)) == 60
    page2 = second.content.decode()
    assert "Back to first page" in page2 and 'rel="next"' not in page2
    assert "10 more people" in page2


def test_htmx_request_gets_only_the_results_partial(staff_client, person_in_a):
    response = staff_client.get("/people/", {"q": "alma"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="results"')
    assert "<html" not in page and "Alma Avery" in page
    assert "HX-Request" in response["Vary"]
    # A history restore (the browser's cache missed) needs the whole page again.
    restore = staff_client.get(
        "/people/",
        {"q": "alma"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.content.decode()


def test_export_link_carries_query_filters_and_default_columns(staff_client, two_groups):
    response = staff_client.get("/people/", {"q": "alma", "group": two_groups[0].pk})
    href = html_lib.unescape(response.content.decode().split('class="btn small" href="')[1])
    href = href.split('"')[0]
    url = urlsplit(href)
    assert url.path == "/export/people.csv"
    assert parse_qs(url.query) == {
        "q": ["alma"],
        "group": [str(two_groups[0].pk)],
        "columns": ["id,first_name,last_name,email,phone,postal_code,tags"],
    }


def test_leader_sees_only_their_groups_people_and_groups(
    leader_a, two_groups, person_in_a, person_in_b
):
    client = logged_in(leader_a)
    assert names(client.get("/people/")) == ["Alma Avery"]
    assert names(client.get("/people/", {"q": "bert"})) == []
    assert names(client.get("/people/", {"q": "bert@example.org"})) == []
    assert names(client.get("/people/", {"q": "515 555 0199"})) == []
    page = client.get("/people/").content.decode()
    assert "Des Moines" in page and "Cedar Rapids" not in page  # the group dropdown
    # Asking for the other chapter by id is refused, not silently emptied.
    other = client.get("/people/", {"group": two_groups[1].pk})
    assert "Group: Select a valid choice" in other.content.decode()


def test_volunteer_sees_only_assigned_people(volunteer_user, person_in_a, person_in_b):
    person_in_b.point_person = volunteer_user
    person_in_b.save()
    assert names(logged_in(volunteer_user).get("/people/")) == ["Bert Bishop"]


def _populate(count: int, group) -> None:
    for i in range(count):
        person = person_create(
            actor=None, first_name=f"Q{i}", last_name="Count", email=f"q{i}@example.org",
            phone=f"515-555-{2000 + i:04d}",
        )  # fmt: skip
        Address.objects.create(person=person, locality="Ames", postal_code="50010")
        tag_add(actor=None, person=person, name=f"tag {i % 3}")
        tag_add(actor=None, person=person, name="everyone")
        group_add_person(actor=None, group=group, person=person)
        PersonStats.objects.create(person=person, engagement_score=i)


@pytest.mark.parametrize("role", ["staff", "leader"])
def test_query_count_does_not_grow_with_the_page(
    role, staff_user, leader_a, two_groups, django_assert_max_num_queries
):
    """Every row shows email, phone, address, tags and stats: all prefetched, none per row."""
    _populate(55, two_groups[0])
    client = logged_in(staff_user if role == "staff" else leader_a)
    with django_assert_max_num_queries(14):
        response = client.get("/people/")
    assert len(names(response)) == 50
    assert Person.objects.count() == 55
