"""Forms of the organizing screens: building a list, and one person's answers on a call or at
a door (the survey's questions, the result, notes)."""

from __future__ import annotations

from typing import Any

from django import forms

from ladder.activity.catalogue import ContactResult
from ladder.core.models import Role, User
from ladder.organizing.models import ContactList, Question, Script, Survey
from ladder.organizing.selectors import scripts_visible, surveys_visible
from ladder.organizing.surveys import TEXT_ANSWER_MAX
from ladder.people.models import CustomField, Group
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
        groups = Group.objects.order_by("name")
        if not user.sees_everyone:
            groups = groups.filter(pk__in=led_group_ids(user))
        self.fields["script"].queryset = scripts_visible(user).order_by("name")  # type: ignore[attr-defined]
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
            self.fields[f"q_{question.key}"] = question_field(question)

    def answers(self) -> dict[str, Any]:
        return {q.key: self.cleaned_data.get(f"q_{q.key}") for q in self.questions}


def question_field(question: Question) -> forms.Field:
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
                label=label, required=False, max_length=TEXT_ANSWER_MAX,
                widget=forms.Textarea(attrs={"rows": 2}),
            )  # fmt: skip


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


class SurveyForm(forms.Form):
    name = forms.CharField(max_length=200, label="Survey name")
    group = forms.ModelChoiceField(
        queryset=Group.objects.none(), required=False, empty_label="— whole organization —"
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = Group.objects.order_by("name")
        if not user.sees_everyone:
            groups = groups.filter(pk__in=led_group_ids(user))
            self.fields["group"].required = True
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]


EFFECTS_HELP = (
    "One line per choice: “Education: tag cares: education” adds a tag; "
    "“Yes: field wants_to_volunteer = yes” sets a custom field."
)


class QuestionForm(forms.Form):
    """One question of the survey builder. Choices and effects are lines of text, so that an
    organizer writes a question the way they would say it."""

    prompt = forms.CharField(max_length=500, required=False, label="Question")
    kind = forms.ChoiceField(choices=Question.Kind.choices, initial=Question.Kind.SINGLE)
    choices = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One choice per line (one or several choices).",
    )  # fmt: skip
    scale_min = forms.IntegerField(initial=1, required=False, min_value=-100, max_value=100)
    scale_max = forms.IntegerField(initial=5, required=False, min_value=-100, max_value=100)
    effects = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=EFFECTS_HELP
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choices = [c.strip() for c in (data.get("choices") or "").splitlines() if c.strip()]
        data["choices"] = list(dict.fromkeys(choices))
        choosing = data.get("kind") in (Question.Kind.SINGLE, Question.Kind.MULTI)
        if data.get("prompt") and choosing and len(data["choices"]) < 2:
            self.add_error("choices", "A choice question needs at least two choices.")
        effects: dict[str, dict[str, Any]] = {}
        for n, line in enumerate((data.get("effects") or "").splitlines(), start=1):
            if not line.strip():
                continue
            choice, colon, what = line.partition(":")
            verb, _, rest = what.strip().partition(" ")
            if not colon or verb not in ("tag", "field") or not rest.strip():
                self.add_error(
                    "effects", f"Line {n}: write “Choice: tag name” or “Choice: field key = value”."
                )
                continue
            if choice.strip() not in data["choices"]:
                self.add_error(
                    "effects", f"Line {n}: “{choice.strip()}” is not one of the choices."
                )
                continue
            if verb == "tag":
                effects.setdefault(choice.strip(), {})["tag"] = rest.strip()[:100]
                continue
            key, equals, value = rest.partition("=")
            if not equals or not CustomField.objects.filter(key=key.strip()).exists():
                self.add_error("effects", f"Line {n}: “{key.strip()}” is not a custom field.")
                continue
            effects.setdefault(choice.strip(), {})["field"] = [key.strip(), value.strip()]
        data["effects"] = effects
        return data


class ScriptForm(forms.Form):
    name = forms.CharField(max_length=200, label="Script name")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), label="What to say",
        help_text="Merge fields fill in each person: {{ first_name }}, {{ last_name }}.",
    )  # fmt: skip
    survey = forms.ModelChoiceField(
        queryset=Survey.objects.none(), required=False, empty_label="— no survey —"
    )
    result_codes = forms.MultipleChoiceField(
        choices=ContactResult.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="Results a volunteer may set", help_text="None ticked: all of them.",
    )  # fmt: skip
    group = forms.ModelChoiceField(
        queryset=Group.objects.none(), required=False, empty_label="— whole organization —"
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = surveys_visible(user).order_by("name")  # type: ignore[attr-defined]
        groups = Group.objects.order_by("name")
        if not user.sees_everyone:
            groups = groups.filter(pk__in=led_group_ids(user))
            self.fields["group"].required = True
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]


class PolicyForm(forms.Form):
    same_channel_days = forms.IntegerField(
        min_value=0, max_value=365, label="Days between calls or knocks",
        help_text="At most one call or door knock to a person in this many days.",
    )  # fmt: skip
    other_channel_days = forms.IntegerField(
        min_value=0, max_value=365, label="Days after another contact",
        help_text="No call or knock within this many days of a text, meeting or other contact.",
    )  # fmt: skip
