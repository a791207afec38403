"""Forms of the detainees screens: they parse; the services decide and name bad fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from truce.core.models import Organisation, Party, User
from truce.core.sharing import Scope
from truce.detainees import labels
from truce.detainees.models import Case
from truce.detainees.selectors import intermediary_codes


def _choices(mapping: dict[str, Any]) -> list[tuple[str, Any]]:
    return list(mapping.items())


def _set_choices(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _intermediaries(user: User) -> list[tuple[str, str]]:
    """Agencies that may be named intermediary; agency staff may name only their own."""
    agencies = Organisation.objects.filter(
        party__scope=Scope.AGENCIES, code__in=intermediary_codes(), is_deleted=False
    )
    if user.party.scope == Scope.AGENCIES:
        agencies = agencies.filter(pk__in=[user.organisation_id or 0])
    return [(o.code, str(o)) for o in agencies]


class ListForm(forms.Form):
    side = forms.ChoiceField(label=_("Side"))
    kind = forms.ChoiceField(label=_("Kind of list"), choices=_choices(labels.LIST_KIND))
    intermediary = forms.ChoiceField(label=_("Intermediary"))
    title = forms.CharField(label=_("Title"), max_length=200)
    submitted_on = forms.DateField(
        label=_("Handed over on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sides = Party.objects.filter(scope__in=[Scope.SIDE_A, Scope.SIDE_B], is_deleted=False)
        if user.party.scope in {Scope.SIDE_A, Scope.SIDE_B}:
            sides = sides.filter(pk=user.party_id)
        _set_choices(self, "side", [(p.code, p.name) for p in sides])
        _set_choices(self, "intermediary", _intermediaries(user))
        self.fields["intermediary"].initial = "icrc"


class CaseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=_choices(labels.CASE_KIND))
    category = forms.ChoiceField(
        label=_("Military or civilian"), choices=_choices(labels.CATEGORY), initial="unknown"
    )
    full_name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=200,
        help_text=_("Required for a person; remains may be unidentified."),
    )
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False)
    unit = forms.CharField(label=_("Unit or civilian occupation"), required=False)
    event_place = forms.CharField(label=_("Place of capture or death"), required=False)
    event_date = forms.DateField(
        label=_("Date of capture or death"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    @classmethod
    def for_case(cls, case: Case) -> CaseForm:
        initial = {name: getattr(case, name) for name in cls.base_fields if name != "version"}
        return cls(initial={**initial, "version": case.version})

    def changes(self, case: Case) -> dict[str, Any]:
        """The cleaned values that differ from the case's (for case_update)."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        for text in ("full_name", "unit", "event_place", "notes"):
            data[text] = data[text] or ""
        return {k: v for k, v in data.items() if getattr(case, k) != v}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ConfirmForm(VersionForm):
    side = forms.CharField(widget=forms.HiddenInput)


class ExchangeForm(forms.Form):
    planned_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    crossing_point = forms.CharField(label=_("Crossing point"), max_length=200)
    intermediary = forms.ChoiceField(label=_("Intermediary"))
    cases = forms.MultipleChoiceField(
        label=_("Verified cases to transfer"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One transfer per case; all are written together or none."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args: Any, user: User, cases: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "intermediary", _intermediaries(user))
        self.fields["intermediary"].initial = "icrc"
        _set_choices(self, "cases", cases)
