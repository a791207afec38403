"""Forms of the mine action screens: parse and present only; the services hold the rules."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from truce.core.models import Confidence
from truce.mineaction.models import Contamination, HazardKind, HazardStatus

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SHARE_CHOICES = [
    ("side_a", _("Side A")),
    ("side_b", _("Side B")),
    ("agencies", _("Agencies")),
    ("public", _("Public")),
]


def _blank_first(choices: Any, label: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class TotalsFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    end = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)
    admin_area = forms.ChoiceField(label=_("Area"), required=False)
    settlement = forms.ChoiceField(label=_("Settlement"), required=False)

    def __init__(
        self, data: Any, *, areas: list[tuple[str, str]], places: list[tuple[str, str]]
    ) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["admin_area"]).choices = _blank_first(
            areas, _("All areas")
        )
        cast(forms.ChoiceField, self.fields["settlement"]).choices = _blank_first(
            places, _("All settlements")
        )

    def where(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "start": data.get("start"),
            "end": data.get("end"),
            "admin_area": data.get("admin_area") or None,
            "settlement": data.get("settlement") or None,
        }


class HazardForm(forms.Form):
    reference = forms.CharField(label=_("Reference"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=HazardKind.choices)
    contamination = forms.ChoiceField(label=_("Contamination"), choices=Contamination.choices)
    settlement = forms.ChoiceField(label=_("Settlement"), required=False)
    reported_on = forms.DateField(label=_("Reported on"), widget=DATE_INPUT)
    evidence = forms.CharField(
        label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    geometry = forms.CharField(
        label=_("Polygon (GeoJSON)"),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("Paste a GeoJSON Polygon, or click the corners on the map."),
    )
    location_approximate = forms.BooleanField(
        label=_("Position is approximate"), required=False, initial=True
    )
    share_with = forms.MultipleChoiceField(
        label=_("Share with"),
        required=False,
        choices=SHARE_CHOICES,
        initial=["side_a", "side_b", "agencies", "public"],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The mission always sees it."),
    )
    source = forms.CharField(label=_("Source"), required=False, max_length=500)
    confidence = forms.ChoiceField(
        label=_("Confidence"), required=False, choices=_blank_first(Confidence.choices, "-")
    )

    def __init__(self, *args: Any, places: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["settlement"]).choices = _blank_first(places, "-")

    def clean_geometry(self) -> Any:
        text = self.cleaned_data["geometry"]
        try:
            return json.loads(text)
        except ValueError:
            raise forms.ValidationError(
                _("This is not GeoJSON (JSON could not be read).")
            ) from None

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("share_with")
        data["settlement"] = data.get("settlement") or None
        return data

    def visibility(self) -> list[str]:
        return list(self.cleaned_data.get("share_with") or [])


class StatusForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("New status"), choices=HazardStatus.choices)
    since = forms.DateField(label=_("Since"), widget=DATE_INPUT)
    released_by = forms.ChoiceField(label=_("Land release it came from"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, releases: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["released_by"]).choices = _blank_first(
            releases, _("None")
        )


class ResultForm(forms.Form):
    reported_on = forms.DateField(label=_("Reported on"), widget=DATE_INPUT)
    cancelled_m2 = forms.FloatField(label=_("Cancelled (m²)"), required=False, min_value=0)
    reduced_m2 = forms.FloatField(label=_("Reduced (m²)"), required=False, min_value=0)
    cleared_m2 = forms.FloatField(label=_("Cleared (m²)"), required=False, min_value=0)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000)
    source = forms.CharField(label=_("Source"), required=False, max_length=500)

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("cancelled_m2", "reduced_m2", "cleared_m2"):
            data[name] = data.get(name) or 0.0
        return data
