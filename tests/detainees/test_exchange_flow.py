"""An exchange from lists to completed transfers: statuses, versions, confirmations, ledger."""

from __future__ import annotations

import json

import pytest

from tests.detainees.conftest import DAY, Readers, World, complete
from truce.core.errors import Conflict, InvalidInput, PermissionDenied
from truce.detainees import services
from truce.detainees.models import Case, Exchange, Transfer
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify

pytestmark = pytest.mark.django_db


def test_cases_in_an_exchange_are_agreed_and_each_gets_a_transfer(world: World) -> None:
    refs = world.refs()
    transfers = world.transfers()
    assert [t.case_id for t in transfers] == [
        world.person_a.pk,
        world.remains_a.pk,
        world.person_b.pk,
    ]
    assert {c.status for c in (world.person_a, world.remains_a, world.person_b)} == {"agreed"}
    assert world.kept_b.status == "listed"
    assert str(transfers[0]) == f"{world.exchange.reference}/1"
    assert world.person_a.reference == refs["A-0001"] and world.person_b.reference == refs["B-0001"]


def test_directions_follow_the_list_held_cases_leave_the_listing_side(world: World) -> None:
    first, _, third = world.transfers()
    assert (first.from_side.code, first.to_side.code) == ("side-a", "side-b")
    assert (third.from_side.code, third.to_side.code) == ("side-b", "side-a")


def test_a_transfer_completes_only_when_both_sides_confirmed(
    world: World, readers: Readers
) -> None:
    transfer = world.transfers()[0]
    transfer = services.transfer_hand_over(
        actor=readers.icrc, transfer=transfer, expected_version=transfer.version
    )
    assert transfer.status == "handed_over" and transfer.handed_over_by == readers.icrc
    transfer = services.transfer_confirm(
        actor=readers.side_b, transfer=transfer, side="side-b", expected_version=transfer.version
    )
    assert transfer.status == "handed_over"
    assert transfer.received_confirmed_by == readers.side_b
    assert transfer.released_confirmed_at is None
    assert Case.objects.get(pk=world.person_a.pk).status == "agreed"
    transfer = services.transfer_confirm(
        actor=readers.side_a, transfer=transfer, side="side-a", expected_version=transfer.version
    )
    assert transfer.status == "completed"
    assert transfer.version == 4
    assert Case.objects.get(pk=world.person_a.pk).status == "transferred"
    assert Exchange.objects.get(pk=world.exchange.pk).status == "planned"


def test_the_exchange_completes_with_its_last_transfer(world: World, readers: Readers) -> None:
    complete(world, readers)
    exchange = Exchange.objects.get(pk=world.exchange.pk)
    assert exchange.status == "completed" and exchange.completed_at is not None
    assert {t.status for t in world.transfers()} == {"completed"}


def test_each_confirmation_is_a_version_in_the_ledger(world: World, readers: Readers) -> None:
    complete(world, readers)
    transfer = world.transfers()[0]
    entries = LedgerEntry.objects.filter(
        record_type="detainees.transfer", record_id=str(transfer.public_id)
    ).order_by("seq")
    assert [e.action for e in entries] == ["create", "hand_over", "confirm", "confirm"]
    last = json.loads(entries.last().payload)  # type: ignore[union-attr]
    assert last["released_confirmed_by"] == readers.side_a.username
    assert last["received_confirmed_by"] == readers.side_b.username
    assert ledger_verify().ok


def test_a_side_confirms_only_for_its_own_party(world: World, readers: Readers) -> None:
    transfer = world.transfers()[0]
    transfer = services.transfer_hand_over(
        actor=readers.icrc, transfer=transfer, expected_version=transfer.version
    )
    with pytest.raises(PermissionDenied) as raised:
        services.transfer_confirm(
            actor=readers.side_a, transfer=transfer, side="side-b", expected_version=2
        )
    assert raised.value.field == "side"
    for user in (readers.icrc, readers.analyst):
        with pytest.raises(PermissionDenied):
            services.transfer_confirm(
                actor=user, transfer=transfer, side="side-a", expected_version=2
            )
    assert Transfer.objects.get(pk=transfer.pk).version == 2


def test_a_side_confirms_once_and_after_the_handover(world: World, readers: Readers) -> None:
    transfer = world.transfers()[0]
    with pytest.raises(Conflict):
        services.transfer_confirm(
            actor=readers.side_a, transfer=transfer, side="side-a", expected_version=1
        )
    transfer = services.transfer_hand_over(
        actor=readers.icrc, transfer=transfer, expected_version=1
    )
    transfer = services.transfer_confirm(
        actor=readers.side_a, transfer=transfer, side="side-a", expected_version=2
    )
    with pytest.raises(Conflict) as raised:
        services.transfer_confirm(
            actor=readers.side_a, transfer=transfer, side="side-a", expected_version=3
        )
    assert raised.value.field == "side"


def test_a_stale_expected_version_is_refused(world: World, readers: Readers) -> None:
    transfer = services.transfer_hand_over(
        actor=readers.icrc, transfer=world.transfers()[0], expected_version=1
    )
    with pytest.raises(Conflict) as raised:
        services.transfer_confirm(
            actor=readers.side_a, transfer=transfer, side="side-a", expected_version=1
        )
    assert raised.value.field == "version"


def test_only_the_intermediary_records_a_handover(world: World, readers: Readers) -> None:
    transfer = world.transfers()[0]
    for user in (readers.analyst, readers.side_a):
        with pytest.raises(PermissionDenied):
            services.transfer_hand_over(actor=user, transfer=transfer, expected_version=1)


def test_only_the_intermediary_verifies(world: World, readers: Readers) -> None:
    with pytest.raises(PermissionDenied):
        services.case_verify(actor=readers.analyst, case=world.kept_b, expected_version=1)
    with pytest.raises(PermissionDenied):
        services.case_verify(actor=readers.side_b, case=world.kept_b, expected_version=1)
    verified = services.case_verify(actor=readers.icrc, case=world.kept_b, expected_version=1)
    assert verified.status == "verified" and verified.verified_by == readers.icrc


def test_cancelling_puts_the_cases_back_to_verified(world: World, readers: Readers) -> None:
    cancelled = services.exchange_cancel(
        actor=readers.icrc, exchange=world.exchange, expected_version=1, reason="weather"
    )
    assert cancelled.status == "cancelled" and "weather" in cancelled.notes
    assert {t.status for t in world.transfers()} == {"cancelled"}
    assert Case.objects.get(pk=world.person_a.pk).status == "verified"


def test_an_exchange_with_a_handover_cannot_be_cancelled(world: World, readers: Readers) -> None:
    services.transfer_hand_over(
        actor=readers.icrc, transfer=world.transfers()[0], expected_version=1
    )
    with pytest.raises(Conflict):
        services.exchange_cancel(
            actor=readers.icrc, exchange=world.exchange, expected_version=1, reason="x"
        )
    assert Exchange.objects.get(pk=world.exchange.pk).status == "planned"


def test_an_exchange_with_one_bad_case_writes_nothing(world: World, readers: Readers) -> None:
    good = services.case_verify(actor=readers.icrc, case=world.kept_b, expected_version=1)
    before = (LedgerEntry.objects.count(), Exchange.objects.count(), Transfer.objects.count())
    with pytest.raises(InvalidInput) as raised:
        services.exchange_create(
            actor=readers.icrc,
            planned_on=DAY,
            crossing_point="Somewhere",
            intermediary="icrc",
            cases=[good, world.person_a],  # the second is already agreed
        )
    assert raised.value.field == "cases.1"
    after = (LedgerEntry.objects.count(), Exchange.objects.count(), Transfer.objects.count())
    assert before == after
    assert Case.objects.get(pk=good.pk).status == "verified"


@pytest.mark.parametrize(
    ("cases", "field"),
    [([], "cases"), (["not-a-uuid"], "cases.0"), (["dup", "dup"], "cases.1")],
)
def test_bad_exchange_input_names_the_field(
    world: World, readers: Readers, cases: list[str], field: str
) -> None:
    good = services.case_verify(actor=readers.icrc, case=world.kept_b, expected_version=1)
    values = [str(good.public_id) if c == "dup" else c for c in cases]
    with pytest.raises(InvalidInput) as raised:
        services.exchange_create(
            actor=readers.icrc,
            planned_on=DAY,
            crossing_point="Somewhere",
            intermediary="icrc",
            cases=values,
        )
    assert raised.value.field == field


def test_another_agency_cannot_be_handed_the_exchange(world: World, readers: Readers) -> None:
    good = services.case_verify(actor=readers.icrc, case=world.kept_b, expected_version=1)
    with pytest.raises(InvalidInput) as raised:
        services.exchange_create(
            actor=readers.icrc,
            planned_on=DAY,
            crossing_point="Somewhere",
            intermediary="unhcr",
            cases=[good],
        )
    assert raised.value.field == "intermediary" and "designated" in raised.value.message


def test_only_a_designated_intermediary_is_handed_a_list(readers: Readers) -> None:
    with pytest.raises(InvalidInput) as raised:
        services.list_create(
            actor=readers.unhcr,
            side="side-a",
            kind="held",
            intermediary="unhcr",
            title="Not for UNHCR",
            submitted_on=DAY,
        )
    assert raised.value.field == "intermediary"


def test_changing_a_verified_identity_needs_verifying_again(world: World, readers: Readers) -> None:
    case = services.case_verify(actor=readers.icrc, case=world.kept_b, expected_version=1)
    changed = services.case_update(
        actor=readers.side_b, case=case, expected_version=2, changes={"notes": "more"}
    )
    assert changed.status == "verified"
    changed = services.case_update(
        actor=readers.side_b,
        case=changed,
        expected_version=3,
        changes={"full_name": "Secret Soughtname-Other"},
    )
    assert changed.status == "listed" and changed.verified_by is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"birth_year": 1850}, "birth_year"),
        ({"birth_year": "1990"}, "birth_year"),
        ({"full_name": "  "}, "full_name"),
        ({"kind": "ghost"}, "kind"),
        ({"category": "pirate"}, "category"),
        ({"status": "transferred"}, "status"),
    ],
)
def test_bad_case_input_names_the_field(
    world: World, readers: Readers, changes: dict[str, object], field: str
) -> None:
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as raised:
        services.case_update(
            actor=readers.side_b, case=world.kept_b, expected_version=1, changes=changes
        )
    assert raised.value.field == field
    assert LedgerEntry.objects.count() == before


def test_the_other_side_cannot_add_to_or_change_a_list(world: World, readers: Readers) -> None:
    from truce.core.errors import NotFound

    with pytest.raises(NotFound):
        services.case_create(
            actor=readers.side_a, side_list=world.list_b_private, kind="person", full_name="X"
        )
    with pytest.raises(NotFound):
        services.case_update(
            actor=readers.side_a, case=world.kept_b, expected_version=1, changes={"notes": "x"}
        )


def test_a_withdrawn_case_keeps_its_reason(world: World, readers: Readers) -> None:
    withdrawn = services.case_withdraw(
        actor=readers.side_b, case=world.kept_b, expected_version=1, reason="found at home"
    )
    assert withdrawn.status == "withdrawn" and "found at home" in withdrawn.notes
    with pytest.raises(Conflict):
        services.case_withdraw(
            actor=readers.side_b, case=world.person_b, expected_version=3, reason="agreed"
        )


def test_references_are_random_codes_that_count_nothing(world: World) -> None:
    import re

    assert re.fullmatch(r"A-[2-9A-HJ-NP-Z]{6}", world.person_a.reference)
    assert re.fullmatch(r"BL-[2-9A-HJ-NP-Z]{6}", world.list_b.reference)
    assert re.fullmatch(r"EX-[2-9A-HJ-NP-Z]{6}", world.exchange.reference)
