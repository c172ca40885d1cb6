"""Forms of the API screens: a token of one's own, and a token shared with a partner."""

from __future__ import annotations

from typing import Any

from django import forms

from ladder.api.tokens import PARTNER_FIELDS
from ladder.core.models import User
from ladder.segments.models import Segment, StaticList
from ladder.segments.selectors import lists_visible, segments_visible

FIELD_LABELS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "email_addresses": "Email addresses",
    "phone_numbers": "Phone numbers",
    "postal_addresses": "Postal addresses",
    "languages_spoken": "Languages",
    "custom_fields": "Custom fields",
}


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="What will use it",
        help_text="e.g. “Parsons sync” or “Volunteer form on our website”.",
    )


class PartnerTokenForm(forms.Form):
    partner = forms.CharField(max_length=200, label="Partner organization")
    name = forms.CharField(max_length=100, label="Token name", initial="Coalition share")
    static_list = forms.ModelChoiceField(
        queryset=StaticList.objects.none(), required=False, label="Share this list"
    )
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.none(), required=False, label="…or this segment"
    )
    shared_fields = forms.MultipleChoiceField(
        choices=[(f, FIELD_LABELS[f]) for f in PARTNER_FIELDS],
        widget=forms.CheckboxSelectMultiple,
        initial=["given_name", "family_name", "email_addresses"],
        label="Fields the partner may read",
        help_text="Ids and dates are always shared; nothing else unless ticked.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["static_list"].queryset = lists_visible(user).order_by("name")  # type: ignore[attr-defined]
        self.fields["segment"].queryset = segments_visible(user).order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = [data.get("static_list"), data.get("segment")]
        if all(chosen):
            self.add_error("segment", "Share one list or one segment, not both.")
        elif not any(chosen):
            self.add_error("static_list", "Choose the list or segment the partner may read.")
        return data
