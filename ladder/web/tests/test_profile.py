"""The profile: header, contact points with consent, addresses, tags, custom fields, ids,
stats and the timeline with its filters and keyset "load more"."""

from __future__ import annotations

import datetime as dt
import html as html_lib

import pytest
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.services import activity_record
from ladder.people.services import person_create
from ladder.web.tests.conftest import logged_in
from ladder.web.timeline import decode_cursor, encode_cursor

pytestmark = pytest.mark.django_db


def section(page: str, element_id: str) -> str:
    """The HTML of one profile section, so an assertion cannot pass on text elsewhere."""
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</section>", start)]


def timeline_types(page: str) -> list[str]:
    return [chunk.split('"', 1)[0] for chunk in page.split('class="tl-item" data-type="')[1:]]


def test_profile_shows_contact_points_with_consent(staff_client, maria):
    page = staff_client.get(f"/people/{maria.pk}/").content.decode()
    contact = section(page, "contact-points")
    email_rows = contact.split("<caption>Email</caption>")[1].split("</table>")[0]
    subscribed = email_rows.split("maria@example.org")[1].split("</tr>")[0]
    assert "primary" in subscribed and "Subscribed" in subscribed
    unsubscribed = email_rows.split("maria.g@work.example")[1].split("</tr>")[0]
    assert "Unsubscribed" in unsubscribed
    phone_rows = contact.split("<caption>Phone</caption>")[1].split("</table>")[0]
    home = phone_rows.split("(319) 555-0144")[1].split("</tr>")[0]
    assert "Do not call" in home and "home" in home
    mobile = phone_rows.split("(515) 555-0134")[1].split("</tr>")[0]
    assert "OK to call" in mobile and "No consent recorded" in mobile
    for district in ("IA-03", "17", "34", "DM-12", "12 Grand Ave", "50309"):
        assert district in contact


def test_profile_header_fields_ids_and_stats(staff_client, maria, staff_user):
    maria.point_person = staff_user
    maria.save()
    page = staff_client.get(f"/people/{maria.pk}/").content.decode()
    assert "<h1>Maria Gonzalez</h1>" in page
    head = page.split('class="profile-head')[1].split("</header>")[0]
    assert "Des Moines" in head and "petition: schools" in head and "sam" in head
    assert "school funding" in section(page, "tags-panel")
    fields = section(page, "fields")
    assert "Support score" in fields and ">2<" in fields
    assert "Wants yard sign" in fields and ">Yes<" in fields
    assert "Monthly dues" in fields  # defined but empty: still listed
    assert "VAN" in section(page, "ids") and "100234567" in section(page, "ids")
    stats = section(page, "stats")
    assert "$1,369.00" in stats and "$457.00" in stats and "68" in stats


def test_profile_without_stats_is_blank_not_broken(staff_client, person_in_a):
    response = staff_client.get(f"/people/{person_in_a.pk}/")
    assert response.status_code == 200
    assert "No stats yet" in section(response.content.decode(), "stats")


def test_timeline_shows_every_detail(staff_client, maria, staff_user):
    activity_record(
        person=maria, type=ActivityType.CALL, actor=staff_user, result="left_message",
        payload={"notes": "Call back Tuesday"}, source="phone bank",
    )  # fmt: skip
    timeline = section(staff_client.get(f"/people/{maria.pk}/").content.decode(), "timeline")
    call = timeline.split('data-type="call"')[1].split("</li>")[0]
    assert "Left message" in call and "Call back Tuesday" in call
    assert "we → them" in call and "by sam" in call and "phone bank" in call and "Phone" in call
    donation = timeline.split('data-type="donation"')[1].split("</li>")[0]
    assert "$25.00" in donation and "em-0312" in donation and "they → us" in donation
    survey = timeline.split('data-type="survey_response"')[1].split("</li>")[0]
    assert "Top issue?" in survey and "Rent" in survey
    assert 'title="' in call and "<time datetime=" in call  # absolute date beside relative


def test_timeline_filters_by_type_and_channel(staff_client, maria):
    url = f"/people/{maria.pk}/"
    everything = timeline_types(staff_client.get(url).content.decode())
    assert {"donation", "email_opened", "survey_response", "tag_added"} <= set(everything)
    only_gifts = timeline_types(staff_client.get(url, {"type": "donation"}).content.decode())
    assert only_gifts == ["donation"]
    email = timeline_types(staff_client.get(url, {"channel": "email"}).content.decode())
    assert email == ["email_opened"]
    none = staff_client.get(url, {"type": "donation", "channel": "email"}).content.decode()
    assert timeline_types(none) == [] and "Nothing of that kind yet" in none


def test_timeline_htmx_filter_returns_the_list_only(staff_client, maria):
    response = staff_client.get(
        f"/people/{maria.pk}/timeline/", {"type": "donation"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<ol id="timeline-items"')
    assert timeline_types(page) == ["donation"] and "<html" not in page


def test_timeline_load_more_pages_by_keyset(staff_client, staff_user):
    person = person_create(actor=None, first_name="Tim", last_name="Line")
    now = timezone.now()
    same_moment = now - dt.timedelta(days=30)
    for i in range(60):
        # Ten share one timestamp: the id tiebreak must keep them on exactly one page.
        when = same_moment if i < 10 else now - dt.timedelta(hours=i)
        activity_record(
            person=person, type=ActivityType.NOTE, occurred_at=when, payload={"text": f"n{i}"}
        )
    first = staff_client.get(f"/people/{person.pk}/").content.decode()
    assert len(timeline_types(first)) == 50
    more = html_lib.unescape(first.split('class="tl-more"><a class="btn" href="')[1].split('"')[0])
    assert "before=" in more
    query = dict(p.split("=", 1) for p in more.split("?", 1)[1].split("#")[0].split("&"))
    rest = staff_client.get(
        f"/people/{person.pk}/timeline/", query, headers={"HX-Request": "true"}
    ).content.decode()
    assert not rest.lstrip().startswith("<ol")  # rows to append, not a new list
    assert len(timeline_types(rest)) == 10 and "tl-more" not in rest
    texts = [
        c.split("</p>")[0] for c in (first + rest).split('<span class="muted">Note:</span> ')[1:]
    ]
    assert sorted(texts) == sorted(f"n{i}" for i in range(60))


def test_broken_cursor_and_unknown_type_are_reported(staff_client, maria):
    url = f"/people/{maria.pk}/"
    broken = staff_client.get(url, {"before": "yesterday"})
    assert broken.status_code == 200
    assert "“load more” link is broken" in broken.content.decode()
    huge = staff_client.get(url, {"before": "9" * 30 + "_1"})
    assert huge.status_code == 200 and "link is broken" in huge.content.decode()
    unknown = staff_client.get(url, {"type": "teleport"})
    assert unknown.status_code == 200
    assert "Select a valid choice" in section(unknown.content.decode(), "timeline")
    htmx = staff_client.get(
        f"/people/{maria.pk}/timeline/", {"before": "x_y"}, headers={"HX-Request": "true"}
    )
    assert htmx["HX-Retarget"] == "#timeline-items" and "link is broken" in htmx.content.decode()


def test_cursor_round_trips():
    when = dt.datetime(2025, 3, 14, 15, 9, 26, 535897, tzinfo=dt.UTC)
    assert decode_cursor(encode_cursor((when, 42))) == (when, 42)
    assert encode_cursor(None) == ""
    with pytest.raises(ValueError):
        decode_cursor("12-3")


def test_leader_gets_404_for_a_person_only_in_another_group(leader_a, person_in_a, person_in_b):
    client = logged_in(leader_a)
    assert client.get(f"/people/{person_in_a.pk}/").status_code == 200
    assert client.get(f"/people/{person_in_b.pk}/").status_code == 404
    timeline = client.get(f"/people/{person_in_b.pk}/timeline/", headers={"HX-Request": "true"})
    assert timeline.status_code == 404


def test_recruiter_outside_scope_is_not_named(leader_a, person_in_a, person_in_b, staff_client):
    person_in_a.recruited_by = person_in_b
    person_in_a.save()
    page = logged_in(leader_a).get(f"/people/{person_in_a.pk}/").content.decode()
    assert "Bert" not in page and "someone outside your groups" in page
    staff_page = staff_client.get(f"/people/{person_in_a.pk}/").content.decode()
    assert f'href="/people/{person_in_b.pk}/">Bert Bishop</a>' in staff_page


def test_profile_query_count_is_bounded(staff_client, maria, django_assert_max_num_queries):
    for i in range(30):
        activity_record(person=maria, type=ActivityType.NOTE, payload={"text": f"n{i}"})
    # 20 for the profile, plus the Touches card's four (counts, latest, who knows them, the
    # contact policy): constant, however long the history.
    with django_assert_max_num_queries(24):
        response = staff_client.get(f"/people/{maria.pk}/")
    assert response.status_code == 200
