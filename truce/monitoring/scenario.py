"""Scenario sections of ceasefire monitoring: observations, their incidents' verification,
and OP check-ins.

`observations` reads a YAML file of incidents, each listing the observations that
reported it and, optionally, how the duty officer closed it:

    source: <default source of every observation below>
    incidents:
      - key: 2020-11-20-grazing-dispute
        summary: <what happened, for whoever reads the data; not stored>
        observations:
          - {client_uuid: ..., reporter: operator, observed_at: 2020-11-20T06:10:00Z,
             observer_kind: op, observer_post: op-n05, type: other, bearing_deg: 68, ...}
        verification: {by: duty, status: verified, resolution: settled_on_ground,
                       notes: "Settled on the ground: ..."}

Each observation is recorded through `observation_record` as its reporter, so the
services group the observations into incidents and fix positions exactly as for a live
report. The loader then checks that the incident's observations formed one incident
(and nothing else joined it), and moves that incident along the verification path
through `incident_set_status`, as the named reviewer, recording its resolution (how
it was dealt with; only with verified or unconfirmed). Observations are matched by
client_uuid, verifications by the incident's state (status, responsible party,
resolution, note), so a second load writes nothing.

`check_ins` reads a CSV file (client_uuid, post, checked_in_at, status, note, reporter),
each row recorded through `check_in_record`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from truce.core.errors import DomainError
from truce.core.models import Facility, FacilityKind, Party, RoleCode, User
from truce.core.scenario import (
    Item,
    LoadContext,
    Outcome,
    Raw,
    Section,
    SectionType,
    csv_rows,
    register_section,
    yaml_entries,
)
from truce.core.sharing import Scope
from truce.monitoring.models import (
    Incident,
    IncidentResolution,
    IncidentStatus,
    Observation,
    ObservationType,
    ObserverKind,
)
from truce.monitoring.services import (
    check_in_record,
    incident_add_note,
    incident_set_status,
    observation_record,
)
from truce.monitoring.services.validation import FIELDS as INGEST_FIELDS

# The ingest contract of observation_record (its `data`), from the service itself.
OBSERVATION_FIELDS = INGEST_FIELDS
MISSION_OBSERVERS = frozenset(
    {ObserverKind.OBSERVATION_POST, ObserverKind.PATROL, ObserverKind.DRONE, ObserverKind.CAMERA}
)
POST_KINDS = frozenset({FacilityKind.OBSERVATION_POST, FacilityKind.CHECKPOINT})
REVIEWER_ROLES = frozenset(
    {RoleCode.DUTY_OFFICER.value, RoleCode.ANALYST.value, RoleCode.ADMINISTRATOR.value}
)
# Where a verification may end; "reported" is where every incident starts.
VERIFICATION_STATUSES = (
    IncidentStatus.UNDER_REVIEW.value,
    IncidentStatus.VERIFIED.value,
    IncidentStatus.UNCONFIRMED.value,
    IncidentStatus.DISMISSED.value,
)
CHECK_IN_STATUSES = ("normal", "degraded")
CHECK_IN_COLUMNS = ("client_uuid", "post", "checked_in_at", "status", "note", "reporter")
CHECK_IN_REQUIRED = ("client_uuid", "post", "checked_in_at", "reporter")
INCIDENT_KEYS = {"key", "summary", "observations", "verification"}
VERIFICATION_KEYS = {"by", "status", "notes", "responsible_party", "resolution"}
# Statuses an incident's resolution goes with (incidents.RESOLVED_STATUSES).
RESOLVED_STATUSES = (IncidentStatus.VERIFIED.value, IncidentStatus.UNCONFIRMED.value)
RESOLUTIONS = tuple(r for r in IncidentResolution.values if r)


# --- shared checks ----------------------------------------------------------------------


def user_facts(ctx: LoadContext, username: str) -> tuple[str, frozenset[str]] | None:
    """The party scope and roles of an account declared earlier in the load or stored."""
    declared = ctx.declared_item("user", username)
    if declared is not None:
        party = ctx.declared_item("party", declared.fields["party"])
        if party is not None:
            scope = str(party.fields["scope"])
        else:
            row = Party.objects.filter(code=declared.fields["party"]).first()
            if row is None:
                return None
            scope = row.scope
        return scope, frozenset(declared.fields["roles"])
    user = User.objects.select_related("party").filter(username=username).first()
    if user is None:
        return None
    return user.party.scope, frozenset(user.role_codes())


def checked_user(
    ctx: LoadContext,
    raw: Raw,
    name: str,
    *,
    scopes: Iterable[str] | None = None,
    roles: Iterable[str] | None = None,
    what: str = "",
) -> str:
    """A username the data names, checked against the party scopes and roles it needs."""
    username = raw.text(name, required=True, max_length=150)
    facts = user_facts(ctx, username)
    if facts is None:
        raise raw.error(f"unknown user {username!r} (list it in the users section)", name)
    scope, held = facts
    if scopes is not None and scope not in set(scopes):
        raise raw.error(f"{username!r} is a {scope} account; {what or 'this'} needs another", name)
    if roles is not None and not held & set(roles):
        wanted = ", ".join(sorted(roles))
        raise raw.error(f"{username!r} lacks the role {what} needs (one of {wanted})", name)
    return username


def account(username: str) -> User:
    return User.objects.select_related("party").get(username=username)


def instant(raw: Raw, name: str) -> dt.datetime:
    """A date and time with its UTC offset (YAML timestamp or ISO 8601 text), in UTC."""
    value = raw.data.get(name)
    if value is None or value == "":
        raise raw.error("is required", name)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise raw.error(f"{value!r} is not an ISO 8601 date and time", name) from None
    if not isinstance(value, dt.datetime):
        raise raw.error("must be a date and time, e.g. 2020-11-20T06:10:00Z", name)
    if value.tzinfo is None or value.utcoffset() is None:
        raise raw.error("needs its UTC offset, e.g. 2020-11-20T06:10:00Z", name)
    return value.astimezone(dt.UTC)


def client_uuid(raw: Raw) -> str:
    value = raw.text("client_uuid", required=True, max_length=40)
    try:
        key = str(uuid.UUID(value))
    except ValueError:
        raise raw.error(f"{value!r} is not a UUID", "client_uuid") from None
    raw.keyed("client_uuid", key)
    return key


def _post(ctx: LoadContext, raw: Raw, name: str) -> str:
    code = raw.text(name, required=True)
    declared = ctx.declared_item("facility", code)
    kind = (
        declared.fields["kind"]
        if declared is not None
        else Facility.objects.filter(code=code).values_list("kind", flat=True).first()
    )
    if kind is None:
        raise raw.error(f"unknown post {code!r}", name)
    if kind not in POST_KINDS:
        raise raw.error(f"{code!r} is a {kind}, not an observation post or checkpoint", name)
    return code


def _service_error(item: Item, exc: DomainError) -> Exception:
    # The service names the field; the item adds the file and the entry.
    return item.error(exc.message, exc.field)


# --- observations -------------------------------------------------------------------------


def _observation(
    ctx: LoadContext, raw: Raw, default_source: str
) -> tuple[str, str, dict[str, Any]]:
    """(client_uuid, reporter, the ingest dict) of one observation entry."""
    key = client_uuid(raw)
    raw.only(OBSERVATION_FIELDS | {"reporter"})
    kind = raw.choice("observer_kind", ObserverKind.values)
    mission = kind in MISSION_OBSERVERS
    reporter = checked_user(
        ctx,
        raw,
        "reporter",
        scopes=[Scope.MISSION.value]
        if mission
        else [Scope.SIDE_A.value, Scope.SIDE_B.value]
        if kind == ObserverKind.PARTY_COMPLAINT
        else [Scope.MISSION.value, Scope.SIDE_A.value, Scope.SIDE_B.value],
        roles=[RoleCode.LIAISON_OFFICER.value] if kind == ObserverKind.LIAISON_OFFICER else None,
        what=f"a report by observer kind {kind}",
    )
    data = {name: value for name, value in raw.data.items() if name != "reporter"}
    data["client_uuid"] = key
    data["observed_at"] = instant(raw, "observed_at").isoformat().replace("+00:00", "Z")
    data["type"] = raw.choice("type", ObservationType.values)
    if raw.data.get("observer_post") not in (None, ""):
        data["observer_post"] = _post(ctx, raw, "observer_post")
    if raw.data.get("visibility") not in (None, ""):
        data["visibility"] = raw.visibility()
    source = raw.text("source", max_length=500) or default_source
    if not source:
        raise raw.error("is required: say where the observation comes from", "source")
    data["source"] = source
    return key, reporter, data


def _verification(ctx: LoadContext, raw: Raw) -> dict[str, Any]:
    raw.only(VERIFICATION_KEYS)
    status = raw.choice("status", VERIFICATION_STATUSES)
    responsible = raw.text("responsible_party", max_length=40)
    if responsible:
        if status != IncidentStatus.VERIFIED:
            raise raw.error("a responsible party is named only when verified", "responsible_party")
        declared = ctx.declared_item("party", responsible)
        scope = (
            declared.fields["scope"]
            if declared is not None
            else Party.objects.filter(code=responsible).values_list("scope", flat=True).first()
        )
        if scope not in (Scope.SIDE_A, Scope.SIDE_B):
            raise raw.error(
                f"{responsible!r} is not side A's or side B's party", "responsible_party"
            )
    resolution = raw.choice("resolution", RESOLUTIONS, required=False) or ""
    if resolution and status not in RESOLVED_STATUSES:
        raise raw.error("a resolution goes with a verified or unconfirmed status", "resolution")
    return {
        "by": checked_user(
            ctx,
            raw,
            "by",
            scopes=[Scope.MISSION.value],
            roles=REVIEWER_ROLES,
            what="verifying an incident",
        ),
        "status": status,
        "notes": raw.text("notes", max_length=5000).strip(),
        "responsible_party": responsible or None,
        "resolution": resolution,
    }


def parse_observations(ctx: LoadContext, section: Section) -> list[Item]:
    items: list[Item] = []
    entries = yaml_entries(section, "incidents")
    document = entries[0][1] if entries else {}
    default_source = document.get("source") or ""
    if not isinstance(default_source, str) or len(default_source) > 500:
        raise section.error("must be text of at most 500 characters", field="source")
    for raw, _ in entries:
        key = raw.text("key", required=True, max_length=100)
        raw.keyed("key", key)
        raw.only(INCIDENT_KEYS)
        listed = raw.data.get("observations")
        if not isinstance(listed, list) or not listed:
            raise raw.error("list the observations that reported the incident", "observations")
        uuids: list[str] = []
        for number, entry in enumerate(listed, 1):
            label = f"{raw.label} observations[{number}]"
            if not isinstance(entry, dict):
                raise raw.error("each observation must be a mapping", f"observations[{number}]")
            obs_raw = Raw(raw.file, label, entry)
            uuid_key, reporter, data = _observation(ctx, obs_raw, default_source)
            item = Item(
                file=raw.file,
                label=obs_raw.label,
                key=uuid_key,
                fields=data,
                extra={"kind": "observation", "reporter": reporter},
            )
            ctx.declare("observation", item)
            items.append(item)
            uuids.append(uuid_key)
        verification = raw.data.get("verification")
        entry_item = Item(
            file=raw.file,
            label=f"{raw.label} verification",
            key=key,
            fields={"observations": uuids},
            extra={"kind": "verification"},
        )
        ctx.declare("monitoring_incident", entry_item)
        if verification is None:
            continue
        if not isinstance(verification, dict):
            raise raw.error("must be a mapping (by, status, notes)", "verification")
        entry_item.fields.update(_verification(ctx, Raw(raw.file, entry_item.label, verification)))
        items.append(entry_item)
    return items


def _write_observation(item: Item) -> Outcome:
    try:
        result = observation_record(actor=account(item.extra["reporter"]), data=item.fields)
    except DomainError as exc:
        if exc.field == "client_uuid":
            # Observations are never edited: what an observer saw stays as recorded.
            raise item.error(
                "an observation with this client_uuid was recorded with other content; "
                "a changed observation needs a new client_uuid",
                "client_uuid",
            ) from None
        raise _service_error(item, exc) from None
    return "created" if result.created else "unchanged"


def _incident_of(item: Item) -> Incident:
    """The one incident the item's observations formed, and that holds nothing else."""
    uuids = set(item.fields["observations"])
    ids = set(
        Observation.objects.filter(client_uuid__in=uuids).values_list("incident_id", flat=True)
    )
    incidents = list(Incident.objects.filter(pk__in=ids).order_by("reference"))
    if len(incidents) != 1 or None in ids:
        refs = ", ".join(i.reference for i in incidents) or "none"
        raise item.error(
            f"its observations formed {len(incidents)} incidents ({refs}), not one: bring their "
            "times (10 minutes) or positions and bearings (3 km) closer together",
            "observations",
        )
    incident = incidents[0]
    members = {
        str(u)
        for u in Observation.objects.filter(incident=incident).values_list("client_uuid", flat=True)
    }
    if members != uuids:
        raise item.error(
            f"incident {incident.reference} also holds {len(members - uuids)} observation(s) "
            "of another incident: move the incidents apart in time or place",
            "observations",
        )
    return incident


def _write_verification(item: Item) -> Outcome:
    fields = item.fields
    incident = _incident_of(item)
    actor = account(fields["by"])
    target = fields["status"]
    notes = fields["notes"]
    party = incident.responsible_party.code if incident.responsible_party else None
    move = (
        incident.status != target
        or (target == IncidentStatus.VERIFIED and party != fields["responsible_party"])
        or incident.resolution != fields["resolution"]
    )
    note_missing = bool(notes) and notes not in incident.notes
    if not move and not note_missing:
        return "unchanged"
    outcome: Outcome = "created" if incident.status == IncidentStatus.REPORTED else "updated"
    try:
        if not move:
            incident_add_note(
                actor=actor, incident=incident, text=notes, expected_version=incident.version
            )
            return outcome
        if IncidentStatus.UNDER_REVIEW not in (incident.status, target):
            incident = incident_set_status(
                actor=actor,
                incident=incident,
                status=IncidentStatus.UNDER_REVIEW,
                expected_version=incident.version,
            )
        incident_set_status(
            actor=actor,
            incident=incident,
            status=target,
            expected_version=incident.version,
            responsible_party=fields["responsible_party"],
            notes=notes if note_missing else None,
            resolution=fields["resolution"] or None,
        )
    except DomainError as exc:
        raise _service_error(item, exc) from None
    return outcome


def write_observations(ctx: LoadContext, item: Item) -> Outcome:
    if item.extra["kind"] == "observation":
        return _write_observation(item)
    return _write_verification(item)


# --- check-ins ------------------------------------------------------------------------------


def parse_check_ins(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in csv_rows(section, CHECK_IN_COLUMNS, CHECK_IN_REQUIRED):
        key = client_uuid(raw)
        fields = {
            "client_uuid": key,
            "post": _post(ctx, raw, "post"),
            "checked_in_at": instant(raw, "checked_in_at"),
            "status": raw.choice("status", CHECK_IN_STATUSES, required=False) or "normal",
            "note": raw.text("note", max_length=500),
        }
        reporter = checked_user(
            ctx, raw, "reporter", scopes=[Scope.MISSION.value], what="an OP check-in"
        )
        item = Item(
            file=raw.file, label=raw.label, key=key, fields=fields, extra={"reporter": reporter}
        )
        ctx.declare("check_in", item)
        items.append(item)
    return items


def write_check_in(ctx: LoadContext, item: Item) -> Outcome:
    try:
        result = check_in_record(actor=account(item.extra["reporter"]), **item.fields)
    except DomainError as exc:
        raise _service_error(item, exc) from None
    return "created" if result.created else "unchanged"


for _section_type in (
    SectionType(
        "observations",
        parse_observations,
        write_observations,
        "Ceasefire observations and the verification of their incidents (YAML)",
    ),
    SectionType("check_ins", parse_check_ins, write_check_in, "OP check-ins (CSV)"),
):
    register_section(_section_type)
