"""Admin screens for what organizers configure rarely: ladders with their rungs, and the
engagement score's weights. Criteria are checked against the filter language (an error names
the place in the definition), and a change is followed by a recompute in the worker."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest

from ladder.ladders.models import EngagementConfig, Ladder, Rung
from ladder.ladders.next_step import CHANNELS
from ladder.ladders.scoring import (
    MAX_HALF_LIFE_DAYS,
    MIN_HALF_LIFE_DAYS,
    WeightsError,
    engagement_config_update,
    weights_validate,
)
from ladder.ladders.tasks import ladders_recompute_task
from ladder.segments.filters import FilterError, parse


def _recompute_later(request: HttpRequest, what: str) -> None:
    transaction.on_commit(lambda: ladders_recompute_task.enqueue())
    messages.info(request, f"{what} The worker is recomputing scores and placements now.")


class RungForm(forms.ModelForm):
    class Meta:
        model = Rung
        fields = [
            "position", "name", "responsibilities", "criteria", "next_steps",
            "grants", "grants_automatically",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("grants_automatically") and not data.get("grants"):
            self.add_error("grants", "Choose the responsibility to grant.")
        return data

    def clean_criteria(self) -> dict[str, Any]:
        try:
            return parse(self.cleaned_data["criteria"])
        except FilterError as exc:
            raise forms.ValidationError(f"Not a valid definition — {exc}") from None

    def clean_next_steps(self) -> list[dict[str, str]]:
        steps = self.cleaned_data["next_steps"] or []
        if not isinstance(steps, list):
            raise forms.ValidationError('A list like [{"text": "…", "channel": "events"}].')
        for i, step in enumerate(steps, start=1):
            ok = isinstance(step, dict) and isinstance(step.get("text"), str) and step["text"]
            if not ok:
                raise forms.ValidationError(f"Step {i} needs a text.")
            if step.get("channel", "any") not in CHANNELS:
                raise forms.ValidationError(
                    f"Step {i}: the channel is one of {', '.join(CHANNELS)}."
                )
            # "public" is the step in words for the supporter (a thank-you page), "url" where
            # they take it: a page of ours or an http(s) address, never javascript: or data:.
            url = str(step.get("url", ""))
            if url and not (url.startswith("/") or url.startswith(("https://", "http://"))):
                raise forms.ValidationError(f"Step {i}: the url is a path or an http(s) address.")
        return steps


class RungInline(admin.StackedInline):
    model = Rung
    form = RungForm
    extra = 0
    ordering = ["position"]


@admin.register(Ladder)
class LadderAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position", "step_down_after_days", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [RungInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _recompute_later(request, "Saved.")


class EngagementConfigForm(forms.ModelForm):
    class Meta:
        model = EngagementConfig
        fields = ["half_life_days", "weights"]

    def clean_half_life_days(self) -> int:
        days = self.cleaned_data["half_life_days"]
        if not MIN_HALF_LIFE_DAYS <= days <= MAX_HALF_LIFE_DAYS:
            raise forms.ValidationError(
                f"Between {MIN_HALF_LIFE_DAYS} and {MAX_HALF_LIFE_DAYS} days."
            )
        return int(days)

    def clean_weights(self) -> dict[str, float]:
        # The service checks again; checking here puts the message next to the field.
        try:
            return weights_validate(self.cleaned_data["weights"])
        except WeightsError as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(EngagementConfig)
class EngagementConfigAdmin(admin.ModelAdmin):
    form = EngagementConfigForm
    list_display = ("__str__", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not EngagementConfig.objects.exists()  # one row (id 1)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = engagement_config_update(
            actor=request.user,  # type: ignore[arg-type]
            half_life_days=form.cleaned_data["half_life_days"],
            weights=form.cleaned_data["weights"],
            recompute=False,
        )
        obj.pk = saved.pk
        _recompute_later(request, "The engagement score's settings are saved.")
