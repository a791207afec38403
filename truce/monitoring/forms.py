"""Forms of the monitoring screens: filters, the phone observation form, verification.

Forms only parse. The observation form hands the ingest service the same
plain JSON values the API receives, so a form post and a script's POST are
judged (and deduplicated on the client UUID) by the same rules. Choices
naming other records come from what the viewer may see.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from truce.core import selectors as core_selectors
from truce.core.models import FacilityKind, RoleCode
from truce.core.sharing import Scope, viewer_scope
from truce.lib.time import iso_utc, mission_zone, to_mission_time, utcnow
from truce.monitoring.models import ObserverKind
from truce.monitoring.services.validation import MISSION_OBSERVERS, PARTY_SCOPES

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

    from truce.core.models import User
    from truce.monitoring.models import Incident, Observation

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"

# The model choices carry English labels only; these are the translated faces.
TYPE_LABELS: dict[str, StrPromise] = {
    "explosion_impact": _("Explosion: impact"),
    "explosion_airburst": _("Explosion: airburst"),
    "explosion_outgoing": _("Explosion: outgoing"),
    "explosion_undetermined": _("Explosion: undetermined"),
    "projectile_in_flight": _("Projectile in flight"),
    "muzzle_flash": _("Muzzle flash"),
    "illumination_flare": _("Illumination flare"),
    "bursts_and_shots": _("Bursts and shots"),
    "movement": _("Movement of weapons or troops"),
    "restriction_of_movement": _("Restriction of the mission's movement"),
    "provocation": _("Provocation"),
    "civilian_harm": _("Civilian harm"),
    "damage_to_mission_assets": _("Damage to mission assets"),
    "other": _("Other"),
}
STATUS_LABELS: dict[str, StrPromise] = {
    "reported": _("Reported"),
    "under_review": _("Under review"),
    "verified": _("Verified"),
    "unconfirmed": _("Unconfirmed"),
    "dismissed": _("Dismissed"),
}
SEVERITY_LABELS: dict[str, StrPromise] = {
    "low": _("Low"),
    "medium": _("Medium"),
    "high": _("High"),
    "critical": _("Critical"),
}
OBSERVER_LABELS: dict[str, StrPromise] = {
    "op": _("Observation post"),
    "patrol": _("Patrol"),
    "drone": _("Drone"),
    "camera": _("Video camera"),
    "party_complaint": _("A party's complaint"),
    "liaison_officer": _("Liaison officer"),
}
DIRECTION_LABELS: dict[str, StrPromise] = {
    "": _("Not applicable"),
    "incoming": _("Incoming"),
    "outgoing": _("Outgoing"),
    "unknown": _("Unknown"),
}
GROUPING_LABELS: dict[str, StrPromise] = {
    "post": _("Observation post"),
    "zone": _("Zone"),
    "type": _("Type"),
}
RESOLUTION_LABELS: dict[str, StrPromise] = {
    "": _("Not recorded"),
    "settled_on_ground": _("Settled on the ground"),
    "referred_to_parties": _("Referred to the parties"),
}
CHECK_IN_STATUS_LABELS: dict[str, StrPromise] = {
    "normal": _("Normal"),
    "degraded": _("Degraded"),
}


def _any(labels: dict[str, StrPromise]) -> list[tuple[str, Any]]:
    return [("", _("Any")), *labels.items()]


def local_input(value: dt.datetime) -> str:
    """An instant as a datetime-local value in mission time."""
    return to_mission_time(value).strftime(LOCAL_FORMAT)


class MissionDateTimeField(forms.DateTimeField):
    """A datetime-local input read in the mission's time zone, cleaned to UTC.

    Operators and analysts think in mission time; storage and the API are UTC.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)
    input_formats = [LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def to_python(self, value: Any) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        # Django made it aware in the server's zone (UTC); read the wall time
        # as mission time instead.
        naive = parsed.replace(tzinfo=None)
        return naive.replace(tzinfo=mission_zone()).astimezone(dt.UTC)


class IncidentFilterForm(forms.Form):
    """Incident filters shared by the map and the list; they live in the URL."""

    window = forms.DateField(
        label=_("Mission day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("From the evening before to the evening of this day."),
    )
    since = MissionDateTimeField(label=_("From"), required=False)
    until = MissionDateTimeField(label=_("To"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_any(STATUS_LABELS))
    type = forms.ChoiceField(label=_("Type"), required=False, choices=_any(TYPE_LABELS))
    zone = forms.ChoiceField(label=_("Zone"), required=False)

    FIELDS = ("window", "since", "until", "status", "type", "zone")

    def __init__(self, data: Any, *, user: User, default_window: dt.date | None) -> None:
        # No filter at all in the URL means the default mission day (the map
        # opens on the current one); an empty window sent on purpose means "any day".
        if default_window is not None and not any(name in data for name in self.FIELDS):
            data = {"window": default_window.isoformat()}
        super().__init__(data)
        zones = core_selectors.zones_visible_to(user).values_list("code", "name")
        field = self.fields["zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Any")), *zones]

    def selector_kwargs(self) -> dict[str, Any]:
        """The valid, non-empty filters, as the incident selector takes them."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if v not in (None, "")}

    def api_query(self) -> dict[str, str]:
        """The same filters as the API's query string (UTC, ISO 8601)."""
        query: dict[str, str] = {}
        for name, value in self.selector_kwargs().items():
            if isinstance(value, dt.datetime):
                query[name] = iso_utc(value)
            elif isinstance(value, dt.date):
                query[name] = value.isoformat()
            else:
                query[name] = str(value)
        return query


def observer_kinds_for(user: User) -> list[str]:
    """The observers a user may report as (the ingest service's rule, offered up front)."""
    scope = viewer_scope(user)
    kinds: list[str] = []
    if scope == Scope.MISSION:
        kinds += [k for k in OBSERVER_LABELS if k in MISSION_OBSERVERS]
    elif scope in PARTY_SCOPES:
        kinds.append(ObserverKind.PARTY_COMPLAINT)
    if user.has_role(RoleCode.LIAISON_OFFICER) and (
        scope == Scope.MISSION or scope in PARTY_SCOPES
    ):
        kinds.append(ObserverKind.LIAISON_OFFICER)
    return [str(k) for k in kinds]


class ObservationForm(forms.Form):
    """The phone form: a few large fields; everything else is optional and folded away."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    observer_kind = forms.ChoiceField(
        label=_("Observer"),
        choices=list(OBSERVER_LABELS.items()),
    )
    observer_post = forms.ChoiceField(label=_("Observation post"), required=False)
    observer_label = forms.CharField(
        label=_("Patrol, drone or camera"), required=False, max_length=100
    )
    observed_at = MissionDateTimeField(label=_("Observed at"))
    type = forms.ChoiceField(label=_("What was seen or heard"), choices=list(TYPE_LABELS.items()))
    count = forms.IntegerField(label=_("How many"), min_value=1, initial=1)
    weapon_type = forms.CharField(label=_("Weapon type"), required=False, max_length=100)
    bearing_deg = forms.FloatField(label=_("Bearing (degrees)"), required=False)
    distance_m = forms.FloatField(label=_("Estimated distance (m)"), required=False)
    direction_of_fire = forms.ChoiceField(
        label=_("Direction of fire"), required=False, choices=list(DIRECTION_LABELS.items())
    )
    direction_place = forms.CharField(label=_("Relative to"), required=False, max_length=200)
    killed_military = forms.IntegerField(label=_("Killed, military"), min_value=0, initial=0)
    killed_civilian = forms.IntegerField(label=_("Killed, civilian"), min_value=0, initial=0)
    injured_military = forms.IntegerField(label=_("Injured, military"), min_value=0, initial=0)
    injured_civilian = forms.IntegerField(label=_("Injured, civilian"), min_value=0, initial=0)
    lon = forms.FloatField(label=_("Longitude"), required=False)
    lat = forms.FloatField(label=_("Latitude"), required=False)
    text = forms.CharField(
        label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    # Left out when empty: no bearing is not a bearing of 0.
    OPTIONAL_NUMBERS = ("bearing_deg", "distance_m", "lon", "lat")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = observer_kinds_for(user)
        kind = self.fields["observer_kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [(k, OBSERVER_LABELS[k]) for k in kinds]
        if kinds:
            kind.initial = kinds[0]
        posts = core_selectors.facilities_visible_to(
            user, kind=FacilityKind.OBSERVATION_POST
        ).values_list("code", "name")
        field = self.fields["observer_post"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("None")), *((code, f"{name} ({code})") for code, name in posts)]
        self.fields["observed_at"].help_text = _("Mission time (%(zone)s).") % {
            "zone": mission_zone().key
        }
        if not self.is_bound:
            # A fresh UUID per form: the server keeps the first of any resends.
            self.initial.setdefault("client_uuid", uuid.uuid4())
            self.initial.setdefault("observed_at", local_input(utcnow()))
        for name in ("count", "killed_military", "killed_civilian"):
            self.fields[name].widget.attrs["inputmode"] = "numeric"
        for name in ("injured_military", "injured_civilian"):
            self.fields[name].widget.attrs["inputmode"] = "numeric"
        for name in self.OPTIONAL_NUMBERS:
            self.fields[name].widget.attrs["inputmode"] = "decimal"
            self.fields[name].widget.attrs["step"] = "any"

    def service_data(self) -> dict[str, Any]:
        """The cleaned form as the JSON the API would receive for it."""
        data = self.cleaned_data
        out: dict[str, Any] = {
            "client_uuid": str(data["client_uuid"]),
            "observed_at": iso_utc(data["observed_at"]),
            "observer_kind": data["observer_kind"],
            "type": data["type"],
            "count": data["count"],
        }
        for name in ("observer_post", "observer_label", "weapon_type", "direction_place", "text"):
            if data.get(name):
                out[name] = data[name]
        if data.get("direction_of_fire"):
            out["direction_of_fire"] = data["direction_of_fire"]
        for name in self.OPTIONAL_NUMBERS:
            if data.get(name) is not None:
                out[name] = data[name]
        for name in ("killed_military", "killed_civilian", "injured_military", "injured_civilian"):
            if data.get(name):
                out[name] = data[name]
        return out


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=list(STATUS_LABELS.items()))
    responsible_party = forms.ChoiceField(
        label=_("Responsible party"),
        required=False,
        help_text=_("Only for a verified incident."),
    )
    resolution = forms.ChoiceField(
        label=_("Resolution"),
        required=False,
        choices=list(RESOLUTION_LABELS.items()),
        help_text=_("How it was dealt with; only for a verified or unconfirmed incident."),
    )
    notes = forms.CharField(
        label=_("Reason or notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        user: User,
        incident: Incident,
        next_statuses: Iterable[str],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"version": incident.version})
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        # Only the steps the verification path allows from here.
        status.choices = [(s, STATUS_LABELS.get(s, s)) for s in STATUS_LABELS if s in next_statuses]
        parties = core_selectors.parties_visible_to(user).filter(scope__in=["side_a", "side_b"])
        field = self.fields["responsible_party"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Not named")), *parties.values_list("code", "name")]


class CorrectionForm(forms.Form):
    """Correct an observation: shown with its values; only the fields changed are sent."""

    observed_at = MissionDateTimeField(label=_("Observed at"))
    type = forms.ChoiceField(label=_("What was seen or heard"), choices=list(TYPE_LABELS.items()))
    count = forms.IntegerField(label=_("How many"), min_value=1)
    weapon_type = forms.CharField(label=_("Weapon type"), required=False, max_length=100)
    bearing_deg = forms.FloatField(label=_("Bearing (degrees)"), required=False)
    distance_m = forms.FloatField(label=_("Estimated distance (m)"), required=False)
    direction_of_fire = forms.ChoiceField(
        label=_("Direction of fire"), required=False, choices=list(DIRECTION_LABELS.items())
    )
    direction_place = forms.CharField(label=_("Relative to"), required=False, max_length=200)
    killed_military = forms.IntegerField(label=_("Killed, military"), min_value=0)
    killed_civilian = forms.IntegerField(label=_("Killed, civilian"), min_value=0)
    injured_military = forms.IntegerField(label=_("Injured, military"), min_value=0)
    injured_civilian = forms.IntegerField(label=_("Injured, civilian"), min_value=0)
    lat = forms.FloatField(label=_("Latitude"), required=False)
    lon = forms.FloatField(label=_("Longitude"), required=False)
    text = forms.CharField(
        label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the observation's history with the values it replaces."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    PLAIN = (
        "type",
        "count",
        "weapon_type",
        "bearing_deg",
        "distance_m",
        "direction_of_fire",
        "direction_place",
        "killed_military",
        "killed_civilian",
        "injured_military",
        "injured_civilian",
        "text",
    )

    def __init__(self, *args: Any, observation: Observation, **kwargs: Any) -> None:
        self.observation = observation
        given = observation.position_method == "given"
        initial = {name: getattr(observation, name) for name in self.PLAIN}
        initial |= {
            "observed_at": local_input(observation.observed_at),
            "lat": observation.min_lat if given else None,
            "lon": observation.min_lon if given else None,
            "version": observation.version,
        }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields["observed_at"].help_text = _("Mission time (%(zone)s).") % {
            "zone": mission_zone().key
        }
        for name in ("bearing_deg", "distance_m", "lat", "lon"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})

    def changes(self) -> dict[str, Any]:
        """The cleaned fields that differ from the observation, as the API's JSON values."""
        data = self.cleaned_data
        o = self.observation
        out: dict[str, Any] = {}
        # The form shows minutes: an unchanged time is the stored one to the minute.
        if data["observed_at"] != o.observed_at.replace(second=0, microsecond=0):
            out["observed_at"] = iso_utc(data["observed_at"])
        for name in self.PLAIN:
            value = data.get(name)
            if isinstance(self.fields[name], forms.CharField | forms.ChoiceField):
                value = value or ""
            if value != getattr(o, name):
                out[name] = value
        given = (o.min_lon, o.min_lat) if o.position_method == "given" else (None, None)
        if (data.get("lon"), data.get("lat")) != given:
            out["lon"], out["lat"] = data.get("lon"), data.get("lat")
        return out


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the report withdrawn?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=_("I confirm this report is false or a duplicate and should count nowhere."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class MergeForm(forms.Form):
    """Merge other incidents into this one; candidates are the viewer's incidents nearby in time."""

    others = forms.MultipleChoiceField(
        label=_("Incidents to merge into this one"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, candidates: list[Incident], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["others"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (
                str(i.public_id),
                f"{i.reference} · {TYPE_LABELS.get(i.type, i.type)} · "
                f"{to_mission_time(i.started_at):%Y-%m-%d %H:%M}",
            )
            for i in candidates
        ]


class SplitForm(forms.Form):
    observations = forms.MultipleChoiceField(
        label=_("Observations to move to a new incident"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, rows: list[dict[str, Any]], **kwargs: Any) -> None:
        """`rows` as truce.monitoring.web.observation_rows makes them for the viewer."""
        super().__init__(*args, **kwargs)
        field = self.fields["observations"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (
                str(row["observation"].public_id),
                f"{to_mission_time(row['observation'].observed_at):%Y-%m-%d %H:%M} · "
                f"{row['type_label']} · {row['observer']}",
            )
            for row in rows
        ]


class CheckInForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label=_("Status"), choices=list(CHECK_IN_STATUS_LABELS.items()), initial="normal"
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())


class CountsForm(forms.Form):
    window = forms.DateField(
        label=_("Mission day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    by = forms.ChoiceField(
        label=_("Chart by"), required=False, choices=list(GROUPING_LABELS.items())
    )
