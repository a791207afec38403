"""Figures over the API: computed from records, traced, filtered by party."""

from __future__ import annotations

from truce.core import services


def _op(code: str, visibility: list[str]) -> None:
    services.facility_create(
        actor=None,
        fields={
            "code": code,
            "name": code.upper(),
            "kind": "observation_post",
            "op_role": "contact_line",
            "battalion": "1st battalion",
            "zone": "north",
            "geometry": {"type": "Point", "coordinates": [46.5, 39.5]},
            "source": "briefing 20 Nov 2020",
        },
        visibility=visibility,
    )


def test_figure_lists_its_supporting_records_with_links(places, client, mission_user):
    _op("op-n2", ["both_sides"])
    client.force_login(mission_user)
    body = client.get("/api/v1/figures/observation_posts_contact_line").json()
    assert body["value"] == 2
    assert body["sources"] == ["briefing 20 Nov 2020"]
    ids = {r["id"] for r in body["records"]}
    assert str(places.mission_op.public_id) in ids
    assert all(r["url"].startswith("/registry/facilities/") for r in body["records"])


def test_other_party_gets_no_count_and_no_trace_of_hidden_posts(places, client, side_b_user):
    client.force_login(side_b_user)
    body = client.get("/api/v1/figures/observation_posts_contact_line").json()
    assert body["value"] == 0
    assert body["records"] == []
    listed = {f["key"]: f for f in client.get("/api/v1/figures/").json()}
    assert listed["observation_posts_contact_line"]["value"] == 0
    assert listed["command_post"]["value"] is None


def test_unknown_figure_is_a_404_in_the_error_shape(db, client, mission_user):
    client.force_login(mission_user)
    response = client.get("/api/v1/figures/no_such_figure")
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "key"


def test_figures_need_authentication(db, client):
    assert client.get("/api/v1/figures/").status_code == 401
