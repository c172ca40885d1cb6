"""A walk list on a weak connection: a canvasser takes a packet of doors out on a phone, the
network drops mid-list, the answers given meanwhile wait in the page, and when it returns every
answer arrives exactly once — none lost, none recorded twice (a resend after a lost reply is
answered as already recorded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.organizing.models import ContactList, ListEntry
from ladder.organizing.services import contact_list_create, script_create
from ladder.people.models import Address
from ladder.people.services import person_create
from ladder.segments.models import ListMember, StaticList
from ladder.web.tests.browser.test_import_flow import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("var/screenshots")
DOORS = [
    ("Ada", "3 Maple St"),
    ("Ben", "7 Maple St"),
    ("Cal", "8 Maple St"),
    ("Dot", "14 Maple St"),
]


def done() -> int:
    return ListEntry.objects.filter(state=ListEntry.State.DONE).count()


def answer(page, name: str, result: str) -> None:  # type: ignore[no-untyped-def]
    card = page.locator("section.work-card", has_text=name)
    card.get_by_label(result, exact=True).check()
    card.get_by_role("button", name="Save").click()
    entry = card.get_attribute("data-entry")
    page.wait_for_function(
        f"document.querySelector('section[data-entry=\"{entry}\"]').dataset.state === 'saved'"
    )


def test_answers_given_offline_arrive_exactly_once(browser, live_server):
    organizer = make_user("dana", Role.STAFF)
    canvasser = make_user("vera", Role.VOLUNTEER)
    people = []
    for name, line1 in DOORS:
        person = person_create(actor=None, first_name=name, last_name="Walker",
                               email=f"{name.lower()}@example.org")  # fmt: skip
        Address.objects.create(person=person, line1=line1, postal_code="50309", is_primary=True)
        people.append(person)
    turf = StaticList.objects.create(name="Maple turf", owner=organizer)
    ListMember.objects.bulk_create(ListMember(static_list=turf, person=p) for p in people)
    script = script_create(actor=organizer, name="Doors", body="Hi {{ first_name }}!",
                           result_codes=["talked", "not_home", "refused"])  # fmt: skip
    walk = contact_list_create(
        actor=organizer, name="Maple Saturday", kind=ContactList.Kind.WALK, static_list=turf,
        script=script, volunteers=[canvasser],
    )  # fmt: skip

    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        base_url=live_server.url, bypass_csp=True,
    )  # fmt: skip
    phone = context.new_page()
    phone.set_default_timeout(15_000)
    login(phone, "vera")
    phone.goto(f"/organize/{walk.pk}/work/")
    cards = phone.locator("section.work-card h2")
    assert cards.all_inner_texts() == [f"{name} Walker" for name, _ in DOORS]  # walking order

    answer(phone, "Ada", "Talked")
    answer(phone, "Ben", "Not home")
    phone.wait_for_function("document.querySelector('#queue-status').dataset.waiting === '0'")
    assert done() == 2

    context.set_offline(True)
    answer(phone, "Cal", "Refused")
    answer(phone, "Dot", "Talked")
    status = phone.locator("#queue-status")
    assert status.get_attribute("data-waiting") == "2"
    assert "2 answers waiting for the network" in status.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / "walk-list-offline-390.png"), full_page=True)
    phone.wait_for_timeout(3500)  # a retry or two while offline: nothing gets through
    assert done() == 2

    # Back online, with one answer queued twice over (as if its reply had been lost and the
    # page sent it again): each still counts once.
    phone.evaluate(
        """() => {
          const key = Object.keys(localStorage).find((k) => k.startsWith('ladder-walk-queue:'));
          const queue = JSON.parse(localStorage.getItem(key));
          queue.push({...queue[0], id: queue[0].id + ':again'});
          localStorage.setItem(key, JSON.stringify(queue));
        }"""
    )
    context.set_offline(False)
    phone.wait_for_function("document.querySelector('#queue-status').dataset.waiting === '0'")
    assert done() == 4
    results = dict(ListEntry.objects.values_list("person__first_name", "result"))
    assert results == {"Ada": "talked", "Ben": "not_home", "Cal": "refused", "Dot": "talked"}
    assert Activity.objects.filter(type=ActivityType.DOOR_KNOCK).count() == 4
    context.close()
