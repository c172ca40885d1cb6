"""The knowledge base: search finds an article by a word from its body (every word must match,
titles rank first), drafts stay with staff, a question answered once becomes an article, bad
input is answered next to its field, and the help links reach the pages they help with."""

from __future__ import annotations

import pytest

from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.insights.knowledge import article_save, articles_search
from ladder.insights.models import Article, Question
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def volunteer(db):  # type: ignore[no-untyped-def]
    return make_user("vee", Role.VOLUNTEER)


@pytest.fixture
def articles(staff_user):  # type: ignore[no-untyped-def]
    doors = article_save(
        actor=staff_user, title="Knocking doors", topics="canvass",
        body="Record the result before you walk away. No signal? Keep going.",
    )  # fmt: skip
    phones = article_save(
        actor=staff_user, title="Phone bank basics", topics="phone bank",
        body="Mark do not call when someone asks; no signal needed here.",
    )  # fmt: skip
    draft = article_save(actor=staff_user, title="Walk signal draft", body="Unfinished walk notes",
                         published=False)  # fmt: skip
    return doors, phones, draft


def test_search_finds_an_article_by_a_word_from_its_body(articles, volunteer):
    doors, phones, _draft = articles
    assert articles_search(volunteer, "walk away") == [doors]
    assert articles_search(volunteer, "SIGNAL") == [doors, phones]  # both bodies, by title
    assert articles_search(volunteer, "signal walk") == [doors]  # every word must match
    assert articles_search(volunteer, "") == [] and articles_search(volunteer, "zebra") == []
    page = logged_in(volunteer).get("/insights/help/", {"q": "walk away"}).content.decode()
    assert f'href="/insights/help/{doors.slug}/"' in page and "1 answer for" in page


def test_drafts_stay_with_staff(articles, volunteer, staff_user):
    draft = articles[2]
    assert draft not in articles_search(volunteer, "walk")
    assert draft in articles_search(staff_user, "walk")
    assert logged_in(volunteer).get(f"/insights/help/{draft.slug}/").status_code == 404
    assert logged_in(volunteer).get(f"/insights/help/{draft.slug}/edit/").status_code == 403
    assert logged_in(volunteer).get("/insights/help/questions/").status_code == 403


def test_a_question_answered_once_becomes_an_article(volunteer, staff_user):
    client = logged_in(volunteer)
    empty = client.post("/insights/help/", {"text": "   "})
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()
    assert client.post("/insights/help/", {"text": "Can I canvass offline?"}).status_code == 302
    question = Question.objects.get()
    staff = logged_in(staff_user)
    assert "Can I canvass offline?" in staff.get("/insights/help/questions/").content.decode()
    url = f"/insights/help/questions/{question.pk}/answer/"
    bad = staff.post(url, {"title": "Offline", "body": ""})
    assert bad.status_code == 400 and not Article.objects.exists()
    assert staff.post(url, {"title": "Canvassing offline",
                            "body": "Yes: answers wait on the phone.",
                            "topics": "canvass"}).status_code == 302  # fmt: skip
    question.refresh_from_db()
    assert question.article is not None and question.answered_at is not None
    assert articles_search(volunteer, "answers wait") == [question.article]
    assert staff.post(url, {"title": "Again", "body": "x"}).status_code == 404  # answered once
    shown = client.get(f"/insights/help/{question.article.slug}/").content.decode()
    assert "<p>Yes: answers wait on the phone.</p>" in shown


def test_markdown_is_rendered_without_raw_html(staff_user, volunteer):
    article = article_save(actor=staff_user, title="Safe", body="**bold** <script>x()</script>")
    page = logged_in(volunteer).get(f"/insights/help/{article.slug}/").content.decode()
    assert "<strong>bold</strong>" in page and "<script>x()" not in page


def test_help_links_show_on_the_pages_they_help_with(articles, staff_user):
    from ladder.insights.templatetags.insights_tags import help_links

    assert list(help_links("canvass, walk list")["articles"]) == [articles[0]]
    assert list(help_links("phone bank")["articles"]) == [articles[1]]
    assert list(help_links("")["articles"]) == []
