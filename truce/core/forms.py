"""Forms of the web UI: the registry filters, and the translated words they show.

The filters take exactly the arguments the selectors take, so a list page,
its CSV export and the API filter the same way. Choices that name other
records (a party, a zone, an admin area) are built from what the viewer may
see, so a filter cannot be used to probe for hidden records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from truce.core import selectors

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

    from truce.core.models import User

# The model choices carry English labels only; these are the translated faces
# of the same stored values.
FACILITY_KIND_LABELS: dict[str, StrPromise] = {
    "command_post": _("Command post"),
    "observation_post": _("Observation post"),
    "checkpoint": _("Checkpoint"),
    "warehouse": _("Warehouse"),
    "shelter": _("Shelter"),
    "heritage_site": _("Heritage site"),
}
OP_ROLE_LABELS: dict[str, StrPromise] = {
    "contact_line": _("On the contact line"),
    "corridor_traffic": _("Corridor traffic"),
}
ZONE_KIND_LABELS: dict[str, StrPromise] = {
    "responsibility": _("Zone of responsibility"),
    "corridor": _("Corridor"),
}
SETTLEMENT_KIND_LABELS: dict[str, StrPromise] = {
    "city": _("City"),
    "town": _("Town"),
    "village": _("Village"),
}
SCOPE_LABELS: dict[str, StrPromise] = {
    "mission": _("Mission"),
    "side_a": _("Side A"),
    "side_b": _("Side B"),
    "agencies": _("Agencies"),
    "public": _("Public"),
}
CONFIDENCE_LABELS: dict[str, StrPromise] = {
    "high": _("High"),
    "medium": _("Medium"),
    "low": _("Low"),
    "unknown": _("Unknown"),
}
ACTION_LABELS: dict[str, StrPromise] = {
    "create": _("created"),
    "update": _("updated"),
    "delete": _("deleted"),
}

# Field names as users read them, for details, history and column headings.
FIELD_LABELS: dict[str, StrPromise] = {
    "public_id": _("Public id"),
    "version": _("Version"),
    "code": _("Code"),
    "pcode": _("P-code"),
    "name": _("Name"),
    "display_name": _("Display name"),
    "name_en": _("Name (English)"),
    "name_ru": _("Name (Russian)"),
    "name_hy": _("Name (Armenian)"),
    "name_az": _("Name (Azerbaijani)"),
    "name_source": _("Source of the names"),
    "other_names": _("Other names"),
    "acronym": _("Acronym"),
    "scope": _("Scope"),
    "description": _("Description"),
    "party": _("Party"),
    "kind": _("Kind"),
    "level": _("Level"),
    "parent": _("Parent area"),
    "admin_area": _("Administrative area"),
    "baseline_population": _("Baseline population"),
    "population_source": _("Source of the population figure"),
    "population_date": _("Date of the population figure"),
    "battalion": _("Battalion"),
    "op_role": _("OP role"),
    "zone": _("Zone"),
    "settlement": _("Settlement"),
    "operator": _("Operator"),
    "notes": _("Notes"),
    "geometry": _("Geometry"),
    "location_approximate": _("Approximate position"),
    "position": _("Position"),
    "source": _("Source"),
    "confidence": _("Confidence"),
    "visibility": _("Shared with"),
    "created_at": _("Created"),
    "updated_at": _("Updated"),
    "created_by": _("Created by"),
    "updated_by": _("Updated by"),
    "is_deleted": _("Deleted"),
    "deleted_at": _("Deleted at"),
    "deletion_reason": _("Reason for deletion"),
}


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name.replace("_", " ")))


def _choices(labels: dict[str, StrPromise]) -> list[tuple[str, Any]]:
    return [("", _("Any")), *labels.items()]


class RegistryFilter(forms.Form):
    """A GET filter form: bound to the query string, empty fields mean "any"."""

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data)
        self.user = user

    def selector_kwargs(self) -> dict[str, Any]:
        """The valid, non-empty filters, ready for the selector's keyword arguments."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


def _set_choices(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _search_field() -> forms.CharField:
    return forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class PartyFilter(RegistryFilter):
    """Parties are few; the selector takes no filters."""


class OrganisationFilter(RegistryFilter):
    q = _search_field()
    party = forms.ChoiceField(label=_("Party"), required=False)

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data, user=user)
        parties = selectors.parties_visible_to(user).values_list("code", "name")
        _set_choices(self, "party", [("", _("Any")), *parties])


def _admin_area_choices(user: User) -> list[tuple[str, Any]]:
    areas = selectors.admin_areas_visible_to(user).values_list("pcode", "display_name")
    return [("", _("Any")), *((pcode, f"{name} ({pcode})") for pcode, name in areas)]


class AdminAreaFilter(RegistryFilter):
    q = _search_field()
    level = forms.IntegerField(label=_("Level"), required=False, min_value=1, max_value=9)
    parent = forms.ChoiceField(label=_("Parent area"), required=False)

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data, user=user)
        _set_choices(self, "parent", _admin_area_choices(user))


class SettlementFilter(RegistryFilter):
    q = _search_field()
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_choices(SETTLEMENT_KIND_LABELS)
    )
    admin_area = forms.ChoiceField(label=_("Administrative area"), required=False)
    approximate = forms.TypedChoiceField(
        label=_("Position"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Approximate")), ("no", _("Exact"))],
        coerce=lambda value: value == "yes",
        empty_value=None,
    )

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data, user=user)
        _set_choices(self, "admin_area", _admin_area_choices(user))


class ZoneFilter(RegistryFilter):
    q = _search_field()
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_choices(ZONE_KIND_LABELS))


class FacilityFilter(RegistryFilter):
    q = _search_field()
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_choices(FACILITY_KIND_LABELS)
    )
    op_role = forms.ChoiceField(
        label=_("OP role"), required=False, choices=_choices(OP_ROLE_LABELS)
    )
    zone = forms.ChoiceField(label=_("Zone"), required=False)
    battalion = forms.CharField(label=_("Battalion"), required=False, max_length=100)

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data, user=user)
        zones = selectors.zones_visible_to(user).values_list("code", "name")
        _set_choices(self, "zone", [("", _("Any")), *zones])
