"""Forms of the segment and list screens. The builder's rows live in `ladder.segments.builder`."""

from __future__ import annotations

from typing import Any

from django import forms

from ladder.people.models import Group

UPLOAD_MAX_BYTES = 10 * 1024 * 1024


class GroupChoiceForm(forms.Form):
    """A form with an optional "share with group" choice among the groups the user may see."""

    group = forms.ChoiceField(
        required=False,
        label="Share with group",
        help_text="Its leaders will see it (and only their own people in it).",
    )

    def __init__(self, *args: Any, groups: list[tuple[int, str]], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        field = self.fields["group"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "— nobody else —"), *((str(pk), name) for pk, name in groups)]
        self.group_ids = {pk for pk, _ in groups}

    def clean_group(self) -> Group | None:
        raw = self.cleaned_data.get("group")
        if not raw:
            return None
        return Group.objects.filter(pk=int(raw)).first()


class SegmentSaveForm(GroupChoiceForm):
    name = forms.CharField(max_length=200, label="Name")
    description = forms.CharField(
        required=False, max_length=5000, label="Description",
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip

    field_order = ["name", "description", "group"]


class FreezeForm(forms.Form):
    name = forms.CharField(max_length=200, label="List name")


class ListUploadForm(GroupChoiceForm):
    name = forms.CharField(max_length=200, label="List name")
    kind = forms.ChoiceField(
        choices=[("auto", "Tell by their shape"), ("id", "Person ids"),
                 ("email", "Email addresses"), ("phone", "Phone numbers")],
        initial="auto", label="The values are",
    )  # fmt: skip
    text = forms.CharField(
        required=False, label="Paste one per line", max_length=5_000_000,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
    )  # fmt: skip
    file = forms.FileField(
        required=False, label="…or upload a CSV or text file",
        help_text="With a header naming an id, email or phone column, that column is read; "
        "otherwise the first column.",
    )  # fmt: skip
    description = forms.CharField(required=False, max_length=5000, label="Description")

    field_order = ["name", "kind", "text", "file", "description", "group"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            if upload.size > UPLOAD_MAX_BYTES:
                raise forms.ValidationError("The file is larger than 10 MB.")
            raw = upload.read()
            try:
                data["content"] = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                # Spreadsheets on Windows save CSV as cp1252; every byte decodes there.
                data["content"] = raw.decode("cp1252", errors="replace")
            if "\x00" in data["content"]:
                raise forms.ValidationError(
                    "That file is not text (an .xlsx?): save it as CSV and upload it again."
                )
        elif (data.get("text") or "").strip():
            data["content"] = data["text"]
        else:
            raise forms.ValidationError("Paste some ids, emails or phones, or choose a file.")
        return data


__all__ = ["FreezeForm", "ListUploadForm", "SegmentSaveForm"]
