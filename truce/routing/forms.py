"""Forms of the routing screens: parse and present only; the services hold the rules.

The planner's field names are the route endpoint's query parameters (`from`, `to`,
`profile`, `weight_t`, `verified_only`, `hazard_buffer_m`, `network`), so a planned
route's URL, its route sheet's URL and the API call all say the same thing.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from truce.routing.models import SegmentState
from truce.routing.profiles import PROFILES

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PROFILE_LABELS = {"car": _("Car"), "lorry": _("Lorry"), "4x4": _("4x4")}


def default_hazard_buffer_m() -> int:
    return int(getattr(settings, "TRUCE_ROUTING_HAZARD_BUFFER_M", 100))


class PlannerForm(forms.Form):
    """A route query. `from` and `to` take a settlement P-code or `lon,lat`."""

    profile = forms.ChoiceField(label=_("Vehicle"), required=False)
    weight_t = forms.FloatField(
        label=_("Weight (t)"),
        required=False,
        min_value=0.1,
        max_value=100,
        help_text=_("Bridges with a lower weight limit are avoided. Empty: the vehicle's usual."),
    )
    verified_only = forms.BooleanField(label=_("Only roads verified clear"), required=False)
    hazard_buffer_m = forms.IntegerField(
        label=_("Distance kept from hazard areas (m)"), required=False, min_value=0, max_value=5000
    )
    network = forms.ChoiceField(label=_("Road network"), required=False)

    def __init__(
        self,
        data: Any,
        *,
        places: list[tuple[str, str]],
        networks: list[tuple[str, str]],
    ) -> None:
        super().__init__(data)
        # "from" is a Python keyword, so the endpoints are added by name.
        place_attrs = {"list": "routing-places", "autocomplete": "off", "spellcheck": "false"}
        self.fields["from"] = forms.CharField(
            label=_("From"),
            max_length=100,
            help_text=_("A settlement (type its name or P-code) or lon,lat; or click on the map."),
            widget=forms.TextInput(attrs=place_attrs),
        )
        self.fields["to"] = forms.CharField(
            label=_("To"), max_length=100, widget=forms.TextInput(attrs=place_attrs)
        )
        self.order_fields(["from", "to", "profile", "weight_t", "verified_only"])
        cast(forms.ChoiceField, self.fields["profile"]).choices = [
            (name, PROFILE_LABELS.get(name, name)) for name in PROFILES
        ]
        cast(forms.ChoiceField, self.fields["network"]).choices = [
            ("", _("The newest")),
            *networks,
        ]
        self.fields["hazard_buffer_m"].widget.attrs["placeholder"] = str(default_hazard_buffer_m())
        self.places = places
        self._names = {code.upper(): code for code, _name in places}
        self._names.update({name.casefold(): code for code, name in places})

    def _endpoint(self, name: str) -> str:
        # A settlement typed by its name resolves to its P-code; anything else
        # (a P-code, lon,lat) goes to the service as typed, which says what is wrong.
        raw = str(self.cleaned_data.get(name) or "").strip()
        return self._names.get(raw.casefold()) or self._names.get(raw.upper()) or raw

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("from", "to"):
            if data.get(name):
                data[name] = self._endpoint(name)
        return data

    def query(self) -> dict[str, Any]:
        """The plan_route arguments, from a valid form."""
        data = self.cleaned_data
        buffer = data.get("hazard_buffer_m")
        return {
            "origin": data["from"],
            "destination": data["to"],
            "profile": data.get("profile") or "lorry",
            "weight_t": data.get("weight_t"),
            "verified_only": bool(data.get("verified_only")),
            "hazard_buffer_m": float(buffer if buffer is not None else default_hazard_buffer_m()),
            "network": data.get("network") or None,
        }

    def params(self) -> dict[str, str]:
        """The query as GET parameters (for the shareable route sheet URL)."""
        data = self.cleaned_data
        out = {"from": data["from"], "to": data["to"], "profile": data.get("profile") or "lorry"}
        if data.get("weight_t") is not None:
            out["weight_t"] = f"{data['weight_t']:g}"
        if data.get("verified_only"):
            out["verified_only"] = "on"
        if data.get("hazard_buffer_m") is not None:
            out["hazard_buffer_m"] = str(data["hazard_buffer_m"])
        if data.get("network"):
            out["network"] = data["network"]
        return out


class RoadsFilterForm(forms.Form):
    """The road status layer: which network, and every status or one."""

    network = forms.ChoiceField(label=_("Road network"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Every status")), *SegmentState.choices],
    )

    def __init__(self, data: Any, *, networks: list[tuple[str, str]]) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["network"]).choices = networks


class SegmentStatusForm(forms.Form):
    """A new status of one segment (HTMX from the road status page's segment panel).

    Prefixed, so its fields never share an id with the status page's own filter.
    """

    prefix = "segment"

    status = forms.ChoiceField(label=_("Status"), choices=SegmentState.choices)
    since = forms.DateField(label=_("Since"), widget=DATE_INPUT)
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    source = forms.CharField(label=_("Source"), required=False, max_length=500)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class NetworkImportForm(forms.Form):
    """A road network file: GeoJSON (LineStrings) or OSM PBF."""

    file = forms.FileField(
        label=_("File"), help_text=_("GeoJSON (.geojson, .json) or OSM PBF (.pbf)")
    )
    slug = forms.SlugField(
        label=_("Network slug"),
        max_length=80,
        help_text=_("An existing network's slug imports a new version of it."),
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
