"""The knowledge base screens: search and read (everyone with a login), ask a question
(everyone), answer questions and write articles (staff)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ladder.core.access import current_user, is_staff_user, require
from ladder.insights.knowledge import (
    article_html,
    article_save,
    articles_search,
    articles_visible,
    question_answer,
    question_ask,
    questions_open,
)
from ladder.web.forms import LadderForm


class QuestionForm(LadderForm):
    text = forms.CharField(label="Your question", max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


class ArticleForm(LadderForm):
    title = forms.CharField(max_length=200)
    body = forms.CharField(label="Answer (Markdown)", widget=forms.Textarea(attrs={"rows": 12}))
    topics = forms.CharField(
        max_length=200, required=False,
        help_text="Words for the pages it helps with: canvass, phone bank, hosting",
    )  # fmt: skip


def _form_errors(form: forms.Form, problem: ValidationError) -> None:
    for field, errors in problem.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
def help_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    query = request.GET.get("q", "").strip()[:200]
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            question_ask(actor=user, text=form.cleaned_data["text"])
        except ValidationError as problem:
            _form_errors(form, problem)
        else:
            messages.success(request, "Asked. Staff will answer, and the answer will be here.")
            return HttpResponseRedirect(reverse("insights:help"))
    context = {
        "query": query,
        "results": articles_search(user, query) if query else None,
        "articles": articles_visible(user)[:100],
        "form": form,
        "open_questions": questions_open().count() if is_staff_user(user) else None,
    }
    return render(request, "insights/help.html", context,
                  status=400 if request.method == "POST" else 200)  # fmt: skip


@login_required
def article_view(request: HttpRequest, slug: str) -> HttpResponse:
    article = articles_visible(current_user(request)).filter(slug=slug).first()
    if article is None:
        raise Http404("No such article")
    return render(request, "insights/article.html",
                  {"article": article, "html": article_html(article)})  # fmt: skip


@login_required
def article_edit_view(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    user = current_user(request)
    require(is_staff_user(user))
    article = articles_visible(user).filter(slug=slug).first() if slug else None
    if slug and article is None:
        raise Http404("No such article")
    initial = (
        {"title": article.title, "body": article.body, "topics": article.topics}
        if article
        else None
    )
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = article_save(actor=user, article=article, **form.cleaned_data)
        except ValidationError as problem:
            _form_errors(form, problem)
        else:
            return HttpResponseRedirect(reverse("insights:article", args=[saved.slug]))
    return render(request, "insights/article_edit.html", {"form": form, "article": article},
                  status=400 if request.method == "POST" else 200)  # fmt: skip


@login_required
def questions_view(request: HttpRequest) -> HttpResponse:
    require(is_staff_user(current_user(request)))
    return render(request, "insights/questions.html",
                  {"questions": questions_open()[:100], "form": ArticleForm()})  # fmt: skip


@login_required
@require_POST
def question_answer_view(request: HttpRequest, question_id: int) -> HttpResponse:
    user = current_user(request)
    require(is_staff_user(user))
    question = questions_open().filter(pk=question_id).first()
    if question is None:
        raise Http404("No such question waiting")
    form = ArticleForm(request.POST)
    if form.is_valid():
        try:
            article = question_answer(actor=user, question=question, **form.cleaned_data)
        except ValidationError as problem:
            _form_errors(form, problem)
        else:
            messages.success(request, f"Answered, and published as “{article.title}”.")
            return HttpResponseRedirect(reverse("insights:questions"))
    return render(request, "insights/questions.html",
                  {"questions": questions_open()[:100], "form": form, "failed": question.pk},
                  status=400)  # fmt: skip
