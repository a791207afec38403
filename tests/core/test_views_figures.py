"""Figures on the home page and their pages: computed, traced, filtered by party."""

from __future__ import annotations

from truce.core import services


def _corridor_post(code: str, visibility: list[str]) -> None:
    services.facility_create(
        actor=None,
        fields={
            "code": code,
            "name": f"Corridor post {code}",
            "kind": "observation_post",
            "op_role": "corridor_traffic",
            "battalion": "2nd battalion",
            "zone": "north",
            "geometry": {"type": "Point", "coordinates": [46.5, 39.5]},
            "source": "briefing 20 Nov 2020",
            "confidence": "high",
        },
        visibility=visibility,
    )


def test_home_shows_each_figure_with_a_link_to_its_records(places, client, mission_user):
    _corridor_post("cp-1", ["mission"])
    client.force_login(mission_user)
    page = client.get("/").content.decode()
    assert 'href="/figures/observation_posts_corridor/"' in page
    assert "Extra posts for safe traffic in the corridor" in page


def test_figure_page_lists_supporting_records_and_sources(places, client, mission_user):
    _corridor_post("cp-1", ["mission"])
    _corridor_post("cp-2", ["side_a"])
    client.force_login(mission_user)
    response = client.get("/figures/observation_posts_corridor/")
    page = response.content.decode()
    assert response.context["value"].value == 2
    assert page.count("data-supporting-record=") == 2
    assert "briefing 20 Nov 2020" in page
    assert "High" in page


def test_other_party_sees_only_what_is_shared_with_it(places, client, side_b_user):
    _corridor_post("cp-1", ["mission"])
    _corridor_post("cp-2", ["side_a"])
    client.force_login(side_b_user)
    response = client.get("/figures/observation_posts_corridor/")
    assert response.context["value"].value == 0
    page = response.content.decode()
    assert "data-supporting-record=" not in page
    assert "Corridor post" not in page
    assert "briefing 20 Nov 2020" not in page


def test_unknown_figure_is_404(db, client, mission_user):
    client.force_login(mission_user)
    assert client.get("/figures/no_such_figure/").status_code == 404


def test_figures_need_login(db, client):
    response = client.get("/figures/command_post/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
