"""Forms of the population screens. They only parse; the services judge.

Settlements are typed as P-codes (with a list of suggestions), so a keyboard
user never scrolls a long select, and an unknown one is the service's error,
shown next to the field it names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from truce.population.models import Direction, Intention, Vulnerability
from truce.population.redaction import PERSONAL_FIELDS, readable_fields

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

    from truce.core.models import User

# The model choices carry English labels only; these are the translated faces.
INTENTION_LABELS: dict[str, StrPromise] = {
    Intention.RETURN: _("Return"),
    Intention.STAY: _("Stay"),
    Intention.RELOCATE: _("Relocate"),
    Intention.UNDECIDED: _("Undecided"),
}
VULNERABILITY_LABELS: dict[str, StrPromise] = {
    Vulnerability.DISABILITY: _("Person with a disability"),
    Vulnerability.CHRONIC_ILLNESS: _("Chronic illness"),
    Vulnerability.OLDER_PERSON: _("Older person (60+)"),
    Vulnerability.PREGNANT_OR_LACTATING: _("Pregnant or lactating woman"),
    Vulnerability.SINGLE_PARENT: _("Single parent"),
    Vulnerability.UNACCOMPANIED_CHILD: _("Unaccompanied or separated child"),
    Vulnerability.CHILD_HEADED: _("Child-headed household"),
    Vulnerability.SERIOUS_MEDICAL: _("Serious medical condition"),
}
DIRECTION_LABELS: dict[str, StrPromise] = {
    Direction.INBOUND: _("Inbound"),
    Direction.OUTBOUND: _("Outbound"),
}
SHARE_CHOICES = [
    ("shared", _("Both sides and the agencies")),
    ("mission", _("Mission only")),
]
SHARE_SCOPES = {"shared": ["both_sides", "agencies"], "mission": ["mission"]}


def _settlement_input(label: StrPromise, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=40,
        help_text=_("Settlement P-code, e.g. AZ-XA-001"),
        widget=forms.TextInput(attrs={"list": "settlement-codes", "autocomplete": "off"}),
    )


class HouseholdFilterForm(forms.Form):
    origin = _settlement_input(_("Origin"))
    intention = forms.ChoiceField(
        label=_("Intention"),
        required=False,
        choices=[("", _("Any")), *INTENTION_LABELS.items()],
    )
    vulnerability = forms.ChoiceField(
        label=_("Vulnerability"),
        required=False,
        choices=[("", _("Any")), *VULNERABILITY_LABELS.items()],
    )


class HouseholdForm(forms.Form):
    """Registration (and edit) of one household; personal fields only for those who may."""

    code = forms.SlugField(label=_("Registration number"), max_length=40)
    size = forms.IntegerField(label=_("Household size (people)"))
    vulnerabilities = forms.MultipleChoiceField(
        label=_("Vulnerabilities"),
        required=False,
        choices=list(VULNERABILITY_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    origin_settlement = _settlement_input(_("Origin settlement"), required=True)
    current_settlement = _settlement_input(_("Current settlement"))
    current_location_text = forms.CharField(
        label=_("Current location (if not a settlement)"), required=False, max_length=300
    )
    intention = forms.ChoiceField(label=_("Intention"), choices=list(INTENTION_LABELS.items()))
    intended_settlement = _settlement_input(_("Intended settlement"))
    expected_on = forms.DateField(
        label=_("Expected arrival"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    registered_on = forms.DateField(
        label=_("Registered on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    head_name = forms.CharField(label=_("Head of household"), required=False, max_length=200)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    document_number = forms.CharField(label=_("Document number"), required=False, max_length=60)
    members = forms.CharField(
        label=_("Members"),
        required=False,
        help_text=_("One per line: name, sex (female, male, unknown), birth year"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    protection_notes = forms.CharField(
        label=_("Protection notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        readable = readable_fields(user)
        for name in PERSONAL_FIELDS:
            if name not in readable:
                del self.fields[name]

    def service_data(self) -> dict[str, Any]:
        """The cleaned values as the service takes them (members parsed from lines)."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if "members" in data:
            data["members"] = parse_members(data["members"])
        for name in ("current_settlement", "intended_settlement"):
            data[name] = data.get(name) or None
        return data


def parse_members(value: str) -> list[dict[str, Any]]:
    members: list[dict[str, Any]] = []
    for line in (value or "").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if not parts or not parts[0]:
            continue
        year: Any = parts[2] if len(parts) > 2 and parts[2] else None
        members.append(
            {"name": parts[0], "sex": parts[1] if len(parts) > 1 else "unknown", "birth_year": year}
        )
    return members


def members_text(members: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{m.get('name', '')}, {m.get('sex', 'unknown')}, {m.get('birth_year') or ''}".rstrip(", ")
        for m in members
    )


class ReturnForm(forms.Form):
    reference = forms.SlugField(label=_("Movement reference"), max_length=60)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    from_settlement = _settlement_input(_("From settlement"))
    from_text = forms.CharField(
        label=_("From (if not a settlement)"), required=False, max_length=300
    )
    to_settlement = _settlement_input(_("To settlement"), required=True)
    people = forms.IntegerField(label=_("People"))
    vehicles = forms.IntegerField(label=_("Vehicles"), required=False)
    escort = forms.CharField(label=_("Escort (unit)"), required=False, max_length=200)
    checkpoint = forms.ChoiceField(label=_("Checkpoint crossed"), required=False)
    source = forms.CharField(label=_("Source"), required=False, max_length=500)
    share = forms.ChoiceField(label=_("Visible to"), choices=SHARE_CHOICES)

    def __init__(self, *args: Any, points: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["checkpoint"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—")] + [(p.code, p.name) for p in points]

    def service_data(self) -> tuple[dict[str, Any], list[str]]:
        data = dict(self.cleaned_data)
        share = data.pop("share")
        for name in ("from_settlement", "checkpoint"):
            data[name] = data.get(name) or None
        return data, SHARE_SCOPES[share]


class ReturnFilterForm(forms.Form):
    to = _settlement_input(_("To settlement"))
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class FlowCountForm(forms.Form):
    """One count at this point; the same day, direction and escort again is a correction."""

    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    direction = forms.ChoiceField(label=_("Direction"), choices=list(DIRECTION_LABELS.items()))
    escorted = forms.BooleanField(label=_("Escorted"), required=False)
    people = forms.IntegerField(label=_("People"))
    vehicles = forms.IntegerField(label=_("Vehicles"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000)
