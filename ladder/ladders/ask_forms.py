"""Forms of the ask screens. Choices are limited to what the user may use (their segments, their
groups, asks they can see), so an edited form posting another chapter's id gets a clear error
next to the field; the service checks the same again."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils import timezone

from ladder.core.models import User
from ladder.ladders.ask_selectors import asks_visible, segments_for
from ladder.ladders.asks import MAX_NEEDED, MAX_WAVE, MAX_WAVE_FACTOR
from ladder.ladders.models import Ask, Rung
from ladder.people.models import Tag
from ladder.people.selectors import groups_visible
from ladder.web.forms import LadderForm


class RungChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        rung = cast(Rung, obj)
        return f"{rung.ladder.name} — {rung.position}. {rung.name} (and above)"


class AskForm(LadderForm):
    title = forms.CharField(
        label="Title",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "10 phone-bank captains by Friday"}),
    )
    description = forms.CharField(
        label="What we are asking",
        required=False,
        max_length=5000,
        help_text="People see this on their accept/decline page.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    needed = forms.IntegerField(label="People needed", min_value=1, max_value=MAX_NEEDED, initial=3)
    segment: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="Segment", required=False, queryset=None, empty_label="— none —"
    )
    rung = RungChoiceField(
        label="Ladder rung",
        required=False,
        queryset=Rung.objects.none(),
        empty_label="— none —",
        help_text="People on this rung or higher. With a segment too: people in both.",
    )
    prefer_tags = forms.ModelMultipleChoiceField(
        label="Prefer people tagged",
        required=False,
        queryset=Tag.objects.none(),
        help_text="Skills or interests; preferred people are offered first, nobody is left out.",
    )
    prefer_postal_prefix = forms.CharField(
        label="Prefer postal codes starting with",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"placeholder": "503", "autocomplete": "off"}),
    )
    opens_after = forms.ModelChoiceField(
        label="Open after this ask fills",
        required=False,
        queryset=Ask.objects.none(),
        empty_label="— open when I say —",
    )
    deadline = forms.DateTimeField(
        label="Deadline",
        required=False,
        help_text="No offers after it; open offers are withdrawn.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    wave_factor = forms.IntegerField(
        label="Offers per open place",
        min_value=1,
        max_value=MAX_WAVE_FACTOR,
        initial=2,
        help_text="Not everyone says yes: each wave offers this many people per open place.",
    )
    group: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="Group", required=False, queryset=None
    )

    def __init__(self, data: Any = None, *, user: User) -> None:
        super().__init__(data)
        self.user = user
        fields = self.fields
        cast(forms.ModelChoiceField, fields["segment"]).queryset = segments_for(user).order_by(
            "name"
        )
        cast(forms.ModelChoiceField, fields["rung"]).queryset = Rung.objects.select_related(
            "ladder"
        ).order_by("ladder__position", "ladder__name", "position")
        cast(forms.ModelMultipleChoiceField, fields["prefer_tags"]).queryset = Tag.objects.order_by(
            "name"
        )
        cast(forms.ModelChoiceField, fields["opens_after"]).queryset = (
            asks_visible(user).exclude(status=Ask.Status.CLOSED).order_by("-created_at")
        )
        group = cast(forms.ModelChoiceField, fields["group"])
        group.queryset = groups_visible(user).order_by("name")
        if user.sees_everyone:
            group.empty_label = "— whole organization —"
            group.help_text = "Leaders of this group will see and work the ask too."
        else:
            group.required = True
            group.empty_label = None

    def clean_deadline(self) -> dt.datetime | None:
        deadline = self.cleaned_data.get("deadline")
        if deadline is not None and deadline <= timezone.now():
            raise forms.ValidationError("The deadline must be in the future.")
        return deadline

    def clean_prefer_postal_prefix(self) -> str:
        prefix = self.cleaned_data.get("prefer_postal_prefix", "").strip().upper()
        if prefix and not prefix.replace(" ", "").isalnum():
            raise forms.ValidationError("Use the first letters or digits of a postal code.")
        return prefix

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("segment") and not data.get("rung") and not self.has_error("segment"):
            self.add_error("segment", "Choose who to ask: a segment, a rung, or both.")
        return data


class WaveForm(LadderForm):
    """ "Offer to N more"; empty means the next wave by the usual rule."""

    count = forms.IntegerField(
        label="Offer to",
        required=False,
        min_value=1,
        max_value=MAX_WAVE,
        widget=forms.NumberInput(attrs={"placeholder": "next wave", "inputmode": "numeric"}),
    )
