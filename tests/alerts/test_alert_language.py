"""Alert texts in the reader's language; the stored, chained text in the deployment's."""

from __future__ import annotations

import datetime as dt
import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.alerts.conftest import BASE, MISSIONVILLE, World, offset
from tests.core.api_client import PREFIX, Api
from truce.alerts import hooks, messages, services
from truce.alerts.models import Alert, RuleKind
from truce.core import services as core_services
from truce.core.models import Settlement, User
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify
from truce.monitoring.models import ObservationType

pytestmark = pytest.mark.django_db

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
HOUR = dt.timedelta(hours=1)


def _casualty_alert(world: World) -> Alert:
    world.rule("casualty", {}, name="Any casualty")
    incident = world.incident(reference="INC-0042")
    report = world.observe(killed_civilian=2, incident=incident, at=(46.61, 39.61))
    hooks.observations_recorded([report], actor=None)
    return Alert.objects.get()


def _in(language: str, alert: Alert) -> tuple[str, str]:
    with translation.override(language):
        return messages.render(alert.message_key, alert.message_params)


def _as_older_row(alert: Alert) -> Alert:
    # What a row raised before message keys existed looks like (the migration's defaults).
    Alert.objects.filter(pk=alert.pk).update(message_key="", message_params={})
    alert.refresh_from_db()
    return alert


def _fragment(client: Client, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("alerts:queue-fragment"))
    assert response.status_code == 200
    return response.content.decode()


def _api_get(user: User, path: str, language: str) -> Any:
    return Api(user).client.get(PREFIX + path, headers={"Accept-Language": language})


def _twin(world: World, pcode: str, **names: str) -> Settlement:
    """A settlement near Missionville with a name in each language."""
    return core_services.settlement_create(
        actor=None,
        fields={
            "pcode": pcode,
            "display_name": "Shushi",
            "name_en": "Shusha",
            "geometry": {"type": "Point", "coordinates": list(MISSIONVILLE)},
            **names,
        },
        visibility=["mission"],
    )


# --- stored text --------------------------------------------------------------------------


def test_the_stored_text_is_the_deployments_language_whoever_raised_it(world: World) -> None:
    with translation.override("ru"):
        alert = _casualty_alert(world)

    assert alert.message_key == "casualty.1"
    assert alert.message_params["incident"] == "INC-0042"
    assert alert.title.startswith("Casualties: 2 killed, 0 injured (Explosion: impact")
    assert "Rule: Any casualty." in alert.message
    # The params say it again, word for word, after their trip through the database.
    assert _in(settings.LANGUAGE_CODE, alert) == (alert.title, alert.message)

    raised = LedgerEntry.objects.get(record_type="alerts.alert", action="raise")
    payload = json.loads(raised.payload)
    assert (payload["title"], payload["message"]) == (alert.title, alert.message)
    assert payload["message_params"] == alert.message_params
    assert ledger_verify().ok


def test_every_kind_renders_its_stored_text_again_from_its_params(world: World) -> None:
    world.rule("verified_violation", {})
    world.rule("threshold", {"count": 2, "window_minutes": 10, "types": ["explosion_impact"]})
    world.rule("proximity", {"distance_km": 5, "settlements": ["T-M"]})
    world.rule("proximity", {"distance_km": 50, "target": "corridor"})
    world.rule("op_silent", {"hours": 6})
    incident = world.incident(
        status="verified",
        killed=1,
        nearest_settlement=world.places.mission_settlement,
        settlement_distance_m=1234.0,
        responsible_party=world.parties["side_a"],
    )
    hooks.incident_changed(incident, actor=None, previous_status="reported")
    near = offset(*MISSIONVILLE, east_m=1_000)
    reports = [
        world.observe(observed_at=BASE + m * dt.timedelta(minutes=1), at=near) for m in (0, 1)
    ]
    hooks.observations_recorded(reports, actor=None)
    services.alerts_tick(now=world.places.mission_op.created_at + 7 * HOUR)

    alerts = list(Alert.objects.all())
    assert {a.kind for a in alerts} == set(RuleKind.values) - {RuleKind.CASUALTY}
    for alert in alerts:
        assert _in(settings.LANGUAGE_CODE, alert) == (alert.title, alert.message), alert.kind
        russian = _in("ru", alert)
        assert russian != (alert.title, alert.message), alert.kind
        assert "Правило:" in russian[1], alert.kind
    violation = next(a for a in alerts if a.kind == RuleKind.VERIFIED_VIOLATION)
    assert "1.2 km from Missionville" in violation.message
    assert "Responsible party: Side A." in violation.message
    assert ledger_verify().ok


def test_type_labels_are_the_models_own_in_english() -> None:
    with translation.override("en"):
        labels = {code: str(label) for code, label in messages.TYPE_LABELS.items()}
    assert labels == dict(ObservationType.choices)


# --- the queue and the detail page ------------------------------------------------------------


def test_an_alert_raised_in_english_reads_in_russian_in_the_queue(
    client: Client, world: World, mission_user: User
) -> None:
    with translation.override("en"):
        alert = _casualty_alert(world)
    title_ru, _message_ru = _in("ru", alert)
    assert "Потери: погибших — 2" in title_ru
    assert "Взрыв: попадание" in title_ru

    client.force_login(mission_user)
    html = _fragment(client, "ru")
    assert f'lang="ru">{title_ru}</a>' in html
    assert "Правило: Any casualty." in html
    assert alert.title not in html

    english = _fragment(client, "en")
    assert f'lang="en">{alert.title}</a>' in english
    assert title_ru not in english

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    detail = client.get(alert.get_absolute_url()).content.decode()
    assert '<html lang="ru">' in detail
    assert title_ru in detail
    assert "Что: Взрыв: попадание (инцидент INC-0042)" in detail

    # Answering it in Russian changes the status, never the chained text.
    services.alert_acknowledge(actor=mission_user, alert=alert)
    acknowledged = LedgerEntry.objects.get(record_type="alerts.alert", action="acknowledge")
    assert json.loads(acknowledged.payload)["title"] == alert.title
    assert ledger_verify().ok


@pytest.mark.parametrize(("language", "name"), [("ru", "Шуша"), ("hy", "Շուշի"), ("az", "Şuşa")])
def test_a_settlement_is_named_in_the_readers_language(
    client: Client, world: World, mission_user: User, language: str, name: str
) -> None:
    _twin(world, "T-S", name_ru="Шуша", name_hy="Շուշի", name_az="Şuşa")
    world.rule("proximity", {"distance_km": 5, "settlements": ["T-S"]})
    hooks.observations_recorded([world.observe(at=offset(*MISSIONVILLE, east_m=900))], actor=None)
    alert = Alert.objects.get()
    # The chained text keeps the mission's display name.
    assert "Shushi (T-S)" in alert.title
    assert "Shusha" not in alert.message

    client.force_login(mission_user)
    html = _fragment(client, language)
    assert f"{name} (T-S)" in html
    assert "Shushi" not in html


def test_a_verified_violation_names_its_nearest_settlement_in_the_readers_language(
    world: World, mission_user: User
) -> None:
    twin = _twin(world, "T-S", name_ru="Шуша")
    world.rule("verified_violation", {})
    incident = world.incident(
        status="verified", nearest_settlement=twin, settlement_distance_m=2500.0
    )
    hooks.incident_changed(incident, actor=None, previous_status="reported")
    alert = Alert.objects.get()
    assert "2.5 km from Shushi" in alert.message

    russian = _api_get(mission_user, f"/alerts/{alert.public_id}", "ru").json()
    assert "2.5 км от н. п. Шуша" in russian["message_local"]
    # No Armenian name: the mission's display name stands in.
    armenian = _api_get(mission_user, f"/alerts/{alert.public_id}", "hy").json()
    assert "Shushi" in armenian["message_local"]
    assert armenian["local_language"] == "hy"


# --- the API ------------------------------------------------------------------------------


def test_the_api_gives_the_stored_text_and_the_readers(world: World, mission_user: User) -> None:
    alert = _casualty_alert(world)
    title_ru, message_ru = _in("ru", alert)

    page = _api_get(mission_user, "/alerts/", "ru").json()
    item = page["items"][0]
    assert (item["title"], item["message"]) == (alert.title, alert.message)
    assert (item["title_local"], item["message_local"]) == (title_ru, message_ru)
    assert item["local_language"] == "ru"

    one = _api_get(mission_user, f"/alerts/{alert.public_id}", "ru").json()
    assert one["title_local"] == title_ru

    english = _api_get(mission_user, f"/alerts/{alert.public_id}", "en").json()
    assert english["title_local"] == english["title"] == alert.title
    assert english["local_language"] == "en"


# --- older rows and failures -------------------------------------------------------------------


def test_an_older_alert_without_params_shows_its_stored_text(
    client: Client, world: World, mission_user: User
) -> None:
    alert = _as_older_row(_casualty_alert(world))

    client.force_login(mission_user)
    html = _fragment(client, "ru")
    assert f'lang="en">{alert.title}</a>' in html
    assert "ожидает подтверждения получения" in html  # the page around it is Russian

    item = _api_get(mission_user, f"/alerts/{alert.public_id}", "ru").json()
    assert item["title_local"] == alert.title
    assert item["message_local"] == alert.message
    assert item["local_language"] == settings.LANGUAGE_CODE


def test_a_render_that_fails_falls_back_to_the_stored_text(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    alert = _casualty_alert(world)
    alert.message_params = {"rule": "broken"}  # a key's params it cannot render

    with caplog.at_level(logging.WARNING, logger="truce.alerts"):
        text = messages.localized(alert, "ru")
    assert (text.title, text.message, text.language) == (alert.title, alert.message, "en")
    assert "showing the stored one" in caplog.text

    alert.message_key = "casualty.99"  # written by a newer release
    assert messages.localized(alert, "ru").title == alert.title
    assert messages.localized(alert, "fr").title == alert.title


def test_the_queue_costs_the_same_queries_in_any_language(
    client: Client, world: World, mission_user: User
) -> None:
    world.rule("casualty", {})
    reports = [world.observe(killed_civilian=1) for _ in range(3)]
    hooks.observations_recorded(reports, actor=None)
    assert Alert.objects.count() == 3
    client.force_login(mission_user)
    _fragment(client, "en")
    counts = {}
    for language in ("en", "ru"):
        with CaptureQueriesContext(connection) as queries:
            _fragment(client, language)
        counts[language] = len(queries.captured_queries)
    assert counts["ru"] == counts["en"]


# --- machine channels ---------------------------------------------------------------------


def test_cap_leads_with_the_stored_text_and_adds_each_language(
    world: World, mission_user: User
) -> None:
    alert = _casualty_alert(world)
    response = _api_get(mission_user, f"/alerts/{alert.public_id}/cap", "ru")
    root = ET.fromstring(response.content)  # noqa: S314
    infos = root.findall(f"{CAP}info")
    assert [i.findtext(f"{CAP}language") for i in infos] == ["en", "ru", "hy", "az"]
    first, russian = infos[0], infos[1]
    assert first.findtext(f"{CAP}headline") == alert.title
    assert first.findtext(f"{CAP}description") == alert.message
    assert first.findtext(f"{CAP}event") == "Casualties reported"
    assert russian.findtext(f"{CAP}headline") == _in("ru", alert)[0]
    assert russian.findtext(f"{CAP}event") == "Сообщения о погибших и раненых"  # noqa: RUF001
    assert russian.findtext(f"{CAP}severity") == first.findtext(f"{CAP}severity")

    older = _as_older_row(alert)
    root = ET.fromstring(_api_get(mission_user, f"/alerts/{older.public_id}/cap", "ru").content)  # noqa: S314
    assert [i.findtext(f"{CAP}language") for i in root.findall(f"{CAP}info")] == ["en"]


def test_webhook_and_email_carry_the_stored_text_whatever_the_raisers_language(
    world: World,
    inline_channels: list[tuple[str, bytes, dict[str, str]]],
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.TRUCE_ALERT_WEBHOOK_URL = "https://receiver.invalid/hook"
    settings.TRUCE_ALERT_WEBHOOK_SECRET = "s" * 32
    world.rule("casualty", {}, recipients=["duty@mission.invalid"])
    with translation.override("ru"), django_capture_on_commit_callbacks(execute=True):
        hooks.observations_recorded([world.observe(killed_civilian=1)], actor=None)
    alert = Alert.objects.get()
    [(_url, body, _headers)] = inline_channels
    sent = json.loads(body)["alert"]
    assert (sent["title"], sent["message"]) == (alert.title, alert.message)
    assert "title_local" not in sent
    [email] = mail.outbox
    assert email.subject.endswith(alert.title)
    assert email.body == alert.message


# --- who may see it -------------------------------------------------------------------------


def test_another_party_sees_nothing_in_any_language(
    client: Client, world: World, side_a_user: User
) -> None:
    alert = _casualty_alert(world)
    client.force_login(side_a_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    for url in (
        reverse("alerts:queue"),
        reverse("alerts:queue-fragment"),
        alert.get_absolute_url(),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert alert.title not in response.content.decode()
        assert _in("ru", alert)[0] not in response.content.decode()

    listing = _api_get(side_a_user, "/alerts/", "ru")
    assert listing.status_code == 200
    assert listing.json()["items"] == []
    assert _api_get(side_a_user, f"/alerts/{alert.public_id}", "ru").status_code == 404
    assert _api_get(side_a_user, f"/alerts/{alert.public_id}/cap", "ru").status_code == 404
