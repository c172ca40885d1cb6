"""Forms of the staff screens. They validate at the edge; every write still goes through a
service, whose ValidationError/InvalidContact messages the views put back next to the field."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils import timezone

from ladder.activity.catalogue import ActivityChannel, ActivityType, ContactResult
from ladder.activity.services import CONTACT_KINDS
from ladder.people.models import CustomField, Person, Phone, Tag
from ladder.people.services import custom_field_coerce
from ladder.web.timeline import decode_cursor


class LadderForm(forms.Form):
    """Marks fields for the stylesheet: ``has-error`` beside the message, ``required``."""

    error_css_class = "has-error"
    required_css_class = "required"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class PeopleFilterForm(LadderForm):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name, email or phone", "autocomplete": "off"}
        ),
    )
    tag = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Tag")
    group = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Group")
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any,
        *,
        tags: list[tuple[int, str]],
        groups: list[tuple[int, str]],
    ) -> None:
        super().__init__(data)
        # Only the groups the user may see are offered, and only those validate: a leader who
        # edits the URL to another chapter's id gets a clear error, not an empty list.
        cast(forms.ChoiceField, self.fields["tag"]).choices = [("", "Any tag"), *tags]
        cast(forms.ChoiceField, self.fields["group"]).choices = [("", "Any group"), *groups]


class TimelineFilterForm(LadderForm):
    type = forms.ChoiceField(
        required=False, choices=[("", "All types"), *ActivityType.choices], label="Type"
    )
    channel = forms.ChoiceField(
        required=False, choices=[("", "Any channel"), *ActivityChannel.choices], label="Channel"
    )
    before = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_before(self) -> tuple[dt.datetime, int] | None:
        text = self.cleaned_data.get("before") or ""
        if not text:
            return None
        try:
            return decode_cursor(text)
        except (ValueError, OverflowError):
            raise forms.ValidationError(
                "That “load more” link is broken; the timeline starts from the newest again."
            ) from None


class NoteForm(LadderForm):
    prefix = "note"
    text = forms.CharField(
        label="Note",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What did you learn?"}),
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Write something first.")
        return text


class TagAddForm(LadderForm):
    prefix = "tag"
    name = forms.CharField(
        label="Add a tag",
        max_length=100,
        widget=forms.TextInput(attrs={"list": "tag-names", "autocomplete": "off"}),
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("A tag needs a name.")
        return name


class TagRemoveForm(LadderForm):
    prefix = "untag"
    tag = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, data: Any = None, *, person: Person) -> None:
        super().__init__(data)
        self.person = person

    def clean_tag(self) -> Tag:
        tag = Tag.objects.filter(pk=self.cleaned_data["tag"], taggings__person=self.person).first()
        if tag is None:
            raise forms.ValidationError("That tag is not on this person (already removed?).")
        return tag


CONTACT_CHOICES = [(k, ActivityType(k).label) for k in ActivityType.values if k in CONTACT_KINDS]
# A meeting or relational touch has no "not home"; the others must say what happened.
RESULT_REQUIRED = {ActivityType.CALL, ActivityType.DOOR_KNOCK, ActivityType.TEXT}


class ContactLogForm(LadderForm):
    prefix = "contact"
    kind = forms.ChoiceField(label="Kind", choices=CONTACT_CHOICES, initial=ActivityType.CALL)
    result = forms.ChoiceField(
        label="Result", required=False, choices=[("", "—"), *ContactResult.choices]
    )
    occurred_at = forms.DateTimeField(
        label="When",
        required=False,
        help_text="Leave empty for now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    notes = forms.CharField(
        label="Notes", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_occurred_at(self) -> dt.datetime | None:
        when = self.cleaned_data.get("occurred_at")
        if when is not None and when > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError("A contact cannot be logged in the future.")
        return when

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") in RESULT_REQUIRED and not data.get("result"):
            self.add_error("result", "Choose what happened (talked, not home…).")
        return data


class PersonEditForm(LadderForm):
    prefix = "edit"
    first_name = forms.CharField(label="First name", required=False, max_length=100)
    middle_name = forms.CharField(label="Middle name", required=False, max_length=100)
    last_name = forms.CharField(label="Last name", required=False, max_length=100)
    suffix = forms.CharField(label="Suffix", required=False, max_length=20)
    birthdate = forms.DateField(
        label="Birthdate",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
    )
    languages = forms.CharField(
        label="Languages", required=False, max_length=100, help_text="e.g. English, Spanish"
    )
    employer = forms.CharField(label="Employer", required=False, max_length=200)
    occupation = forms.CharField(label="Occupation", required=False, max_length=200)

    FIELDS = (
        "first_name", "middle_name", "last_name", "suffix",
        "birthdate", "languages", "employer", "occupation",
    )  # fmt: skip

    @classmethod
    def for_person(cls, person: Person, data: Any = None) -> PersonEditForm:
        return cls(data, initial={f: getattr(person, f) for f in cls.FIELDS})

    def clean_birthdate(self) -> dt.date | None:
        born = self.cleaned_data.get("birthdate")
        if born is not None:
            if born > timezone.localdate():
                raise forms.ValidationError("A birthdate cannot be in the future.")
            if born.year < 1900:
                raise forms.ValidationError("A birthdate before 1900 is surely a typo.")
        return born

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in self.FIELDS:
            if isinstance(data.get(name), str):
                data[name] = " ".join(data[name].split())
        if not data.get("first_name") and not data.get("last_name") and not self.errors:
            raise forms.ValidationError("Keep at least a first or a last name.")
        return data


BOOLEAN_CHOICES = [("", "—"), ("yes", "Yes"), ("no", "No")]


class CustomFieldsForm(LadderForm):
    """One input per defined custom field, typed for the browser; the service coerces and
    validates the values, so the rules live in one place (`custom_field_coerce`)."""

    prefix = "cf"

    def __init__(self, data: Any = None, *, definitions: list[CustomField], person: Person) -> None:
        super().__init__(data)
        self.definitions = definitions
        stored = person.custom_fields or {}
        for field in definitions:
            value = stored.get(field.key)
            self.fields[field.key] = self._input(field)
            if isinstance(value, bool):
                self.initial[field.key] = "yes" if value else "no"
            elif value is not None:
                self.initial[field.key] = str(value)

    @staticmethod
    def _input(field: CustomField) -> forms.Field:
        label = field.label
        match field.type:
            case CustomField.Type.NUMBER:
                return forms.CharField(
                    label=label, required=False,
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )  # fmt: skip
            case CustomField.Type.DATE:
                return forms.CharField(
                    label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
                )
            case CustomField.Type.CHOICE:
                choices = [("", "—"), *((str(c), str(c)) for c in field.choices)]
                return forms.ChoiceField(label=label, required=False, choices=choices)
            case CustomField.Type.BOOLEAN:
                return forms.ChoiceField(label=label, required=False, choices=BOOLEAN_CHOICES)
            case _:
                return forms.CharField(label=label, required=False, max_length=1000)

    def clean(self) -> dict[str, Any]:
        # The service's own coercion, run here too so that every bad value is reported at
        # once, next to its field, alongside the choice errors the form finds itself.
        data = super().clean() or {}
        for field in self.definitions:
            if field.key in data and field.key not in self.errors:
                try:
                    custom_field_coerce(field, data[field.key])
                except forms.ValidationError as exc:
                    self.add_error(field.key, exc.messages)
        return data

    def values(self) -> dict[str, Any]:
        # The yes/no select posts "yes"/"no", which the service already understands.
        return {f.key: self.cleaned_data.get(f.key, "") for f in self.definitions}


class EmailAddForm(LadderForm):
    prefix = "email"
    # A CharField, not an EmailField: `normalise_email` is the one judge of an address, and its
    # message ("must have exactly one @-sign") is the clearer one.
    address = forms.CharField(
        label="Email address",
        max_length=254,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off"}),
    )
    is_primary = forms.BooleanField(label="Make primary", required=False)


class PhoneAddForm(LadderForm):
    prefix = "phone"
    number = forms.CharField(
        label="Phone number", max_length=40, widget=forms.TextInput(attrs={"type": "tel"})
    )
    kind = forms.ChoiceField(label="Kind", choices=Phone.Kind.choices, initial=Phone.Kind.MOBILE)
    is_primary = forms.BooleanField(label="Make primary", required=False)
    do_not_call = forms.BooleanField(label="Do not call", required=False)
