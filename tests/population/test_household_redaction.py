"""Household personal data: which role reads which field, and no party reads any."""

from __future__ import annotations

import pytest

from truce.core.errors import PermissionDenied
from truce.core.models import User
from truce.population.models import Household
from truce.population.redaction import PERSONAL_FIELDS, readable_fields
from truce.population.selectors import household_get, household_history, households_visible_to
from truce.population.services import household_update

ALL = set(PERSONAL_FIELDS)
EXPECTED_READABLE = {
    "administrator": ALL,
    "agency_staff": ALL,
    "duty_officer": {"head_name", "phone"},
    "op_operator": set(),
    "analyst": set(),
    "side_a": set(),
    "side_b": set(),
    "side_b_admin_role": set(),
    "viewer": set(),
}


@pytest.mark.parametrize("reader", sorted(EXPECTED_READABLE))
def test_each_role_reads_exactly_its_personal_fields(readers: dict[str, User], reader: str) -> None:
    assert readable_fields(readers[reader]) == EXPECTED_READABLE[reader]


@pytest.mark.parametrize("reader", ["administrator", "agency_staff", "duty_officer", "analyst"])
def test_list_and_detail_blank_each_field_the_role_may_not_read(
    readers: dict[str, User], household: Household, reader: str
) -> None:
    user = readers[reader]
    listed = households_visible_to(user).get(code="hh-test-1")
    detail = household_get(user, household.public_id)
    for row in (listed, detail):
        hidden = ALL - EXPECTED_READABLE[reader]
        assert set(row.redacted_fields) == hidden
        for name in hidden:
            assert getattr(row, name) in ("", []), name
        for name in EXPECTED_READABLE[reader]:
            assert getattr(row, name) == getattr(household, name), name
        # What is not personal is never redacted: allocation needs it.
        assert row.size == 4 and row.is_vulnerable and row.intention == "return"


def test_the_row_says_nothing_was_redacted_for_a_full_reader(
    readers: dict[str, User], household: Household
) -> None:
    assert households_visible_to(readers["administrator"]).get().redacted_fields == []


@pytest.mark.parametrize("reader", ["side_a", "side_b", "viewer"])
def test_parties_and_the_public_see_no_household_by_default(
    readers: dict[str, User], household: Household, reader: str
) -> None:
    assert not households_visible_to(readers[reader]).exists()


@pytest.mark.parametrize("reader", ["side_b", "side_b_admin_role"])
def test_side_b_reads_no_personal_field_even_when_shared_with_it(
    readers: dict[str, User], shared_household: Household, reader: str
) -> None:
    row = households_visible_to(readers[reader]).get()
    assert set(row.redacted_fields) == ALL
    assert (row.head_name, row.phone, row.document_number) == ("", "", "")
    assert row.members == [] and row.protection_notes == ""


def test_values_of_a_personal_field_are_refused_for_a_reader_without_the_right(
    readers: dict[str, User], household: Household
) -> None:
    with pytest.raises(PermissionDenied):
        households_visible_to(readers["analyst"]).values_list("phone", flat=True)
    with pytest.raises(PermissionDenied):
        list(households_visible_to(readers["analyst"]).values())
    # Fields that are not personal stay available for aggregates.
    assert list(households_visible_to(readers["analyst"]).values_list("size", flat=True)) == [4]


def test_history_redacts_the_personal_values_of_every_version(
    readers: dict[str, User], household: Household
) -> None:
    household_update(
        actor=None, household=household, expected_version=1, changes={"phone": "+000 99"}
    )
    analyst_history = household_history(household, readers["analyst"])
    assert len(analyst_history) == 2
    for item in analyst_history:
        assert item.data["phone"] == "[redacted]"
        assert item.data["head_name"] == "[redacted]"
    duty_history = household_history(household, readers["duty_officer"])
    assert duty_history[-1].data["phone"] == "+000 99"
    assert duty_history[-1].data["document_number"] == "[redacted]"


def test_a_writer_may_not_overwrite_a_field_it_cannot_read(
    readers: dict[str, User], household: Household
) -> None:
    with pytest.raises(PermissionDenied) as caught:
        household_update(
            actor=readers["duty_officer"],
            household=household,
            expected_version=1,
            changes={"document_number": "X"},
        )
    assert caught.value.field == "document_number"


def test_updating_from_a_redacted_row_keeps_the_stored_personal_data(
    readers: dict[str, User], household: Household
) -> None:
    redacted = household_get(readers["duty_officer"], household.public_id)
    household_update(
        actor=readers["duty_officer"],
        household=redacted,
        expected_version=1,
        changes={"intention": "stay"},
    )
    stored = Household.objects.get(pk=household.pk)
    assert stored.document_number == "DEMO-111" and len(stored.members) == 2
    assert stored.intention == "stay" and stored.intended_settlement is None
