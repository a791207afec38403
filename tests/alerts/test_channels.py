"""Outbound channels: a signed webhook and e-mail, after commit, never failing the write."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core import checks, mail
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.alerts.conftest import World
from truce.alerts import channels, hooks
from truce.alerts.models import Alert

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-the-webhook-receiver"
URL = "https://receiver.invalid/truce"


@pytest.fixture
def webhook(settings: SettingsWrapper) -> None:
    settings.TRUCE_ALERT_WEBHOOK_URL = URL
    settings.TRUCE_ALERT_WEBHOOK_SECRET = SECRET


def test_the_webhook_is_signed_and_sent_after_commit(
    world: World,
    webhook: None,
    inline_channels: list[tuple[str, bytes, dict[str, str]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    world.rule("casualty", {})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        hooks.observations_recorded([world.observe(killed_civilian=1)], actor=None)
    # Nothing leaves before the transaction commits.
    assert inline_channels == []
    for callback in callbacks:
        callback()

    [(url, body, headers)] = inline_channels
    assert url == URL
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Truce-Signature"] == f"sha256={expected}"
    assert channels.verify_signature(body, headers["X-Truce-Signature"], SECRET)
    assert not channels.verify_signature(body + b" ", headers["X-Truce-Signature"], SECRET)
    assert headers["X-Truce-Event"] == "alert.raised"
    event = json.loads(body)
    assert event["event"] == "alert.raised"
    assert event["alert"]["id"] == str(Alert.objects.get().public_id)


def test_a_failing_receiver_does_not_fail_anything(
    world: World,
    webhook: None,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    def broken(url: str, body: bytes, headers: dict[str, str]) -> int:
        raise OSError("connection refused")

    monkeypatch.setattr(channels, "_http_post", broken)
    monkeypatch.setattr(channels, "_run_in_background", lambda job: job())
    world.rule("casualty", {})
    with django_capture_on_commit_callbacks(execute=True):
        hooks.observations_recorded([world.observe(killed_civilian=1)], actor=None)
    assert Alert.objects.count() == 1


def test_rule_recipients_get_an_email(
    world: World,
    inline_channels: list[tuple[str, bytes, dict[str, str]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    world.rule("casualty", {}, recipients=["ops@example.org"])
    with django_capture_on_commit_callbacks(execute=True):
        hooks.observations_recorded([world.observe(killed_civilian=1)], actor=None)
    [message] = mail.outbox
    alert = Alert.objects.get()
    assert message.to == ["ops@example.org"]
    assert alert.title in message.subject
    assert message.body == alert.message
    # No webhook configured: nothing was posted.
    assert inline_channels == []


def test_a_webhook_without_a_secret_fails_the_system_check(settings: SettingsWrapper) -> None:
    settings.TRUCE_ALERT_WEBHOOK_URL = URL
    settings.TRUCE_ALERT_WEBHOOK_SECRET = "short"
    errors = [e for e in checks.run_checks() if e.id == "alerts.E001"]
    assert errors and "TRUCE_ALERT_WEBHOOK_SECRET" in errors[0].msg
