"""The mine action forms: a task with its first report, a task's new version, road and
building checks, and the accidents screens (mission-only by default).

Each form: the happy path through the view (record, ledger entry, redirect), bad input
shown on the field it names with nothing written, and a party that may not see or write.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Places
from tests.mineaction.conftest import MineAction, line
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.mineaction import task_services
from truce.mineaction.models import (
    Accident,
    Activity,
    BuildingCheck,
    DeviceCount,
    LandRelease,
    RoadCheck,
)

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _field_error(html: str, field: str) -> str:
    """The error text shown on one field (empty when the field has none)."""
    found = re.findall(rf'<p class="field-error" id="id_{field}_error">([^<]*)</p>', html)
    return " ".join(found)


def _task_form(ma: MineAction, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "clearance",
        "reference": "T-FORM",
        "organisation": "eng",
        "hazard": str(ma.public_hazard.public_id),
        "start_date": "2020-11-21",
        "status": "ongoing",
        "source": "HALO report",
        "share_with": ["public"],
        **extra,
    }


# --- recording a task -----------------------------------------------------------------------


def test_a_task_with_its_first_result_and_devices_in_one_submission(
    ma: MineAction, analyst: User
) -> None:
    client = _client(analyst)
    before = LedgerEntry.objects.count()
    response = client.post(
        reverse("mineaction:activity-new"),
        _task_form(
            ma,
            reported_on="2020-11-22",
            cleared_m2="3000",
            category="ap_mine",
            device_type="PMN-2",
            found="4",
            destroyed="4",
        ),
    )
    task = Activity.objects.get(reference="T-FORM")
    assert response.status_code == 302
    assert response["Location"] == reverse("mineaction:activity", args=[task.public_id])
    assert task.hazard == ma.public_hazard and task.status == "ongoing"
    assert task.settlement == ma.public_hazard.settlement  # the hazard's place by default
    result = LandRelease.objects.get(activity=task)
    assert result.cleared_m2 == 3000 and result.reported_on == dt.date(2020, 11, 22)
    device = DeviceCount.objects.get(activity=task)
    assert (device.category, device.device_type, device.destroyed) == ("ap_mine", "PMN-2", 4)
    assert LedgerEntry.objects.count() == before + 3
    page = client.get(response["Location"]).content.decode()
    assert "T-FORM" in page and "PMN-2" in page


def test_a_task_without_a_report_writes_the_task_only(ma: MineAction, analyst: User) -> None:
    response = _client(analyst).post(reverse("mineaction:activity-new"), _task_form(ma))
    assert response.status_code == 302
    task = Activity.objects.get(reference="T-FORM")
    assert not LandRelease.objects.filter(activity=task).exists()
    assert not DeviceCount.objects.filter(activity=task).exists()


def test_an_eod_spot_task_needs_no_hazard_but_a_place(
    ma: MineAction, places: Places, analyst: User
) -> None:
    client = _client(analyst)
    form = _task_form(ma, kind="eod", hazard="", settlement=places.public_settlement.pcode)
    assert client.post(reverse("mineaction:activity-new"), form).status_code == 302
    assert Activity.objects.get(reference="T-FORM").hazard is None


@pytest.mark.parametrize(
    ("extra", "field", "text"),
    [
        ({"hazard": ""}, "hazard", "only an EOD spot task may have no hazard area"),
        ({"reference": "T-PUB"}, "reference", "exists already"),
        ({"end_date": "2020-11-01"}, "end_date", "end_date is before start_date"),
        ({"organisation": "nobody"}, "organisation", "Select a valid choice"),
        # The result's refusals (from the service, in the same transaction) name its fields.
        ({"reported_on": "2020-11-22", "cleared_m2": "9000000"}, "cleared_m2", "more than"),
        ({"cleared_m2": "100"}, "reported_on", "reported_on is required"),
        ({"reported_on": "2020-11-01", "cleared_m2": "100"}, "reported_on", "before"),
        (
            {"reported_on": "2020-11-22", "category": "uxo", "found": "1", "destroyed": "3"},
            "destroyed",
            "destroyed_note",
        ),
        ({"reported_on": "2020-11-22", "found": "3"}, "category", "unknown category"),
    ],
)
def test_a_bad_task_is_shown_on_its_field_and_nothing_is_written(
    ma: MineAction, analyst: User, extra: dict[str, str], field: str, text: str
) -> None:
    before = LedgerEntry.objects.count()
    tasks = Activity.objects.count()
    response = _client(analyst).post(reverse("mineaction:activity-new"), _task_form(ma, **extra))
    assert response.status_code == 400
    assert text in _field_error(response.content.decode(), field)
    assert LedgerEntry.objects.count() == before and Activity.objects.count() == tasks
    assert not LandRelease.objects.filter(activity__reference="T-FORM").exists()


def test_record_a_task_here_starts_with_the_hazard(ma: MineAction, analyst: User) -> None:
    client = _client(analyst)
    page = client.get(reverse("mineaction:hazard", args=[ma.public_hazard.public_id]))
    link = f"{reverse('mineaction:activity-new')}?hazard={ma.public_hazard.public_id}"
    assert link in page.content.decode()
    form = client.get(link).content.decode()
    assert f'<option value="{ma.public_hazard.public_id}" selected>' in form
    assert "<legend>First land release result (optional)</legend>" in form
    listing = client.get(reverse("mineaction:activity-list")).content.decode()
    assert reverse("mineaction:activity-new") in listing


def test_a_hazard_another_party_may_not_see_cannot_be_prefilled(
    ma: MineAction, agency_user: User
) -> None:
    link = f"{reverse('mineaction:activity-new')}?hazard={ma.side_b_hazard.public_id}"
    assert _client(agency_user).get(link).status_code == 404


def test_a_party_without_a_writer_role_may_not_record_tasks_or_checks(
    ma: MineAction, side_a_user: User
) -> None:
    client = _client(side_a_user)
    before = LedgerEntry.objects.count()
    for name in ("activity-new", "road-check-new", "building-check-new", "accident-new"):
        assert client.get(reverse(f"mineaction:{name}")).status_code == 403, name
    assert client.post(reverse("mineaction:activity-new"), _task_form(ma)).status_code == 403
    change = reverse("mineaction:activity-change", args=[ma.public_task.public_id])
    assert client.post(change, {"version": "1", "status": "completed"}).status_code == 403
    assert LedgerEntry.objects.count() == before
    listing = client.get(reverse("mineaction:activity-list")).content.decode()
    assert reverse("mineaction:activity-new") not in listing
    page = client.get(reverse("mineaction:activity", args=[ma.public_task.public_id]))
    assert "Change the status or dates" not in page.content.decode()


# --- a task's new version -------------------------------------------------------------------


def test_changing_a_tasks_status_and_dates_is_a_new_version(ma: MineAction, analyst: User) -> None:
    client = _client(analyst)
    url = reverse("mineaction:activity-change", args=[ma.public_task.public_id])
    before = LedgerEntry.objects.count()
    response = client.post(
        url,
        {
            "version": "1",
            "status": "completed",
            "start_date": "2020-11-14",
            "end_date": "2020-12-01",
        },
    )
    assert response.status_code == 302
    ma.public_task.refresh_from_db()
    assert ma.public_task.status == "completed" and ma.public_task.version == 2
    assert ma.public_task.end_date == dt.date(2020, 12, 1)
    assert LedgerEntry.objects.count() == before + 1
    stale = client.post(url, {"version": "1", "status": "suspended", "start_date": "2020-11-14"})
    assert stale.status_code == 400 and "Someone changed" in stale.content.decode()
    ma.public_task.refresh_from_db()
    assert ma.public_task.status == "completed" and LedgerEntry.objects.count() == before + 1


def test_a_bad_change_is_shown_on_its_field(ma: MineAction, analyst: User) -> None:
    url = reverse("mineaction:activity-change", args=[ma.public_task.public_id])
    before = LedgerEntry.objects.count()
    response = _client(analyst).post(
        url,
        {
            "version": "1",
            "status": "completed",
            "start_date": "2020-11-14",
            "end_date": "2020-11-01",
        },
    )
    assert response.status_code == 400
    assert "before start_date" in _field_error(response.content.decode(), "end_date")
    assert LedgerEntry.objects.count() == before


def test_a_task_another_party_may_not_see_cannot_be_changed(
    ma: MineAction, agency_user: User
) -> None:
    url = reverse("mineaction:activity-change", args=[ma.side_b_task.public_id])
    response = _client(agency_user).post(
        url, {"version": "1", "status": "completed", "start_date": "2020-11-14"}
    )
    assert response.status_code == 404
    ma.side_b_task.refresh_from_db()
    assert ma.side_b_task.status == "planned"


# --- road and building checks ---------------------------------------------------------------


def _road_form(**extra: Any) -> dict[str, Any]:
    return {
        "reference": "RC-FORM",
        "name": "Goris road",
        "checked_on": "2020-11-23",
        "result": "clear",
        "organisation": "eng",
        "geometry": json.dumps(line(46.1, 39.4, 0.05)),
        "share_with": ["public"],
        **extra,
    }


def test_a_road_check_from_the_task_page(ma: MineAction, analyst: User) -> None:
    client = _client(analyst)
    task_page = client.get(reverse("mineaction:activity", args=[ma.public_task.public_id]))
    link = f"{reverse('mineaction:road-check-new')}?activity={ma.public_task.public_id}"
    assert link in task_page.content.decode()
    form = client.get(link).content.decode()
    assert '<option value="T-PUB" selected>' in form and "road-draw.js" in form
    before = LedgerEntry.objects.count()
    response = client.post(link, _road_form(activity="T-PUB", stated_km="4.5"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mineaction:activity", args=[ma.public_task.public_id])
    check = RoadCheck.objects.get(reference="RC-FORM")
    assert check.activity == ma.public_task and check.km == 4.5
    assert 4000 < check.length_m < 4500  # 0.05 degrees of longitude at 39.4 N
    assert LedgerEntry.objects.count() == before + 1


def test_a_road_check_from_the_map_without_a_task(ma: MineAction, analyst: User) -> None:
    client = _client(analyst)
    assert (
        reverse("mineaction:road-check-new")
        in client.get(reverse("mineaction:map")).content.decode()
    )
    response = client.post(reverse("mineaction:road-check-new"), _road_form())
    assert response.status_code == 302 and response["Location"] == reverse("mineaction:map")
    assert RoadCheck.objects.get(reference="RC-FORM").stated_km is None


@pytest.mark.parametrize(
    ("extra", "field", "text"),
    [
        ({"geometry": "not json"}, "geometry", "not GeoJSON"),
        ({"geometry": json.dumps({"type": "Point", "coordinates": [46, 39]})}, "geometry", ""),
        ({"reference": "RC-PUB"}, "reference", "exists already"),
        ({"stated_km": "0"}, "stated_km", "more than zero"),
        ({"stated_km": "-2"}, "stated_km", "negative"),
        ({"result": "maybe"}, "result", "Select a valid choice"),
    ],
)
def test_a_bad_road_check_is_shown_on_its_field(
    ma: MineAction, analyst: User, extra: dict[str, str], field: str, text: str
) -> None:
    before = LedgerEntry.objects.count()
    response = _client(analyst).post(reverse("mineaction:road-check-new"), _road_form(**extra))
    assert response.status_code == 400
    shown = _field_error(response.content.decode(), field)
    assert shown and text in shown
    assert LedgerEntry.objects.count() == before
    assert not RoadCheck.objects.filter(reference="RC-FORM").exists()


def test_a_building_check_with_a_point(ma: MineAction, places: Places, analyst: User) -> None:
    client = _client(analyst)
    link = f"{reverse('mineaction:building-check-new')}?activity={ma.public_task.public_id}"
    assert client.get(link).status_code == 200
    before = LedgerEntry.objects.count()
    response = client.post(
        link,
        {
            "settlement": places.public_settlement.pcode,
            "buildings": "12",
            "checked_on": "2020-11-23",
            "result": "clear",
            "organisation": "eng",
            "activity": "T-PUB",
            "longitude": "46.1",
            "latitude": "39.5",
            "share_with": ["public"],
        },
    )
    assert response.status_code == 302
    check = BuildingCheck.objects.get(buildings=12)
    assert check.activity == ma.public_task and check.geometry["type"] == "Point"
    assert LedgerEntry.objects.count() == before + 1


@pytest.mark.parametrize(
    ("extra", "field", "text"),
    [
        ({"buildings": "0"}, "buildings", "at least one"),
        ({"longitude": "46.1"}, "latitude", "both longitude and latitude"),
        ({"settlement": "T-B"}, "settlement", "Select a valid choice"),  # hidden from the writer
    ],
)
def test_a_bad_building_check_is_shown_on_its_field(
    ma: MineAction,
    places: Places,
    agency_user: User,
    extra: dict[str, str],
    field: str,
    text: str,
) -> None:
    before = LedgerEntry.objects.count()
    form = {
        "settlement": places.public_settlement.pcode,
        "buildings": "3",
        "checked_on": "2020-11-23",
        "result": "clear",
        "organisation": "eng",
        **extra,
    }
    response = _client(agency_user).post(reverse("mineaction:building-check-new"), form)
    assert response.status_code == 400
    assert text in _field_error(response.content.decode(), field)
    assert LedgerEntry.objects.count() == before


# --- accidents ------------------------------------------------------------------------------


def _accident(places: Places, visibility: list[str], **extra: Any) -> Accident:
    return task_services.accident_record(
        actor=None,
        fields={
            "occurred_on": dt.date(2020, 11, 25),
            "settlement": places.public_settlement,
            "device_category": "ap_mine",
            "injured_men": 2,
            "killed_boys": 1,
            "description": "A shepherd's flock",
            **extra,
        },
        visibility=visibility,
    )


def test_accidents_are_listed_filtered_and_shown_to_the_mission(
    places: Places, mission_user: User
) -> None:
    early = _accident(places, ["mission"], occurred_on=dt.date(2020, 11, 18))
    late = _accident(places, ["mission"], settlement=places.mission_settlement)
    client = _client(mission_user)
    html = client.get(reverse("mineaction:accident-list")).content.decode()
    for row in (early, late):
        assert reverse("mineaction:accident", args=[row.public_id]) in html
    period = client.get(reverse("mineaction:accident-list"), {"start": "2020-11-20"})
    assert reverse("mineaction:accident", args=[early.public_id]) not in period.content.decode()
    place = client.get(
        reverse("mineaction:accident-list"), {"settlement": places.public_settlement.pcode}
    ).content.decode()
    assert reverse("mineaction:accident", args=[early.public_id]) in place
    assert reverse("mineaction:accident", args=[late.public_id]) not in place
    detail = client.get(reverse("mineaction:accident", args=[early.public_id])).content.decode()
    assert "A shepherd&#x27;s flock" in detail and "Version 1" in detail
    assert re.search(r"Boys</th><td class=\"num\">1</td><td class=\"num\">0</td>", detail)


def test_another_party_sees_no_accident(
    places: Places, side_a_user: User, agency_user: User
) -> None:
    row = _accident(places, ["mission"])
    for user in (side_a_user, agency_user):
        client = _client(user)
        html = client.get(reverse("mineaction:accident-list")).content.decode()
        assert "No accidents are shared with your party." in html
        assert str(row.public_id) not in html
        assert client.get(reverse("mineaction:accident", args=[row.public_id])).status_code == 404


def test_recording_an_accident_counts_victims_and_stays_with_the_mission(
    places: Places, mission_user: User, side_a_user: User
) -> None:
    client = _client(mission_user)
    assert (
        reverse("mineaction:accident-new")
        in client.get(reverse("mineaction:accident-list")).content.decode()
    )
    before = LedgerEntry.objects.count()
    response = client.post(
        reverse("mineaction:accident-new"),
        {
            "occurred_on": "2020-11-26",
            "settlement": places.public_settlement.pcode,
            "device_category": "at_mine",
            "killed_men": "1",
            "injured_women": "2",
            "injured_girls": "1",
            "description": "Tractor on a track",
        },
    )
    row = Accident.objects.get(description="Tractor on a track")
    assert response.status_code == 302
    assert response["Location"] == reverse("mineaction:accident", args=[row.public_id])
    assert (row.killed, row.injured, row.injured_girls) == (1, 3, 1)
    assert LedgerEntry.objects.count() == before + 1
    hidden = _client(side_a_user).get(reverse("mineaction:accident", args=[row.public_id]))
    assert hidden.status_code == 404


@pytest.mark.parametrize(
    ("extra", "field", "text"),
    [
        ({"settlement": ""}, "settlement", "say where"),
        ({"killed_men": "-1"}, "killed_men", "greater than or equal to 0"),
        ({"device_category": ""}, "device_category", "required"),
        ({"latitude": "39.5"}, "longitude", "both longitude and latitude"),
    ],
)
def test_a_bad_accident_is_shown_on_its_field(
    places: Places, mission_user: User, extra: dict[str, str], field: str, text: str
) -> None:
    before = LedgerEntry.objects.count()
    form = {
        "occurred_on": "2020-11-26",
        "settlement": places.public_settlement.pcode,
        "device_category": "uxo",
        **extra,
    }
    response = _client(mission_user).post(reverse("mineaction:accident-new"), form)
    assert response.status_code == 400
    assert text in _field_error(response.content.decode(), field)
    assert LedgerEntry.objects.count() == before and not Accident.objects.exists()


def test_the_menu_has_the_accidents(mission_user: User) -> None:
    html = _client(mission_user).get(reverse("mineaction:map")).content.decode()
    assert reverse("mineaction:accident-list") in html


def test_the_new_screens_speak_russian(ma: MineAction, mission_user: User) -> None:
    client = _client(mission_user)
    client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    for url, text in (
        (reverse("mineaction:accident-list"), "взрывоопасными предметами"),
        (reverse("mineaction:activity-new"), "Записать задачу по разминированию"),
        (reverse("mineaction:road-check-new"), "Записать проверку дороги"),
        (reverse("mineaction:accident-new"), "Пострадавшие (только число, без имён)"),
        (reverse("mineaction:building-check-new"), "Записать проверку зданий"),
    ):
        assert text in client.get(url).content.decode(), url


def test_an_agency_writer_who_keeps_an_accident_with_the_mission_goes_back_to_the_list(
    places: Places, agency_user: User
) -> None:
    form = {
        "occurred_on": "2020-11-26",
        "settlement": places.public_settlement.pcode,
        "device_category": "uxo",
        "injured_boys": "1",
    }
    client = _client(agency_user)
    response = client.post(reverse("mineaction:accident-new"), form)
    assert response.status_code == 302
    assert response["Location"] == reverse("mineaction:accident-list")
    row = Accident.objects.get()
    assert client.get(reverse("mineaction:accident", args=[row.public_id])).status_code == 404
    shared = client.post(reverse("mineaction:accident-new"), {**form, "share_with": ["agencies"]})
    mine = Accident.objects.exclude(pk=row.pk).get()
    assert shared.status_code == 302
    assert shared["Location"] == reverse("mineaction:accident", args=[mine.public_id])
    assert client.get(shared["Location"]).status_code == 200
