"""Section types for the core registries: parties, organisations, places, posts, users.

Each `parse_*` checks one file completely (fields, references, geometry) without writing;
each `write_*` sends one item through truce.core.services as the system (actor None).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from shapely.geometry import shape

from truce.core import services
from truce.core.errors import DomainError
from truce.core.models import (
    AdminArea,
    Facility,
    FacilityKind,
    OpRole,
    Organisation,
    Party,
    RoleCode,
    Settlement,
    User,
    Zone,
    ZoneKind,
)
from truce.core.scenario.base import (
    Item,
    LoadContext,
    Outcome,
    Section,
    SectionType,
    register_section,
)
from truce.core.scenario.files import (
    Raw,
    check_geometry,
    csv_rows,
    geojson_features,
    point_from,
    yaml_entries,
)
from truce.core.scenario.sync import sync_record
from truce.core.sharing import Scope
from truce.lib import geo

# Where a P-code comes from, as the data says it and as the record's source states it.
PCODE_ORIGINS = {
    "iso-3166-1": "P-code from ISO 3166-1",
    "iso-3166-2": "P-code from ISO 3166-2",
    "scenario": "P-code assigned by the scenario",
}
SETTLEMENT_KINDS = ("city", "town", "village", "hamlet", "camp")
NAME_FIELDS = ("display_name", "name_en", "name_ru", "name_hy", "name_az", "name_source")


def _slug(raw: Raw, name: str) -> str:
    value = raw.text(name, required=True, max_length=40)
    try:
        validate_slug(value)
    except ValidationError:
        raise raw.error(f"{value!r} is not a slug (letters, digits, - and _)", name) from None
    return value


def _reference(
    ctx: LoadContext,
    raw: Raw,
    name: str,
    namespace: str,
    model: type[Any],
    lookup: str,
    *,
    required: bool = False,
) -> str | None:
    value = raw.text(name, required=required)
    if not value:
        return None
    if not ctx.known(namespace, value, model, lookup):
        raise raw.error(f"unknown {namespace} {value!r}", name)
    return value


def _names(raw: Raw, default_source: str = "") -> dict[str, str]:
    names = {name: raw.text(name, max_length=200) for name in NAME_FIELDS[:-1]}
    if not names["display_name"]:
        raise raw.error("is required", "display_name")
    names["name_source"] = raw.text("name_source", max_length=300) or default_source
    return names


def _source_with_origin(raw: Raw) -> str:
    origin = raw.choice("pcode_origin", PCODE_ORIGINS)
    extra = raw.text("source")
    source = f"{extra}; {PCODE_ORIGINS[origin]}" if extra else PCODE_ORIGINS[origin]
    if len(source) > 500:
        raise raw.error("is longer than the 500 characters a source may hold", "source")
    return source


def _item(
    ctx: LoadContext,
    namespace: str,
    raw: Raw,
    key: str,
    fields: dict[str, Any],
    visibility: list[str] | None,
) -> Item:
    item = Item(file=raw.file, label=raw.label, key=key, fields=fields, visibility=visibility)
    ctx.declare(namespace, item)
    return item


# --- parties --------------------------------------------------------------------------


def parse_parties(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    scopes: dict[str, str] = {}
    for raw, _ in yaml_entries(section, "parties"):
        code = _slug(raw, "code")
        raw.keyed("code", code)
        raw.only({"code", "scope", "name", "description", "source"})
        scope = raw.choice("scope", [s.value for s in Scope])
        if scope in scopes:
            raise raw.error(f"party {scopes[scope]!r} already has scope {scope!r}", "scope")
        scopes[scope] = code
        fields = {
            "code": code,
            "scope": scope,
            "name": raw.text("name", required=True, max_length=200),
            "description": raw.text("description"),
            "source": raw.text("source", max_length=500),
        }
        items.append(_item(ctx, "party", raw, code, fields, None))
    return items


def write_party(ctx: LoadContext, item: Item) -> Outcome:
    return sync_record(
        item,
        model=Party,
        key_field="code",
        create=lambda fields, _: services.party_create(actor=None, **fields),
        update=lambda party, changes, _: services.party_update(
            actor=None, party=party, expected_version=party.version, changes=changes
        ),
    )


# --- organisations --------------------------------------------------------------------


def parse_organisations(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, _ in yaml_entries(section, "organisations"):
        code = _slug(raw, "code")
        raw.keyed("code", code)
        raw.only({"code", "acronym", "name", "party", "kind", "visibility", "source"})
        fields = {
            "code": code,
            "name": raw.text("name", required=True, max_length=200),
            "acronym": raw.text("acronym", max_length=40),
            "party": _reference(ctx, raw, "party", "party", Party, "code", required=True),
            "kind": raw.text("kind", max_length=40),
            "source": raw.text("source", max_length=500),
        }
        items.append(_item(ctx, "organisation", raw, code, fields, raw.visibility()))
    return items


def write_organisation(ctx: LoadContext, item: Item) -> Outcome:
    return sync_record(
        item,
        model=Organisation,
        key_field="code",
        create=lambda fields, vis: services.organisation_create(
            actor=None, fields=fields, visibility=vis
        ),
        update=lambda org, changes, vis: services.organisation_update(
            actor=None,
            organisation=org,
            expected_version=org.version,
            changes=changes,
            visibility=vis,
        ),
    )


# --- administrative areas -------------------------------------------------------------


def parse_admin_areas(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, document in yaml_entries(section, "admin_areas"):
        pcode = raw.text("pcode", required=True, max_length=20)
        raw.keyed("pcode", pcode)
        raw.only(
            {
                "pcode",
                "pcode_origin",
                "level",
                "parent",
                "geometry",
                "location_approximate",
                "visibility",
                "source",
                *NAME_FIELDS,
            }
        )
        level = raw.integer("level", required=True, minimum=0)
        parent = _reference(ctx, raw, "parent", "admin_area", AdminArea, "pcode")
        if parent:
            # Parents come first in the file, so their level is known here.
            declared = ctx.declared_item("admin_area", parent)
            parent_level = (
                declared.fields["level"]
                if declared is not None
                else AdminArea.objects.get(pcode=parent).level
            )
            if level is not None and parent_level >= level:
                raise raw.error(
                    f"parent {parent} is level {parent_level}; this area must have a higher level",
                    "level",
                )
        geometry = raw.data.get("geometry")
        fields: dict[str, Any] = {
            "pcode": pcode,
            "level": level,
            "parent": parent,
            **_names(raw, str(document.get("name_source") or "")),
            "geometry": None if geometry is None else check_geometry(raw, geometry, geo.AREA_TYPES),
            "location_approximate": raw.flag("location_approximate"),
            "source": _source_with_origin(raw),
        }
        visibility = raw.visibility() if raw.data.get("visibility") else ["public"]
        items.append(_item(ctx, "admin_area", raw, pcode, fields, visibility))
    return items


def write_admin_area(ctx: LoadContext, item: Item) -> Outcome:
    return sync_record(
        item,
        model=AdminArea,
        key_field="pcode",
        create=lambda fields, vis: services.admin_area_create(
            actor=None, fields=fields, visibility=vis
        ),
        update=lambda area, changes, vis: services.admin_area_update(
            actor=None,
            area=area,
            expected_version=area.version,
            changes=changes,
            visibility=vis,
        ),
    )


# --- settlements ----------------------------------------------------------------------

SETTLEMENT_COLUMNS = (
    "pcode",
    "pcode_origin",
    "admin_area",
    *NAME_FIELDS,
    "kind",
    "lon",
    "lat",
    "location_approximate",
    "source",
    "baseline_population",
    "population_source",
    "population_date",
    "visibility",
)


def parse_settlements(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    required = ("pcode", "pcode_origin", "display_name", "lon", "lat", "visibility")
    for raw in csv_rows(section, SETTLEMENT_COLUMNS, required):
        pcode = raw.text("pcode", required=True, max_length=20)
        raw.keyed("pcode", pcode)
        fields = {
            "pcode": pcode,
            "admin_area": _reference(ctx, raw, "admin_area", "admin_area", AdminArea, "pcode"),
            **_names(raw),
            "kind": raw.choice("kind", SETTLEMENT_KINDS),
            "geometry": point_from(raw),
            "location_approximate": raw.flag("location_approximate"),
            "source": _source_with_origin(raw),
            "baseline_population": raw.integer("baseline_population", minimum=0),
            "population_source": raw.text("population_source", max_length=300),
            "population_date": raw.date("population_date"),
        }
        if fields["baseline_population"] is not None and not fields["population_source"]:
            raise raw.error("a baseline population needs its source", "population_source")
        items.append(_item(ctx, "settlement", raw, pcode, fields, raw.visibility()))
    return items


def write_settlement(ctx: LoadContext, item: Item) -> Outcome:
    return sync_record(
        item,
        model=Settlement,
        key_field="pcode",
        create=lambda fields, vis: services.settlement_create(
            actor=None, fields=fields, visibility=vis
        ),
        update=lambda row, changes, vis: services.settlement_update(
            actor=None,
            settlement=row,
            expected_version=row.version,
            changes=changes,
            visibility=vis,
        ),
    )


# --- zones ----------------------------------------------------------------------------


def parse_zones(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, geometry in geojson_features(section):
        code = _slug(raw, "code")
        raw.keyed("code", code)
        raw.only(
            {"code", "name", "kind", "battalion", "visibility", "location_approximate", "source"}
        )
        fields = {
            "code": code,
            "name": raw.text("name", required=True, max_length=200),
            "kind": raw.choice("kind", ZoneKind.values),
            "battalion": raw.text("battalion", max_length=100),
            "geometry": check_geometry(raw, geometry, geo.AREA_TYPES),
            "location_approximate": raw.flag("location_approximate"),
            "source": raw.text("source", max_length=500),
        }
        items.append(_item(ctx, "zone", raw, code, fields, raw.visibility()))
    return items


def write_zone(ctx: LoadContext, item: Item) -> Outcome:
    return sync_record(
        item,
        model=Zone,
        key_field="code",
        create=lambda fields, vis: services.zone_create(actor=None, fields=fields, visibility=vis),
        update=lambda zone, changes, vis: services.zone_update(
            actor=None,
            zone=zone,
            expected_version=zone.version,
            changes=changes,
            visibility=vis,
        ),
    )


# --- facilities -----------------------------------------------------------------------


def _zone_geometry(ctx: LoadContext, code: str) -> dict[str, Any] | None:
    declared = ctx.declared_item("zone", code)
    if declared is not None:
        geometry: dict[str, Any] | None = declared.fields["geometry"]
        return geometry
    zone = Zone.objects.filter(code=code).first()
    return zone.geometry if zone is not None else None


def _check_post(ctx: LoadContext, raw: Raw, fields: dict[str, Any]) -> None:
    """The services' rules for posts, checked before anything is written."""
    if fields["kind"] == FacilityKind.OBSERVATION_POST:
        for name in ("battalion", "zone", "op_role"):
            if not fields[name]:
                raise raw.error("is required for an observation post", name)
    elif fields["op_role"]:
        raise raw.error("only observation posts have an OP role", "op_role")
    if fields["zone"]:
        zone_geometry = _zone_geometry(ctx, fields["zone"])
        point = shape(fields["geometry"])
        if zone_geometry is not None and not shape(zone_geometry).covers(point):
            raise raw.error(
                f"point ({point.x}, {point.y}) lies outside zone {fields['zone']!r}", "geometry"
            )


def parse_facilities(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, geometry in geojson_features(section):
        code = _slug(raw, "code")
        raw.keyed("code", code)
        raw.only(
            {
                "code",
                "name",
                "kind",
                "op_role",
                "battalion",
                "zone",
                "settlement",
                "operator",
                "visibility",
                "location_approximate",
                "source",
                "notes",
            }
        )
        fields = {
            "code": code,
            "name": raw.text("name", required=True, max_length=200),
            "kind": raw.choice("kind", FacilityKind.values),
            "op_role": raw.choice("op_role", OpRole.values, required=False),
            "battalion": raw.text("battalion", max_length=100),
            "zone": _reference(ctx, raw, "zone", "zone", Zone, "code"),
            "settlement": _reference(ctx, raw, "settlement", "settlement", Settlement, "pcode"),
            "operator": _reference(ctx, raw, "operator", "organisation", Organisation, "code"),
            "geometry": check_geometry(raw, geometry, geo.POINT_TYPES),
            "location_approximate": raw.flag("location_approximate"),
            "source": raw.text("source", max_length=500),
            "notes": raw.text("notes"),
        }
        _check_post(ctx, raw, fields)
        items.append(_item(ctx, "facility", raw, code, fields, raw.visibility()))
    return items


def write_facility(ctx: LoadContext, item: Item) -> Outcome:
    return sync_record(
        item,
        model=Facility,
        key_field="code",
        create=lambda fields, vis: services.facility_create(
            actor=None, fields=fields, visibility=vis
        ),
        update=lambda row, changes, vis: services.facility_update(
            actor=None,
            facility=row,
            expected_version=row.version,
            changes=changes,
            visibility=vis,
        ),
    )


# --- users ----------------------------------------------------------------------------


def _party_of_organisation(ctx: LoadContext, code: str) -> str | None:
    declared = ctx.declared_item("organisation", code)
    if declared is not None:
        party: str | None = declared.fields["party"]
        return party
    org = Organisation.objects.select_related("party").filter(code=code).first()
    return org.party.code if org is not None else None


def parse_users(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    entries = yaml_entries(section, "users")
    for raw, _ in entries:
        username = raw.text("username", required=True, max_length=150)
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError as exc:
            raise raw.error(" ".join(exc.messages), "username") from None
        raw.keyed("username", username)
        raw.only({"username", "full_name", "email", "party", "organisation", "roles"})
        party = _reference(ctx, raw, "party", "party", Party, "code", required=True)
        organisation = _reference(ctx, raw, "organisation", "organisation", Organisation, "code")
        if organisation and _party_of_organisation(ctx, organisation) != party:
            raise raw.error(
                f"organisation {organisation!r} belongs to another party", "organisation"
            )
        roles = raw.strings("roles")
        unknown = sorted(set(roles) - set(RoleCode.values))
        if unknown:
            raise raw.error(
                f"unknown role {unknown[0]!r}; use {', '.join(RoleCode.values)}", "roles"
            )
        fields = {
            "username": username,
            "full_name": raw.text("full_name", max_length=300),
            "email": raw.text("email", max_length=254),
            "party": party,
            "organisation": organisation,
            "roles": sorted(roles),
        }
        items.append(_item(ctx, "user", raw, username, fields, None))
    password = entries[0][1].get("demo_password") if entries else None
    if password is not None and not isinstance(password, str):
        raise section.error("must be text", field="demo_password")
    ctx.notes["users"] = [item.key for item in items]
    ctx.notes["demo_password"] = password if ctx.demo_passwords else None
    return items


def write_user(ctx: LoadContext, item: Item) -> Outcome:
    fields = item.fields
    user = User.objects.select_related("party", "organisation").filter(username=item.key).first()
    if user is not None:
        # The party never changes (a new party means a new account); roles,
        # organisation and contact details follow the data, as a new version.
        if fields["party"] != user.party.code:
            raise item.error(
                f"account exists in party {user.party.code}; a party cannot change", "party"
            )
        current = {
            "organisation": user.organisation.code if user.organisation else None,
            "roles": sorted(user.role_codes()),
            "email": user.email,
            "full_name": user.get_full_name(),
        }
        wanted = {**fields, "roles": sorted(fields["roles"])}
        if all(wanted[name] == value for name, value in current.items()):
            return "unchanged"
        try:
            services.user_update(
                actor=None,
                user=user,
                roles=fields["roles"],
                organisation=fields["organisation"],
                email=fields["email"],
                full_name=fields["full_name"],
            )
        except DomainError as exc:
            raise item.error(exc.message, exc.field) from None
        return "updated"
    try:
        services.user_create(
            actor=None,
            username=item.key,
            party=fields["party"],
            roles=fields["roles"],
            password=ctx.notes.get("demo_password"),
            email=fields["email"],
            organisation=fields["organisation"],
            full_name=fields["full_name"],
        )
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None
    return "created"


for _section_type in (
    SectionType("parties", parse_parties, write_party, "Parties (the five scopes)"),
    SectionType("organisations", parse_organisations, write_organisation, "Organisations"),
    SectionType("admin_areas", parse_admin_areas, write_admin_area, "Administrative areas"),
    SectionType("settlements", parse_settlements, write_settlement, "Settlements (CSV)"),
    SectionType("zones", parse_zones, write_zone, "Zones and corridors (GeoJSON)"),
    SectionType("facilities", parse_facilities, write_facility, "Posts and sites (GeoJSON)"),
    SectionType("users", parse_users, write_user, "Demo users"),
):
    register_section(_section_type)
