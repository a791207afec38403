"""Reporting a utility's state: validation, versions, withdrawal, who may write."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import Places
from tests.core.api_client import write_counts
from tests.winter.conftest import DAY, Winter
from truce.core.errors import Conflict, InvalidInput, PermissionDenied
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.winter import services
from truce.winter.models import UtilityReport

pytestmark = pytest.mark.django_db


def _record(actor: User | None, place: object, **fields: object) -> UtilityReport:
    utility = str(fields.pop("utility", "gas"))
    return services.utility_report_record(
        actor=actor,
        settlement=place,  # type: ignore[arg-type]
        utility=utility,
        fields={"state": "out", "since": DAY, **fields},
    )


def test_a_report_is_a_record_with_its_ledger_entry(places: Places, analyst: User) -> None:
    report = _record(analyst, places.public_settlement, works_planned="Pipeline repair")
    assert report.version == 1
    assert report.visibility == ["mission", "agencies"]  # the default: shared with the agencies
    entry = LedgerEntry.objects.get(record_id=str(report.public_id))
    assert entry.action == "create" and entry.actor == "analyst"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"utility": "telephone"}, "utility"),
        ({"state": "broken"}, "state"),
        ({"since": "20-11-2020"}, "since"),
        ({"since": dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=5)}, "since"),
        ({"works_due": DAY - dt.timedelta(days=1)}, "works_due"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    places: Places, fields: dict[str, object], field: str
) -> None:
    before = write_counts()
    count = UtilityReport.objects.count()
    with pytest.raises(InvalidInput) as caught:
        _record(None, places.public_settlement, **fields)
    assert caught.value.field == field
    assert UtilityReport.objects.count() == count
    assert write_counts() == before


def test_an_unknown_settlement_is_named(places: Places) -> None:
    with pytest.raises(InvalidInput) as caught:
        _record(None, "NO-SUCH-PLACE")
    assert caught.value.field == "settlement"


def test_a_second_report_for_the_same_day_is_refused(places: Places) -> None:
    _record(None, places.public_settlement)
    with pytest.raises(InvalidInput) as caught:
        _record(None, places.public_settlement, state="partial")
    assert caught.value.field == "since"
    assert "correct that report" in caught.value.message


def test_a_correction_is_a_new_version_and_checks_the_version(places: Places) -> None:
    report = _record(None, places.public_settlement)
    corrected = services.utility_report_correct(
        actor=None, report=report, expected_version=1, changes={"state": "partial"}
    )
    assert (corrected.version, corrected.state) == (2, "partial")
    assert LedgerEntry.objects.filter(record_id=str(report.public_id)).count() == 2
    with pytest.raises(Conflict):
        services.utility_report_correct(
            actor=None, report=report, expected_version=1, changes={"state": "out"}
        )
    with pytest.raises(InvalidInput) as caught:
        services.utility_report_correct(
            actor=None, report=corrected, expected_version=2, changes={"utility": "heat"}
        )
    assert caught.value.field == "utility"


def test_withdrawal_needs_a_reason_and_keeps_the_row(places: Places) -> None:
    report = _record(None, places.public_settlement)
    with pytest.raises(InvalidInput) as caught:
        services.utility_report_withdraw(actor=None, report=report, expected_version=1, reason=" ")
    assert caught.value.field == "reason"
    withdrawn = services.utility_report_withdraw(
        actor=None, report=report, expected_version=1, reason="reported for the wrong village"
    )
    assert withdrawn.is_deleted and UtilityReport.objects.filter(pk=report.pk).exists()


def test_parties_and_viewers_may_not_report(
    places: Places, side_a_user: User, viewer: User, agency_user: User
) -> None:
    for user in (side_a_user, viewer):
        with pytest.raises(PermissionDenied):
            _record(user, places.public_settlement)
    assert _record(agency_user, places.public_settlement).created_by == agency_user


def test_the_fixture_reports_exist(winter: Winter) -> None:
    assert UtilityReport.objects.filter(is_deleted=False).count() == 3
