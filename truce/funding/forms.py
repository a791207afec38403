"""Forms of the funding screens: parse and present only; the services hold the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from truce.funding.models import FlowStatus, Sector

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SHARE_CHOICES = [
    ("agencies", _("Agencies")),
    ("side_a", _("Side A")),
    ("side_b", _("Side B")),
    ("public", _("Public")),
]


def _blank(choices: Any, label: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class CoverageFilterForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=DATE_INPUT)
    reporting_currency = forms.ChoiceField(label=_("Reporting currency"), required=False)

    def __init__(self, data: Any, *, currencies: list[str]) -> None:
        super().__init__(data)
        field = cast(forms.ChoiceField, self.fields["reporting_currency"])
        field.choices = _blank([(c, c) for c in currencies], _("None: per currency"))

    def value(self, name: str) -> Any:
        return (self.cleaned_data.get(name) or None) if self.is_valid() else None


class FlowFilterForm(forms.Form):
    sector = forms.ChoiceField(
        label=_("Sector"), required=False, choices=_blank(Sector.choices, _("All sectors"))
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_blank(FlowStatus.choices, _("Any status"))
    )
    donor = forms.ChoiceField(label=_("Donor"), required=False)
    recipient = forms.ChoiceField(label=_("Recipient"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)

    def __init__(self, data: Any, *, organisations: list[tuple[str, str]]) -> None:
        super().__init__(data)
        for name in ("donor", "recipient"):
            field = cast(forms.ChoiceField, self.fields[name])
            field.choices = _blank(organisations, _("Any"))

    def selector_kwargs(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class FlowForm(forms.Form):
    donor = forms.ChoiceField(label=_("Donor"))
    recipient = forms.ChoiceField(label=_("Recipient"))
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2)
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        help_text=_("ISO 4217 code, e.g. USD, EUR, RUB, AMD."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "size": 4}),
    )
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices)
    status = forms.ChoiceField(label=_("Status"), choices=FlowStatus.choices)
    flow_date = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    source = forms.CharField(label=_("Source"), required=False, max_length=500)
    share_with = forms.MultipleChoiceField(
        label=_("Share with"),
        required=False,
        choices=SHARE_CHOICES,
        initial=["agencies"],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The mission always sees it."),
    )

    def __init__(self, *args: Any, organisations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("donor", "recipient"):
            cast(forms.ChoiceField, self.fields[name]).choices = _blank(organisations, "—")

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("share_with", None)
        return data

    def visibility(self) -> list[str]:
        return list(self.cleaned_data.get("share_with") or [])


class StatusForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("New status"), choices=FlowStatus.choices)
    on = forms.DateField(label=_("Day of the new status"), widget=DATE_INPUT)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        help_text=_("Required to move a flow back (e.g. paid back to committed)."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
