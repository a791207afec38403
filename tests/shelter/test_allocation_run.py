"""The allocation run: placements as records with reasons, reruns supersede, who may run."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.shelter.conftest import DAY, World, register
from truce.core.errors import PermissionDenied
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.ledger.selectors import record_history
from truce.shelter import selectors, services
from truce.shelter.allocation import allocation_run
from truce.shelter.models import AllocationRun, Placement, RunStatus


def test_a_run_places_households_whole_within_capacity_with_a_reason_each(
    world: World, mission_user: User
) -> None:
    outcome = allocation_run(actor=mission_user, as_of=DAY)
    run = outcome.run
    assert run is not None
    placements = list(Placement.objects.filter(run=run))
    assert {p.household.code for p in placements} == set(world.households)
    used: Counter[str] = Counter()
    for placement in placements:
        assert placement.reason
        assert placement.people == placement.household.size
        if placement.shelter is not None:
            used[placement.shelter.code] += placement.people
    assert used["near"] <= 6 and used["far"] <= 10
    assert run.placed_people + run.unplaced_people == run.people == 14


def test_the_vulnerable_household_takes_the_nearest_shelter(
    world: World, mission_user: User
) -> None:
    allocation_run(actor=mission_user, as_of=DAY)
    placement = Placement.objects.get(household=world.households["hh-v"])
    assert placement.shelter == world.near
    assert placement.reason.startswith("Vulnerable household, placed first.")
    assert "nearest open shelter" in placement.reason


def test_a_household_is_never_split_and_left_over_when_nothing_fits(
    world: World, mission_user: User
) -> None:
    register("hh-big", 11)
    allocation_run(actor=mission_user, as_of=DAY)
    placement = Placement.objects.get(household__code="hh-big")
    assert placement.shelter is None
    assert placement.reason_code == "no_room"
    assert "the whole household (11 people)" in placement.reason


def test_free_places_count_the_current_runs_placements(world: World, mission_user: User) -> None:
    allocation_run(actor=mission_user, as_of=DAY)
    rows = {r.shelter.code: r for r in selectors.shelter_places(mission_user, DAY)}
    placed = Counter(
        p.shelter.code
        for p in Placement.objects.filter(status=RunStatus.CURRENT, shelter__isnull=False)
        for _ in range(p.people)
    )
    assert rows["near"].allocated == placed["near"]
    assert rows["near"].free == 6 - placed["near"]


def test_a_rerun_supersedes_the_last_run_as_new_versions(world: World, mission_user: User) -> None:
    first = allocation_run(actor=mission_user, as_of=DAY).run
    register("hh-late", 2)
    second = allocation_run(actor=mission_user, as_of=DAY).run
    assert first is not None and second is not None
    first.refresh_from_db()
    assert first.status == RunStatus.SUPERSEDED and first.version == 2
    assert second.supersedes == first and second.status == RunStatus.CURRENT
    old = Placement.objects.filter(run=first)
    assert old and all(p.status == RunStatus.SUPERSEDED and p.version == 2 for p in old)
    one = old.first()
    assert one is not None
    history = record_history(one, mission_user)
    assert [i.data["status"] for i in history] == ["current", "superseded"]
    # The rerun placed everyone again from the same free places: capacity is not double-counted.
    assert second.free_places == first.free_places
    assert Placement.objects.filter(run=second, household__code="hh-late").exists()


def test_the_ledger_records_each_run(world: World, mission_user: User) -> None:
    allocation_run(actor=mission_user, as_of=DAY)
    allocation_run(actor=mission_user, as_of=DAY)
    runs = LedgerEntry.objects.filter(record_type="shelter.allocationrun", action="create")
    assert runs.count() == 2


def test_a_dry_run_writes_nothing(world: World, mission_user: User) -> None:
    before = LedgerEntry.objects.count()
    outcome = allocation_run(actor=mission_user, as_of=DAY, dry_run=True)
    assert outcome.run is None and outcome.result.placed
    assert LedgerEntry.objects.count() == before
    assert not AllocationRun.objects.exists()


@pytest.mark.parametrize("who", ["side_a_user", "agency_user"])
def test_only_mission_staff_with_the_role_may_run_it(
    world: World, who: str, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(PermissionDenied):
        allocation_run(actor=request.getfixturevalue(who), as_of=DAY)


def test_an_analyst_of_the_mission_may_not_run_it(world: World, parties: dict) -> None:  # type: ignore[type-arg]
    from tests.conftest import _user

    analyst = _user(parties, "analyst", "mission", "analyst")
    with pytest.raises(PermissionDenied):
        allocation_run(actor=analyst, as_of=DAY)


def test_side_b_sees_only_placements_of_households_shared_with_it_and_no_personal_data(
    world: World, mission_user: User, side_b_user: User, side_a_user: User
) -> None:
    # Side B's own shelter holds the shared household's place, so it may see both.
    services.shelter_update(
        actor=None, shelter=world.far, expected_version=1, changes={"status": "closed"}
    )
    run = allocation_run(actor=mission_user, as_of=DAY).run
    assert run is not None
    seen = list(selectors.placements_visible_to(side_b_user))
    assert {p.household.code for p in seen} <= {"hh-shared"}
    households = selectors.households_of(side_b_user, seen)
    for household in households.values():
        assert household.head_name == "" and household.phone == ""
    assert list(selectors.placements_visible_to(side_a_user)) == []
    assert list(selectors.runs_visible_to(side_b_user)) == []


def test_an_agency_reads_placements_with_personal_data(
    world: World, mission_user: User, agency_user: User
) -> None:
    # b-hall is side B's alone: a placement there is hidden from the agencies too.
    services.shelter_update(
        actor=None, shelter=world.b_hall, expected_version=1, changes={"status": "closed"}
    )
    allocation_run(actor=mission_user, as_of=DAY)
    seen = list(selectors.placements_visible_to(agency_user))
    assert len(seen) == len(world.households)
    households = selectors.households_of(agency_user, seen)
    assert households[world.households["hh-a"].pk].head_name == "Head of hh-a"


def test_the_reason_reads_in_the_readers_language(world: World, mission_user: User) -> None:
    from django.utils import translation

    from truce.shelter.web import placement_reason

    allocation_run(actor=mission_user, as_of=DAY)
    placement = Placement.objects.get(household=world.households["hh-v"])
    assert placement.reason.startswith("Vulnerable household")  # stored in English
    with translation.override("ru"):
        assert placement_reason(placement, 30).startswith("Уязвимое домохозяйство")
    with translation.override("hy"):
        assert "5 մարդ" in placement_reason(placement, 30)
    with translation.override("az"):
        assert "5 nəfər" in placement_reason(placement, 30)
