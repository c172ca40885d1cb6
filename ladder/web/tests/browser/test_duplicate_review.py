"""Reviewing duplicates in a real browser: three candidate pairs; one is merged (with a field
taken from the other record, by keyboard), one is not a duplicate (and never comes back), one
is skipped; then the merge is undone and both profiles read as they did."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.identity.finding import candidates_find
from ladder.identity.models import Candidate, Merge, NotDuplicate
from ladder.people.models import Person
from ladder.people.services import person_create, tag_add
from ladder.web.tests.browser.test_import_flow import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("var/screenshots")


def _pair(first: str, last: str, n: int) -> tuple[Person, Person]:
    a = person_create(actor=None, first_name=first, last_name=last, email=f"{first}{n}@ex.org",
                      phone=f"515-555-03{n:02d}")  # fmt: skip
    b = person_create(actor=None, first_name=first[:3], last_name=last, email=f"{last}{n}@ex.net",
                      phone=f"515-555-03{n:02d}")  # fmt: skip
    return a, b


def _profile_text(page, person: Person) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"/people/{person.pk}/")
    return str(page.locator("main").inner_text())


def test_three_pairs_merged_dismissed_skipped_and_the_merge_undone(page, live_server):
    make_user("dana", Role.STAFF)
    pairs = [_pair("Samantha", "Okafor", 1), _pair("Benjamin", "Lindqvist", 2),
             _pair("Katherine", "Abara", 3)]  # fmt: skip
    tag_add(actor=None, person=pairs[0][1], name="school funding")
    # Filler so the matcher has people that differ, as any real list does.
    for n in range(40):
        person_create(actor=None, first_name=f"Filler{n}", last_name=f"Person{n % 7}",
                      email=f"filler{n}@ex.org", phone=f"319-555-{n:04d}")  # fmt: skip
    for a, b in pairs:
        Candidate.objects.create(
            low=a, high=b, probability=0.97, weight=9.0, found_at=timezone.now(),
            evidence={"phone": [f"{a.pk} / {b.pk}", 8.1]},
        )  # fmt: skip
    before = {p.pk: _snapshot(p) for pair in pairs for p in pair}

    login(page, "dana")
    page.goto("/duplicates/")
    page.get_by_text("3 pairs waiting").wait_for()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "duplicate-review.png"), full_page=True)
    first = Candidate.objects.order_by("pk").first()
    assert first is not None
    # Pair 1: keep the first record, but take the second one's (shorter) first name; merge by key.
    page.locator(f"form[action='/duplicates/pairs/{first.pk}/decide/']").wait_for()
    page.check("input[name=survivor][value=low]")
    page.check("input[name=f_first_name][value=high]")
    page.keyboard.press("m")
    page.get_by_text("2 pairs waiting").wait_for()
    merge = Merge.objects.get()
    assert merge.survivor_id == pairs[0][0].pk and merge.merged_id == pairs[0][1].pk
    assert Person.objects.get(pk=pairs[0][0].pk).first_name == "Sam"
    # Pair 2: not a duplicate.
    page.get_by_role("button", name="Not a duplicate").click()
    page.get_by_text("1 pair waiting").wait_for()
    # Pair 3: skip.
    page.keyboard.press("s")
    page.get_by_text("No pairs waiting").wait_for()
    assert NotDuplicate.objects.filter(low=pairs[1][0], high=pairs[1][1]).exists()
    # The merged id answers with the survivor, which now holds both records' facts.
    page.goto(f"/people/{pairs[0][1].pk}/")
    page.wait_for_url(f"**/people/{pairs[0][0].pk}/")
    assert "school funding" in page.locator("main").inner_text()
    # Undo it: both profiles are as they were.
    page.goto("/duplicates/merges/")
    page.locator(f"#merge-{merge.pk} button").click()
    page.get_by_text("two records again").wait_for()
    for person in pairs[0]:
        text = _profile_text(page, person)
        assert person.first_name in text and person.emails.get().address in text  # type: ignore[attr-defined]
        assert _snapshot(Person.objects.get(pk=person.pk)) == before[person.pk]
    assert "school funding" not in _profile_text(page, pairs[0][0])
    # A new search does not propose the dismissed pair again.
    candidates_find()
    assert not Candidate.objects.filter(
        low=pairs[1][0], high=pairs[1][1], status=Candidate.Status.OPEN
    ).exists()


def _snapshot(person: Person) -> tuple[object, ...]:
    return (
        person.first_name, person.last_name, person.merged_into_id,
        sorted(person.emails.values_list("address", flat=True)),  # type: ignore[attr-defined]
        sorted(person.phones.values_list("number", flat=True)),  # type: ignore[attr-defined]
        sorted(person.taggings.values_list("tag__name", flat=True)),  # type: ignore[attr-defined]
    )  # fmt: skip
