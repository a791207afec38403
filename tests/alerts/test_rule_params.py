"""Rule parameters: each bad value is refused naming its field; good ones are normalised."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from tests.alerts.conftest import World
from truce.alerts import rules, services
from truce.alerts.models import AlertRule
from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.models import User
from truce.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db

CHAIN = [["duty_officer", 10]]


def _create(**fields: Any) -> AlertRule:
    values = {"name": "Rule", "kind": "threshold", "escalation": CHAIN, **fields}
    return services.alert_rule_create(actor=None, fields=values)


GOOD_THRESHOLD = {"count": 5, "window_minutes": 10, "types": ["explosion_impact"]}


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("threshold", {**GOOD_THRESHOLD, "window_minutes": 0}, "params.window_minutes"),
        ("threshold", {**GOOD_THRESHOLD, "window_minutes": "10"}, "params.window_minutes"),
        ("threshold", {**GOOD_THRESHOLD, "count": True}, "params.count"),
        ("threshold", {"count": 5, "window_minutes": 10}, "params.types"),
        ("threshold", {**GOOD_THRESHOLD, "types": ["rockets"]}, "params.types"),
        ("threshold", {**GOOD_THRESHOLD, "colour": "red"}, "params.colour"),
        ("verified_violation", {"types": ["illumination_flare"]}, "params.types"),
        ("casualty", {"min_casualties": 0}, "params.min_casualties"),
        ("casualty", {"civilian_only": "yes"}, "params.civilian_only"),
        ("op_silent", {}, "params.hours"),
        ("op_silent", {"hours": -1}, "params.hours"),
        ("proximity", {"distance_km": 0}, "params.distance_km"),
        ("proximity", {"distance_km": 5, "target": "border"}, "params.target"),
        ("proximity", {"distance_km": 5, "settlements": ["NOPE"]}, "params.settlements"),
        (
            "proximity",
            {"distance_km": 5, "target": "corridor", "settlements": ["T-M"]},
            "params.settlements",
        ),
        ("rocket", {}, "kind"),
    ],
)
def test_bad_parameters_are_named(
    world: World, kind: str, params: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _create(kind=kind, params=params)
    assert caught.value.field == field
    assert not AlertRule.objects.exists()


@pytest.mark.parametrize(
    ("chain", "field"),
    [
        ([], "escalation"),
        ([["general", 10]], "escalation.0.role"),
        ([["duty_officer", 10], ["administrator", 0]], "escalation.1.minutes"),
        ([["duty_officer"]], "escalation.0"),
    ],
)
def test_bad_escalation_chains_are_named(world: World, chain: list[Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _create(params=GOOD_THRESHOLD, escalation=chain)
    assert caught.value.field == field


def test_good_parameters_are_normalised(world: World) -> None:
    rule = _create(
        params={"count": 3, "window_minutes": 15, "type": "muzzle_flash"},
        recipients="ops@example.org, duty@example.org",
        zone="north",
    )
    assert rule.params == {"count": 3, "window_minutes": 15, "types": ["muzzle_flash"]}
    assert rule.recipients == ["ops@example.org", "duty@example.org"]
    assert rule.zone == world.places.mission_zone
    assert rule.visibility == ["mission"]
    casualty = _create(kind="casualty", params={})
    assert casualty.params == {"min_casualties": 1, "civilian_only": False}
    proximity = _create(kind="proximity", params={"distance_km": 2.5})
    assert proximity.params["target"] == "settlement"


def test_a_change_of_kind_revalidates_the_parameters(world: World) -> None:
    rule = _create(params=GOOD_THRESHOLD)
    with pytest.raises(InvalidInput) as caught:
        services.alert_rule_update(
            actor=None, rule=rule, expected_version=1, changes={"kind": "op_silent"}
        )
    assert caught.value.field == "params.count"
    updated = services.alert_rule_update(
        actor=None,
        rule=rule,
        expected_version=1,
        changes={"kind": "op_silent", "params": {"hours": 4}},
    )
    assert updated.version == 2
    actions = LedgerEntry.objects.filter(record_id=str(rule.public_id)).values_list(
        "action", flat=True
    )
    assert list(actions) == ["create", "update"]


def test_rules_are_mission_only_and_kept_by_responders(
    world: World, side_a_user: User, mission_user: User
) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.alert_rule_create(
            actor=mission_user,
            fields={"name": "x", "kind": "casualty", "escalation": CHAIN},
            visibility=["side_a"],
        )
    assert caught.value.field == "visibility"
    with pytest.raises(PermissionDenied):
        services.alert_rule_create(
            actor=side_a_user, fields={"name": "x", "kind": "casualty", "escalation": CHAIN}
        )
    rule = services.alert_rule_create(
        actor=mission_user, fields={"name": "x", "kind": "casualty", "escalation": CHAIN}
    )
    assert rule.created_by == mission_user


# --- the admin ---------------------------------------------------------------------------


def _admin_add(client: Client, **overrides: Any) -> Any:
    url = reverse("admin:alerts_alertrule_add")
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for bound in form:
        value = bound.value()
        if isinstance(bound.field, forms.BooleanField):
            if value:
                data[bound.name] = "on"
            continue
        if isinstance(bound.field, forms.MultipleChoiceField):
            data[bound.name] = list(value or [])
            continue
        data[bound.name] = "" if value is None else value
    data.update(
        {
            "name": "Shelling near the corridor",
            "kind": "threshold",
            "params": '{"count": 3, "window_minutes": 10, "types": ["explosion_impact"]}',
            "severity": "high",
            "escalation": '[["duty_officer", 10], ["administrator", 20]]',
            "recipients": "[]",
            "active": "on",
        }
    )
    data.update(overrides)
    return client.post(url, data)


def test_the_admin_saves_rules_through_the_services(
    client: Client, world: World, admin_user: User
) -> None:
    client.force_login(admin_user)
    response = _admin_add(client, params='{"count": 3, "window_minutes": -5, "types": ["x"]}')
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "params.window_minutes" in errors["params"][0]
    assert not AlertRule.objects.exists()

    response = _admin_add(client)
    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = AlertRule.objects.get()
    assert rule.created_by == admin_user
    assert rule.visibility == ["mission"]
    assert LedgerEntry.objects.filter(record_id=str(rule.public_id), action="create").exists()


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("verified_violation", {}),
        ("threshold", {"count": 3, "window_minutes": 30, "type": "explosion_impact"}),
        ("casualty", {}),
        ("op_silent", {"hours": 6}),
        ("proximity", {"distance_km": 2}),
    ],
)
def test_stored_parameters_are_accepted_again_unchanged(kind, params):
    """An edit sends the stored parameters back: they must validate to themselves."""
    stored = rules.clean_params(kind, params)
    assert rules.clean_params(kind, stored) == stored
