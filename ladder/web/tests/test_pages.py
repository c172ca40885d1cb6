from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_people_requires_login(client):
    response = client.get("/people/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_leader_gets_404_for_profile_outside_scope(client, leader_a, person_in_a, person_in_b):
    client.force_login(leader_a)
    assert client.get(f"/people/{person_in_a.pk}/").status_code == 200
    assert client.get(f"/people/{person_in_b.pk}/").status_code == 404
    listing = client.get("/people/").content.decode()
    assert "Alma" in listing and "Bert" not in listing
