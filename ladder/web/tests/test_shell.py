"""The navigation shell and the sign-in page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_home_redirects_to_people(staff_client):
    response = staff_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/people/"


def test_pages_require_login(client, person_in_a):
    for url in ("/", "/people/", f"/people/{person_in_a.pk}/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_login_page_renders_a_working_form(client, staff_user):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="login"' in html and 'name="password"' in html and "csrfmiddlewaretoken" in html
    response = client.post(
        "/accounts/login/", {"login": "sam", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert client.get("/people/").status_code == 200


def test_login_with_a_wrong_password_says_so(client, staff_user):
    response = client.post("/accounts/login/", {"login": "sam", "password": "nope"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_login_page_uses_the_ladder_layout(client):
    html = client.get("/accounts/login/").content.decode()
    assert "ladder/ladder.css" in html
    assert 'class="auth-card card"' in html
    assert settings.LADDER_ORG_NAME in html
    assert "Keep me signed in" in html


def test_shell_shows_org_role_and_htmx(staff_client):
    html = staff_client.get("/people/").content.decode()
    assert settings.LADDER_ORG_NAME in html
    assert "ladder/ladder.css" in html
    assert "django_htmx/htmx-2.min.js" in html
    assert 'href="/people/" aria-current="page"' in html
    assert "Staff" in html  # the role, in the user menu


def test_static_assets_exist():
    assert finders.find("ladder/ladder.css")
    assert finders.find("django_htmx/htmx-2.min.js")


def test_staff_see_imports_and_two_factor(staff_user, admin_user):
    for user in (staff_user, admin_user):
        html = logged_in(user).get("/people/").content.decode()
        assert 'href="/imports/"' in html
        assert 'href="/accounts/2fa/"' in html


def test_nav_hides_imports_and_two_factor_from_leaders_and_volunteers(leader_a, volunteer_user):
    for user in (leader_a, volunteer_user):
        html = logged_in(user).get("/people/").content.decode()
        assert 'href="/imports/"' not in html
        assert "/accounts/2fa/" not in html
        assert user.get_role_display() in html


def test_logout_is_a_post_form(staff_client):
    html = staff_client.get("/people/").content.decode()
    assert '<form method="post" action="/accounts/logout/">' in html
    response = staff_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert staff_client.get("/people/").status_code == 302  # signed out


def test_healthz(client):
    assert client.get("/healthz").json() == {"ok": True}
