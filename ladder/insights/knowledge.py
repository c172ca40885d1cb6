"""The knowledge base: articles found by a few words, questions asked and answered once.

Search needs every word of the query in the title or the body (case-insensitive, so "canvass"
finds "canvassing"), and ranks title matches above body matches; it is plain SQL on both
databases, which serves a knowledge base of hundreds of articles. An answered question
becomes an article, so the next volunteer finds the answer without asking.
"""

from __future__ import annotations

import re

import nh3
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.text import slugify
from markdown_it import MarkdownIt

from ladder.core.access import is_staff_user
from ladder.core.models import User
from ladder.insights.models import Article, Question

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
WORD = re.compile(r"[\w'-]{2,}")
QUESTION_LIMIT = 2000


def article_html(article: Article) -> str:
    """The body as HTML: Markdown without raw HTML, cleaned once more on the way out."""
    return nh3.clean(_markdown.render(article.body))


def articles_visible(user: User) -> QuerySet[Article]:
    articles = Article.objects.all()
    return articles if is_staff_user(user) else articles.filter(published=True)


def articles_search(user: User, query: str, *, limit: int = 20) -> list[Article]:
    words = [w.lower() for w in WORD.findall(query)][:8]
    if not words:
        return []
    found = articles_visible(user)
    for word in words:
        found = found.filter(Q(title__icontains=word) | Q(body__icontains=word) |
                             Q(topics__icontains=word))  # fmt: skip
    rank = sum(
        (Case(When(title__icontains=w, then=Value(3)), default=Value(0),
              output_field=IntegerField()) for w in words),
        Value(0),
    )  # fmt: skip
    return list(found.annotate(rank=rank).order_by("-rank", "title")[:limit])


def articles_on(topic: str) -> QuerySet[Article]:
    """Published articles tagged with ``topic``, for the pages they help with."""
    return Article.objects.filter(published=True, topics__icontains=topic.lower())


def _slug(title: str) -> str:
    base = slugify(title)[:100] or "article"
    slug, n = base, 2
    while Article.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def article_save(
    *, actor: User | None, title: str, body: str, topics: str = "", article: Article | None = None,
    published: bool = True,
) -> Article:  # fmt: skip
    errors = {}
    if not title.strip():
        errors["title"] = "An article needs a title."
    if not body.strip():
        errors["body"] = "Write the answer."
    if errors:
        raise ValidationError(errors)
    if article is None:
        article = Article(slug=_slug(title), created_by=actor)
    article.title, article.body = title.strip()[:200], body.strip()
    article.topics, article.published = topics.strip().lower()[:200], published
    article.save()
    return article


def question_ask(*, actor: User, text: str) -> Question:
    if not text.strip():
        raise ValidationError({"text": "Write your question."})
    if len(text) > QUESTION_LIMIT:
        raise ValidationError({"text": f"At most {QUESTION_LIMIT:,} characters."})
    return Question.objects.create(text=text.strip(), asked_by=actor, asked_at=timezone.now())


def question_answer(*, actor: User, question: Question, title: str, body: str,
                    topics: str = "") -> Article:  # fmt: skip
    """Answer once: the answer is published as an article, linked from the question."""
    article = article_save(actor=actor, title=title or question.text[:200], body=body,
                           topics=topics)  # fmt: skip
    question.article, question.answered_at = article, timezone.now()
    question.save(update_fields=["article", "answered_at"])
    return article


def questions_open() -> QuerySet[Question]:
    return Question.objects.filter(article__isnull=True).select_related("asked_by")


__all__ = [
    "article_html",
    "article_save",
    "articles_on",
    "articles_search",
    "articles_visible",
    "question_answer",
    "question_ask",
    "questions_open",
]
