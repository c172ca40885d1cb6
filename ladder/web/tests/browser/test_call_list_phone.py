"""A phone bank on a phone: a volunteer works a call list of five people — the script, a
survey answer and a result for each, one person after another — while the organizer's progress
page (polling with htmx) counts them. The phone runs with Ladder's CSP enforced. Screenshots go
to var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.organizing.models import ContactList, ListEntry, Question
from ladder.organizing.services import (
    QuestionPlan,
    contact_list_create,
    script_create,
    survey_create,
)
from ladder.people.services import person_create
from ladder.segments.models import ListMember, StaticList
from ladder.web.tests.browser.test_import_flow import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("var/screenshots")
NAMES = ["Amara", "Bola", "Chidi", "Dayo", "Ebele"]
RESULTS = ["Talked", "Not home", "Talked", "Refused", "Talked"]


def test_a_volunteer_works_five_calls_on_a_phone_and_the_organizer_sees_it(
    phone, page, live_server
):
    organizer = make_user("dana", Role.STAFF)
    volunteer = make_user("vera", Role.VOLUNTEER)
    people = [
        person_create(actor=None, first_name=name, last_name="Okafor",
                      phone=f"515-555-02{n:02d}", email=f"{name.lower()}@example.org")
        for n, name in enumerate(NAMES)
    ]  # fmt: skip
    universe = StaticList.objects.create(name="Tuesday bank", owner=organizer)
    ListMember.objects.bulk_create(ListMember(static_list=universe, person=p) for p in people)
    survey = survey_create(
        actor=organizer, name="Schools",
        questions=[QuestionPlan("What matters most to you?", Question.Kind.SINGLE,
                                ["Education", "Transit"], key="issue",
                                effects={"Education": {"tag": "cares: education"}})],
    )  # fmt: skip
    script = script_create(
        actor=organizer, name="Intro", survey=survey,
        body="Hi {{ first_name | there }}, I'm a volunteer calling about school funding.",
        result_codes=["talked", "not_home", "refused", "wrong_number"],
    )  # fmt: skip
    calls = contact_list_create(
        actor=organizer, name="School funding calls", kind=ContactList.Kind.CALL,
        static_list=universe, script=script, volunteers=[volunteer],
    )  # fmt: skip

    login(page, "dana")
    page.goto(f"/organize/{calls.pk}/")
    assert page.locator("#done-count").inner_text() == "0"

    login(phone, "vera")
    phone.goto("/organize/")
    phone.get_by_role("link", name="Start calling").click()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for n, (name, result) in enumerate(zip(NAMES, RESULTS, strict=True)):
        card = phone.locator("section.work-card")
        assert card.locator("h2").inner_text() == f"{name} Okafor"
        assert f"Hi {name}, I'm a volunteer" in card.locator("blockquote.script").inner_text()
        assert card.get_by_role("link", name=f"Call +15155550{200 + n}").count() == 1
        if result == "Talked":
            card.get_by_label("Education").check()
        card.get_by_label(result, exact=True).check()
        if n == 0:
            phone.screenshot(path=str(SHOTS / "call-list-390.png"), full_page=True)
        card.get_by_role("button", name="Save and next").click()
        phone.wait_for_load_state()
    assert "Nobody left on this list for you." in phone.locator("main").inner_text()

    # The organizer's page was left open: its progress polls every 5 s.
    page.wait_for_function(
        "document.querySelector('#done-count').textContent.trim() === '5'", timeout=12_000
    )
    results = page.locator("#results").inner_text()
    assert "Talked" in results and "Not home" in results and "Refused" in results
    page.screenshot(path=str(SHOTS / "call-list-progress-1366.png"), full_page=True)

    done = dict(ListEntry.objects.filter(contact_list=calls).values_list("person__first_name",
                                                                         "result"))  # fmt: skip
    assert done == {"Amara": "talked", "Bola": "not_home", "Chidi": "talked",
                    "Dayo": "refused", "Ebele": "talked"}  # fmt: skip
    assert Activity.objects.filter(type=ActivityType.CALL, actor=volunteer).count() == 5
    assert Activity.objects.filter(type=ActivityType.SURVEY_RESPONSE).count() == 3
