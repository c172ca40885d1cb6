"""Quick actions on the profile: each one's happy path, its bad input (the message next to the
field, status 200), scope (404) and who may do it (403)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from ladder.activity.models import Activity
from ladder.people.models import EmailAddress, Person, Phone, Tag
from ladder.people.services import tag_add
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def field_error(page: str, field_id: str) -> str:
    """The error text Django renders for one field (``<ul id="<field>_error">``)."""
    start = page.index(f'id="{field_id}_error"')
    return page[start : page.index("</ul>", start)]


def post(client: Client, person: Person, action: str, data: dict, **kw):  # type: ignore[no-untyped-def]
    return client.post(f"/people/{person.pk}/{action}/", data, **kw)


# ---- notes --------------------------------------------------------------------------------


def test_add_note(staff_client, maria, staff_user):
    response = post(staff_client, maria, "notes", {"note-text": "  Wants a yard sign.  "})
    assert response.status_code == 302 and response["Location"] == f"/people/{maria.pk}/#log"
    note = Activity.objects.get(person=maria, type="note")
    assert note.payload == {"text": "Wants a yard sign."} and note.actor == staff_user
    page = staff_client.get(response["Location"]).content.decode()
    assert "Note added." in page and "Wants a yard sign." in page


def test_blank_note_is_refused_next_to_the_field(staff_client, maria):
    response = post(staff_client, maria, "notes", {"note-text": "   "})
    assert response.status_code == 200
    assert "This field is required." in field_error(response.content.decode(), "id_note-text")
    assert not Activity.objects.filter(person=maria, type="note").exists()


def test_add_note_with_htmx_swaps_panel_timeline_and_message(staff_client, maria):
    response = post(
        staff_client, maria, "notes", {"note-text": "Met at the town hall"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert page.lstrip().startswith('<section id="log-panel"')
    assert 'id="timeline"' in page and 'hx-swap-oob="true"' in page
    assert "Met at the town hall" in page.split('id="timeline"')[1]
    assert 'id="messages"' in page and "Note added." in page


def test_htmx_error_returns_the_panel_with_the_error(staff_client, maria):
    response = post(staff_client, maria, "notes", {"note-text": ""}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200 and page.lstrip().startswith('<section id="log-panel"')
    assert "This field is required." in field_error(page, "id_note-text")
    assert 'id="timeline"' not in page


# ---- contacts -----------------------------------------------------------------------------


def test_log_a_call_with_result_and_notes(staff_client, maria, staff_user):
    when = (timezone.localtime() - dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    response = post(
        staff_client, maria, "contacts",
        {"contact-kind": "call", "contact-result": "talked", "contact-notes": "Will host",
         "contact-occurred_at": when.strftime("%Y-%m-%dT%H:%M")},
    )  # fmt: skip
    assert response.status_code == 302
    call = Activity.objects.get(person=maria, type="call")
    assert call.result == "talked" and call.payload == {"notes": "Will host"}
    assert call.actor == staff_user and call.occurred_at == when
    assert "Call logged: talked." in staff_client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("kind", ["door_knock", "text", "meeting"])
def test_log_doors_texts_and_meetings(staff_client, maria, kind):
    result = "" if kind == "meeting" else "not_home"
    data = {"contact-kind": kind, "contact-result": result}
    assert post(staff_client, maria, "contacts", data).status_code == 302
    assert Activity.objects.get(person=maria, type=kind).result == result


def test_contact_bad_input_is_reported_per_field(staff_client, maria):
    no_result = post(staff_client, maria, "contacts", {"contact-kind": "call"})
    assert no_result.status_code == 200
    assert "Choose what happened" in field_error(no_result.content.decode(), "id_contact-result")
    bad_kind = post(
        staff_client, maria, "contacts", {"contact-kind": "email_sent", "contact-result": "talked"}
    )
    assert "Select a valid choice" in field_error(bad_kind.content.decode(), "id_contact-kind")
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    later = post(
        staff_client, maria, "contacts",
        {"contact-kind": "call", "contact-result": "talked", "contact-occurred_at": future},
    )  # fmt: skip
    assert "in the future" in field_error(later.content.decode(), "id_contact-occurred_at")
    garbage = post(
        staff_client, maria, "contacts",
        {"contact-kind": "call", "contact-result": "talked", "contact-occurred_at": "soon"},
    )  # fmt: skip
    assert "valid date/time" in field_error(garbage.content.decode(), "id_contact-occurred_at")
    assert not Activity.objects.filter(person=maria, type="call").exists()


# ---- tags ---------------------------------------------------------------------------------


def test_add_and_remove_a_tag(staff_client, maria):
    added = post(staff_client, maria, "tags", {"tag-name": "  house   party host "})
    assert added.status_code == 302
    tag = Tag.objects.get(name="house party host")
    assert maria.taggings.filter(tag=tag).exists()
    assert Activity.objects.filter(person=maria, type="tag_added", payload__tag=tag.name).exists()
    removed = post(staff_client, maria, "tags/remove", {"untag-tag": tag.pk})
    assert removed.status_code == 302
    assert not maria.taggings.filter(tag=tag).exists()
    assert "Removed the tag “house party host”." in staff_client.get("/people/").content.decode()


def test_tag_with_htmx_returns_the_tags_panel(staff_client, maria):
    response = post(
        staff_client, maria, "tags", {"tag-name": "rent"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="tags-panel"')
    assert ">rent<" in page.split("</section>")[0] and "Tagged “rent”." in page


def test_removing_an_unknown_tag_says_so(staff_client, maria, person_in_a):
    elsewhere = tag_add(actor=None, person=person_in_a, name="not on maria").tag
    cases = [
        (elsewhere.pk, "That tag is not on this person"),
        (999999, "That tag is not on this person"),
        ("abc", "Enter a whole number."),
    ]
    for value, message in cases:
        response = post(staff_client, maria, "tags/remove", {"untag-tag": value})
        assert response.status_code == 200
        panel = response.content.decode().split('id="tags-panel"')[1].split("</section>")[0]
        alert = panel.split('role="alert"')[1].split("</div>")[0]
        assert message in alert, value
    assert person_in_a.taggings.filter(tag=elsewhere).exists()
    assert maria.taggings.count() == 1


def test_blank_tag_name_is_refused(staff_client, maria):
    response = post(staff_client, maria, "tags", {"tag-name": "   "})
    assert response.status_code == 200
    assert "required" in field_error(response.content.decode(), "id_tag-name")


# ---- fields -------------------------------------------------------------------------------


def test_edit_fields(staff_client, maria):
    data = {
        "edit-first_name": "María", "edit-last_name": "González-Ruiz",
        "edit-birthdate": "1958-04-02", "edit-languages": "English, Spanish",
        "edit-employer": "DMPS", "edit-occupation": "Teacher",
    }  # fmt: skip
    assert post(staff_client, maria, "edit", data).status_code == 302
    maria.refresh_from_db()
    assert (maria.first_name, maria.last_name) == ("María", "González-Ruiz")
    assert maria.birthdate == dt.date(1958, 4, 2) and maria.employer == "DMPS"
    assert maria.sort_name == "gonzález-ruiz maría"


@pytest.mark.parametrize(
    ("birthdate", "message"),
    [
        ("1958-13-45", "Enter a valid date."),
        ("not a date", "Enter a valid date."),
        ("2999-01-01", "cannot be in the future"),
        ("1850-01-01", "before 1900"),
    ],
)
def test_bad_birthdate_is_refused_next_to_the_field(staff_client, maria, birthdate, message):
    data = {"edit-first_name": "Maria", "edit-last_name": "Gonzalez", "edit-birthdate": birthdate}
    response = post(staff_client, maria, "edit", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in field_error(page, "id_edit-birthdate")
    assert '<details class="editor" open>' in page.split('id="details"')[1]
    maria.refresh_from_db()
    assert maria.birthdate is None


def test_a_person_keeps_a_name(staff_client, maria):
    response = post(staff_client, maria, "edit", {"edit-first_name": " ", "edit-last_name": ""})
    assert "Keep at least a first or a last name." in response.content.decode()
    maria.refresh_from_db()
    assert maria.first_name == "Maria"


def test_custom_fields_are_typed_and_saved(staff_client, maria):
    page = staff_client.get(f"/people/{maria.pk}/").content.decode()
    assert 'type="date" name="cf-first_event"' in page
    assert '<select name="cf-support"' in page and '<option value="2" selected>2</option>' in page
    data = {"cf-support": "4", "cf-yard_sign": "no", "cf-first_event": "2025-03-14",
            "cf-dues": "12.50", "cf-shirt": "M"}  # fmt: skip
    assert post(staff_client, maria, "fields", data).status_code == 302
    maria.refresh_from_db()
    assert maria.custom_fields == {
        "support": "4", "yard_sign": False, "first_event": "2025-03-14", "dues": 12.5, "shirt": "M",
    }  # fmt: skip


def test_bad_custom_field_values_are_refused_per_field(staff_client, maria):
    data = {"cf-dues": "twelve", "cf-first_event": "2025-02-31", "cf-support": "9"}
    response = post(staff_client, maria, "fields", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "“twelve” is not a number" in field_error(page, "id_cf-dues")
    assert "is not a date" in field_error(page, "id_cf-first_event")
    assert "Select a valid choice" in field_error(page, "id_cf-support")
    maria.refresh_from_db()
    assert maria.custom_fields == {"support": "2", "yard_sign": True}


# ---- emails and phones ---------------------------------------------------------------------


def test_add_email_and_phone(staff_client, maria):
    email = post(staff_client, maria, "emails", {"email-address": " New@Example.ORG "})
    assert email.status_code == 302
    assert EmailAddress.objects.get(address="new@example.org").person == maria
    phone = post(
        staff_client, maria, "phones",
        {"phone-number": "(641) 555-0100", "phone-kind": "mobile", "phone-do_not_call": "on"},
    )  # fmt: skip
    assert phone.status_code == 302
    added = Phone.objects.get(person=maria, number="+16415550100")
    assert added.do_not_call and added.kind == "mobile"


def test_invalid_email_is_shown_next_to_the_field(staff_client, maria):
    response = post(staff_client, maria, "emails", {"email-address": "maria@@example"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not a usable email address" in field_error(page, "id_email-address")
    field = page.split('name="email-address"')[1].split(">")[0]
    assert 'aria-invalid="true"' in field and 'aria-describedby="id_email-address_error"' in field
    assert '<details class="editor" open>' in page
    assert maria.emails.count() == 2


def test_someone_elses_email_is_refused(staff_client, maria, person_in_a):
    response = post(staff_client, maria, "emails", {"email-address": "alma@example.org"})
    assert response.status_code == 200
    assert "already belongs to someone else" in field_error(
        response.content.decode(), "id_email-address"
    )
    assert EmailAddress.objects.get(address="alma@example.org").person == person_in_a


def test_invalid_phone_is_shown_next_to_the_field(staff_client, maria):
    response = post(staff_client, maria, "phones", {"phone-number": "12", "phone-kind": "home"})
    assert response.status_code == 200
    assert "Not a usable phone number" in field_error(response.content.decode(), "id_phone-number")
    assert maria.phones.count() == 2


# ---- scope and permissions ---------------------------------------------------------------

EVERY_ACTION = [
    ("notes", {"note-text": "x"}),
    ("contacts", {"contact-kind": "call", "contact-result": "talked"}),
    ("tags", {"tag-name": "x"}),
    ("tags/remove", {"untag-tag": "1"}),
    ("edit", {"edit-first_name": "X"}),
    ("fields", {}),
    ("emails", {"email-address": "x@example.org"}),
    ("phones", {"phone-number": "515-555-0111", "phone-kind": "home"}),
]


@pytest.mark.parametrize(("action", "data"), EVERY_ACTION)
def test_leader_gets_404_acting_on_another_groups_person(leader_a, person_in_b, action, data):
    response = post(logged_in(leader_a), person_in_b, action, data)
    assert response.status_code == 404
    assert not Activity.objects.filter(person=person_in_b, type__in=["note", "call"]).exists()


def test_leader_may_act_on_their_own_people(leader_a, person_in_a):
    client = logged_in(leader_a)
    assert post(client, person_in_a, "tags", {"tag-name": "captain"}).status_code == 302
    assert post(client, person_in_a, "notes", {"note-text": "Great 1:1"}).status_code == 302


def test_volunteer_logs_contacts_and_notes_on_assigned_people_only(
    volunteer_user, person_in_a, person_in_b
):
    person_in_a.point_person = volunteer_user
    person_in_a.save()
    client = logged_in(volunteer_user)
    door = {"contact-kind": "door_knock", "contact-result": "talked"}
    assert post(client, person_in_a, "contacts", door).status_code == 302
    assert post(client, person_in_a, "notes", {"note-text": "Yard sign"}).status_code == 302
    assert Activity.objects.filter(person=person_in_a, actor=volunteer_user).count() == 2
    assert post(client, person_in_b, "contacts", door).status_code == 404


@pytest.mark.parametrize(("action", "data"), EVERY_ACTION[2:])
def test_volunteer_may_not_edit_records(volunteer_user, person_in_a, action, data):
    person_in_a.point_person = volunteer_user
    person_in_a.save()
    response = post(logged_in(volunteer_user), person_in_a, action, data)
    assert response.status_code == 403
    person_in_a.refresh_from_db()
    assert person_in_a.first_name == "Alma" and not person_in_a.taggings.exists()


def test_volunteer_profile_hides_edit_forms(volunteer_user, person_in_a):
    person_in_a.point_person = volunteer_user
    person_in_a.save()
    page = logged_in(volunteer_user).get(f"/people/{person_in_a.pk}/").content.decode()
    assert 'name="contact-kind"' in page and 'name="note-text"' in page
    for name in ("tag-name", "edit-first_name", "email-address", "phone-number"):
        assert f'name="{name}"' not in page


def test_actions_are_post_only_and_need_csrf(staff_user, maria):
    client = logged_in(staff_user)
    assert client.get(f"/people/{maria.pk}/notes/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff_user)
    assert post(strict, maria, "notes", {"note-text": "x"}).status_code == 403
