"""Segment and list screens: the builder with its live count, saved segments, static lists.

Staff and leaders use them; a leader sees only their own segments and lists and those of the
groups they lead (others answer 404), and every count, preview page and export holds only the
people they may see — all of it goes through `ladder.segments.selectors`.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from ladder.core.access import current_user, require
from ladder.core.models import Role, User
from ladder.people.selectors import groups_visible
from ladder.segments.builder import EXCLUSIONS, Builder, Choices
from ladder.segments.filters import EVERYONE, FilterError, describe
from ladder.segments.forms import FreezeForm, ListUploadForm, SegmentSaveForm
from ladder.segments.models import Segment, StaticList
from ladder.segments.selectors import (
    list_for,
    lists_visible,
    segment_count,
    segment_for,
    segment_page,
    segment_people,
    segments_visible,
)
from ladder.segments.services import (
    UploadError,
    list_from_segment,
    list_remove,
    list_upload,
    segment_archive,
    segment_count_refresh,
    segment_create,
    segment_update,
)
from ladder.web.downloads import people_csv_download

PAGE_SIZE = 50
PREVIEW_SIZE = 10


def _user(request: HttpRequest) -> User:
    """Staff and leaders build universes; volunteers work the lists they are handed."""
    user = current_user(request)
    require(user.sees_everyone or user.role == Role.LEADER)
    return user


def _partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _after(request: HttpRequest) -> int | None:
    raw = request.GET.get("after", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _groups(user: User) -> list[tuple[int, str]]:
    return list(groups_visible(user).order_by("name").values_list("id", "name"))


# -- the builder -----------------------------------------------------------------------------


def _result(user: User, builder: Builder, *, segment: Segment | None = None) -> dict[str, Any]:
    """The live part: one count query and one page query, or the errors that stop them."""
    definition = builder.definition(user, segment=segment, strict=False)
    out: dict[str, Any] = {"definition": definition, "count": None, "preview": None}
    if definition is None:
        return out
    started = time.perf_counter()
    try:
        out["count"] = segment_count(user, definition)
        out["preview"] = segment_page(user, definition, limit=PREVIEW_SIZE)
    except FilterError as exc:  # e.g. segments that include each other too deeply
        builder._place(exc)
        out["count"] = None
        return out
    out["ms"] = round((time.perf_counter() - started) * 1000)
    out["description"] = describe(definition)
    return out


def _builder_context(
    request: HttpRequest,
    user: User,
    builder: Builder,
    save_form: SegmentSaveForm,
    segment: Segment | None,
) -> dict[str, Any]:
    return {
        "builder": builder,
        "save_form": save_form,
        "segment": segment,
        "result": _result(user, builder, segment=segment),
        "menu": builder.menu(),
        "exclusions": [(name, label) for name, (label, _) in EXCLUSIONS.items()],
    }


def _apply(builder: Builder, action: str, user: User) -> None:
    """A structural change of the builder: add, remove, exclude, apply JSON, start over."""
    verb, _, arg = action.partition(":")
    if verb == "add":
        builder.add(arg)
    elif verb == "remove" and arg.isdigit():
        builder.remove(int(arg))
    elif verb == "exclude":
        builder.exclude(arg)
    elif verb == "apply_json":
        builder.apply_json(user)
    elif verb == "rows":
        builder.mode, builder.rows, builder.match = "rows", [], "all"


def _builder_page(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    user = _user(request)
    choices = Choices.for_user(user, editing=segment)
    groups = _groups(user)
    if request.method != "POST":
        start = segment.definition if segment is not None else EVERYONE
        builder = Builder.from_definition(start, choices)
        initial = {}
        if segment is not None:
            initial = {"name": segment.name, "description": segment.description,
                       "group": str(segment.group_id or "")}  # fmt: skip
        save_form = SegmentSaveForm(initial=initial, groups=groups)
        context = _builder_context(request, user, builder, save_form, segment)
        return render(request, "segments/builder.html", context)

    builder = Builder.from_post(request.POST, choices)
    action = request.POST.get("action", "save")
    if action != "save":
        _apply(builder, action, user)
        # Not saving: keep what was typed, without complaining about a missing name yet.
        save_form = SegmentSaveForm(initial=request.POST.dict(), groups=groups)
        context = _builder_context(request, user, builder, save_form, segment)
        template = "segments/builder.html#builder" if _partial(request) else "segments/builder.html"
        return render(request, template, context)

    save_form = SegmentSaveForm(request.POST, groups=groups)
    definition = builder.definition(user, segment=segment, strict=True)
    if save_form.is_valid() and definition is not None:
        data = save_form.cleaned_data
        try:
            if segment is None:
                segment = segment_create(
                    actor=user, name=data["name"], description=data["description"],
                    definition=definition, group=data["group"],
                )  # fmt: skip
                messages.success(request, f"Saved “{segment.name}”.")
            else:
                segment_update(
                    actor=user, segment=segment, name=data["name"],
                    description=data["description"], definition=definition, group=data["group"],
                )  # fmt: skip
                messages.success(request, f"Saved the changes to “{segment.name}”.")
        except FilterError as exc:
            builder._place(exc)
        else:
            return redirect("segments:detail", segment.pk)
    context = _builder_context(request, user, builder, save_form, segment)
    return render(request, "segments/builder.html", context, status=400)


@login_required
def segment_new(request: HttpRequest) -> HttpResponse:
    return _builder_page(request, None)


@login_required
def segment_edit(request: HttpRequest, segment_id: int) -> HttpResponse:
    user = _user(request)
    return _builder_page(request, segment_for(user, segment_id))


@require_POST
@login_required
def builder_preview(request: HttpRequest) -> HttpResponse:
    """``POST /segments/preview/`` with the builder's form: the count, the description and the
    first people — and, out of band, each row's errors and the definition as JSON."""
    user = _user(request)
    segment = None
    raw = request.POST.get("segment_id", "")
    if raw.isdigit():
        segment = segment_for(user, int(raw))
    builder = Builder.from_post(request.POST, Choices.for_user(user, editing=segment))
    context = {"builder": builder, "result": _result(user, builder, segment=segment), "oob": True}
    return render(request, "segments/builder.html#result", context)


# -- saved segments ----------------------------------------------------------------------------


@require_GET
@login_required
def segment_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    segments = list(segments_visible(user).select_related("owner", "group").order_by("name"))
    for segment in segments:
        # The stored size is the owner's view (`segment_count_refresh`); show it to those who
        # see at least as much, and let others open the segment for their own count.
        segment.size_shown = user.sees_everyone or segment.owner_id == user.pk  # type: ignore[attr-defined]
    return render(request, "segments/segment_list.html", {"segments": segments, "tab": "segments"})


@require_GET
@login_required
def segment_detail(request: HttpRequest, segment_id: int) -> HttpResponse:
    user = _user(request)
    segment = segment_for(user, segment_id)
    after = _after(request)
    try:
        page = segment_page(user, segment.definition, after=after, limit=PAGE_SIZE)
        description = describe(segment.definition)
    except FilterError as exc:
        # A segment it names was archived away or now nests too deep: say so, do not fail.
        broken = {"segment": segment, "broken": str(exc)}
        return render(request, "segments/segment_detail.html", broken)
    context: dict[str, Any] = {
        "segment": segment, "page": page, "paged": bool(after), "page_size": PAGE_SIZE,
        "description": description, "freeze_form": FreezeForm(initial={
            "name": f"{segment.name} — {timezone.localdate():%b %-d, %Y}"}),
        "next_url": "segments:detail", "object_id": segment.pk,
    }  # fmt: skip
    if _partial(request) and after:
        response = render(request, "segments/_people.html", context)
    else:
        if segment.owner_id == user.pk or (user.sees_everyone and segment.owner is None):
            context["count"] = segment_count_refresh(actor=user, segment=segment)
        else:
            context["count"] = segment_count(user, segment.definition)
        context["counted_at"] = timezone.now()
        response = render(request, "segments/segment_detail.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@login_required
def segment_export(request: HttpRequest, segment_id: int) -> HttpResponse | StreamingHttpResponse:
    """The segment's people as CSV, streamed by the people export (scoped, formula-safe)."""
    user = _user(request)
    segment = segment_for(user, segment_id)
    try:
        people = segment_people(user, segment.definition)
    except FilterError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    return people_csv_download(user, request, people, segment.name)


@require_POST
@login_required
def segment_freeze(request: HttpRequest, segment_id: int) -> HttpResponse:
    user = _user(request)
    segment = segment_for(user, segment_id)
    form = FreezeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the list a name.")
        return redirect("segments:detail", segment.pk)
    try:
        frozen = list_from_segment(actor=user, segment=segment, name=form.cleaned_data["name"])
    except FilterError as exc:
        messages.error(request, f"The segment cannot be frozen: {exc}")
        return redirect("segments:detail", segment.pk)
    messages.success(request, f"Froze {frozen.size:,} people into the list “{frozen.name}”.")
    return redirect("segments:list_detail", frozen.pk)


@require_POST
@login_required
def segment_archive_view(request: HttpRequest, segment_id: int) -> HttpResponse:
    user = _user(request)
    segment = segment_for(user, segment_id)
    segment_archive(actor=user, segment=segment)
    messages.success(request, f"Archived “{segment.name}”.")
    return redirect("segments:index")


# -- static lists ------------------------------------------------------------------------------


def _list_definition(static_list: StaticList) -> dict[str, Any]:
    """A list as a universe: the filter language's list condition, so that its members page and
    export are the segment ones (scoped the same way)."""
    return {"version": 1, "match": {"kind": "list", "id": static_list.pk}}


@require_GET
@login_required
def list_index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    lists = lists_visible(user).select_related("owner", "group", "source_segment")
    return render(request, "segments/list_list.html", {"lists": lists, "tab": "lists"})


@require_GET
@login_required
def list_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    user = _user(request)
    static_list = list_for(user, list_id)
    after = _after(request)
    page = segment_page(user, _list_definition(static_list), after=after, limit=PAGE_SIZE)
    context: dict[str, Any] = {
        "static_list": static_list, "page": page, "paged": bool(after), "page_size": PAGE_SIZE,
        "next_url": "segments:list_detail", "object_id": static_list.pk, "removable": True,
    }  # fmt: skip
    if _partial(request) and after:
        return render(request, "segments/_people.html", context)
    if static_list.definition:
        try:
            context["source"] = describe(static_list.definition)
        except FilterError:
            context["source"] = "(the definition no longer reads: something it named is gone)"
    context["visible_count"] = segment_count(user, _list_definition(static_list))
    return render(request, "segments/list_detail.html", context)


@require_GET
@login_required
def list_export(request: HttpRequest, list_id: int) -> HttpResponse | StreamingHttpResponse:
    user = _user(request)
    static_list = list_for(user, list_id)
    people = segment_people(user, _list_definition(static_list))
    return people_csv_download(user, request, people, static_list.name)


@require_POST
@login_required
def list_remove_view(request: HttpRequest, list_id: int) -> HttpResponse:
    user = _user(request)
    static_list = list_for(user, list_id)
    raw = request.POST.get("person_id", "")
    if not raw.isdigit():
        return HttpResponseBadRequest("person_id must be a person id", content_type="text/plain")
    removed = list_remove(actor=user, static_list=static_list, person_ids=[int(raw)])
    if removed:
        messages.success(request, "Removed from the list.")
    return redirect("segments:list_detail", static_list.pk)


@login_required
def list_upload_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    groups = _groups(user)
    if request.method != "POST":
        form = ListUploadForm(groups=groups)
        return render(request, "segments/list_upload.html", {"form": form, "tab": "lists"})
    form = ListUploadForm(request.POST, request.FILES, groups=groups)
    context: dict[str, Any] = {"form": form, "tab": "lists"}
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = list_upload(
                actor=user, name=data["name"], text=data["content"], kind=data["kind"],
                description=data["description"], group=data["group"],
            )  # fmt: skip
        except UploadError as exc:
            form.add_error(None, str(exc))
        else:
            context["result"] = result
            if result.static_list is not None:
                return render(request, "segments/list_upload.html", context)
            form.add_error(None, "No line matched anyone you can see, so no list was made.")
    return render(request, "segments/list_upload.html", context, status=400)


__all__ = [
    "builder_preview",
    "list_detail",
    "list_export",
    "list_index",
    "list_remove_view",
    "list_upload_view",
    "segment_archive_view",
    "segment_detail",
    "segment_edit",
    "segment_export",
    "segment_freeze",
    "segment_list",
    "segment_new",
]
