"""The batch matcher on the demo's planted duplicates (nicknames, typos, new emails, phone-only
sheets): it finds them with few false pairs, explains each field, never proposes a decided pair
again, leaves people who live together apart, shares a pair's probability with its rivals, and
merges by itself only when configured to."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from django.core.management import call_command
from django.test import override_settings

from ladder.demo import generate_demo
from ladder.identity.candidates import Pair, exclusive, normalised, scores
from ladder.identity.finding import candidates_find, candidates_open
from ladder.identity.merging import not_duplicate_mark
from ladder.identity.models import Candidate
from ladder.identity.nicknames import canonical_first_name, formal_forms
from ladder.people.models import Address, Person, Phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted(db, tmp_path):  # type: ignore[no-untyped-def]
    truth = tmp_path / "truth.json"
    generate_demo(seed=11, people=600, duplicates=0.05, ground_truth=truth)
    pairs = json.loads(truth.read_text())["pairs"]
    return {tuple(sorted((p["original"], p["duplicate"]))) for p in pairs}


def test_planted_duplicates_are_found_with_their_evidence(planted):
    found = candidates_find()
    assert found.people == Person.objects.count() and found.new == found.pairs
    queue = list(candidates_open())
    result = scores([_pair(c) for c in queue], planted)  # type: ignore[arg-type]
    assert result["precision"] >= 0.9 and result["recall"] >= 0.8, result
    best = queue[0]
    assert best.probability >= queue[-1].probability
    assert {"first_canon", "last_name"} <= set(best.evidence)
    values, weight = best.evidence["last_name"]
    assert " / " in values and isinstance(weight, float)


def _pair(candidate: Candidate) -> Pair:
    return Pair(candidate.low_id, candidate.high_id, candidate.probability, candidate.weight, {})


def test_a_pair_marked_not_a_duplicate_is_never_proposed_again(planted, staff_user):
    candidates_find()
    first = candidates_open().first()
    assert first is not None
    not_duplicate_mark(actor=staff_user, one=first.low, other=first.high)
    first.status = Candidate.Status.NOT_DUPLICATE
    first.save(update_fields=["status"])
    again = candidates_find()
    assert again.new == 0
    assert not candidates_open().filter(low=first.low, high=first.high).exists()


@override_settings(LADDER_IDENTITY_AUTO_MERGE_ABOVE=0.9999)
def test_automatic_merges_only_above_the_configured_threshold(planted):
    found = candidates_find()
    merged = Candidate.objects.filter(status=Candidate.Status.MERGED)
    assert found.merged == merged.count() > 0
    assert all(c.probability >= 0.9999 for c in merged)
    assert Person.objects.filter(merged_into__isnull=False).count() == found.merged


def test_people_who_live_together_are_not_proposed(planted):
    """A housemate shares the surname, the address and the landline; a parent of the same name
    has another birthdate. Neither is the same person, however much else agrees."""
    keep = Person.objects.filter(
        addresses__line1__gt="", phones__isnull=False, birthdate__isnull=False
    ).distinct()[:6]
    household = set()
    for n, person in enumerate(keep):
        address = person.addresses.first()
        phone = person.phones.first()
        assert address is not None and phone is not None and person.birthdate is not None
        parent = n % 2 == 0
        other = Person.objects.create(
            first_name=person.first_name if parent else "Zebulon", last_name=person.last_name,
            birthdate=person.birthdate - dt.timedelta(days=27 * 365) if parent else None,
        )  # fmt: skip
        Address.objects.create(person=other, line1=address.line1,
                               postal_code=address.postal_code, is_primary=True)  # fmt: skip
        Phone.objects.create(person=other, number=phone.number, is_primary=True)
        household.add(tuple(sorted((person.pk, other.pk))))
    candidates_find()
    proposed = set(Candidate.objects.values_list("low_id", "high_id"))
    assert household and not household & proposed


def test_rivals_share_a_pairs_probability():
    """One signature fits two namesakes equally: each pair keeps about half. A third record
    that matches the other side is no rival (three records of one person all stand)."""
    alone = exclusive([Pair(1, 2, 0.9, 3.0, {})])
    assert alone[0].probability == pytest.approx(0.9)
    rivals = {(p.low, p.high): p.probability
              for p in exclusive([Pair(1, 2, 0.9, 3.0, {}), Pair(1, 3, 0.9, 3.0, {})])}  # fmt: skip
    assert rivals[(1, 2)] == rivals[(1, 3)] == pytest.approx(9 / 19)
    trio = exclusive([Pair(1, 2, 0.9, 3.0, {}), Pair(1, 3, 0.9, 3.0, {}), Pair(2, 3, 0.9, 3.0, {})])
    assert all(p.probability == pytest.approx(0.9) for p in trio)


def test_names_and_addresses_are_compared_in_their_usual_forms():
    assert canonical_first_name("Bill") == canonical_first_name("William") == "william"
    assert canonical_first_name("José María") == "jose"
    assert canonical_first_name("") is None
    assert formal_forms("Rick") == ["ricardo", "richard"] and formal_forms("Ricardo") == ["ricardo"]
    raw = pl.DataFrame(
        {"unique_id": [1, 2, 3], "first_name": ["Rick", "ana", ""],
         "last_name": [" Lopez ", "Ng", "Ng"], "birthdate": [dt.date(1980, 5, 1), None, None],
         "email": ["Ana.Lopez+petition@gmail.com", "ana.lopez+news@example.org", ""],
         "phone": ["(515) 555-0142", "+1 515.555.0142", None],
         "line1": ["5145 Hubbell Avenue", "5145 HUBBELL AVE.", None],
         "postal_code": ["50315-1234", "50315", ""]},
    )  # fmt: skip
    frame = normalised(raw)
    assert frame["first_canon"].to_list() == ["richard", "ana", None]
    assert frame["email_local"].to_list() == ["analopez", "ana.lopez", None]
    assert frame["phone"].to_list() == ["5155550142", "5155550142", None]
    assert frame["line1"].to_list() == ["5145 hubbell ave", "5145 hubbell ave", None]
    assert frame["postal_code"].to_list() == ["50315", "50315", None]
    assert frame["last_name"].to_list() == ["lopez", "ng", "ng"]


def test_the_command_refuses_a_threshold_that_is_not_a_probability(capsys):
    with pytest.raises(SystemExit) as stopped:
        call_command("identity", "find", "--threshold", "1.5")
    assert stopped.value.code == 2
    assert "between 0 and 1" in capsys.readouterr().err
