"""Listening on the demo's free texts: they are grouped into themes whose top words are the
demo's issues, each theme shows its people and what they said, a theme becomes a segment in one
click, short survey choices are not texts, and only staff listen."""

from __future__ import annotations

import pytest

from ladder.insights.listening import texts_since, themes_of
from ladder.insights.models import ListeningRun, Theme
from ladder.insights.tests.test_health import demo  # noqa: F401  (a fixture)
from ladder.segments.models import Segment
from ladder.segments.selectors import segment_count
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db
ISSUE_WORDS = {"school", "funding", "rent", "landlord", "bus", "water", "nitrates", "music"}


def test_the_demos_texts_become_themes_and_a_theme_a_segment(
    demo,  # noqa: F811
    staff_user,
    django_capture_on_commit_callbacks,
):
    client = logged_in(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/insights/listening/run/").status_code == 302
    run = ListeningRun.objects.get()
    assert run.status == ListeningRun.Status.DONE and run.texts >= 20
    themes = list(run.themes.all())
    assert len(themes) >= 3
    # Every theme leads with words of one of the demo's issues.
    for theme in themes:
        assert set(" ".join(theme.words[:4]).split()) & ISSUE_WORDS, theme.words
    assert sum(t.size for t in themes) == run.texts
    page = client.get("/insights/listening/").content.decode()
    assert all(f'id="theme-{t.pk}"' in page for t in themes)
    biggest = max(themes, key=lambda t: t.size)
    drill = client.get(f"/insights/listening/themes/{biggest.pk}/").content.decode()
    said = biggest.texts.first()
    assert said is not None and said.text in drill
    made = client.post(f"/insights/listening/themes/{biggest.pk}/segment/")
    segment = Segment.objects.get(name=f"Said: {biggest.label}")
    assert made.status_code == 302 and made["Location"] == f"/segments/{segment.pk}/"
    assert segment_count(staff_user, segment.definition) == biggest.people


def test_texts_are_peoples_own_words_not_choices(demo):  # noqa: F811
    import datetime as dt

    texts = texts_since(dt.date(2025, 1, 1))
    assert texts and all(len(t.text.split()) >= 3 for t in texts)
    words, assigned, weights = themes_of([t.text for t in texts], 3)
    assert len(words) == 3 and len(assigned) == len(texts) and min(weights) >= 0


def test_only_staff_listen(demo):  # noqa: F811
    from ladder.core.models import User

    client = logged_in(User.objects.get(username="lead-des-moines"))
    assert client.get("/insights/listening/").status_code == 403
    assert client.post("/insights/listening/run/").status_code == 403
    assert not ListeningRun.objects.exists() and not Theme.objects.exists()
