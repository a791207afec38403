"""Loading part of a scenario: only the named sections are written, all are checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from tests.scenario_sections import REGISTRIES, briefings_sections
from truce.core.models import Settlement
from truce.core.scenario import ScenarioError, load_scenario
from truce.ledger.models import LedgerEntry
from truce.winter.models import UtilityReport

pytestmark = pytest.mark.django_db


def test_only_the_named_sections_are_written() -> None:
    report = load_scenario("briefings-2020", demo_passwords=True, only=REGISTRIES)
    assert [s.type for s in report.sections] == list(REGISTRIES)
    assert Settlement.objects.count() == 50
    assert not UtilityReport.objects.exists()


def test_a_skipped_section_is_still_checked(tmp_path: Path) -> None:
    target = tmp_path / "scenario"
    shutil.copytree(Path(settings.TRUCE_SCENARIO_DIR) / "briefings-2020", target)
    reports = target / "winter" / "utility_reports.csv"
    reports.write_text(reports.read_text().replace(",heat,out,", ",heat,broken,", 1))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(target, demo_passwords=True, only=REGISTRIES)
    assert caught.value.field == "state"
    assert not LedgerEntry.objects.exists()


def test_an_unknown_section_type_is_named() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario("briefings-2020", only=(*REGISTRIES, "no.such.section"))
    assert "no.such.section" in str(caught.value) and caught.value.field == "only"


def test_domain_sections_are_found_by_their_prefix() -> None:
    assert briefings_sections("winter")[-2:] == ("winter.utility_reports", "winter.needs")
    with pytest.raises(ValueError):
        briefings_sections("nothing")
