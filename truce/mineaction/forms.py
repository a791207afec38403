"""Forms of the mine action screens: parse and present only; the services hold the rules."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from truce.core.models import Confidence
from truce.mineaction.models import (
    Accident,
    ActivityKind,
    ActivityStatus,
    CheckResult,
    Contamination,
    DeviceCategory,
    HazardKind,
    HazardStatus,
)

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


def _groups(
    form: forms.Form, *groups: tuple[Any, tuple[str, ...]]
) -> list[tuple[Any, list[forms.BoundField]]]:
    return [(legend, [form[name] for name in names]) for legend, names in groups]


def _set_choices(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    cast(forms.ChoiceField, form.fields[name]).choices = choices


def _json_geometry(text: str) -> Any:
    """Pasted or drawn GeoJSON (blank is None); the service checks its type and shape."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise forms.ValidationError(_("This is not GeoJSON (JSON could not be read).")) from None


def _point(data: dict[str, Any]) -> dict[str, Any] | None:
    """A GeoJSON Point from the longitude and latitude fields (both or neither)."""
    lon, lat = data.pop("longitude", None), data.pop("latitude", None)
    if lon is None or lat is None:
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


class PointFields(forms.Form):
    """An optional point typed as two numbers: keyboard users need no map."""

    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180
    )
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("longitude") is None) != (data.get("latitude") is None):
            missing = "latitude" if data.get("latitude") is None else "longitude"
            self.add_error(missing, _("Give both longitude and latitude, or neither."))
        return data


def _share_field(initial: list[str], help_text: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Share with"),
        required=False,
        choices=SHARE_CHOICES,
        initial=initial,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


class ActivityForm(forms.Form):
    """A task, with its first land release result and one line of device counts if reported."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    reference = forms.CharField(label=_("Reference"), max_length=40)
    organisation = forms.ChoiceField(label=_("Organisation"))
    hazard = forms.ChoiceField(
        label=_("Hazard area"),
        required=False,
        help_text=_("Required unless the task is an EOD spot task."),
    )
    settlement = forms.ChoiceField(label=_("Settlement"), required=False)
    admin_area = forms.ChoiceField(label=_("Area"), required=False)
    start_date = forms.DateField(label=_("Start date"), widget=DATE_INPUT)
    end_date = forms.DateField(label=_("End date"), required=False, widget=DATE_INPUT)
    status = forms.ChoiceField(
        label=_("Status"), choices=ActivityStatus.choices, initial=ActivityStatus.PLANNED
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    source = forms.CharField(label=_("Source"), required=False, max_length=500)
    share_with = _share_field(
        ["side_a", "side_b", "agencies", "public"], _("The mission always sees it.")
    )
    # The first report, optional: the service writes it in the same transaction.
    reported_on = forms.DateField(
        label=_("First report on"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("Only if the task already reports land released or devices."),
    )
    cancelled_m2 = forms.FloatField(label=_("Cancelled (m²)"), required=False, min_value=0)
    reduced_m2 = forms.FloatField(label=_("Reduced (m²)"), required=False, min_value=0)
    cleared_m2 = forms.FloatField(label=_("Cleared (m²)"), required=False, min_value=0)
    category = forms.ChoiceField(label=_("Device category"), required=False)
    device_type = forms.CharField(label=_("Device type"), required=False, max_length=100)
    found = forms.IntegerField(label=_("Found"), required=False, min_value=0)
    destroyed = forms.IntegerField(label=_("Destroyed"), required=False, min_value=0)
    destroyed_note = forms.CharField(
        label=_("Why more destroyed than found"), required=False, max_length=300
    )

    TASK_FIELDS = (
        "kind",
        "reference",
        "organisation",
        "hazard",
        "settlement",
        "admin_area",
        "start_date",
        "end_date",
        "status",
        "notes",
        "source",
    )
    RESULT_FIELDS = ("cancelled_m2", "reduced_m2", "cleared_m2")
    DEVICE_FIELDS = ("category", "device_type", "found", "destroyed", "destroyed_note")

    def __init__(
        self,
        *args: Any,
        organisations: list[tuple[str, str]],
        hazards: list[tuple[str, str]],
        places: list[tuple[str, str]],
        areas: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "organisation", _blank_first(organisations, "-"))
        _set_choices(self, "hazard", _blank_first(hazards, _("None (EOD spot task)")))
        _set_choices(self, "settlement", _blank_first(places, "-"))
        _set_choices(self, "admin_area", _blank_first(areas, "-"))
        _set_choices(self, "category", _blank_first(DeviceCategory.choices, "-"))

    def fieldsets(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The task, then the optional first report: a legend per group for screen readers."""
        return _groups(
            self,
            (_("The task"), (*self.TASK_FIELDS, "share_with")),
            (_("First land release result (optional)"), ("reported_on", *self.RESULT_FIELDS)),
            (_("Devices found and destroyed (optional)"), self.DEVICE_FIELDS),
        )

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {name: data.get(name) for name in self.TASK_FIELDS}
        for name in ("hazard", "settlement", "admin_area", "end_date"):
            fields[name] = fields[name] or None
        return fields

    def results(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        if not any(data.get(name) for name in self.RESULT_FIELDS):
            return []
        row = {name: data.get(name) or 0.0 for name in self.RESULT_FIELDS}
        return [{"reported_on": data.get("reported_on"), **row, "source": data.get("source")}]

    def devices(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        if not any(data.get(name) not in (None, "") for name in self.DEVICE_FIELDS):
            return []
        row = {name: data.get(name) for name in self.DEVICE_FIELDS}
        return [{"reported_on": data.get("reported_on"), **row, "source": data.get("source")}]

    def visibility(self) -> list[str]:
        return list(self.cleaned_data.get("share_with") or [])


class ActivityChangeForm(forms.Form):
    """A new version of a task's status and dates, against the version the writer saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=ActivityStatus.choices)
    start_date = forms.DateField(label=_("Start date"), widget=DATE_INPUT)
    end_date = forms.DateField(label=_("End date"), required=False, widget=DATE_INPUT)

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "status": data["status"],
            "start_date": data["start_date"],
            "end_date": data.get("end_date") or None,
        }


class RoadCheckForm(forms.Form):
    reference = forms.CharField(label=_("Reference"), max_length=40)
    name = forms.CharField(label=_("Road"), max_length=200)
    checked_on = forms.DateField(label=_("Checked on"), widget=DATE_INPUT)
    result = forms.ChoiceField(label=_("Result"), choices=CheckResult.choices)
    organisation = forms.ChoiceField(label=_("Organisation"))
    activity = forms.ChoiceField(label=_("Activity"), required=False)
    settlement = forms.ChoiceField(label=_("Settlement"), required=False)
    stated_km = forms.FloatField(
        label=_("Stated length (km)"),
        required=False,
        help_text=_("The operator's own figure; otherwise the line's length counts."),
    )
    geometry = forms.CharField(
        label=_("Line (GeoJSON)"),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("Paste a GeoJSON LineString, or click along the road on the map."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000)
    source = forms.CharField(label=_("Source"), required=False, max_length=500)
    share_with = _share_field(
        ["side_a", "side_b", "agencies", "public"], _("The mission always sees it.")
    )

    def __init__(
        self,
        *args: Any,
        organisations: list[tuple[str, str]],
        activities: list[tuple[str, str]],
        places: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "organisation", _blank_first(organisations, "-"))
        _set_choices(self, "activity", _blank_first(activities, _("None")))
        _set_choices(self, "settlement", _blank_first(places, "-"))

    def clean_geometry(self) -> Any:
        return _json_geometry(self.cleaned_data["geometry"])

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("share_with")
        # stated_km 0 stays 0 so the service can refuse it; blank choices are None.
        for name in ("activity", "settlement"):
            data[name] = data.get(name) or None
        return data

    def visibility(self) -> list[str]:
        return list(self.cleaned_data.get("share_with") or [])


class BuildingCheckForm(PointFields):
    settlement = forms.ChoiceField(label=_("Settlement"))
    buildings = forms.IntegerField(label=_("Buildings checked"), min_value=0)
    checked_on = forms.DateField(label=_("Checked on"), widget=DATE_INPUT)
    result = forms.ChoiceField(
        label=_("Result"), choices=CheckResult.choices, initial=CheckResult.CLEAR
    )
    organisation = forms.ChoiceField(label=_("Organisation"))
    activity = forms.ChoiceField(label=_("Activity"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000)
    source = forms.CharField(label=_("Source"), required=False, max_length=500)
    share_with = _share_field(
        ["side_a", "side_b", "agencies", "public"], _("The mission always sees it.")
    )

    field_order = [
        "settlement",
        "buildings",
        "checked_on",
        "result",
        "organisation",
        "activity",
        "longitude",
        "latitude",
    ]

    def __init__(
        self,
        *args: Any,
        organisations: list[tuple[str, str]],
        activities: list[tuple[str, str]],
        places: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "organisation", _blank_first(organisations, "-"))
        _set_choices(self, "activity", _blank_first(activities, _("None")))
        _set_choices(self, "settlement", _blank_first(places, "-"))

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("share_with")
        data["geometry"] = _point(data)
        data["activity"] = data.get("activity") or None
        return data

    def visibility(self) -> list[str]:
        return list(self.cleaned_data.get("share_with") or [])


class AccidentForm(PointFields):
    """An accident: where, when, what, and victims counted by sex and age group, no names."""

    occurred_on = forms.DateField(label=_("Occurred on"), widget=DATE_INPUT)
    settlement = forms.ChoiceField(label=_("Settlement"), required=False)
    admin_area = forms.ChoiceField(label=_("Area"), required=False)
    device_category = forms.ChoiceField(label=_("Device category"))
    device_type = forms.CharField(label=_("Device type"), required=False, max_length=100)
    killed_men = forms.IntegerField(label=_("Men killed"), required=False, min_value=0)
    killed_women = forms.IntegerField(label=_("Women killed"), required=False, min_value=0)
    killed_boys = forms.IntegerField(label=_("Boys killed"), required=False, min_value=0)
    killed_girls = forms.IntegerField(label=_("Girls killed"), required=False, min_value=0)
    injured_men = forms.IntegerField(label=_("Men injured"), required=False, min_value=0)
    injured_women = forms.IntegerField(label=_("Women injured"), required=False, min_value=0)
    injured_boys = forms.IntegerField(label=_("Boys injured"), required=False, min_value=0)
    injured_girls = forms.IntegerField(label=_("Girls injured"), required=False, min_value=0)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happened; never the victims' names."),
    )
    source = forms.CharField(label=_("Source"), required=False, max_length=500)
    share_with = _share_field([], _("Only the mission sees it unless you share it."))

    field_order = ["occurred_on", "settlement", "admin_area", "longitude", "latitude"]

    def __init__(
        self,
        *args: Any,
        places: list[tuple[str, str]],
        areas: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "settlement", _blank_first(places, "-"))
        _set_choices(self, "admin_area", _blank_first(areas, "-"))
        _set_choices(self, "device_category", _blank_first(DeviceCategory.choices, "-"))

    def fieldsets(self) -> list[tuple[Any, list[forms.BoundField]]]:
        victims = Accident.VICTIM_FIELDS
        return _groups(
            self,
            (
                _("Where and what"),
                (
                    "occurred_on",
                    "settlement",
                    "admin_area",
                    "longitude",
                    "latitude",
                    "device_category",
                    "device_type",
                ),
            ),
            (_("Victims (counts only, no names)"), victims),
            (_("Account"), ("description", "source", "share_with")),
        )

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("share_with")
        data["geometry"] = _point(data)
        data["settlement"] = data.get("settlement") or None
        data["admin_area"] = data.get("admin_area") or None
        return data

    def visibility(self) -> list[str]:
        return list(self.cleaned_data.get("share_with") or [])


class AccidentFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    end = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)
    settlement = forms.ChoiceField(label=_("Settlement"), required=False)

    def __init__(self, data: Any, *, places: list[tuple[str, str]]) -> None:
        super().__init__(data)
        _set_choices(self, "settlement", _blank_first(places, _("All settlements")))

    def where(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "start": data.get("start"),
            "end": data.get("end"),
            "settlement": data.get("settlement") or None,
        }
