"""Forms of the organizing screens: building a list, and one person's answers on a call or at
a door (the survey's questions, the result, notes)."""

from __future__ import annotations

from typing import Any

from django import forms

from ladder.activity.catalogue import ContactResult
from ladder.core.models import Role, User
from ladder.organizing.models import ContactList, Question, Script
from ladder.people.models import Group
from ladder.people.selectors import led_group_ids, visible_people
from ladder.segments.models import Segment, StaticList
from ladder.segments.selectors import lists_visible, segments_visible


class ContactListForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=ContactList.Kind.choices, widget=forms.RadioSelect)
    segment = forms.ModelChoiceField(queryset=Segment.objects.none(), required=False)
    static_list = forms.ModelChoiceField(
        queryset=StaticList.objects.none(), required=False, label="…or static list"
    )
    script = forms.ModelChoiceField(queryset=Script.objects.none(), required=False)
    group = forms.ModelChoiceField(queryset=Group.objects.none(), required=False)
    volunteers = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    open_to_group = forms.BooleanField(
        required=False, label="Open to every volunteer of the group, not only those ticked"
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = segments_visible(user).order_by("name")  # type: ignore[attr-defined]
        self.fields["static_list"].queryset = lists_visible(user).order_by("name")  # type: ignore[attr-defined]
        scripts = Script.objects.order_by("name")
        groups = Group.objects.order_by("name")
        if not user.sees_everyone:
            led = led_group_ids(user)
            scripts = scripts.filter(group_id__in=led) | scripts.filter(created_by=user)
            groups = groups.filter(pk__in=led)
        self.fields["script"].queryset = scripts  # type: ignore[attr-defined]
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        # Volunteers one may hand a list to: people one can see who have a login.
        people = visible_people(user).filter(user__isnull=False).values("user_id")
        self.fields["volunteers"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, pk__in=people, role__in=[Role.VOLUNTEER, Role.LEADER]
        ).order_by("username")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("segment")) == bool(data.get("static_list")):
            self.add_error("segment", "Choose one segment or one static list.")
        return data


class AnswersForm(forms.Form):
    """One person's answers: the survey's questions (all optional), the result, notes."""

    result = forms.ChoiceField(widget=forms.RadioSelect)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, data: Any = None, *, script: Script | None, prefix: str) -> None:
        super().__init__(data, prefix=prefix)
        codes = script.results if script else list(ContactResult.values)
        labels = dict(ContactResult.choices)
        self.fields["result"].choices = [(c, labels.get(c, c)) for c in codes]  # type: ignore[attr-defined]
        self.questions: list[Question] = (
            list(script.survey.questions.all()) if script and script.survey else []
        )
        for question in self.questions:
            self.fields[f"q_{question.key}"] = _field(question)

    def answers(self) -> dict[str, Any]:
        return {q.key: self.cleaned_data.get(f"q_{q.key}") for q in self.questions}


def _field(question: Question) -> forms.Field:
    label = question.prompt
    match question.kind:
        case Question.Kind.SINGLE:
            return forms.ChoiceField(
                label=label, required=False, widget=forms.RadioSelect,
                choices=[(c, c) for c in question.choices],
            )  # fmt: skip
        case Question.Kind.MULTI:
            return forms.MultipleChoiceField(
                label=label, required=False, widget=forms.CheckboxSelectMultiple,
                choices=[(c, c) for c in question.choices],
            )  # fmt: skip
        case Question.Kind.SCALE:
            steps = range(question.scale_min, question.scale_max + 1)
            return forms.ChoiceField(
                label=label, required=False, widget=forms.RadioSelect,
                choices=[(str(n), str(n)) for n in steps],
            )  # fmt: skip
        case _:
            return forms.CharField(
                label=label, required=False, widget=forms.Textarea(attrs={"rows": 2})
            )


class ContactsUploadForm(forms.Form):
    file = forms.FileField(
        label="Your contacts",
        help_text="A CSV (name, email, phone, zip columns) or a vCard file from your phone.",
    )


class TeamForm(forms.Form):
    """A team under a group: its name, the login who leads it, and who is in it (the group's
    people of one segment or list, or nobody yet)."""

    name = forms.CharField(max_length=200, label="Team name")
    leader = forms.ModelChoiceField(queryset=User.objects.none(), label="Led by")
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.none(), required=False, label="Members from a segment"
    )
    static_list = forms.ModelChoiceField(
        queryset=StaticList.objects.none(), required=False, label="…or a static list"
    )

    def __init__(self, *args: Any, user: User, candidates: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=[c.pk for c in candidates]
        ).order_by("username")
        self.fields["segment"].queryset = segments_visible(user).order_by("name")  # type: ignore[attr-defined]
        self.fields["static_list"].queryset = lists_visible(user).order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("segment") and data.get("static_list"):
            self.add_error("static_list", "Choose a segment or a list, not both.")
        return data
