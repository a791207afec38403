"""Bad input is refused with a 4xx naming the field, and nothing at all is written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.api_client import Api, error_of, point, write_counts
from truce.core import services
from truce.core.models import Settlement

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[46.0, 39.0], [46.5, 39.0], [46.5, 39.5], [46.0, 39.5], [46.0, 39.0]]],
}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[46.0, 39.0], [46.5, 39.5], [46.5, 39.0], [46.0, 39.5], [46.0, 39.0]]],
}


@pytest.fixture
def area(parties):
    return services.admin_area_create(
        actor=None,
        fields={"pcode": "AZ01", "display_name": "Region", "level": 1, "geometry": SQUARE},
    )


def _settlement(**overrides: Any) -> dict[str, Any]:
    return {"pcode": "NEW-1", "display_name": "Newtown", "geometry": point(46.2, 39.2)} | overrides


def _facility(**overrides: Any) -> dict[str, Any]:
    return {
        "code": "cp-1",
        "name": "Checkpoint",
        "kind": "checkpoint",
        "geometry": point(46.2, 39.2),
    } | overrides


CASES = [
    # (path, body, status, field)
    (
        "/zones/",
        {"code": "z", "name": "Z", "kind": "corridor", "geometry": BOWTIE},
        422,
        "geometry",
    ),
    (
        "/admin-areas/",
        {"pcode": "X1", "display_name": "X", "level": 1, "geometry": BOWTIE},
        422,
        "geometry",
    ),
    ("/settlements/", _settlement(geometry=point(200, 39)), 422, "geometry"),
    ("/settlements/", _settlement(geometry=point(46, -95)), 422, "geometry"),
    ("/settlements/", _settlement(geometry=SQUARE), 422, "geometry"),
    ("/settlements/", _settlement(geometry={"type": "Point"}), 422, "geometry"),
    ("/settlements/", _settlement(geometry="46,39"), 422, "geometry"),
    ("/settlements/", _settlement(pcode="T-PUB"), 422, "pcode"),
    ("/settlements/", _settlement(pcode=""), 422, "pcode"),
    ("/settlements/", _settlement(admin_area="NO-SUCH"), 422, "admin_area"),
    ("/settlements/", _settlement(visibility=["side_c"]), 422, "visibility"),
    ("/settlements/", _settlement(visibility="public"), 422, "visibility"),
    ("/settlements/", _settlement(confidence="certain"), 422, "confidence"),
    ("/settlements/", _settlement(source=None), 422, "source"),
    ("/settlements/", _settlement(baseline_population=-5), 422, "baseline_population"),
    ("/facilities/", _facility(zone="no-such-zone"), 422, "zone"),
    ("/facilities/", _facility(settlement="NO-SUCH"), 422, "settlement"),
    ("/facilities/", _facility(operator="nobody"), 422, "operator"),
    ("/facilities/", _facility(kind="observation_post", battalion="1st"), 422, "zone"),
    ("/facilities/", _facility(kind="spaceport"), 422, "kind"),
    ("/facilities/", _facility(op_role="contact_line"), 422, "op_role"),
    ("/organisations/", {"code": "icrc", "name": "ICRC", "party": "side-c"}, 422, "party"),
    (
        "/admin-areas/",
        {"pcode": "AZ02", "display_name": "D", "level": 1, "parent": "AZ01"},
        422,
        "parent",
    ),
]


@pytest.mark.parametrize(("path", "body", "status", "field"), CASES)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
    admin_user, places, area, path, body, status, field
):
    api = Api(admin_user)
    before = write_counts()
    response = api.post(path, body, **{"Idempotency-Key": "k-" + path})
    assert response.status_code == status, response.content
    assert error_of(response)["field"] == field
    assert write_counts() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"geometry": point(46, 120)}, "geometry"),
        ({"geometry": None}, "geometry"),
        ({"admin_area": "NO-SUCH"}, "admin_area"),
        ({"pcode": "T-A"}, "pcode"),
        ({"visibility": ["everyone"]}, "visibility"),
        ({"display_name": None}, "display_name"),
        ({"kind": "city"}, "version"),  # no version given
        ({"id": "x", "version": 1}, "id"),
        ({"version": 1, "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_a_bad_update_is_refused_naming_the_field_and_changes_nothing(
    admin_user, places, changes, field
):
    settlement = places.public_settlement
    # Each case but the one about the version itself sends the current version.
    body = changes if "version" in changes or field == "version" else {"version": 1} | changes
    api = Api(admin_user)
    before = write_counts()
    response = api.patch(f"/settlements/{settlement.public_id}", body)
    assert 400 <= response.status_code < 500, response.content
    assert error_of(response)["field"] == field
    assert write_counts() == before
    fresh = Settlement.objects.get(pk=settlement.pk)
    assert (fresh.version, fresh.pcode, fresh.display_name, fresh.geometry) == (
        settlement.version,
        settlement.pcode,
        settlement.display_name,
        settlement.geometry,
    )
