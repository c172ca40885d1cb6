"""The compose form: content (up to three subjects, senders and bodies), audience, the variant
test, and when to send. Every choice offered is one the user may make: segments, lists, senders,
templates and groups come from the user's own scope."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from ladder.core.models import User
from ladder.mailings import merge
from ladder.mailings.models import Mailing, Topic
from ladder.mailings.selectors import senders_visible, templates_visible
from ladder.people.models import Group
from ladder.people.selectors import groups_visible
from ladder.segments.models import Segment
from ladder.segments.selectors import lists_visible, segments_visible
from ladder.web.forms import LadderForm

MAX_EACH = 3
SUBJECTS = [f"subject_{n}" for n in range(1, MAX_EACH + 1)]
BODIES = [f"body_{n}" for n in range(1, MAX_EACH + 1)]
_AUDIENCE = ("include_segments", "include_lists", "exclude_segments", "exclude_lists")
# A service error names a body by number when there are several ("Body 2: Line 3: …").
_NUMBERED = re.compile(r"^(Body|Subject) (\d): (.*)$", re.S)

CONFIDENCE_CHOICES = [("0.8", "80%"), ("0.9", "90%"), ("0.95", "95%"), ("0.99", "99%")]


def _multi(label: str, help_text: str = "") -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=label, queryset=Segment.objects.none(), required=False, help_text=help_text,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip


class MailingForm(LadderForm):
    name = forms.CharField(
        label="Name", max_length=200, help_text="For you and the reports; supporters never see it."
    )
    topic = forms.ChoiceField(
        label="Topic", choices=Topic.choices, initial=Topic.NEWS,
        help_text="People who turned this topic off in their preferences are left out.",
    )  # fmt: skip
    group = forms.ModelChoiceField(
        label="Group", queryset=Group.objects.none(), required=False,
        empty_label="— whole organization —",
    )  # fmt: skip
    senders = forms.ModelMultipleChoiceField(
        label="From", queryset=Segment.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Up to three; each one is tested against the others. None: the default sender.",
    )  # fmt: skip
    template = forms.ModelChoiceField(
        label="Start from a template", queryset=Segment.objects.none(), required=False,
        empty_label="— choose —",
    )  # fmt: skip
    subject_1 = forms.CharField(label="Subject 1", max_length=300, required=False)
    subject_2 = forms.CharField(label="Subject 2", max_length=300, required=False)
    subject_3 = forms.CharField(label="Subject 3", max_length=300, required=False)
    body_1 = forms.CharField(
        label="Body 1", required=False, widget=forms.Textarea(attrs={"rows": 12, "class": "mono"})
    )
    body_2 = forms.CharField(
        label="Body 2", required=False, widget=forms.Textarea(attrs={"rows": 8, "class": "mono"})
    )
    body_3 = forms.CharField(
        label="Body 3", required=False, widget=forms.Textarea(attrs={"rows": 8, "class": "mono"})
    )
    include_segments = _multi("Segments")
    include_lists = _multi("Lists")
    exclude_segments = _multi("Minus segments")
    exclude_lists = _multi("Minus lists")
    frequency_cap = forms.IntegerField(
        label="Frequency cap", required=False, min_value=1, max_value=50,
        help_text="Leave out anyone who already got this many mailings in the last 7 days.",
    )  # fmt: skip
    test_share = forms.IntegerField(
        label="Test share (%)", min_value=1, max_value=100, initial=20,
        help_text="This share of the audience gets the variants; the rest gets the winner. "
        "100: no test, everyone at once.",
    )  # fmt: skip
    metric = forms.ChoiceField(
        label="Winner by", choices=Mailing.Metric.choices, initial=Mailing.Metric.CLICKS,
        help_text="Not opens: privacy features open mail nobody read.",
    )  # fmt: skip
    test_hours = forms.DecimalField(
        label="Test for (hours)", min_value=Decimal("0.25"), max_value=Decimal(168),
        max_digits=6, decimal_places=2, initial=4,
    )  # fmt: skip
    confidence = forms.TypedChoiceField(
        label="Confidence", choices=CONFIDENCE_CHOICES, coerce=float, initial="0.95",
        help_text="How sure the test must be before it picks a winner early.",
    )  # fmt: skip
    scheduled_at = forms.DateTimeField(
        label="Send at", required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="For “Schedule”.",
    )  # fmt: skip

    def __init__(
        self, data: Any = None, *, user: User, mailing: Mailing | None = None, **kwargs: Any
    ) -> None:
        initial: dict[str, Any] = {}
        if mailing is not None:
            initial = _initial(mailing)
        super().__init__(data, initial=initial, **kwargs)
        self.user, self.mailing = user, mailing
        fields = self.fields
        cast(forms.ModelChoiceField, fields["group"]).queryset = groups_visible(user).order_by(
            "name"
        )
        cast(forms.ModelMultipleChoiceField, fields["senders"]).queryset = senders_visible(user)
        cast(forms.ModelChoiceField, fields["template"]).queryset = templates_visible(user)
        segments, lists = segments_visible(user).order_by("name"), lists_visible(user)
        for name in ("include_segments", "exclude_segments"):
            cast(forms.ModelMultipleChoiceField, fields[name]).queryset = segments
        for name in ("include_lists", "exclude_lists"):
            cast(forms.ModelMultipleChoiceField, fields[name]).queryset = lists.order_by("name")
        for name in SUBJECTS:
            fields[name].widget.attrs.setdefault("autocomplete", "off")
        for name in ("senders", *_AUDIENCE):
            field = cast(forms.ModelMultipleChoiceField, fields[name])
            if field.queryset is not None and not field.queryset.exists():
                field.help_text = (
                    "None yet: the mail goes from the organization's default sender."
                    if name == "senders"
                    else "None you can use yet."
                )

    # Merge errors are found per field, so that each shows next to the text it is about.
    def _merge_check(self, name: str, compile_one: Any) -> str:
        text = self.cleaned_data.get(name) or ""
        if text.strip():
            try:
                compile_one(text)
            except merge.MergeError as error:
                raise ValidationError(str(error)) from None
        return text

    def clean_subject_1(self) -> str:
        return self._merge_check("subject_1", merge.compile_subject)

    def clean_subject_2(self) -> str:
        return self._merge_check("subject_2", merge.compile_subject)

    def clean_subject_3(self) -> str:
        return self._merge_check("subject_3", merge.compile_subject)

    def clean_body_1(self) -> str:
        return self._merge_check("body_1", merge.compile_body)

    def clean_body_2(self) -> str:
        return self._merge_check("body_2", merge.compile_body)

    def clean_body_3(self) -> str:
        return self._merge_check("body_3", merge.compile_body)

    def clean_senders(self) -> Any:
        senders = self.cleaned_data["senders"]
        if len(senders) > MAX_EACH:
            raise ValidationError(f"At most {MAX_EACH} senders.")
        return senders

    def clean_scheduled_at(self) -> Any:
        when = self.cleaned_data.get("scheduled_at")
        if when is not None and when <= timezone.now():
            raise ValidationError("Choose a time in the future.")
        return when

    def check_content(self) -> None:
        """What saving needs beyond valid fields: a subject and a body (a draft may have
        nothing else)."""
        data = self.cleaned_data
        if not any((data.get(n) or "").strip() for n in SUBJECTS):
            self.add_error("subject_1", "Write at least one subject.")
        if not any((data.get(n) or "").strip() for n in BODIES):
            self.add_error("body_1", "Write at least one body.")

    def subjects(self) -> list[str]:
        data = self.cleaned_data
        return [s.strip() for s in (data.get(n) or "" for n in SUBJECTS) if s.strip()]

    def bodies(self) -> list[str]:
        return [b for b in (self.cleaned_data.get(n) or "" for n in BODIES) if b.strip()]

    def values(self) -> dict[str, Any]:
        """Keyword arguments for `mailing_create` / `mailing_update`."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "name": data["name"],
            "topic": data["topic"],
            "group": data.get("group"),
            "subjects": self.subjects(),
            "bodies": self.bodies(),
            "senders": list(data.get("senders") or []),
            "frequency_cap": data.get("frequency_cap"),
            "test_share": data["test_share"],
            "metric": data["metric"],
            "test_hours": data["test_hours"],
            "confidence": data["confidence"],
        }
        for name in _AUDIENCE:
            values[name] = list(data.get(name) or [])
        return values

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's ValidationError next to the fields it names."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for key, problems in error.message_dict.items():
            for problem in problems:
                target, text = _field_for(key, problem)
                self.add_error(target if target in self.fields else None, text)


def _field_for(key: str, problem: str) -> tuple[str | None, str]:
    if key in ("subjects", "bodies"):
        prefix = "subject" if key == "subjects" else "body"
        numbered = _NUMBERED.match(problem)
        if numbered:
            return f"{prefix}_{numbered.group(2)}", numbered.group(3)
        return f"{prefix}_1", problem
    if key == "__all__":
        return None, problem
    return key, problem


def _initial(mailing: Mailing) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": mailing.name,
        "topic": mailing.topic,
        "group": mailing.group_id,
        "frequency_cap": mailing.frequency_cap,
        "test_share": mailing.test_share,
        "metric": mailing.metric,
        "test_hours": mailing.test_hours,
        "confidence": str(mailing.confidence),
        "scheduled_at": timezone.localtime(mailing.scheduled_at) if mailing.scheduled_at else None,
        "senders": [s.pk for s in mailing.senders.all()],
    }
    for name in _AUDIENCE:
        initial[name] = [x.pk for x in getattr(mailing, name).all()]
    for n, subject in enumerate(mailing.subjects[:MAX_EACH], 1):
        initial[f"subject_{n}"] = subject
    for n, body in enumerate(mailing.bodies[:MAX_EACH], 1):
        initial[f"body_{n}"] = body
    return initial


def combinations(form: MailingForm) -> tuple[int, int, int]:
    """Subjects, bodies and senders as written so far in a bound form (valid or not)."""
    data = form.data
    subjects = sum(1 for n in SUBJECTS if str(data.get(n, "")).strip())
    bodies = sum(1 for n in BODIES if str(data.get(n, "")).strip())
    senders = len(data.getlist("senders")) if hasattr(data, "getlist") else 0
    return max(1, subjects), max(1, bodies), max(1, senders)


__all__ = ["BODIES", "SUBJECTS", "MailingForm", "combinations"]
