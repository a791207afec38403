"""Forms of the winter screens: parse and present only; the services hold the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from truce.core.models import Confidence
from truce.winter.models import (
    NeedCategory,
    NeedPriority,
    NeedStatus,
    NeedUnit,
    ServiceState,
    Utility,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SHARE_CHOICES = [
    ("agencies", _("Agencies")),
    ("side_a", _("Side A")),
    ("side_b", _("Side B")),
    ("public", _("Public")),
]


def _blank_first(choices: Any, label: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class ReadinessFilterForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=DATE_INPUT)
    area = forms.ChoiceField(label=_("Area"), required=False)
    utility = forms.ChoiceField(
        label=_("Colour the map by"),
        required=False,
        choices=_blank_first(Utility.choices, _("Worst of all utilities")),
    )

    def __init__(self, data: Any, *, areas: list[tuple[str, str]]) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["area"]).choices = _blank_first(areas, _("All areas"))

    def as_of_or(self, default: dt.date) -> dt.date:
        value = self.cleaned_data.get("as_of") if self.is_valid() else None
        return value or default

    def value(self, name: str) -> str | None:
        return (self.cleaned_data.get(name) or None) if self.is_valid() else None


class _Shared(forms.Form):
    share_with = forms.MultipleChoiceField(
        label=_("Share with"),
        required=False,
        choices=SHARE_CHOICES,
        initial=["agencies"],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The mission always sees it."),
    )
    source = forms.CharField(label=_("Source"), required=False, max_length=500)
    confidence = forms.ChoiceField(
        label=_("Confidence"),
        required=False,
        choices=_blank_first(Confidence.choices, "—"),
    )

    def visibility(self) -> list[str]:
        return list(self.cleaned_data.get("share_with") or [])


class ReportForm(_Shared):
    utility = forms.ChoiceField(label=_("Utility"), choices=Utility.choices)
    state = forms.ChoiceField(label=_("State"), choices=ServiceState.choices)
    since = forms.DateField(label=_("Since"), widget=DATE_INPUT)
    works_planned = forms.CharField(
        label=_("Works planned"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    works_due = forms.DateField(label=_("Works due by"), required=False, widget=DATE_INPUT)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 2}))

    field_order = ["utility", "state", "since", "works_planned", "works_due", "notes"]

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "state": data["state"],
            "since": data["since"],
            "works_planned": data["works_planned"],
            "works_due": data["works_due"],
            "notes": data["notes"],
            "source": data["source"],
            "confidence": data["confidence"],
        }


class NeedForm(_Shared):
    category = forms.ChoiceField(label=_("Category"), choices=NeedCategory.choices)
    item = forms.CharField(label=_("Item"), max_length=200)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=2)
    unit = forms.ChoiceField(label=_("Unit"), choices=NeedUnit.choices)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=NeedPriority.choices, initial=NeedPriority.NORMAL
    )
    stated_on = forms.DateField(label=_("Stated on"), widget=DATE_INPUT)
    needed_by = forms.DateField(label=_("Needed by"), required=False, widget=DATE_INPUT)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 2}))

    field_order = ["category", "item", "quantity", "unit", "priority", "stated_on", "needed_by"]

    def service_fields(self) -> dict[str, Any]:
        names = ("category", "item", "quantity", "unit", "priority", "stated_on", "needed_by")
        fields = {name: self.cleaned_data[name] for name in names}
        fields.update(
            notes=self.cleaned_data["notes"],
            source=self.cleaned_data["source"],
            confidence=self.cleaned_data["confidence"],
        )
        return fields


class NeedStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=NeedStatus.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)


class NeedFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=_blank_first(NeedCategory.choices, _("Any category")),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_blank_first(NeedStatus.choices, _("Any status")),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        required=False,
        choices=_blank_first(NeedPriority.choices, _("Any priority")),
    )
    area = forms.ChoiceField(label=_("Area"), required=False)

    def __init__(self, data: Any, *, areas: list[tuple[str, str]]) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["area"]).choices = _blank_first(areas, _("All areas"))

    def selector_kwargs(self) -> dict[str, str | None]:
        if not self.is_valid():
            return {}
        return {k: (v or None) for k, v in self.cleaned_data.items()}
