"""Who sees what: the visibility helper every selector starts from."""

from __future__ import annotations

import pytest

from truce.core import selectors, services
from truce.core.errors import InvalidInput, NotFound
from truce.core.models import Settlement
from truce.core.sharing import Scope, parse_visibility, visible


def _names(qs: object) -> set[str]:
    return {s.display_name for s in qs}  # type: ignore[attr-defined]


def test_mission_sees_every_live_record(places, mission_user):
    seen = _names(visible(Settlement.objects.all(), mission_user))
    assert seen == {"Publictown", "Alphaville", "Betaville", "Missionville"}


def test_side_a_sees_only_public_and_its_own_share(places, side_a_user):
    assert _names(visible(Settlement.objects.all(), side_a_user)) == {"Publictown", "Alphaville"}


def test_side_b_sees_nothing_of_side_a_or_the_mission(places, side_b_user):
    assert _names(visible(Settlement.objects.all(), side_b_user)) == {"Publictown", "Betaville"}


def test_agencies_see_public_only_here(places, agency_user):
    assert _names(visible(Settlement.objects.all(), agency_user)) == {"Publictown"}


def test_anonymous_reader_is_the_public(places):
    assert _names(visible(Settlement.objects.all(), None)) == {"Publictown"}


def test_hidden_record_is_not_found_not_forbidden(places, side_a_user):
    with pytest.raises(NotFound):
        selectors.get_visible(
            Settlement.objects.all(), side_a_user, places.side_b_settlement.public_id
        )
    with pytest.raises(NotFound):
        selectors.get_visible(
            Settlement.objects.all(), side_a_user, places.mission_settlement.public_id
        )


def test_counts_never_include_hidden_records(places, side_a_user, mission_user):
    assert selectors.registry_counts(side_a_user)["settlements"] == 2
    assert selectors.registry_counts(side_a_user)["facilities"] == 0
    assert selectors.registry_counts(side_a_user)["zones"] == 0
    assert selectors.registry_counts(mission_user)["settlements"] == 4


def test_bbox_filter_cannot_reveal_a_hidden_record(places, side_a_user):
    box = selectors.BBoxFilter(46.25, 39.0, 46.35, 40.0)  # around Betaville only
    assert list(selectors.settlements_visible_to(side_a_user, bbox=box)) == []


def test_tombstoned_records_vanish_for_everyone(places, admin_user, mission_user):
    services.registry_delete(
        actor=admin_user, record=places.public_settlement, expected_version=1, reason="test"
    )
    assert "Publictown" not in _names(visible(Settlement.objects.all(), mission_user))
    assert Settlement.objects.filter(pcode="T-PUB", is_deleted=True).exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, {Scope.MISSION}),
        ([], {Scope.MISSION}),
        (["mission_only"], {Scope.MISSION}),
        (["both_sides"], {Scope.MISSION, Scope.SIDE_A, Scope.SIDE_B}),
        ("side_a,agencies", {Scope.MISSION, Scope.SIDE_A, Scope.AGENCIES}),
        (["public"], {Scope.MISSION, Scope.PUBLIC}),
    ],
)
def test_visibility_names_parse(given, expected):
    assert parse_visibility(given) == expected


@pytest.mark.parametrize("bad", [["side_c"], ["everyone"], [""], "side_a,,x"])
def test_unknown_scope_is_refused_naming_the_field(bad):
    with pytest.raises(InvalidInput) as info:
        parse_visibility(bad)
    assert info.value.field == "visibility"


def test_filtering_by_a_hidden_zone_reveals_nothing(places, side_a_user, admin_user):
    """A facility shared with side A lies in a mission-only zone; naming that zone
    in a filter must not confirm it exists or what lies in it."""
    services.facility_create(
        actor=admin_user,
        fields={
            "code": "cp-a",
            "name": "Checkpoint A",
            "kind": "checkpoint",
            "zone": "north",
            "geometry": {"type": "Point", "coordinates": [46.5, 39.5]},
        },
        visibility=["side_a"],
    )
    assert [f.code for f in selectors.facilities_visible_to(side_a_user)] == ["cp-a"]
    assert list(selectors.facilities_visible_to(side_a_user, zone="north")) == []
    in_zone = {f.code for f in selectors.facilities_visible_to(admin_user, zone="north")}
    assert in_zone == {"cp-a", "op-n1"}
