"""The rollups equal a recomputation from the structures, for every reader, after any writes."""

from __future__ import annotations

import itertools
import random

import pytest

from tests.conftest import PASSWORD
from truce.core import services as core_services
from truce.core.models import Settlement, User
from truce.core.sharing import visible
from truce.damage import selectors, services
from truce.damage.models import NEED_KEYS, DamageCount, Grade, Structure, Use
from truce.damage.services.rollups import rollups_rebuild

from .helpers import assess

pytestmark = pytest.mark.django_db

SCOPES = ["side_a", "side_b", "agencies", "public"]
VISIBILITIES = [list(c) for n in range(len(SCOPES) + 1) for c in itertools.combinations(SCOPES, n)]


def _assert_rollups_match(readers: list[User]) -> None:
    for user in readers:
        naive = selectors.rollup_by_settlement_naive(user)
        rows = {r.place.pk: r.tally for r in selectors.rollup_by_settlement(user) if r.place}
        hidden = [r for r in selectors.rollup_by_settlement(user) if r.place is None]
        shown_ids = set(visible(Settlement.objects.all(), user).values_list("pk", flat=True))
        for pk, tally in naive.items():
            if pk in shown_ids:
                assert rows[pk].by_grade == tally.by_grade, user
                assert rows[pk].by_use == tally.by_use, user
                assert rows[pk].needs == pytest.approx(tally.needs), user
        assert set(rows) == {pk for pk in naive if pk in shown_ids}
        hidden_total = sum(t.total for pk, t in naive.items() if pk not in shown_ids)
        assert sum(r.tally.total for r in hidden) == hidden_total
        totals = selectors.rollup_totals(user)
        assert totals.total == visible(Structure.objects.all(), user).count()
        assert totals.total == sum(t.total for t in naive.values())


@pytest.fixture
def readers(
    places: object,
    mission_user: User,
    side_a_user: User,
    side_b_user: User,
    agency_user: User,
    parties: dict[str, object],
) -> list[User]:
    viewer = core_services.user_create(
        actor=None, username="viewer", party=parties["public"], roles=["viewer"], password=PASSWORD
    )
    return [mission_user, side_a_user, side_b_user, agency_user, viewer]


def test_every_mix_of_share_flags_counts_for_exactly_the_readers_who_may_see_it(
    readers: list[User], mission_user: User
) -> None:
    for visibility in VISIBILITIES:
        assess(mission_user, visibility=visibility)
    _assert_rollups_match(readers)


def test_a_side_b_reader_sees_no_count_of_a_record_shared_only_with_side_a(
    readers: list[User], mission_user: User, side_a_user: User, side_b_user: User
) -> None:
    assess(mission_user, settlement="T-PUB", visibility=["side_a"])
    assert selectors.rollup_totals(side_a_user).total == 1
    assert selectors.rollup_totals(side_b_user).total == 0
    assert selectors.rollup_by_settlement(side_b_user) == []
    assert selectors.rollup_by_area(side_b_user) == []
    assert selectors.settlements_with_grade(side_b_user, "destroyed") == 0
    assert selectors.rollup_totals(side_b_user, settlement="T-PUB").by_grade["destroyed"] == 0


def test_counts_in_a_settlement_hidden_from_the_reader_are_not_placed(
    readers: list[User], mission_user: User, side_b_user: User
) -> None:
    # Shared with side B, in a settlement side B may not see (mission only).
    assess(mission_user, settlement="T-M", visibility=["side_b"])
    rows = selectors.rollup_by_settlement(side_b_user)
    assert [(r.place, r.tally.total) for r in rows] == [(None, 1)]


def test_the_rollups_follow_random_creates_reassessments_and_deletes(
    readers: list[User], mission_user: User
) -> None:
    rng = random.Random(4)
    pcodes = ["T-PUB", "T-A", "T-B", "T-M"]
    live: list[Structure] = []
    for step in range(120):
        action = rng.random()
        if action < 0.5 or not live:
            live.append(
                assess(
                    mission_user,
                    settlement=rng.choice(pcodes),
                    grade=rng.choice(Grade.values),
                    use=rng.choice(Use.values),
                    visibility=rng.choice(VISIBILITIES),
                    needs={k: round(rng.uniform(0, 50), 2) for k in rng.sample(NEED_KEYS, 2)},
                )
            )
        elif action < 0.85:
            i = rng.randrange(len(live))
            s = live[i]
            changes: dict[str, object] = {"grade": rng.choice(Grade.values)}
            if rng.random() < 0.5:
                changes["settlement"] = rng.choice(pcodes)
            if rng.random() < 0.5:
                changes["needs"] = {"roofing_m2": round(rng.uniform(0, 99), 2)}
            vis = rng.choice(VISIBILITIES) if rng.random() < 0.3 else None
            live[i] = services.structure_update(
                actor=mission_user,
                structure=s,
                changes=changes,
                expected_version=s.version,
                visibility=vis,
            )
        else:
            s = live.pop(rng.randrange(len(live)))
            services.structure_delete(actor=mission_user, structure=s, expected_version=s.version)
        if step % 40 == 39:
            _assert_rollups_match(readers)
    _assert_rollups_match(readers)
    assert not DamageCount.objects.filter(structures__lte=0).exists()
    kept = sorted(
        DamageCount.objects.values_list("settlement_id", "dimension", "key", "structures")
    )
    rollups_rebuild()
    assert (
        sorted(DamageCount.objects.values_list("settlement_id", "dimension", "key", "structures"))
        == kept
    )


def test_area_rollups_sum_the_settlements_of_each_area(
    readers: list[User], mission_user: User, side_a_user: User
) -> None:
    area = core_services.admin_area_create(
        actor=None,
        fields={"pcode": "AR", "level": 1, "display_name": "Area"},
        visibility=["public"],
    )
    for pcode in ("T-PUB", "T-A"):
        s = Settlement.objects.get(pcode=pcode)
        core_services.settlement_update(
            actor=None, settlement=s, expected_version=s.version, changes={"admin_area": area}
        )
    assess(mission_user, settlement="T-PUB", visibility=["public"])
    assess(mission_user, settlement="T-A", visibility=["side_a"], grade="light")
    assess(mission_user, settlement="T-M", visibility=["public"])
    rows = {
        getattr(r.place, "pcode", None): r.tally for r in selectors.rollup_by_area(mission_user)
    }
    assert rows["AR"].by_grade == {"destroyed": 1, "severe": 0, "moderate": 0, "light": 1}
    assert rows[None].total == 1
    mine = {
        getattr(r.place, "pcode", None): r.tally.total
        for r in selectors.rollup_by_area(side_a_user)
    }
    # T-M is hidden from side A: its public structure counts, without a place.
    assert mine == {"AR": 2, None: 1}
    by_settlement = selectors.rollup_by_settlement(side_a_user, area="AR")
    assert sorted(r.place.pcode for r in by_settlement if r.place) == ["T-A", "T-PUB"]


def test_a_settlement_moved_to_another_area_is_counted_in_its_new_area(
    readers: list[User], mission_user: User
) -> None:
    first, second = (
        core_services.admin_area_create(
            actor=None,
            fields={"pcode": code, "level": 1, "display_name": code},
            visibility=["public"],
        )
        for code in ("AR1", "AR2")
    )
    s = Settlement.objects.get(pcode="T-PUB")
    s = core_services.settlement_update(
        actor=None, settlement=s, expected_version=s.version, changes={"admin_area": first}
    )
    assess(mission_user, settlement="T-PUB", visibility=["public"])
    assert selectors.areas_as_counted()
    core_services.settlement_update(
        actor=None, settlement=s, expected_version=s.version, changes={"admin_area": second}
    )
    assert not selectors.areas_as_counted()
    rows = {r.place.pcode: r.tally.total for r in selectors.rollup_by_area(mission_user) if r.place}
    assert rows == {"AR2": 1}
    assert selectors.rollup_totals(mission_user, area="AR2").total == 1
    assert selectors.rollup_totals(mission_user, area="AR1").total == 0
    rollups_rebuild()
    assert selectors.areas_as_counted()
    rows = {r.place.pcode: r.tally.total for r in selectors.rollup_by_area(mission_user) if r.place}
    assert rows == {"AR2": 1}
