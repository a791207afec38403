"""The shared write path: validate, version, write, ledger; nothing half-written."""

from __future__ import annotations

import json

import pytest

from truce.core import services
from truce.core.errors import Conflict, InvalidInput, PermissionDenied
from truce.core.models import Facility, Settlement, Zone
from truce.ledger.models import LedgerEntry
from truce.ledger.selectors import record_history


def _point(lon: float, lat: float) -> dict[str, object]:
    return {"type": "Point", "coordinates": [lon, lat]}


def test_create_writes_version_one_and_one_ledger_entry(parties, admin_user):
    before = LedgerEntry.objects.count()
    s = services.settlement_create(
        actor=admin_user,
        fields={"pcode": "P1", "display_name": "Goris", "geometry": _point(46.34, 39.51)},
    )
    assert s.version == 1
    assert (s.min_lon, s.min_lat) == (46.34, 39.51)
    entry = LedgerEntry.objects.get(seq=before + 1)
    assert entry.record_id == str(s.public_id)
    assert entry.actor == "admin"
    payload = json.loads(entry.payload)
    assert payload["display_name"] == "Goris"
    assert payload["visibility"] == ["mission", "public"]


def test_update_keeps_every_version_in_history(parties, admin_user):
    s = services.settlement_create(
        actor=admin_user,
        fields={"pcode": "P1", "display_name": "Lachin", "geometry": _point(46.55, 39.64)},
    )
    s = services.settlement_update(
        actor=admin_user,
        settlement=s,
        expected_version=1,
        changes={"display_name": "Lachin (Berdzor)"},
    )
    history = record_history(s, admin_user)
    assert [h.entry.record_version for h in history] == [1, 2]
    assert history[0].data["display_name"] == "Lachin"
    assert history[1].data["display_name"] == "Lachin (Berdzor)"
    assert history[1].changed == ["display_name", "updated_at", "version"]


def test_stale_version_is_refused_and_nothing_is_overwritten(parties, admin_user):
    s = services.settlement_create(
        actor=admin_user,
        fields={"pcode": "P1", "display_name": "Agdam", "geometry": _point(46.99, 39.99)},
    )
    services.settlement_update(
        actor=admin_user, settlement=s, expected_version=1, changes={"kind": "city"}
    )
    with pytest.raises(Conflict) as info:
        services.settlement_update(
            actor=admin_user, settlement=s, expected_version=1, changes={"kind": "village"}
        )
    assert info.value.field == "version"
    assert Settlement.objects.get(pk=s.pk).kind == "city"


def test_history_hides_versions_not_shared_with_the_reader(parties, admin_user, side_a_user):
    s = services.settlement_create(
        actor=admin_user,
        fields={"pcode": "P1", "display_name": "Secret name", "geometry": _point(46, 39)},
        visibility=["mission"],
    )
    s = services.settlement_update(
        actor=admin_user,
        settlement=s,
        expected_version=1,
        changes={"display_name": "Shared name"},
        visibility=["side_a"],
    )
    s = services.settlement_update(
        actor=admin_user, settlement=s, expected_version=2, changes={"kind": "village"}
    )
    seen = record_history(s, side_a_user)
    assert [h.data["display_name"] for h in seen] == ["Shared name", "Shared name"]
    # The first visible version reads as new to this reader: every field, so the
    # list cannot single out what changed while the record was hidden.
    assert set(seen[0].changed) == set(seen[0].data)
    assert seen[1].changed == ["kind", "updated_at", "version"]


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ({"type": "Point", "coordinates": [200, 39]}, "longitude"),
        ({"type": "Point", "coordinates": [46, -91]}, "latitude"),
        ({"type": "Point", "coordinates": [float("nan"), 39]}, "finite"),
        (
            {"type": "Polygon", "coordinates": [[[46, 39], [47, 40], [47, 39], [46, 39]]]},
            "not allowed",
        ),
        (
            {
                "type": "Point",
                "coordinates": [46, 39],
                "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
            },
            "EPSG:4326",
        ),
        ({"type": "Point"}, "coordinates"),
        ("POINT(46 39)", "GeoJSON"),
    ],
)
def test_bad_geometry_names_the_field_and_writes_nothing(parties, admin_user, geometry, reason):
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as info:
        services.settlement_create(
            actor=admin_user,
            fields={"pcode": "P1", "display_name": "X", "geometry": geometry},
        )
    assert info.value.field == "geometry"
    assert reason in info.value.message
    assert LedgerEntry.objects.count() == before
    assert not Settlement.objects.exists()


def test_self_intersecting_zone_is_refused(parties, admin_user):
    bow_tie = {
        "type": "Polygon",
        "coordinates": [[[46, 39], [47, 40], [47, 39], [46, 40], [46, 39]]],
    }
    with pytest.raises(InvalidInput) as info:
        services.zone_create(
            actor=admin_user,
            fields={"code": "z", "name": "Z", "kind": "corridor", "geometry": bow_tie},
        )
    assert info.value.field == "geometry"
    assert "Self-intersection" in info.value.message
    assert not Zone.objects.exists()


def test_duplicate_pcode_is_refused_naming_pcode(parties, admin_user):
    fields = {"pcode": "P1", "display_name": "A", "geometry": _point(46, 39)}
    services.settlement_create(actor=admin_user, fields=fields)
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as info:
        services.settlement_create(actor=admin_user, fields={**fields, "display_name": "B"})
    assert info.value.field == "pcode"
    assert LedgerEntry.objects.count() == before


def test_unknown_admin_area_pcode_is_refused(parties, admin_user):
    with pytest.raises(InvalidInput) as info:
        services.settlement_create(
            actor=admin_user,
            fields={
                "pcode": "P1",
                "display_name": "A",
                "geometry": _point(46, 39),
                "admin_area": "NOPE",
            },
        )
    assert info.value.field == "admin_area"


def test_observation_post_needs_battalion_and_zone(places, admin_user):
    with pytest.raises(InvalidInput) as info:
        services.facility_create(
            actor=admin_user,
            fields={
                "code": "op-x",
                "name": "OP X",
                "kind": "observation_post",
                "op_role": "contact_line",
                "zone": "north",
                "geometry": _point(46.5, 39.5),
            },
        )
    assert info.value.field == "battalion"
    assert not Facility.objects.filter(code="op-x").exists()


def test_system_fields_cannot_be_written(parties, admin_user):
    with pytest.raises(InvalidInput) as info:
        services.settlement_create(
            actor=admin_user,
            fields={"pcode": "P1", "display_name": "A", "geometry": _point(46, 39), "version": 7},
        )
    assert info.value.field == "version"


def test_only_mission_administrators_edit_registries(places, side_a_user, mission_user):
    for actor in (side_a_user, mission_user):
        with pytest.raises(PermissionDenied):
            services.settlement_update(
                actor=actor,
                settlement=places.public_settlement,
                expected_version=1,
                changes={"display_name": "Renamed"},
            )
    assert Settlement.objects.get(pcode="T-PUB").display_name == "Publictown"


def test_user_needs_a_party(parties):
    with pytest.raises(InvalidInput) as info:
        services.user_create(actor=None, username="nobody", party=None)
    assert info.value.field == "party"
    with pytest.raises(InvalidInput) as info:
        services.user_create(actor=None, username="nobody", party="side-c")
    assert info.value.field == "party"


def test_unknown_role_is_refused(parties):
    with pytest.raises(InvalidInput) as info:
        services.user_create(actor=None, username="x", party="mission", roles=["general"])
    assert info.value.field == "roles"


def test_organisation_must_belong_to_the_users_party(parties):
    services.organisation_create(
        actor=None, fields={"code": "icrc", "name": "ICRC", "party": "agencies"}
    )
    with pytest.raises(InvalidInput) as info:
        services.user_create(actor=None, username="x", party="side-a", organisation="icrc")
    assert info.value.field == "organisation"


def test_user_update_changes_roles_and_is_a_ledger_entry(parties, admin_user, side_a_user):
    before = LedgerEntry.objects.filter(record_type="core.user").count()
    user = services.user_update(
        actor=admin_user, user=side_a_user, roles=["viewer"], is_active=False
    )
    assert user.role_codes() == {"viewer"}
    assert not user.is_active
    last = LedgerEntry.objects.filter(record_type="core.user").order_by("-seq").first()
    assert last is not None
    assert (last.record_id, last.record_version) == ("liaison_a", 2)
    assert LedgerEntry.objects.filter(record_type="core.user").count() == before + 1


def test_user_update_refuses_bad_input_and_writes_nothing(parties, admin_user, side_a_user):
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as info:
        services.user_update(actor=admin_user, user=side_a_user, roles=["general"])
    assert info.value.field == "roles"
    with pytest.raises(InvalidInput) as info:
        services.user_update(actor=admin_user, user=admin_user, is_active=False)
    assert info.value.field == "is_active"
    with pytest.raises(PermissionDenied):
        services.user_update(actor=side_a_user, user=side_a_user, roles=["administrator"])
    assert LedgerEntry.objects.count() == before
    assert side_a_user.role_codes() == {"liaison_officer"}
