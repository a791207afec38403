"""Every error, whatever raised it, leaves as {"error": {"code", "message", "field"}}."""

from __future__ import annotations

import pytest
from django.http import Http404

from tests.core.api_client import PREFIX, Api, error_of, point
from truce.core import services


def test_a_request_validation_error_names_the_field_without_the_body_prefix(admin_user):
    response = Api(admin_user).post("/settlements/", {"pcode": 7, "display_name": "X"})
    assert response.status_code == 422
    error = error_of(response)
    assert error == {
        "code": "invalid",
        "message": "pcode: Input should be a valid string",
        "field": "pcode",
    }


def test_a_missing_required_field_is_named(admin_user):
    response = Api(admin_user).post("/zones/", {"code": "z", "name": "Z"})
    assert response.status_code == 422
    assert error_of(response)["field"] == "kind"


def test_an_unknown_body_field_is_refused_by_name(admin_user):
    response = Api(admin_user).post(
        "/settlements/", {"pcode": "P", "display_name": "X", "populaton": 5}
    )
    assert response.status_code == 422
    assert error_of(response)["field"] == "populaton"


def test_a_query_validation_error_names_the_parameter(side_a_user):
    response = Api(side_a_user).get("/settlements/", limit="many")
    assert response.status_code == 422
    assert error_of(response)["field"] == "limit"


def test_a_domain_error_keeps_its_status_code_and_field(admin_user, places):
    response = Api(admin_user).post(
        "/settlements/", {"pcode": "T-PUB", "display_name": "Again", "geometry": point(46, 39)}
    )
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("invalid", "pcode")


def test_a_missing_record_is_404_in_the_error_shape(side_a_user):
    for public_id in ("00000000-0000-0000-0000-000000000001", "not-a-uuid"):
        response = Api(side_a_user).get(f"/settlements/{public_id}")
        assert response.status_code == 404
        assert error_of(response) == {
            "code": "not_found",
            "message": "no such record",
            "field": "id",
        }


def test_a_conflict_is_409_in_the_error_shape(admin_user, places):
    settlement = places.public_settlement
    response = Api(admin_user).patch(
        f"/settlements/{settlement.public_id}", {"version": 99, "kind": "city"}
    )
    assert response.status_code == 409
    error = error_of(response)
    assert (error["code"], error["field"]) == ("conflict", "version")


def test_a_permission_error_is_403_in_the_error_shape(mission_user, places):
    response = Api(mission_user).patch(
        f"/settlements/{places.mission_settlement.public_id}", {"version": 1, "kind": "city"}
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_an_unauthenticated_request_is_401_in_the_error_shape(parties):
    response = Api().get("/settlements/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_a_malformed_json_body_is_400_in_the_error_shape(admin_user):
    response = Api(admin_user).client.post(
        PREFIX + "/settlements/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_an_unknown_endpoint_is_404_in_the_error_shape(side_a_user):
    response = Api(side_a_user).get("/no/such/thing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_missing_trailing_slash_redirects_keeping_the_method(side_a_user):
    response = Api(side_a_user).get("/settlements", q="x")
    assert response.status_code == 308
    assert response["Location"] == PREFIX + "/settlements/?q=x"


def test_a_method_the_path_does_not_have_is_405_in_the_error_shape(admin_user, places):
    response = Api(admin_user).client.put(
        f"{PREFIX}/settlements/{places.public_settlement.public_id}"
    )
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "PATCH" in response["Allow"]


def test_http404_from_deep_code_is_404_and_hides_its_text(side_a_user, monkeypatch):
    def raise_404(user):
        raise Http404("Settlement matching query does not exist (pk=17)")

    monkeypatch.setattr("truce.core.api.me_out", raise_404)
    response = Api(side_a_user).get("/me")
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "not_found"
    assert "pk=17" not in response.content.decode()


def test_an_unexpected_exception_is_500_without_internals(side_a_user, monkeypatch, caplog):
    def explode(user):
        raise RuntimeError("password=hunter2 at /srv/truce/secret.py line 12")

    monkeypatch.setattr("truce.core.api.me_out", explode)
    response = Api(side_a_user).get("/me")
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"
    body = response.content.decode()
    assert "hunter2" not in body and "secret.py" not in body and "Traceback" not in body
    # The details go to the server log instead.
    assert any(r.name == "truce.api" and r.exc_info for r in caplog.records)


@pytest.mark.parametrize(
    "bbox",
    ["1,2,3", "a,b,c,d", "46,39,45,40", "46,40,47,39", "0,0,181,1", "0,-91,1,1", "nan,0,1,1"],
)
def test_a_bad_bbox_is_refused_naming_bbox(side_a_user, bbox):
    for path in ("/settlements/", "/layers/settlements"):
        response = Api(side_a_user).get(path, bbox=bbox)
        assert response.status_code == 422, (path, bbox)
        assert error_of(response)["field"] == "bbox"


def test_an_unknown_layer_is_404_naming_layer(side_a_user):
    response = Api(side_a_user).get("/layers/minefields")
    assert response.status_code == 404
    assert error_of(response)["field"] == "layer"


def test_the_error_shape_is_the_same_for_a_refused_delete_version(admin_user):
    zone = services.zone_create(
        actor=None,
        fields={
            "code": "z",
            "name": "Z",
            "kind": "corridor",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[46, 39], [46.1, 39], [46.1, 39.1], [46, 39]]],
            },
        },
    )
    response = Api(admin_user).delete(f"/zones/{zone.public_id}", version="three")
    assert response.status_code == 422
    assert error_of(response)["field"] == "version"
