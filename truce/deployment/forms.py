"""Forms of the deployment screens: parse and present only; the services hold the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SHARE_CHOICES = [
    ("agencies", _("Agencies")),
    ("side_a", _("Side A")),
    ("side_b", _("Side B")),
    ("public", _("Public")),
]


class _Shared(forms.Form):
    source = forms.CharField(label=_("Source"), required=False, max_length=500)
    share_with = forms.MultipleChoiceField(
        label=_("Share with"),
        required=False,
        choices=SHARE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The mission always sees it."),
    )

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("share_with", None)
        return data

    def visibility(self) -> list[str]:
        return list(self.cleaned_data.get("share_with") or [])


class FlightFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("Up to"), required=False, widget=DATE_INPUT)
    origin = forms.CharField(label=_("Origin"), required=False)

    def selector_kwargs(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class FlightForm(_Shared):
    flown_on = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    flight_ref = forms.CharField(label=_("Flight"), required=False, max_length=60)
    origin = forms.CharField(label=_("From"), max_length=200)
    destination = forms.CharField(label=_("To"), max_length=200)
    aircraft_type = forms.CharField(label=_("Aircraft type"), max_length=100)
    personnel = forms.IntegerField(label=_("Personnel carried"), min_value=0, initial=0)
    equipment_units = forms.IntegerField(label=_("Units of equipment"), min_value=0, initial=0)
    cargo_t = forms.DecimalField(
        label=_("Cargo (t)"), required=False, min_value=0, max_digits=10, decimal_places=2
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DeploymentForm(_Shared):
    unit = forms.ChoiceField(label=_("Unit"))
    personnel = forms.IntegerField(
        label=_("Personnel"), required=False, min_value=0, help_text=_("Empty if not stated.")
    )
    equipment_units = forms.IntegerField(label=_("Units of equipment"), required=False, min_value=0)
    deployed_from = forms.DateField(label=_("From"), widget=DATE_INPUT)
    deployed_to = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)
    location = forms.CharField(label=_("Where"), required=False, max_length=300)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["unit"]).choices = [("", "—"), *units]
