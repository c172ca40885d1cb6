from __future__ import annotations

from django import forms

from ladder.activity.catalogue import ActivityType

ALLOWED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV (any common encoding, comma or tab separated) or XLSX.")
    kind = forms.ChoiceField(
        choices=[("people", "People"), ("activities", "Activity history")],
        initial="people",
        widget=forms.RadioSelect,
    )
    activity_type = forms.ChoiceField(
        choices=[("", "—"), *ActivityType.choices],
        required=False,
        help_text="For activity history: what each row records (donations, attendance…).",
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ALLOWED_SUFFIXES):
            raise forms.ValidationError("Upload a .csv, .tsv, .txt or .xlsx file.")
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean() or {}
        if data.get("kind") == "activities" and not data.get("activity_type"):
            self.add_error("activity_type", "Choose what kind of activity the rows record.")
        return data
