"""The duty-officer queue: live, ordered, one-click answers, and the mission's only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.alerts.conftest import World
from truce.alerts import hooks, services
from truce.alerts.models import Alert, AlertStatus
from truce.core.models import User
from truce.lib.time import utcnow

pytestmark = pytest.mark.django_db


def _raise(world: World, severity: str = "high") -> Alert:
    """One alert of a severity (from a rule switched off again, so alerts do not multiply)."""
    rule = world.rule("casualty", {}, severity=severity, name=f"{severity} casualties")
    hooks.observations_recorded([world.observe(killed_civilian=1)], actor=None)
    services.alert_rule_update(
        actor=None, rule=rule, expected_version=rule.version, changes={"active": False}
    )
    return Alert.objects.get(rule=rule)


def _state(html: str) -> str:
    match = re.search(r'id="queue-state" name="state" value="([0-9a-f]+)"', html)
    assert match, html
    return match.group(1)


def test_the_queue_shows_open_alerts_first_by_severity_then_age(
    client: Client, world: World, mission_user: User
) -> None:
    low = _raise(world, "low")
    critical = _raise(world, "critical")
    high = _raise(world, "high")
    done = _raise(world, "critical")
    acknowledged = _raise(world, "critical")
    services.alert_resolve(actor=mission_user, alert=done)
    services.alert_acknowledge(actor=mission_user, alert=acknowledged)

    client.force_login(mission_user)
    response = client.get(reverse("alerts:queue"))
    assert response.status_code == 200
    rows = [row.alert for row in response.context["active"]]
    assert rows == [critical, high, low, acknowledged]
    assert [row.alert for row in response.context["recent"]] == [done]
    html = response.content.decode()
    assert 'hx-trigger="every 500ms"' in html
    assert 'data-open-count="3"' in html
    # Raised time in mission time, UTC in its title.
    assert re.search(r'<time datetime="[^"]+" title="[^"]+ UTC">', html)
    post_pages = (
        "/monitoring/posts/op-n1/",
        reverse("registry-detail", args=["facilities", world.places.mission_op.public_id]),
    )
    assert any(f'href="{url}"' in html for url in post_pages)
    assert "Duty officer" in html
    # The nav badge counts open alerts.
    assert re.search(r'id="nav-alert-count"[^>]*>3<', html)


def test_the_fragment_answers_204_until_something_changes(
    client: Client, world: World, mission_user: User
) -> None:
    client.force_login(mission_user)
    url = reverse("alerts:queue-fragment")
    first = client.get(url)
    assert first.status_code == 200
    state = _state(first.content.decode())
    assert client.get(url, {"state": state}).status_code == 204

    alert = _raise(world)
    changed = client.get(url, {"state": state})
    assert changed.status_code == 200
    html = changed.content.decode()
    assert alert.title in html
    assert 'hx-swap-oob="outerHTML"' in html
    assert _state(html) != state


def test_acknowledge_is_one_post_with_csrf(world: World, mission_user: User) -> None:
    alert = _raise(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(mission_user)
    page = client.get(reverse("alerts:queue")).content.decode()
    button = f'id="ack-{alert.public_id}"'
    assert button in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token

    url = reverse("alerts:acknowledge", args=[alert.public_id])
    assert client.post(url).status_code == 403  # no CSRF token
    response = client.post(
        url, {"csrfmiddlewaretoken": token.group(1)}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == mission_user
    html = response.content.decode()
    # Focus lands on the element that replaced the button (same id).
    assert f'<span id="ack-{alert.public_id}" class="acknowledged" tabindex="-1">' in html

    resolve = reverse("alerts:resolve", args=[alert.public_id])
    response = client.post(resolve, {"csrfmiddlewaretoken": token.group(1), "note": "Done"})
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:queue")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolution == "Done"


def test_the_poll_escalates_what_is_due(client: Client, world: World, mission_user: User) -> None:
    alert = _raise(world)
    # Time passes: the alert's due time is behind us.
    Alert.objects.filter(pk=alert.pk).update(due_at=utcnow() - dt.timedelta(minutes=1))
    client.force_login(mission_user)
    html = client.get(reverse("alerts:queue-fragment")).content.decode()
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert alert.current_role == "administrator"
    assert "Escalated, level 1" in html
    assert "is-escalated" in html


def test_the_detail_page_tells_the_whole_story(
    client: Client, world: World, mission_user: User
) -> None:
    alert = _raise(world)
    client.force_login(mission_user)
    client.post(reverse("alerts:acknowledge", args=[alert.public_id]))
    response = client.get(reverse("alerts:detail", args=[alert.public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert alert.title in html
    assert [str(step["action"]) for step in response.context["steps"]] == [
        "acknowledged",
        "raised",
    ]
    assert reverse("api:alert_cap", kwargs={"public_id": alert.public_id}) in html


@pytest.mark.parametrize("reader", ["side_a_user", "side_b_user", "agency_user"])
def test_no_one_outside_the_mission_sees_the_queue(
    client: Client, world: World, reader: str, request: pytest.FixtureRequest
) -> None:
    alert = _raise(world)
    client.force_login(request.getfixturevalue(reader))
    for url in (
        reverse("alerts:queue"),
        reverse("alerts:queue-fragment"),
        reverse("alerts:detail", args=[alert.public_id]),
    ):
        assert client.get(url).status_code == 404, url
    for name in ("alerts:acknowledge", "alerts:resolve"):
        assert client.post(reverse(name, args=[alert.public_id])).status_code == 404
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    home = client.get(reverse("home")).content.decode()
    assert reverse("alerts:queue") not in home
    assert alert.title not in home


def test_mission_users_get_the_nav_link(client: Client, world: World, mission_user: User) -> None:
    client.force_login(mission_user)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("alerts:queue")}"' in html


def test_anonymous_visitors_are_sent_to_log_in(client: Client, world: World) -> None:
    response = client.get(reverse("alerts:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_admin_lists_alerts_and_rules(client: Client, world: World, admin_user: User) -> None:
    alert = _raise(world)
    client.force_login(admin_user)
    assert client.get(reverse("admin:alerts_alert_changelist")).status_code == 200
    assert client.get(reverse("admin:alerts_alert_change", args=[alert.pk])).status_code == 200
    assert (
        client.get(reverse("admin:alerts_alertrule_change", args=[alert.rule.pk])).status_code
        == 200
    )
    response = client.post(
        reverse("admin:alerts_alert_changelist"),
        {"action": "acknowledge", "_selected_action": [alert.pk]},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED


def test_the_demo_queue_poll_does_not_flag_posts_silent_against_todays_clock(
    settings, monkeypatch
) -> None:
    """The demo's check-ins end in 2020: only `truce alerts tick --now` judges silence there."""
    from truce.alerts import services, views

    calls: list[str] = []
    monkeypatch.setattr(services, "alerts_escalate_due", lambda **_: calls.append("escalate"))
    monkeypatch.setattr(services, "alerts_check_silence", lambda **_: calls.append("silence"))
    monkeypatch.setattr(views, "_silence_checked_at", 0.0)
    settings.TRUCE_ALERTS_POLL_SILENCE = False
    views._poll_tick()
    assert calls == ["escalate"]
    settings.TRUCE_ALERTS_POLL_SILENCE = True
    monkeypatch.setattr(views, "_silence_checked_at", 0.0)
    views._poll_tick()
    assert calls == ["escalate", "escalate", "silence"]


def test_an_alert_raised_while_the_queue_is_read_is_never_hidden(
    world, mission_user, monkeypatch
) -> None:
    """An alert committed just before the queue's state is read must be either in
    the lists the page shows or missing from the state it carries (so the next
    poll differs and fetches it); never counted in the state yet not shown."""
    from truce.alerts import selectors

    world.rule("casualty", {})
    real_state = selectors.queue_state

    def a_new_alert_then_the_state(user, *, now):
        observation = world.observe(killed_civilian=1)
        hooks.observations_recorded([observation], actor=None)
        return real_state(user, now=now)

    monkeypatch.setattr(selectors, "queue_state", a_new_alert_then_the_state)
    queue = selectors.alert_queue(mission_user)
    monkeypatch.setattr(selectors, "queue_state", real_state)
    shown = {alert.pk for alert in queue.active}
    fresh_state = selectors.queue_state(mission_user, now=queue.now)
    assert Alert.objects.filter(kind="casualty").exists()
    new_alert = Alert.objects.get(kind="casualty")
    assert new_alert.pk in shown or queue.state != fresh_state


def test_the_queues_time_tag_writes_what_the_time_template_writes() -> None:
    import datetime as dt

    from django.conf import settings
    from django.template import Context, Template
    from django.template.loader import render_to_string

    from truce.alerts.templatetags.alerts_ui import mission_time

    moments = [
        dt.datetime(2020, 11, 20, 14, 5, 30, tzinfo=dt.UTC),
        dt.datetime(2020, 11, 20, 22, 59, 59, 123456, tzinfo=dt.UTC),  # the next day locally
        dt.datetime(2021, 3, 28, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ]
    for moment in moments:
        included = render_to_string(
            "alerts/_time.html", {"value": moment, "mission_time_zone": settings.MISSION_TIME_ZONE}
        )
        assert str(mission_time(moment)) == included.strip(), moment
    assert Template("{% load alerts_ui %}{% mission_time v %}").render(Context({"v": None})) == ""


def test_a_long_queue_shows_the_most_urgent_and_counts_the_rest(
    client: Client, world: World, mission_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from truce.alerts import selectors

    monkeypatch.setattr(selectors, "QUEUE_LIMIT", 3)
    lows = [_raise(world, "low") for _ in range(3)]
    critical = _raise(world, "critical")
    client.force_login(mission_user)

    response = client.get(reverse("alerts:queue"))
    rows = [row.alert for row in response.context["active"]]
    # The most severe, then the newest of a severity: a fresh one is never below the cut.
    assert rows == [critical, lows[2], lows[1]]
    html = response.content.decode()
    assert "1 more active alert is waiting behind these" in html
    assert 'data-open-count="4"' in html  # the count is of all, not of those shown
    # Every link of a row leads to its own alert.
    for alert in rows:
        assert f'href="{reverse("alerts:detail", args=[alert.public_id])}"' in html
        assert f'action="{reverse("alerts:acknowledge", args=[alert.public_id])}"' in html
        assert f'action="{reverse("alerts:resolve", args=[alert.public_id])}"' in html


def test_the_queue_state_changes_with_an_alert_beyond_those_shown(
    client: Client, world: World, mission_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from truce.alerts import selectors

    monkeypatch.setattr(selectors, "QUEUE_LIMIT", 1)
    _raise(world, "critical")
    hidden = _raise(world, "low")
    before = selectors.queue_state(mission_user, now=utcnow())
    services.alert_acknowledge(actor=mission_user, alert=hidden)
    assert selectors.queue_state(mission_user, now=utcnow()) != before
