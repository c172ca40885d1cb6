"""The goal form: what to measure, for whom, how much, by when."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.core.access import is_staff_user
from ladder.core.models import User
from ladder.insights.models import Metric
from ladder.ladders.models import Rung
from ladder.people.models import Group
from ladder.people.selectors import groups_visible
from ladder.web.forms import LadderForm


class RungField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.ladder.name}: {obj.name}"


class GoalForm(LadderForm):
    name = forms.CharField(
        max_length=200, label="Goal",
        widget=forms.TextInput(attrs={"placeholder": "10,000 doors by Election Day"}),
    )  # fmt: skip
    metric = forms.ChoiceField(label="Measure", choices=Metric.choices)
    activity_type = forms.ChoiceField(
        label="Activity (for a count or amount of an activity)", required=False,
        choices=[("", "—"), *ActivityType.choices],
    )  # fmt: skip
    rung = RungField(
        label="Rung (for people on a rung or higher)", required=False,
        queryset=Rung.objects.select_related("ladder").order_by("ladder__name", "position"),
    )  # fmt: skip
    group = forms.ModelChoiceField(label="For", queryset=Group.objects.none(), required=False)
    target = forms.DecimalField(label="Target", min_value=0.01, max_digits=14, decimal_places=2)
    starts_on = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    deadline = forms.DateField(label="Deadline", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data: Any = None, *, user: User) -> None:
        today = timezone.localdate()
        super().__init__(data, initial={"starts_on": today,
                                        "deadline": today + dt.timedelta(days=30)})  # fmt: skip
        group = cast(forms.ModelChoiceField, self.fields["group"])
        group.queryset = groups_visible(user).order_by("name")
        if is_staff_user(user):
            group.empty_label = "The whole organization"
        else:
            group.required = True
            group.empty_label = None


class DashboardForm(forms.Form):
    days = forms.TypedChoiceField(
        label="Over", coerce=int, required=False,
        choices=[(7, "7 days"), (30, "30 days"), (90, "90 days")],
    )  # fmt: skip
    group = forms.ModelChoiceField(label="Group", queryset=Group.objects.none(), required=False,
                                   empty_label="— all my groups —")  # fmt: skip

    def __init__(self, data: Any = None, *, user: User) -> None:
        super().__init__(data, initial={"days": 30})
        field = cast(forms.ModelChoiceField, self.fields["group"])
        field.queryset = groups_visible(user).order_by("name")
