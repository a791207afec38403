"""Figures are computed from records, traced to them, and respect visibility."""

from __future__ import annotations

import pytest

from truce.core import services
from truce.core.figures import REGISTRY, FigureQuery, figure, figure_value


def _op(code: str, zone: str, battalion: str, role: str = "contact_line") -> None:
    services.facility_create(
        actor=None,
        fields={
            "code": code,
            "name": code.upper(),
            "kind": "observation_post",
            "op_role": role,
            "battalion": battalion,
            "zone": zone,
            "geometry": {"type": "Point", "coordinates": [46.5, 39.5]},
        },
        visibility=["both_sides"],
    )


def test_contact_line_posts_are_counted_by_zone(places, mission_user):
    # places already holds one mission-only contact-line OP in the northern zone.
    _op("op-n2", "north", "1st battalion")
    _op("op-c1", "north", "1st battalion", role="corridor_traffic")
    value = figure_value("observation_posts_contact_line", FigureQuery(user=mission_user))
    assert value.value == 2
    assert value.breakdown == {"Northern zone (1st battalion)": 2}
    assert {r.code for r in value.records} == {"op-n1", "op-n2"}  # type: ignore[attr-defined]
    corridor = figure_value("observation_posts_corridor", FigureQuery(user=mission_user))
    assert corridor.value == 1


def test_a_figure_never_counts_what_the_reader_cannot_see(places, side_a_user, side_b_user):
    _op("op-n2", "north", "1st battalion")
    for user in (side_a_user, side_b_user):
        value = figure_value("observation_posts_contact_line", FigureQuery(user=user))
        assert value.value == 1  # the shared one, not the mission-only OP
        assert [r.code for r in value.records] == ["op-n2"]  # type: ignore[attr-defined]


def test_sources_come_from_the_supporting_records(places, mission_user):
    services.facility_update(
        actor=None,
        facility=places.mission_op,
        expected_version=1,
        changes={"source": "MoD briefing, 20 Nov 2020"},
    )
    value = figure_value("observation_posts_contact_line", FigureQuery(user=mission_user))
    assert value.sources == ["MoD briefing, 20 Nov 2020"]


def test_a_key_cannot_be_registered_twice():
    assert "command_post" in REGISTRY
    with pytest.raises(ValueError, match="twice"):
        figure("command_post", label="x", unit="x", description="x")(lambda q: (0, []))


def test_unknown_figure_is_a_clear_error(db):
    with pytest.raises(KeyError, match="unknown figure"):
        figure_value("no_such_figure", FigureQuery(user=None))
