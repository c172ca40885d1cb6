"""The public action form (one per page: the page decides which fields it asks) and the staff
page editor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms

from ladder.actions.models import ActionPage, PersonalGoal
from ladder.actions.payments import PROCESSORS
from ladder.actions.safety import HONEYPOT
from ladder.core.models import User
from ladder.organizing.forms import question_field
from ladder.organizing.models import Survey
from ladder.organizing.selectors import surveys_visible
from ladder.people.models import CustomField, Group
from ladder.people.normalize import InvalidContact, normalise_email, normalise_phone
from ladder.people.selectors import groups_visible
from ladder.people.services import custom_field_coerce
from ladder.web.forms import CustomFieldsForm, LadderForm

NAME_MAX = 100


class SupporterEmailField(forms.CharField):
    """An email address as `normalise_email` judges it (a CharField: its message is clearer
    than EmailField's); cleans to the normalised address, or "" when not required and empty."""

    def __init__(self, *, label: str = "Email", required: bool = True, **kwargs: Any) -> None:
        widget = forms.TextInput(attrs={"type": "email", "autocomplete": "email",
                                        "inputmode": "email"})  # fmt: skip
        super().__init__(label=label, max_length=254, required=required, widget=widget, **kwargs)

    def clean(self, value: Any) -> str:
        raw = super().clean(value).strip()
        if not raw:
            return ""
        try:
            return normalise_email(raw)
        except InvalidContact as exc:
            raise forms.ValidationError(f"Please check this address: {exc}.") from None


class SupporterPhoneField(forms.CharField):
    """A phone number in E.164 (`normalise_phone`), or "" when left empty."""

    def __init__(self, *, label: str = "Phone", **kwargs: Any) -> None:
        widget = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})
        super().__init__(label=label, max_length=40, required=False, widget=widget, **kwargs)

    def clean(self, value: Any) -> str:
        raw = super().clean(value).strip()
        if not raw:
            return ""
        try:
            return normalise_phone(raw)
        except InvalidContact as exc:
            raise forms.ValidationError(f"Please check this number: {exc}.") from None


class ActionForm(LadderForm):
    """Name, email, the page's optional phone and postal code, its questions, the opt-in box
    in the page's words, and the hidden token, referral code and honeypot."""

    first_name = forms.CharField(
        label="First name", max_length=NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )  # fmt: skip
    last_name = forms.CharField(
        label="Last name", max_length=NAME_MAX, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )  # fmt: skip
    email = SupporterEmailField()
    token = forms.CharField(widget=forms.HiddenInput, max_length=400)
    ref = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)

    def __init__(self, data: Any = None, *, page: ActionPage, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.page = page
        if page.kind == ActionPage.Kind.DONATION:
            amounts = [a for a in page.suggested_amounts if isinstance(a, int | float)]
            self.fields["amount"] = forms.ChoiceField(
                label="Amount", required=False, widget=forms.RadioSelect,
                choices=[(str(a), f"${a:,.0f}") for a in amounts],
            )  # fmt: skip
            self.fields["other_amount"] = forms.DecimalField(
                label="Other amount ($)", required=False, min_value=Decimal("1"),
                max_value=Decimal("1000000"), decimal_places=2,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )  # fmt: skip
            if page.allow_recurring:
                self.fields["recurring"] = forms.BooleanField(
                    label="Make it monthly", required=False
                )
            self.fields["anonymous"] = forms.BooleanField(
                label="Leave my name off the honour roll", required=False
            )
        if page.kind == ActionPage.Kind.EVENT:
            self.fields["shift"] = forms.TypedChoiceField(
                label="Choose a time", coerce=int, choices=shift_choices(page),
                widget=forms.RadioSelect,
            )  # fmt: skip
        if page.ask_phone:
            self.fields["phone"] = SupporterPhoneField(label="Mobile phone")
        if page.ask_postal_code:
            self.fields["postal_code"] = forms.CharField(
                label="ZIP code", max_length=10, required=False,
                widget=forms.TextInput(attrs={"autocomplete": "postal-code",
                                              "inputmode": "numeric"}),
            )  # fmt: skip
        self.questions = list(CustomField.objects.filter(key__in=page.questions))
        self.questions.sort(key=lambda f: page.questions.index(f.key))
        for field in self.questions:
            self.fields[f"q_{field.key}"] = CustomFieldsForm._input(field)
        self.survey_questions = (
            list(page.survey.questions.all())
            if page.survey is not None
            and page.kind in (ActionPage.Kind.PETITION, ActionPage.Kind.FORM)
            else []
        )
        for question in self.survey_questions:
            self.fields[f"sv_{question.key}"] = question_field(question)
        if page.consent_wording:
            self.fields["email_opt_in"] = forms.BooleanField(
                label=page.consent_wording, required=False
            )
        # The honeypot: hidden from people (CSS and aria), filled in by scripts.
        self.fields[HONEYPOT] = forms.CharField(
            required=False, label="Leave this empty",
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )  # fmt: skip

    @property
    def caught(self) -> bool:
        """A script filled in the honeypot."""
        return bool((self.data.get(HONEYPOT) or "").strip())

    def clean_first_name(self) -> str:
        return " ".join(self.cleaned_data["first_name"].split())

    def clean_last_name(self) -> str:
        return " ".join(self.cleaned_data["last_name"].split())

    def clean_postal_code(self) -> str:
        value = "".join(self.cleaned_data.get("postal_code", "").split()).upper()
        if value and not value.replace("-", "").isalnum():
            raise forms.ValidationError("A ZIP code is letters and digits, like 50309.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.page.kind == ActionPage.Kind.DONATION and not self.errors.get("other_amount"):
            chosen = data.get("other_amount") or (
                Decimal(data["amount"]) if data.get("amount") else None
            )
            if chosen is None:
                self.add_error("amount", "Choose an amount, or type another one.")
            else:
                data["gift"] = chosen
        for field in self.questions:
            name = f"q_{field.key}"
            if name in data and name not in self.errors and data[name] not in ("", None):
                try:
                    custom_field_coerce(field, data[name])
                except forms.ValidationError as exc:
                    self.add_error(name, exc.messages)
        return data

    def answers(self) -> dict[str, Any]:
        return {f.key: self.cleaned_data.get(f"q_{f.key}", "") for f in self.questions}

    def survey_answers(self) -> dict[str, Any]:
        """The survey's answers given (unanswered questions left out)."""
        given = {q.key: self.cleaned_data.get(f"sv_{q.key}") for q in self.survey_questions}
        return {k: v for k, v in given.items() if v not in (None, "", [])}

    def public_fields(self) -> list[Any]:
        """The visible fields, in order (the hidden ones and the honeypot are drawn apart)."""
        hidden = {"token", "ref", HONEYPOT, "email_opt_in", "shift", "amount", "other_amount",
                  "recurring", "anonymous"}  # fmt: skip
        return [self[name] for name in self.fields if name not in hidden]


def shift_choices(page: ActionPage) -> list[tuple[int, str]]:
    """The shifts still to come, each saying how many places are left (or that it is full and
    an RSVP joins the waitlist)."""
    from django.utils import timezone

    from ladder.actions.mail import when_text

    out = []
    for shift in page.event.shifts.filter(ends_at__gt=timezone.now()).select_related("event"):
        label = when_text(shift) + (f" · {shift.name}" if shift.name else "")
        left = shift.places_left
        if left is not None:
            label += " · full: join the waitlist" if left == 0 else f" · {left} left"
        out.append((shift.pk, label))
    return out


class PageForm(LadderForm):
    """The staff editor of a page."""

    kind = forms.ChoiceField(
        label="Kind", choices=[c for c in ActionPage.Kind.choices if c[0] != "event"],
        help_text="Events have their own form (New event).",
    )  # fmt: skip
    title = forms.CharField(label="Title", max_length=200)
    target = forms.CharField(
        label="Addressed to", max_length=300, required=False,
        help_text="Petitions: who the petition is to (“Governor Reynolds”).",
    )  # fmt: skip
    body = forms.CharField(
        label="Text", required=False, widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Paragraphs, bold, italics, lists, links and images; anything else is removed.",
    )  # fmt: skip
    goal = forms.IntegerField(label="Goal", required=False, min_value=1, max_value=100_000_000)
    ask_phone = forms.BooleanField(label="Ask for a mobile phone", required=False)
    ask_postal_code = forms.BooleanField(label="Ask for a ZIP code", required=False, initial=True)
    questions = forms.MultipleChoiceField(
        label="Questions", required=False, widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text="Custom fields to ask; the answers land on the person's profile.",
    )  # fmt: skip
    survey = forms.ModelChoiceField(
        label="Survey", queryset=Survey.objects.none(), required=False,
        empty_label="— none —",
        help_text="Petitions and forms: the survey's questions, asked under the page's own.",
    )  # fmt: skip
    consent_wording = forms.CharField(
        label="Email opt-in wording", max_length=500, required=False,
        initial="Yes, send me email updates. I can unsubscribe at any time.",
        help_text="Shown next to the box and kept word for word in the consent ledger.",
    )  # fmt: skip
    thanks_text = forms.CharField(
        label="Thank-you message", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    autoresponse_subject = forms.CharField(label="Email subject", max_length=200, required=False)
    autoresponse_body = forms.CharField(
        label="Email text", required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Sent after someone acts; {first_name} and {page} are filled in.",
    )  # fmt: skip
    suggested_amounts = forms.CharField(
        label="Suggested amounts ($)", required=False, initial="10, 25, 50, 100, 250",
        help_text="Donation pages: whole dollars, separated by commas.",
    )  # fmt: skip
    allow_recurring = forms.BooleanField(label="Offer monthly gifts", required=False)
    processor = forms.ChoiceField(
        label="Payments", initial="offline", required=False,
        choices=[(p.name, p.label) for p in PROCESSORS.values()],
    )  # fmt: skip
    processor_url = forms.URLField(
        label="ActBlue form", required=False, help_text="https://secure.actblue.com/donate/…"
    )
    allow_fundraisers = forms.BooleanField(
        label="Supporters may start their own fundraising pages", required=False
    )
    public_leaderboard = forms.BooleanField(
        label="Show the top fundraisers on the public pages", required=False, initial=True
    )
    allowed_origins = forms.CharField(
        label="May be embedded on", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Sites that may show this page in an iframe, one per line (https://example.org).",
    )  # fmt: skip
    group = forms.ModelChoiceField(
        label="Group", queryset=Group.objects.none(), required=False,
        empty_label="— whole organization —",
    )  # fmt: skip

    def __init__(self, data: Any = None, *, user: User, page: ActionPage | None = None) -> None:
        initial: dict[str, Any] = {}
        if page is not None:
            initial = {
                name: getattr(page, name)
                for name in self.base_fields
                if name not in ("group", "survey")
            }
            initial["group"], initial["survey"] = page.group_id, page.survey_id
            initial["suggested_amounts"] = ", ".join(str(a) for a in page.suggested_amounts)
        super().__init__(data, initial=initial)
        cast(forms.MultipleChoiceField, self.fields["questions"]).choices = list(
            CustomField.objects.order_by("label").values_list("key", "label")
        )
        groups = groups_visible(user).order_by("name")
        cast(forms.ModelChoiceField, self.fields["group"]).queryset = groups
        surveys = surveys_visible(user).order_by("name")
        cast(forms.ModelChoiceField, self.fields["survey"]).queryset = surveys
        if page is not None:
            self.fields["kind"].disabled = True

    def clean_processor(self) -> str:
        return self.cleaned_data.get("processor") or "offline"

    def clean_suggested_amounts(self) -> list[int]:
        raw = self.cleaned_data["suggested_amounts"]
        amounts = []
        for part in raw.replace(";", ",").split(","):
            part = part.strip().lstrip("$").replace(",", "")
            if part:
                if not part.isdigit() or not 1 <= int(part) <= 1_000_000:
                    raise forms.ValidationError(f"“{part}” is not a whole number of dollars.")
                amounts.append(int(part))
        return amounts

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("kind", None)
        return data


class EventForm(LadderForm):
    """A new event page: what, when, where, who hosts it, and its shifts (below, a formset)."""

    title = forms.CharField(label="Title", max_length=200)
    body = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Paragraphs, bold, italics, lists, links and images; anything else is removed.",
    )  # fmt: skip
    starts_at = forms.DateTimeField(
        label="Starts", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label="Ends", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    venue = forms.CharField(label="Venue", max_length=200, required=False)
    address = forms.CharField(label="Address", max_length=300, required=False)
    is_online = forms.BooleanField(label="Online event", required=False)
    online_url = forms.URLField(label="Link to join (online)", required=False)
    volunteer_shifts = forms.BooleanField(
        label="Coming counts as a volunteer shift", required=False,
        help_text="For canvasses and phone banks: feeds shifts done, not only events attended.",
    )  # fmt: skip
    host_emails = forms.CharField(
        label="Hosts", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Email addresses, one per line: each host gets a check-in link.",
    )  # fmt: skip
    consent_wording = forms.CharField(
        label="Email opt-in wording", max_length=500, required=False,
        initial="Yes, send me email updates. I can unsubscribe at any time.",
    )  # fmt: skip
    group = forms.ModelChoiceField(
        label="Group", queryset=Group.objects.none(), required=False,
        empty_label="— whole organization —",
    )  # fmt: skip

    def __init__(self, data: Any = None, *, user: User) -> None:
        super().__init__(data)
        cast(forms.ModelChoiceField, self.fields["group"]).queryset = groups_visible(user).order_by(
            "name"
        )

    def clean_host_emails(self) -> list[str]:
        out = []
        for n, line in enumerate(self.cleaned_data["host_emails"].splitlines(), start=1):
            if line.strip():
                try:
                    out.append(normalise_email(line))
                except InvalidContact as exc:
                    raise forms.ValidationError(f"Line {n}: {exc}.") from None
        return out


class ShiftForm(forms.Form):
    name = forms.CharField(label="Shift", max_length=120, required=False)
    starts_at = forms.DateTimeField(
        label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label="To", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    capacity = forms.IntegerField(
        label="Places", min_value=1, max_value=100_000, required=False,
        help_text="Empty: no limit.",
    )  # fmt: skip


ShiftFormSet = forms.formset_factory(ShiftForm, extra=3, max_num=20)


class FundraiserForm(LadderForm):
    """Start your own fundraising page for a campaign."""

    first_name = forms.CharField(label="First name", max_length=NAME_MAX)
    last_name = forms.CharField(label="Last name", max_length=NAME_MAX, required=False)
    email = SupporterEmailField()
    title = forms.CharField(label="Your page's title", max_length=200, required=False)
    story = forms.CharField(
        label="Why you're raising money", max_length=5000, required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )  # fmt: skip
    goal = forms.DecimalField(
        label="Your goal ($)", min_value=Decimal("1"), max_value=Decimal("10000000"),
        decimal_places=2, initial=250, widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )  # fmt: skip
    token = forms.CharField(widget=forms.HiddenInput, max_length=400)


class GoalForm(LadderForm):
    metric = forms.ChoiceField(label="What", choices=PersonalGoal.Metric.choices)
    target = forms.IntegerField(label="How many", min_value=1, max_value=1_000_000, initial=50)
    days = forms.TypedChoiceField(
        label="By when", coerce=int, initial=7,
        choices=[(7, "this week"), (30, "this month"), (91, "this quarter")],
    )  # fmt: skip


class BoardFilterForm(forms.Form):
    metric = forms.ChoiceField(label="Board", initial="recruits", required=False)
    window = forms.ChoiceField(label="Over", initial="month", required=False)
    group = forms.ModelChoiceField(
        label="Group", queryset=Group.objects.none(), required=False, empty_label="— all —"
    )

    def __init__(self, data: Any = None, *, user: User) -> None:
        super().__init__(data)
        from ladder.actions.leaderboards import METRICS, WINDOWS

        cast(forms.ChoiceField, self.fields["metric"]).choices = list(METRICS.items())
        cast(forms.ChoiceField, self.fields["window"]).choices = [
            (w, "all time" if w == "all" else f"the last {w}") for w in WINDOWS
        ]
        groups = groups_visible(user).order_by("name")
        cast(forms.ModelChoiceField, self.fields["group"]).queryset = groups


class ProposeForm(LadderForm):
    """A supporter proposes their own event."""

    first_name = forms.CharField(label="Your first name", max_length=NAME_MAX)
    last_name = forms.CharField(label="Your last name", max_length=NAME_MAX, required=False)
    email = SupporterEmailField(label="Your email")
    phone = SupporterPhoneField(label="Your phone")
    title = forms.CharField(label="What is it?", max_length=200,
                            help_text="“House party for school funding”")  # fmt: skip
    description = forms.CharField(
        label="Tell people about it", max_length=5000, required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip
    starts_at = forms.DateTimeField(
        label="Starts", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label="Ends", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    venue = forms.CharField(label="Where (a name)", max_length=200, required=False)
    address = forms.CharField(label="Address", max_length=300, required=False)
    capacity = forms.IntegerField(
        label="How many people can come", min_value=1, max_value=10_000, required=False
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=400)
