"""Queue rows rendered once per alert version and language, with each reader's own parts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.alerts.conftest import World
from truce.alerts import hooks, queue_rows, services
from truce.alerts.models import Alert
from truce.core import services as core_services
from truce.core.models import Party, User

pytestmark = pytest.mark.django_db


def _raise(world: World, name: str) -> Alert:
    rule = world.rule("casualty", {}, severity="high", name=name)
    hooks.observations_recorded([world.observe(killed_civilian=1)], actor=None)
    services.alert_rule_update(
        actor=None, rule=rule, expected_version=rule.version, changes={"active": False}
    )
    return Alert.objects.get(rule=rule)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The alerts whose rows went through the template, in order."""
    seen: list[Any] = []
    render = queue_rows._render

    def counting(row: Any) -> str:
        seen.append(row.alert.public_id)
        return render(row)

    monkeypatch.setattr(queue_rows, "_render", counting)
    return seen


def _fragment(client: Client) -> str:
    response = client.get(reverse("alerts:queue-fragment"), {"state": "-"})
    assert response.status_code == 200
    return response.content.decode()


def _unmasked(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", html)


def test_unchanged_rows_are_not_rendered_again(
    client: Client, world: World, mission_user: User, renders: list[Any]
) -> None:
    first, second = _raise(world, "one"), _raise(world, "two")
    client.force_login(mission_user)
    html = _fragment(client)
    assert sorted(renders) == sorted([first.public_id, second.public_id])

    renders.clear()
    assert _unmasked(_fragment(client)) == _unmasked(html)  # a token is masked anew each time
    assert renders == []

    services.alert_acknowledge(actor=mission_user, alert=first)
    after = _fragment(client)
    assert renders == [first.public_id]  # its version moved; the other row was kept
    assert f'<span id="ack-{first.public_id}" class="acknowledged"' in after
    assert f'id="ack-{second.public_id}"' in after


def test_each_language_has_its_own_rows(
    client: Client, world: World, mission_user: User, renders: list[Any]
) -> None:
    alert = _raise(world, "casualties")
    client.force_login(mission_user)
    english = _fragment(client)
    client.cookies["django_language"] = "ru"
    russian = _fragment(client)
    assert renders == [alert.public_id, alert.public_id]
    assert 'lang="ru"' in russian and 'lang="ru"' not in english


def test_a_reader_who_may_not_respond_gets_no_buttons_from_a_responders_rows(
    world: World, mission_user: User, parties: dict[str, Party]
) -> None:
    alert = _raise(world, "casualties")
    responder = Client()
    responder.force_login(mission_user)
    assert f'id="ack-{alert.public_id}"' in _fragment(responder)

    analyst = core_services.user_create(
        actor=None, username="analyst", party=parties["mission"], roles=("analyst",), password=None
    )
    reader = Client()
    reader.force_login(analyst)
    html = _fragment(reader)
    assert f'id="title-{alert.public_id}"' in html
    assert f'id="ack-{alert.public_id}"' not in html


def test_every_form_carries_the_readers_own_token(world: World, mission_user: User) -> None:
    alert = _raise(world, "casualties")
    tokens = []
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        client.force_login(mission_user)
        html = _fragment(client)
        assert "@@csrf-token@@" not in html
        found = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
        assert len(found) == 1
        tokens.append((client, found.pop()))
    # Each session's token is good for its own session's post, and only there.
    (first, first_token), (second, _) = tokens
    url = reverse("alerts:acknowledge", args=[alert.public_id])
    assert second.post(url, {"csrfmiddlewaretoken": first_token}).status_code == 403
    assert first.post(url, {"csrfmiddlewaretoken": first_token}).status_code == 302
