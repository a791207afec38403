"""The strictest visibility: who sees which lists, cases, exchanges and transfers, and how much."""

from __future__ import annotations

from typing import Any

import pytest

from tests.detainees.conftest import Readers, World, complete
from truce.core.errors import NotFound
from truce.core.models import User
from truce.detainees import selectors
from truce.detainees.models import PERSONAL_FIELDS

pytestmark = pytest.mark.django_db


def _refs(qs: object) -> set[str]:
    return {str(row) for row in qs}  # type: ignore[attr-defined]


def _nobodies(readers: Readers) -> list[User]:
    return [readers.unhcr, readers.viewer, readers.operator]


def test_nobody_outside_the_rule_sees_anything_not_even_a_count(
    world: World, readers: Readers
) -> None:
    complete(world, readers)
    for user in _nobodies(readers):
        assert not selectors.lists_visible_to(user).exists()
        assert not selectors.cases_visible_to(user).exists()
        assert not selectors.exchanges_visible_to(user).exists()
        assert not selectors.transfers_visible_to(user).exists()
        summary = selectors.summary_for(user)
        assert summary.cases == 0 and summary.confirmations_pending == 0
        assert not summary.exchanges_by_status and not summary.transfers_by_status
        assert not selectors.may_enter(user) and not selectors.may_export(user)


def test_hidden_details_are_not_found(world: World, readers: Readers) -> None:
    transfer = world.transfers()[0]
    for user in _nobodies(readers):
        for get, record in (
            (selectors.list_get, world.list_a),
            (selectors.case_get, world.person_a),
            (selectors.exchange_get, world.exchange),
            (selectors.transfer_get, transfer),
        ):
            with pytest.raises(NotFound):
                get(user, record.public_id)
    with pytest.raises(NotFound):
        selectors.case_get(readers.side_a, world.kept_b.public_id)
    with pytest.raises(NotFound):
        selectors.list_get(readers.side_a, world.list_b.public_id)


def test_the_mission_case_roles_and_the_intermediary_see_everything(
    world: World, readers: Readers
) -> None:
    refs = world.refs()
    for user in (readers.analyst, readers.icrc):
        assert _refs(selectors.lists_visible_to(user)) == {refs["A-L1"], refs["B-L1"], refs["B-L2"]}
        assert _refs(selectors.cases_visible_to(user)) == {
            refs["A-0001"],
            refs["A-0002"],
            refs["B-0001"],
            refs["B-0002"],
        }
        assert selectors.personal_fields_for(user, world.kept_b) == set(PERSONAL_FIELDS)
        assert selectors.may_export(user)


def test_a_duty_officer_sees_statuses_and_counts_but_no_names(
    world: World, readers: Readers
) -> None:
    duty = readers.duty
    assert selectors.cases_visible_to(duty).count() == 4
    assert selectors.summary_for(duty).cases_by_status == {"agreed": 3, "listed": 1}
    assert selectors.personal_fields_for(duty, world.person_a) == frozenset()
    assert set(selectors.redacted_fields_for(duty, world.person_a)) == set(PERSONAL_FIELDS)
    assert not selectors.may_export(duty)


def test_a_side_sees_its_own_lists_and_the_cases_of_its_transfers(
    world: World, readers: Readers
) -> None:
    refs = world.refs()
    a = readers.side_a
    assert _refs(selectors.lists_visible_to(a)) == {refs["A-L1"]}
    # Its own two, and side B's person who is being handed to it; never B's kept list.
    assert _refs(selectors.cases_visible_to(a)) == {refs["A-0001"], refs["A-0002"], refs["B-0001"]}
    assert _refs(selectors.exchanges_visible_to(a)) == {refs["EX-001"]}
    assert selectors.transfers_visible_to(a).count() == 3
    b = readers.side_b
    assert _refs(selectors.lists_visible_to(b)) == {refs["B-L1"], refs["B-L2"]}
    assert _refs(selectors.cases_visible_to(b)) == {
        refs["A-0001"],
        refs["A-0002"],
        refs["B-0001"],
        refs["B-0002"],
    }


def test_the_other_side_of_a_transfer_reads_identity_but_not_the_listing_sides_notes(
    world: World, readers: Readers
) -> None:
    fields = selectors.personal_fields_for(readers.side_a, world.person_b)
    assert "full_name" in fields and "birth_year" in fields
    assert "notes" not in fields
    assert selectors.personal_fields_for(readers.side_a, world.person_a) == set(PERSONAL_FIELDS)


def test_before_an_exchange_the_other_side_sees_none_of_a_list(
    readers: Readers, lists: object
) -> None:
    from truce.detainees import services

    list_a = selectors.lists_visible_to(readers.side_a).get()
    services.case_create(actor=readers.side_a, side_list=list_a, kind="person", full_name="Q")
    assert not selectors.cases_visible_to(readers.side_b).exists()
    assert selectors.summary_for(readers.side_b).cases == 0


def test_another_designated_intermediarys_list_is_hidden_from_the_icrc(
    world: World, readers: Readers, settings: Any
) -> None:
    refs = world.refs()
    from truce.detainees import services

    assert not selectors.may_enter(readers.unhcr)
    settings.TRUCE_DETAINEES_INTERMEDIARIES = ["icrc", "unhcr"]
    other = services.list_create(
        actor=readers.analyst,
        side="side-a",
        kind="held",
        intermediary="unhcr",
        title="Handed to another agency",
        submitted_on=world.list_a.submitted_on,
    )
    assert _refs(selectors.lists_visible_to(readers.icrc)) == {
        refs["A-L1"],
        refs["B-L1"],
        refs["B-L2"],
    }
    assert _refs(selectors.lists_visible_to(readers.unhcr)) == {other.reference}
    assert selectors.may_enter(readers.unhcr)


def test_pending_confirmations_count_what_each_side_owes(world: World, readers: Readers) -> None:
    from truce.detainees import services

    transfer = services.transfer_hand_over(
        actor=readers.icrc, transfer=world.transfers()[0], expected_version=1
    )
    services.transfer_confirm(
        actor=readers.side_b, transfer=transfer, side="side-b", expected_version=2
    )
    due = selectors.pending_confirmations(selectors.transfers_visible_to(readers.analyst))
    assert due == {"side-a": 3, "side-b": 2}
    assert selectors.summary_for(readers.side_a).confirmations_pending == 5


def test_tombstones_and_share_flags_apply_first(world: World, readers: Readers) -> None:
    refs = world.refs()
    # A case whose flags no longer admit side A is hidden from it even though the
    # rule alone (a transfer involving A) would admit it: the flags come first.
    from truce.detainees.models import Case

    Case.objects.filter(pk=world.person_b.pk).update(share_side_a=False)
    assert refs["B-0001"] not in _refs(selectors.cases_visible_to(readers.side_a))
    Case.objects.filter(pk=world.person_a.pk).update(is_deleted=True)
    assert refs["A-0001"] not in _refs(selectors.cases_visible_to(readers.analyst))
