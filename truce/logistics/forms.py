"""Forms of the logistics screens: parse and present only; the services hold the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

OPERATIONS = [
    ("receive", _("Receive")),
    ("dispatch", _("Dispatch")),
    ("lost", _("Adjust: lost")),
    ("damaged", _("Adjust: damaged")),
    ("expired", _("Adjust: expired")),
    ("counted", _("Count (sets the level)")),
]
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MovementForm(forms.Form):
    """One form for every stock change; the operation picks the service and the reason."""

    operation = forms.ChoiceField(label=_("Operation"), choices=OPERATIONS)
    item = forms.ChoiceField(label=_("Item"))
    quantity = forms.DecimalField(
        label=_("Quantity"),
        help_text=_("In the item's unit; for a count, the quantity counted."),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    occurred_at = forms.DateTimeField(label=_("When (UTC)"), widget=DATETIME_INPUT)
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=100,
        help_text=_("Waybill, convoy or consignment reference."),
    )
    note = forms.CharField(
        label=_("Reason in words"),
        required=False,
        max_length=500,
        help_text=_("Why: for losses, damage, expiry and counts."),
    )
    source = forms.CharField(label=_("Source"), required=False, max_length=500)

    def __init__(self, *args: Any, items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["item"]).choices = items
        self.fields["operation"].widget.attrs["autofocus"] = True
