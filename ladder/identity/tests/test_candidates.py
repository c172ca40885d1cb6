"""The batch matcher on the demo's planted duplicates (nicknames, typos, new emails, phone-only
sheets): it finds them with few false pairs, explains each field, never proposes a decided pair
again, and merges by itself only when configured to."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import override_settings

from ladder.demo import generate_demo
from ladder.identity.candidates import _email_local, scores
from ladder.identity.finding import candidates_find, candidates_open
from ladder.identity.merging import not_duplicate_mark
from ladder.identity.models import Candidate
from ladder.identity.nicknames import canonical_first_name
from ladder.people.models import Person

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


def _pair(candidate: Candidate):  # type: ignore[no-untyped-def]
    from ladder.identity.candidates import Pair

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


def test_names_and_addresses_are_compared_in_their_usual_forms():
    assert canonical_first_name("Bill") == canonical_first_name("William") == "william"
    assert canonical_first_name("José María") == "jose"
    assert canonical_first_name("") is None
    assert _email_local("ana.lopez+petition@gmail.com") == "analopez"
    assert _email_local("ana.lopez+news@example.org") == "ana.lopez"


def test_the_command_refuses_a_threshold_that_is_not_a_probability(capsys):
    with pytest.raises(SystemExit) as stopped:
        call_command("identity", "find", "--threshold", "1.5")
    assert stopped.value.code == 2
    assert "between 0 and 1" in capsys.readouterr().err
