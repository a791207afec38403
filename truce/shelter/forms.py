"""Forms of the shelter screens: parse the request only; the services hold the rules.

A service's InvalidInput names a field; `refuse` puts its message next to that field
(or at the top when the field is not on the form), so a negative count or a missing
overcrowding reason is shown where it was typed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from truce.core.errors import DomainError
from truce.shelter.models import ShelterStatus


class DateInput(forms.DateInput):
    input_type = "date"


class AsOfForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=DateInput)


class OccupancyForm(forms.Form):
    counted_on = forms.DateField(label=_("Day counted"), widget=DateInput)
    # No min_value: the service refuses a negative count naming the field, one rule.
    people = forms.IntegerField(label=_("People sleeping there"))
    overcrowding_reason = forms.CharField(
        label=_("Overcrowding reason"),
        required=False,
        max_length=500,
        help_text=_("Required when the count is above the capacity."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class StatusForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=ShelterStatus.choices)
    capacity = forms.IntegerField(label=_("Capacity (places)"))
    status_since = forms.DateField(label=_("Since"), required=False, widget=DateInput)


class RunForm(forms.Form):
    as_of = forms.DateField(label=_("Free places as of"), widget=DateInput)
    horizon_days = forms.IntegerField(
        label=_("Households expected within (days)"), initial=30, min_value=0, max_value=365
    )
    dry_run = forms.BooleanField(label=_("Dry run (write nothing)"), required=False)


def refuse(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the field it names (else above the form)."""
    field: Any = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
