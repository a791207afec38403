"""Forms of the damage screens. They only parse: the services judge, and their errors
(InvalidInput naming a field) are shown next to the field they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from truce.core.errors import DomainError
from truce.damage.models import NEEDS, Grade, Use

VISIBILITY_CHOICES = [
    ("side_a", _("Side A")),
    ("side_b", _("Side B")),
    ("agencies", _("Agencies")),
    ("public", _("Public")),
]
ALL = [("", _("All"))]


class StructureFilterForm(forms.Form):
    settlement = forms.CharField(label=_("Settlement P-code"), required=False, max_length=20)
    area = forms.CharField(label=_("Area P-code"), required=False, max_length=20)
    grade = forms.ChoiceField(label=_("Grade"), required=False, choices=ALL + Grade.choices)
    use = forms.ChoiceField(label=_("Use"), required=False, choices=ALL + Use.choices)
    q = forms.CharField(label=_("Reference"), required=False, max_length=100)

    def selector_kwargs(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {k: v or None for k, v in self.cleaned_data.items()}


class _AssessmentFields(forms.Form):
    use = forms.ChoiceField(label=_("Use"), choices=Use.choices)
    grade = forms.ChoiceField(label=_("Damage grade"), choices=Grade.choices)
    assessed_on = forms.CharField(
        label=_("Assessed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    lon = forms.CharField(label=_("Longitude"), required=False)
    lat = forms.CharField(label=_("Latitude"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for need in NEEDS:
            self.fields[need.key] = forms.CharField(
                label=f"{need.label} ({need.unit})",
                required=False,
                widget=forms.NumberInput(attrs={"min": "0", "step": "0.01"}),
            )

    def service_data(self) -> dict[str, Any]:
        """The plain values the service takes (it validates them; this form only parses)."""
        data = self.cleaned_data
        out: dict[str, Any] = {
            "use": data["use"],
            "grade": data["grade"],
            "assessed_on": data["assessed_on"],
            "notes": data.get("notes", ""),
            "needs": {n.key: data[n.key] for n in NEEDS if data.get(n.key) not in (None, "")},
        }
        if data.get("lon") or data.get("lat"):
            out["lon"] = data.get("lon")
            out["lat"] = data.get("lat")
        return out

    def add_domain_error(self, exc: DomainError) -> None:
        """Show a service's error on the field it names (needs.x -> x), else on the form."""
        name = (exc.field or "").removeprefix("needs.")
        self.add_error(name if name in self.fields else None, exc.message)


class StructureForm(_AssessmentFields):
    settlement = forms.CharField(label=_("Settlement P-code"), max_length=20)
    reference = forms.CharField(label=_("Structure reference"), max_length=100)
    source = forms.CharField(label=_("Source"), required=False, max_length=500)
    visibility = forms.MultipleChoiceField(
        label=_("Shared with"),
        required=False,
        choices=VISIBILITY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )

    field_order = ["settlement", "reference", "use", "grade", "assessed_on", "lon", "lat"]

    def service_data(self) -> dict[str, Any]:
        out = super().service_data()
        out["settlement"] = self.cleaned_data["settlement"]
        out["reference"] = self.cleaned_data["reference"]
        if self.cleaned_data.get("source"):
            out["source"] = self.cleaned_data["source"]
        return out


class ReassessForm(_AssessmentFields):
    expected_version = forms.IntegerField(widget=forms.HiddenInput)


class DeleteForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class PhotoForm(forms.Form):
    file = forms.FileField(label=_("Photo"))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    visibility = forms.MultipleChoiceField(
        label=_("Shared with (rows without their own visibility column)"),
        required=False,
        choices=VISIBILITY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
