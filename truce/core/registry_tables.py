"""How each registry is shown: its selector, filter form, columns, CSV and details.

One description per kind serves the list page, the CSV export and the
detail page, so they cannot disagree. Every reference to another record
passes through `selectors.visible_reference`: a facility shared with side B
never shows the name of a zone only the mission may see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.formats import localize
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from truce.core import forms as ui_forms
from truce.core import selectors
from truce.core.models import (
    AdminArea,
    Facility,
    GeoRecord,
    Organisation,
    Party,
    Record,
    Settlement,
    Zone,
)

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

    from truce.core.models import User


@dataclass(frozen=True)
class Cell:
    """One value as the HTML shows it: text, maybe a link, other names, a badge."""

    text: str = ""
    href: str = ""
    others: tuple[str, ...] = ()
    badge: str = ""


EMPTY = Cell()
CellFn = Callable[[Any, "User"], Cell]
CsvFn = Callable[[Any, "User"], Any]

# The URL kind of each registry model: a contract the API's `url` properties rely on.
KIND_OF_MODEL: dict[type[Record], str] = {
    Party: "parties",
    Organisation: "organisations",
    AdminArea: "admin-areas",
    Settlement: "settlements",
    Zone: "zones",
    Facility: "facilities",
}


def detail_url(record: Record) -> str:
    kind = KIND_OF_MODEL[type(record)]
    return reverse("registry-detail", kwargs={"kind": kind, "public_id": record.public_id})


# --- cells ------------------------------------------------------------------------------


def text(value: Any) -> Cell:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return Cell(gettext("yes") if value else gettext("no"))
    return Cell(str(localize(value)))


def label_of(labels: Mapping[str, StrPromise], value: str) -> Cell:
    return Cell(str(labels.get(value, value))) if value else EMPTY


def reference(target: Record | None, user: User) -> Cell:
    """A link to a related record, or nothing if the viewer may not see it."""
    shown = selectors.visible_reference(target, user)
    if shown is None:
        return EMPTY
    return Cell(str(shown), href=detail_url(shown))


def names(record: Any) -> Cell:
    """The mission's display name, with every other (possibly contested) name beside it."""
    return Cell(record.display_name, href=detail_url(record), others=tuple(record.other_names()))


def linked_name(record: Any) -> Cell:
    return Cell(str(record.name), href=detail_url(record))


def position(record: GeoRecord, user: User) -> Cell:
    approximate = gettext("approximate") if record.location_approximate else ""
    if record.lat is not None and record.lon is not None:
        return Cell(f"{record.lat:.4f}, {record.lon:.4f}", badge=approximate)
    if record.geometry:
        return Cell(str(record.geometry.get("type", "")), badge=approximate)
    return EMPTY


def _ref_csv(target: Record | None, user: User, attribute: str) -> str:
    shown = selectors.visible_reference(target, user)
    return "" if shown is None else str(getattr(shown, attribute))


# --- the registries ---------------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    kind: str
    title: StrPromise
    form: type[ui_forms.RegistryFilter]
    select: Callable[..., QuerySet[Any]]
    columns: Sequence[tuple[StrPromise, CellFn]]
    csv: Sequence[tuple[str, CsvFn]]
    details: Sequence[tuple[StrPromise, CellFn]]
    has_geometry: bool = field(default=False)

    def rows(self, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Any]:
        return self.select(user, **(filters or {}))


L = ui_forms.FIELD_LABELS


def _geo_csv() -> list[tuple[str, CsvFn]]:
    return [
        ("lat", lambda r, u: r.lat if r.lat is not None else ""),
        ("lon", lambda r, u: r.lon if r.lon is not None else ""),
        ("approximate", lambda r, u: r.location_approximate),
    ]


def _names_csv() -> list[tuple[str, CsvFn]]:
    return [
        ("display_name", lambda r, u: r.display_name),
        ("other_names", lambda r, u: "; ".join(r.other_names())),
    ]


def _names_details() -> list[tuple[StrPromise, CellFn]]:
    return [
        (L["display_name"], lambda r, u: text(r.display_name)),
        (L["name_en"], lambda r, u: text(r.name_en)),
        (L["name_ru"], lambda r, u: text(r.name_ru)),
        (L["name_hy"], lambda r, u: text(r.name_hy)),
        (L["name_az"], lambda r, u: text(r.name_az)),
        (L["name_source"], lambda r, u: text(r.name_source)),
    ]


REGISTRIES: dict[str, Registry] = {
    "parties": Registry(
        kind="parties",
        title=_("Parties"),
        form=ui_forms.PartyFilter,
        select=selectors.parties_visible_to,
        columns=[
            (L["code"], lambda r, u: text(r.code)),
            (L["name"], lambda r, u: linked_name(r)),
            (L["scope"], lambda r, u: label_of(ui_forms.SCOPE_LABELS, r.scope)),
        ],
        csv=[
            ("code", lambda r, u: r.code),
            ("name", lambda r, u: r.name),
            ("scope", lambda r, u: r.scope),
        ],
        details=[
            (L["code"], lambda r, u: text(r.code)),
            (L["name"], lambda r, u: text(r.name)),
            (L["scope"], lambda r, u: label_of(ui_forms.SCOPE_LABELS, r.scope)),
            (L["description"], lambda r, u: text(r.description)),
        ],
    ),
    "organisations": Registry(
        kind="organisations",
        title=_("Organisations"),
        form=ui_forms.OrganisationFilter,
        select=selectors.organisations_visible_to,
        columns=[
            (L["code"], lambda r, u: text(r.code)),
            (L["name"], lambda r, u: linked_name(r)),
            (L["acronym"], lambda r, u: text(r.acronym)),
            (L["party"], lambda r, u: reference(r.party, u)),
            (L["kind"], lambda r, u: text(r.kind)),
        ],
        csv=[
            ("code", lambda r, u: r.code),
            ("name", lambda r, u: r.name),
            ("acronym", lambda r, u: r.acronym),
            ("party", lambda r, u: _ref_csv(r.party, u, "code")),
            ("kind", lambda r, u: r.kind),
        ],
        details=[
            (L["code"], lambda r, u: text(r.code)),
            (L["name"], lambda r, u: text(r.name)),
            (L["acronym"], lambda r, u: text(r.acronym)),
            (L["party"], lambda r, u: reference(r.party, u)),
            (L["kind"], lambda r, u: text(r.kind)),
        ],
    ),
    "admin-areas": Registry(
        kind="admin-areas",
        title=_("Administrative areas"),
        form=ui_forms.AdminAreaFilter,
        select=selectors.admin_areas_visible_to,
        columns=[
            (L["pcode"], lambda r, u: text(r.pcode)),
            (L["name"], lambda r, u: names(r)),
            (L["level"], lambda r, u: text(r.level)),
            (L["parent"], lambda r, u: reference(r.parent, u)),
        ],
        csv=[
            ("pcode", lambda r, u: r.pcode),
            *_names_csv(),
            ("level", lambda r, u: r.level),
            ("parent", lambda r, u: _ref_csv(r.parent, u, "pcode")),
        ],
        details=[
            (L["pcode"], lambda r, u: text(r.pcode)),
            *_names_details(),
            (L["level"], lambda r, u: text(r.level)),
            (L["parent"], lambda r, u: reference(r.parent, u)),
        ],
        has_geometry=True,
    ),
    "settlements": Registry(
        kind="settlements",
        title=_("Settlements"),
        form=ui_forms.SettlementFilter,
        select=selectors.settlements_visible_to,
        columns=[
            (L["pcode"], lambda r, u: text(r.pcode)),
            (L["name"], lambda r, u: names(r)),
            (L["kind"], lambda r, u: label_of(ui_forms.SETTLEMENT_KIND_LABELS, r.kind)),
            (L["admin_area"], lambda r, u: reference(r.admin_area, u)),
            (L["baseline_population"], lambda r, u: text(r.baseline_population)),
            (L["position"], position),
        ],
        csv=[
            ("pcode", lambda r, u: r.pcode),
            *_names_csv(),
            ("kind", lambda r, u: r.kind),
            ("admin_area", lambda r, u: _ref_csv(r.admin_area, u, "pcode")),
            ("baseline_population", lambda r, u: r.baseline_population),
            *_geo_csv(),
        ],
        details=[
            (L["pcode"], lambda r, u: text(r.pcode)),
            *_names_details(),
            (L["kind"], lambda r, u: label_of(ui_forms.SETTLEMENT_KIND_LABELS, r.kind)),
            (L["admin_area"], lambda r, u: reference(r.admin_area, u)),
            (L["baseline_population"], lambda r, u: text(r.baseline_population)),
            (L["population_source"], lambda r, u: text(r.population_source)),
            (L["population_date"], lambda r, u: text(r.population_date)),
            (L["position"], position),
        ],
        has_geometry=True,
    ),
    "zones": Registry(
        kind="zones",
        title=_("Zones"),
        form=ui_forms.ZoneFilter,
        select=selectors.zones_visible_to,
        columns=[
            (L["code"], lambda r, u: text(r.code)),
            (L["name"], lambda r, u: linked_name(r)),
            (L["kind"], lambda r, u: label_of(ui_forms.ZONE_KIND_LABELS, r.kind)),
            (L["battalion"], lambda r, u: text(r.battalion)),
        ],
        csv=[
            ("code", lambda r, u: r.code),
            ("name", lambda r, u: r.name),
            ("kind", lambda r, u: r.kind),
            ("battalion", lambda r, u: r.battalion),
        ],
        details=[
            (L["code"], lambda r, u: text(r.code)),
            (L["name"], lambda r, u: text(r.name)),
            (L["kind"], lambda r, u: label_of(ui_forms.ZONE_KIND_LABELS, r.kind)),
            (L["battalion"], lambda r, u: text(r.battalion)),
        ],
        has_geometry=True,
    ),
    "facilities": Registry(
        kind="facilities",
        title=_("Facilities"),
        form=ui_forms.FacilityFilter,
        select=selectors.facilities_visible_to,
        columns=[
            (L["code"], lambda r, u: text(r.code)),
            (L["name"], lambda r, u: linked_name(r)),
            (L["kind"], lambda r, u: label_of(ui_forms.FACILITY_KIND_LABELS, r.kind)),
            (L["op_role"], lambda r, u: label_of(ui_forms.OP_ROLE_LABELS, r.op_role)),
            (L["battalion"], lambda r, u: text(r.battalion)),
            (L["zone"], lambda r, u: reference(r.zone, u)),
            (L["settlement"], lambda r, u: reference(r.settlement, u)),
            (L["position"], position),
        ],
        csv=[
            ("code", lambda r, u: r.code),
            ("name", lambda r, u: r.name),
            ("kind", lambda r, u: r.kind),
            ("op_role", lambda r, u: r.op_role),
            ("battalion", lambda r, u: r.battalion),
            ("zone", lambda r, u: _ref_csv(r.zone, u, "code")),
            ("settlement", lambda r, u: _ref_csv(r.settlement, u, "pcode")),
            ("operator", lambda r, u: _ref_csv(r.operator, u, "code")),
            *_geo_csv(),
        ],
        details=[
            (L["code"], lambda r, u: text(r.code)),
            (L["name"], lambda r, u: text(r.name)),
            (L["kind"], lambda r, u: label_of(ui_forms.FACILITY_KIND_LABELS, r.kind)),
            (L["op_role"], lambda r, u: label_of(ui_forms.OP_ROLE_LABELS, r.op_role)),
            (L["battalion"], lambda r, u: text(r.battalion)),
            (L["zone"], lambda r, u: reference(r.zone, u)),
            (L["settlement"], lambda r, u: reference(r.settlement, u)),
            (L["operator"], lambda r, u: reference(r.operator, u)),
            (L["position"], position),
            (L["notes"], lambda r, u: text(r.notes)),
        ],
        has_geometry=True,
    ),
}


def registry_for(kind: str) -> Registry:
    try:
        return REGISTRIES[kind]
    except KeyError:
        raise Http404(kind) from None


def system_details(record: Record, user: User) -> list[tuple[StrPromise, Cell]]:
    """Provenance shown on every detail page; who it is shared with only to the mission."""
    rows: list[tuple[StrPromise, Cell]] = [
        (L["public_id"], text(str(record.public_id))),
        (L["version"], text(record.version)),
        (L["source"], text(record.source)),
        (L["confidence"], label_of(ui_forms.CONFIDENCE_LABELS, record.confidence)),
    ]
    # Telling a party that a record is also shared with the other party is
    # itself information about the other party; only the mission sees scopes.
    if user.is_mission:
        scopes = ", ".join(str(ui_forms.SCOPE_LABELS[s]) for s in record.visibility)
        rows.append((L["visibility"], Cell(scopes)))
    return rows
