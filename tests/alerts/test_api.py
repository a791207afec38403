"""The alerts API: list and poll, answer, CAP, rules; nothing for anyone outside the mission."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from tests.alerts.conftest import World
from tests.core.api_client import Api, error_of
from truce.alerts import hooks
from truce.alerts.models import Alert, AlertRule
from truce.core import services as core_services
from truce.core.models import User
from truce.lib.time import iso_utc

pytestmark = pytest.mark.django_db

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def _alert(world: World) -> Alert:
    world.rule("casualty", {}, severity="critical")
    incident = world.incident()
    hooks.observations_recorded(
        [world.observe(killed_civilian=2, incident=incident, at=(46.61, 39.61))], actor=None
    )
    return Alert.objects.get()


def test_list_get_and_poll_since(world: World, mission_user: User) -> None:
    alert = _alert(world)
    api = Api(mission_user)
    page = api.get("/alerts/", status="open").json()
    assert [item["id"] for item in page["items"]] == [str(alert.public_id)]
    item = page["items"][0]
    assert item["severity"] == "critical"
    assert item["current_role"] == "duty_officer"
    assert item["incident"]["reference"] == alert.incident.reference
    assert item["facility"]["code"] == "op-n1"
    assert item["position"] == {"lon": 46.61, "lat": 39.61}

    later = iso_utc(alert.raised_at + dt.timedelta(seconds=1))
    assert api.get("/alerts/", since=later).json()["items"] == []
    assert api.get("/alerts/", status="resolved").json()["items"] == []
    bad = api.get("/alerts/", status="urgent")
    assert bad.status_code == 422
    assert error_of(bad)["field"] == "status"
    naive = api.get("/alerts/", since="2020-11-20T10:00:00")
    assert error_of(naive)["field"] == "since"

    one = api.get(f"/alerts/{alert.public_id}")
    assert one.status_code == 200
    assert one.json()["message"] == alert.message


def test_acknowledge_and_resolve(world: World, mission_user: User) -> None:
    alert = _alert(world)
    api = Api(mission_user)
    acked = api.post(f"/alerts/{alert.public_id}/acknowledge", None)
    assert acked.status_code == 200, acked.content
    assert acked.json()["status"] == "acknowledged"
    assert acked.json()["acknowledged_by"] == "duty"
    again = api.post(f"/alerts/{alert.public_id}/acknowledge", None)
    assert again.json()["version"] == acked.json()["version"]

    resolved = api.post(f"/alerts/{alert.public_id}/resolve", {"note": "Patrol confirmed"})
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolution"] == "Patrol confirmed"
    late = api.post(f"/alerts/{alert.public_id}/acknowledge", None)
    assert late.status_code == 409

    history = api.get(f"/alerts/{alert.public_id}/history").json()
    assert [entry["action"] for entry in history] == ["raise", "acknowledge", "resolve"]


def test_an_analyst_sees_but_may_not_answer(world: World) -> None:
    alert = _alert(world)
    analyst = core_services.user_create(
        actor=None, username="analyst", party="mission", roles=["analyst"]
    )
    api = Api(analyst)
    assert api.get(f"/alerts/{alert.public_id}").status_code == 200
    refused = api.post(f"/alerts/{alert.public_id}/acknowledge", None)
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "forbidden"


def test_cap_xml(world: World, mission_user: User) -> None:
    alert = _alert(world)
    response = Api(mission_user).get(f"/alerts/{alert.public_id}/cap")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/cap+xml"
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    assert root.tag == f"{CAP}alert"
    assert root.findtext(f"{CAP}identifier") == f"truce-alert-{alert.public_id}-v1"
    sent = root.findtext(f"{CAP}sent")
    assert sent and dt.datetime.fromisoformat(sent).utcoffset() == dt.timedelta(0)
    assert not sent.endswith("Z")
    assert root.findtext(f"{CAP}status") == "Test"
    assert root.findtext(f"{CAP}msgType") == "Alert"
    assert root.findtext(f"{CAP}scope") == "Restricted"
    info = root.find(f"{CAP}info")
    assert info is not None
    assert info.findtext(f"{CAP}event") == "Casualties reported"
    assert info.findtext(f"{CAP}severity") == "Extreme"
    assert info.findtext(f"{CAP}urgency") == "Immediate"
    assert info.findtext(f"{CAP}certainty") == "Observed"
    assert info.findtext(f"{CAP}description") == alert.message
    area = info.find(f"{CAP}area")
    assert area is not None
    assert "Northern zone" in (area.findtext(f"{CAP}areaDesc") or "")
    assert area.findtext(f"{CAP}circle") == "39.610000,46.610000 0"

    # Later versions are updates referring to the first message.
    Api(mission_user).post(f"/alerts/{alert.public_id}/acknowledge", None)
    root = ET.fromstring(Api(mission_user).get(f"/alerts/{alert.public_id}/cap").content)  # noqa: S314
    assert root.findtext(f"{CAP}msgType") == "Update"
    assert f"truce-alert-{alert.public_id}-v1" in (root.findtext(f"{CAP}references") or "")


def test_cap_escapes_what_people_typed(world: World, mission_user: User) -> None:
    world.rule("casualty", {}, name='<script>alert("x")</script> & co')
    hooks.observations_recorded([world.observe(killed_civilian=1)], actor=None)
    alert = Alert.objects.get()
    body = Api(mission_user).get(f"/alerts/{alert.public_id}/cap").content
    assert b"<script>" not in body
    root = ET.fromstring(body)  # noqa: S314 - our own output
    assert '<script>alert("x")</script> & co' in (
        root.find(f"{CAP}info").findtext(f"{CAP}description") or ""  # type: ignore[union-attr]
    )


# --- rules ---------------------------------------------------------------------------------


RULE = {
    "name": "Shelling in the north",
    "kind": "threshold",
    "params": {"count": 5, "window_minutes": 10, "types": ["explosion_impact"]},
    "zone": "north",
    "severity": "high",
    "escalation": [["duty_officer", 10], ["administrator", 20]],
}


def test_rules_crud(world: World, mission_user: User) -> None:
    api = Api(mission_user)
    created = api.post("/alerts/rules/", RULE)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["zone"] == "north"
    assert body["params"]["types"] == ["explosion_impact"]
    rule_id = body["id"]

    assert [r["id"] for r in api.get("/alerts/rules/").json()["items"]] == [rule_id]
    assert api.get(f"/alerts/rules/{rule_id}").json()["name"] == RULE["name"]

    patched = api.patch(f"/alerts/rules/{rule_id}", {"version": 1, "active": False})
    assert patched.status_code == 200
    assert patched.json()["active"] is False
    stale = api.patch(f"/alerts/rules/{rule_id}", {"version": 1, "name": "x"})
    assert stale.status_code == 409

    assert api.delete(f"/alerts/rules/{rule_id}", version=2).status_code == 204
    assert api.get(f"/alerts/rules/{rule_id}").status_code == 404
    assert AlertRule.objects.get().is_deleted


def test_bad_rule_parameters_are_named_over_the_api(world: World, mission_user: User) -> None:
    api = Api(mission_user)
    bad = api.post("/alerts/rules/", {**RULE, "params": {**RULE["params"], "window_minutes": 0}})
    assert bad.status_code == 422
    assert error_of(bad)["field"] == "params.window_minutes"
    chain = api.post("/alerts/rules/", {**RULE, "escalation": [["general", 5]]})
    assert error_of(chain)["field"] == "escalation.0.role"
    extra = api.post("/alerts/rules/", {**RULE, "colour": "red"})
    assert extra.status_code == 422
    assert not AlertRule.objects.exists()


def test_rule_creation_is_idempotent(world: World, mission_user: User) -> None:
    api = Api(mission_user)
    first = api.post("/alerts/rules/", RULE, **{"Idempotency-Key": "rule-1"})
    second = api.post("/alerts/rules/", RULE, **{"Idempotency-Key": "rule-1"})
    assert first.json() == second.json()
    assert AlertRule.objects.count() == 1


# --- isolation -------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["side_a_user", "side_b_user", "agency_user"])
def test_nothing_for_anyone_outside_the_mission(
    world: World, reader: str, request: pytest.FixtureRequest
) -> None:
    alert = _alert(world)
    rule = alert.rule
    api = Api(request.getfixturevalue(reader))
    assert api.get("/alerts/").json() == {"items": [], "next_cursor": None}
    assert api.get("/alerts/", status="open").json()["items"] == []
    for path in (
        f"/alerts/{alert.public_id}",
        f"/alerts/{alert.public_id}/cap",
        f"/alerts/{alert.public_id}/history",
        "/alerts/rules/",
        f"/alerts/rules/{rule.public_id}",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    for path in (f"/alerts/{alert.public_id}/acknowledge", f"/alerts/{alert.public_id}/resolve"):
        assert api.post(path, None).status_code == 404, path
    assert api.post("/alerts/rules/", RULE).status_code == 404
    assert api.patch(f"/alerts/rules/{rule.public_id}", {"version": 1}).status_code == 404
    assert api.delete(f"/alerts/rules/{rule.public_id}", version=1).status_code == 404
    alert.refresh_from_db()
    rule.refresh_from_db()
    assert (alert.version, rule.version, rule.is_deleted) == (1, 1, False)


def test_rules_are_for_responders_only_within_the_mission(world: World) -> None:
    viewer = core_services.user_create(
        actor=None, username="viewer", party="mission", roles=["viewer"]
    )
    api = Api(viewer)
    assert api.get("/alerts/rules/").status_code == 404
    assert api.post("/alerts/rules/", RULE).status_code == 404


def test_unauthenticated_calls_are_refused(world: World) -> None:
    assert Api().get("/alerts/").status_code == 401
