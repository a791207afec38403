"""Figures of the exchanges: computed from the transfers each reader may see."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.detainees.conftest import Readers, World, complete
from truce.core.figures import FigureQuery, figure_value
from truce.detainees import services

pytestmark = pytest.mark.django_db
KEYS = (
    "detainees_persons_transferred",
    "detainees_remains_transferred",
    "detainees_confirmations_pending",
)


def _values(user: object, as_of: dt.date | None = None) -> dict[str, object]:
    query = FigureQuery(user=user, as_of=as_of)  # type: ignore[arg-type]
    return {key: figure_value(key, query).value for key in KEYS}


def test_completed_transfers_are_counted_by_kind(world: World, readers: Readers) -> None:
    assert _values(readers.analyst) == dict(zip(KEYS, (0, 0, 6), strict=True))
    complete(world, readers)
    assert _values(readers.analyst) == dict(zip(KEYS, (2, 1, 0), strict=True))
    persons = figure_value("detainees_persons_transferred", FigureQuery(user=readers.analyst))
    assert persons.breakdown == {"Side A → Side B": 1, "Side B → Side A": 1}
    assert {str(r) for r in persons.records} == {
        f"{world.exchange.reference}/1",
        f"{world.exchange.reference}/3",
    }


def test_outsiders_get_no_figure_at_all(world: World, readers: Readers) -> None:
    complete(world, readers)
    for user in (readers.unhcr, readers.viewer, readers.operator, None):
        assert _values(user) == dict.fromkeys(KEYS)
        value = figure_value("detainees_persons_transferred", FigureQuery(user=user))  # type: ignore[arg-type]
        assert value.records == [] and value.breakdown == {}


def test_a_side_counts_only_its_own_transfers(world: World, readers: Readers) -> None:
    # A second exchange, of side B's kept case, seen by side A too (it involves A);
    # the figures of each side count what it may see and the duty officer sees all.
    kept = services.case_verify(actor=readers.icrc, case=world.kept_b, expected_version=1)
    services.exchange_create(
        actor=readers.icrc,
        planned_on=dt.date(2020, 11, 21),
        crossing_point="Elsewhere",
        intermediary="icrc",
        cases=[kept],
    )
    complete(world, readers)
    assert _values(readers.side_a)["detainees_confirmations_pending"] == 2
    assert _values(readers.duty)["detainees_persons_transferred"] == 2


def test_as_of_a_day_before_the_confirmations_counts_none(world: World, readers: Readers) -> None:
    complete(world, readers)
    assert _values(readers.analyst, dt.date(2020, 11, 1))["detainees_persons_transferred"] == 0


def test_supporting_records_never_name_a_person(world: World, readers: Readers) -> None:
    complete(world, readers)
    value = figure_value("detainees_persons_transferred", FigureQuery(user=readers.side_a))
    labels = " ".join(str(r) for r in value.records)
    assert "Ivo" not in labels and "Bela" not in labels
    assert all(r.get_absolute_url().startswith("/detainees/exchanges/") for r in value.records)
