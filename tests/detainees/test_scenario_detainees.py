"""The demo exchange of the briefings-2020 scenario: loaded through the services, twice."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction

from tests.scenario_sections import briefings_sections
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.core.scenario import LoadReport, ScenarioError, load_scenario
from truce.detainees import selectors
from truce.detainees.models import Exchange, Transfer
from truce.ledger.models import LedgerEntry

SECTIONS = briefings_sections("detainees")

SCENARIO = "briefings-2020"
FOLDER = Path(settings.TRUCE_SCENARIO_DIR) / SCENARIO


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[LoadReport]:
    with django_db_blocker.unblock(), transaction.atomic():
        report = load_scenario(SCENARIO, demo_passwords=True, only=SECTIONS)
        yield report
        transaction.set_rollback(True)


@pytest.fixture
def scenario(loaded: LoadReport, db: None) -> LoadReport:
    return loaded


def user(username: str) -> User:
    return User.objects.select_related("party", "organisation").get(username=username)


def test_the_demo_exchange_is_completed_with_both_confirmations(scenario: LoadReport) -> None:
    exchange = Exchange.objects.get()
    assert exchange.status == "completed" and exchange.intermediary.code == "icrc"
    transfers = list(Transfer.objects.filter(exchange=exchange))
    assert len(transfers) == 5
    for transfer in transfers:
        assert transfer.status == "completed"
        assert transfer.handed_over_by is not None
        assert transfer.handed_over_by.username == "icrc"
        confirmers = {
            transfer.released_confirmed_by.username,  # type: ignore[union-attr]
            transfer.received_confirmed_by.username,  # type: ignore[union-attr]
        }
        assert confirmers == {"liaison-a", "liaison-b"}


def test_the_figures_of_the_demo(scenario: LoadReport) -> None:
    query = FigureQuery(user=user("analyst"))
    assert figure_value("detainees_persons_transferred", query).value == 3
    assert figure_value("detainees_remains_transferred", query).value == 2
    assert figure_value("detainees_confirmations_pending", query).value == 0


@pytest.mark.parametrize("username", ["unhcr", "viewer", "operator"])
def test_demo_users_outside_the_rule_see_nothing(scenario: LoadReport, username: str) -> None:
    reader = user(username)
    assert selectors.summary_for(reader).cases == 0
    assert not selectors.exchanges_visible_to(reader).exists()
    assert figure_value("detainees_persons_transferred", FigureQuery(user=reader)).value is None


def test_side_a_never_sees_side_bs_sought_list(scenario: LoadReport) -> None:
    seen = {c.full_name for c in selectors.cases_visible_to(user("liaison-a"))}
    assert "Fictional Missing Six" not in seen
    assert "Fictional Detainee Four" in seen
    assert "Fictional Missing Six" in {
        c.full_name for c in selectors.cases_visible_to(user("icrc"))
    }


def test_every_demo_name_says_it_is_fictional(scenario: LoadReport) -> None:
    names = [c.full_name for c in selectors.cases_visible_to(user("analyst"))]
    assert len(names) == 6 and all(n.startswith("Fictional ") for n in names)


def test_second_load_writes_nothing(scenario: LoadReport) -> None:
    before = LedgerEntry.objects.count()
    again = load_scenario(SCENARIO, demo_passwords=True, only=SECTIONS)
    assert again.created == again.updated == 0
    assert LedgerEntry.objects.count() == before


@pytest.mark.django_db
def test_an_unknown_case_in_an_exchange_is_named_and_nothing_written(tmp_path: Path) -> None:
    target = tmp_path / "scenario"
    shutil.copytree(FOLDER, target)
    data = target / "detainees" / "exchanges.yaml"
    data.write_text(
        data.read_text(encoding="utf-8").replace("a-held-3, b-held-1", "a-held-9, b-held-1"),
        encoding="utf-8",
    )
    before = LedgerEntry.objects.count()
    with pytest.raises(ScenarioError) as raised:
        load_scenario(target, demo_passwords=True)
    assert raised.value.field == "cases" and "a-held-9" in raised.value.message
    assert LedgerEntry.objects.count() == before
