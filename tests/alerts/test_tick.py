"""Time-driven steps: silent posts raised by the tick and resolved by a check-in,
escalation to the next role after the due time, acknowledgement stopping it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command

from tests.alerts.conftest import World
from truce.alerts import hooks, services
from truce.alerts.models import Alert, AlertStatus
from truce.core.errors import Conflict, PermissionDenied
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify
from truce.lib.time import utcnow

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)


def _steps(alert: Alert) -> list[str]:
    entries = LedgerEntry.objects.filter(record_type="alerts.alert", record_id=str(alert.public_id))
    return list(entries.order_by("seq").values_list("action", flat=True))


# --- silent observation posts ------------------------------------------------------------


def test_a_post_that_never_checked_in_is_raised_once_by_the_tick(world: World) -> None:
    world.rule("op_silent", {"hours": 6})
    registered = world.places.mission_op.created_at
    assert services.alerts_tick(now=registered + 5 * HOUR).raised == 0

    result = services.alerts_tick(now=registered + 7 * HOUR)
    assert result.raised == 1
    alert = Alert.objects.get()
    assert alert.kind == "op_silent"
    assert alert.facility == world.places.mission_op
    assert alert.details["last_check_in"] is None
    assert "never checked in" in alert.message

    assert services.alerts_tick(now=registered + 8 * HOUR).raised == 0
    assert Alert.objects.count() == 1


def test_a_check_in_resolves_the_silence_and_a_new_silence_raises_again(world: World) -> None:
    world.rule("op_silent", {"hours": 6})
    start = utcnow()
    world.check_in(start - 10 * HOUR)
    services.alerts_tick(now=start)
    alert = Alert.objects.get()
    assert alert.details["last_check_in"] is not None

    check_in = world.check_in(start + MIN)
    hooks.check_in_recorded(check_in, actor=None)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.AUTO_RESOLVED
    assert alert.resolved_at is not None
    assert "checked in" in alert.resolution
    assert _steps(alert) == ["raise", "auto_resolve"]

    # Quiet again for longer than the rule allows: a new silence, a new alert.
    assert services.alerts_tick(now=start + 5 * HOUR).raised == 0
    assert services.alerts_tick(now=start + 7 * HOUR).raised == 1
    assert Alert.objects.filter(status=AlertStatus.OPEN).count() == 1
    assert ledger_verify().ok


def test_the_tick_resolves_silences_whose_check_in_came_without_the_hook(world: World) -> None:
    world.rule("op_silent", {"hours": 1})
    start = utcnow()
    services.alerts_tick(now=start + 2 * HOUR)
    world.check_in(start + 2 * HOUR + MIN)
    result = services.alerts_tick(now=start + 2 * HOUR + 2 * MIN)
    assert result.resolved == 1
    assert Alert.objects.get().status == AlertStatus.AUTO_RESOLVED


def test_a_recent_check_in_keeps_the_post_quiet(world: World) -> None:
    world.rule("op_silent", {"hours": 6})
    now = utcnow() + 24 * HOUR
    world.check_in(now - 2 * HOUR)
    assert services.alerts_tick(now=now).raised == 0


def test_silence_rule_limited_to_a_zone(world: World) -> None:
    world.rule("op_silent", {"hours": 1}, zone=world.corridor)
    assert services.alerts_tick(now=utcnow() + 48 * HOUR).raised == 0


# --- escalation -----------------------------------------------------------------------------


def _casualty_alert(world: World) -> Alert:
    world.rule("casualty", {})
    hooks.observations_recorded([world.observe(killed_civilian=1)], actor=None)
    return Alert.objects.get()


def test_an_unacknowledged_alert_escalates_along_its_chain(world: World) -> None:
    alert = _casualty_alert(world)
    raised = alert.raised_at
    assert alert.due_at == raised + 10 * MIN
    assert alert.next_role == "administrator"

    assert services.alerts_tick(now=raised + 9 * MIN).escalated == 0
    assert services.alerts_tick(now=raised + 11 * MIN).escalated == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert alert.current_role == "administrator"
    assert alert.next_role == ""
    assert alert.due_at == raised + 31 * MIN
    assert alert.escalated_at == raised + 11 * MIN

    # The end of the chain: overdue, but no one left to pass it to.
    assert services.alerts_tick(now=raised + 60 * MIN).escalated == 0
    assert _steps(alert) == ["raise", "escalate"]
    payload = json.loads(
        LedgerEntry.objects.filter(record_id=str(alert.public_id), action="escalate").get().payload
    )
    assert payload["current_role"] == "administrator"
    assert ledger_verify().ok


def test_acknowledgement_stops_escalation(world: World, mission_user: User) -> None:
    alert = _casualty_alert(world)
    services.alert_acknowledge(actor=mission_user, alert=alert)
    assert services.alerts_tick(now=alert.raised_at + 60 * MIN).escalated == 0
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == mission_user
    assert alert.escalation_level == 0
    assert alert.due_at is None

    # Twice is once; resolving closes it; a closed alert cannot be acknowledged.
    services.alert_acknowledge(actor=mission_user, alert=alert)
    services.alert_resolve(actor=mission_user, alert=alert, note="Patrol sent")
    services.alert_resolve(actor=mission_user, alert=alert)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolution == "Patrol sent"
    with pytest.raises(Conflict):
        services.alert_acknowledge(actor=mission_user, alert=alert)
    assert _steps(alert) == ["raise", "acknowledge", "resolve"]
    assert ledger_verify().ok


def test_who_may_answer(world: World, parties: dict[str, object]) -> None:
    from truce.core import services as core_services

    analyst = core_services.user_create(
        actor=None, username="analyst", party="mission", roles=["analyst"]
    )
    boss = core_services.user_create(
        actor=None, username="boss", party="mission", roles=["administrator"]
    )
    liaison = core_services.user_create(
        actor=None, username="liaison", party="side-a", roles=["duty_officer"]
    )
    alert = _casualty_alert(world)
    for user in (analyst, liaison):
        with pytest.raises(PermissionDenied):
            services.alert_acknowledge(actor=user, alert=alert)
    services.alert_acknowledge(actor=boss, alert=alert)


def test_the_role_an_alert_waits_for_may_answer_it(world: World) -> None:
    from truce.core import services as core_services

    world.rule("casualty", {}, escalation=[["analyst", 5]])
    hooks.observations_recorded([world.observe(killed_civilian=1)], actor=None)
    analyst = core_services.user_create(
        actor=None, username="analyst", party="mission", roles=["analyst"]
    )
    alert = Alert.objects.get()
    assert services.alert_acknowledge(actor=analyst, alert=alert).status == "acknowledged"


def test_the_tick_command(world: World) -> None:
    import io

    alert = _casualty_alert(world)
    out = io.StringIO()
    later = (alert.raised_at + 15 * MIN).isoformat()
    call_command("alerts", "tick", "--now", later, stdout=out)
    assert "escalated 1, raised 0, resolved 0" in out.getvalue()
    out = io.StringIO()
    call_command("alerts", "tick", "--loop", "--interval", "1", "--runs", "1", stdout=out)
    assert "escalated 0" in out.getvalue()
