"""Stating needs in quantities and moving them along (pledged, delivered)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import Places
from tests.core.api_client import write_counts
from tests.winter.conftest import DAY, Winter
from truce.core.errors import Conflict, InvalidInput
from truce.core.models import User
from truce.winter import services
from truce.winter.selectors import open_needs_by_category

pytestmark = pytest.mark.django_db

GOOD = {
    "category": "medicines",
    "item": "Antibiotics",
    "quantity": 10,
    "unit": "packs",
    "stated_on": DAY,
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": "lots"}, "quantity"),
        ({"category": "luxuries"}, "category"),
        ({"item": "  "}, "item"),
        ({"unit": "barrels"}, "unit"),
        ({"needed_by": DAY - dt.timedelta(days=1)}, "needed_by"),
        ({"stated_on": None}, "stated_on"),
    ],
)
def test_bad_needs_name_the_field_and_write_nothing(
    places: Places, changes: dict[str, object], field: str
) -> None:
    before = write_counts()
    with pytest.raises(InvalidInput) as caught:
        services.need_record(
            actor=None, settlement=places.public_settlement, fields={**GOOD, **changes}
        )
    assert caught.value.field == field
    assert write_counts() == before


def test_a_status_change_is_a_new_version(winter: Winter) -> None:
    need = services.need_update(
        actor=None, need=winter.medical_need, expected_version=1, changes={"status": "pledged"}
    )
    assert (need.version, need.status) == (2, "pledged")
    with pytest.raises(Conflict):
        services.need_update(
            actor=None, need=need, expected_version=1, changes={"status": "delivered"}
        )
    with pytest.raises(InvalidInput) as caught:
        services.need_update(actor=None, need=need, expected_version=2, changes={"status": "lost"})
    assert caught.value.field == "status"


def test_open_totals_sum_by_unit_and_leave_out_delivered(
    winter: Winter, places: Places, admin_user: User, side_b_user: User
) -> None:
    services.need_record(
        actor=None,
        settlement=places.public_settlement,
        fields={**GOOD, "item": "Insulin pens", "quantity": 5, "unit": "doses"},
    )
    services.need_update(
        actor=None, need=winter.side_a_need, expected_version=1, changes={"status": "delivered"}
    )
    totals = open_needs_by_category(admin_user)
    assert totals == {"medicines": {"doses": Decimal("205")}}
    assert open_needs_by_category(side_b_user) == {}
