"""The pure allocation solver: its rules hold on any instance (property tests)."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truce.shelter import solver
from truce.shelter.solver import HouseholdIn, OriginIn, ShelterIn


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[HouseholdIn], list[OriginIn], list[ShelterIn], int]:
    n_origins = draw(st.integers(1, 5))
    coord = st.floats(0, 0.5, allow_nan=False)
    origins = [OriginIn(f"o{i}", 46 + draw(coord), 39.5 + draw(coord)) for i in range(n_origins)]
    n_shelters = draw(st.integers(1, 8))
    shelters = [
        ShelterIn(f"s{i}", draw(st.integers(0, 15)), 46 + draw(coord), 39.5 + draw(coord))
        for i in range(n_shelters)
    ]
    households = [
        HouseholdIn(
            f"h{i}",
            draw(st.integers(1, 8)),
            draw(st.booleans()),
            f"o{draw(st.integers(0, n_origins - 1))}",
        )
        for i in range(draw(st.integers(0, 30)))
    ]
    candidates = draw(st.integers(1, n_shelters + 1))
    return households, origins, shelters, candidates


def _candidates(
    households: list[HouseholdIn], origins: list[OriginIn], shelters: list[ShelterIn], k: int
) -> dict[str, list[str]]:
    _, near, _ = solver.build_model(households, origins, shelters, candidates=k)
    return {origin: [shelters[int(s)].key for s in order] for origin, order in near.items()}


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(instances())
def test_no_shelter_ever_takes_more_people_than_its_free_places(instance) -> None:  # type: ignore[no-untyped-def]
    households, origins, shelters, k = instance
    result = solver.allocate(households, origins, shelters, candidates=k)
    used: Counter[str] = Counter()
    for placed in result.placed:
        used[placed.shelter] += placed.people
    for shelter in shelters:
        assert used[shelter.key] <= shelter.free


@PROPERTY
@given(instances())
def test_every_household_is_placed_whole_and_at_most_once(instance) -> None:  # type: ignore[no-untyped-def]
    households, origins, shelters, k = instance
    result = solver.allocate(households, origins, shelters, candidates=k)
    seen = [p.household for p in result.placed] + [u.household for u in result.unplaced]
    assert sorted(seen) == sorted(h.key for h in households)
    sizes = {h.key: h.size for h in households}
    assert all(p.people == sizes[p.household] for p in result.placed)


@PROPERTY
@given(instances())
def test_no_vulnerable_household_is_left_out_where_non_vulnerable_ones_would_make_room(
    instance,  # type: ignore[no-untyped-def]
) -> None:
    households, origins, shelters, k = instance
    result = solver.allocate(households, origins, shelters, candidates=k)
    by_key = {h.key: h for h in households}
    free = {s.key: s.free for s in shelters}
    room = dict(free)
    plain_people: dict[str, int] = defaultdict(int)
    for placed in result.placed:
        room[placed.shelter] -= placed.people
        if not placed.vulnerable:
            plain_people[placed.shelter] += placed.people
    near = _candidates(households, origins, shelters, k)
    for left in result.unplaced:
        if not left.vulnerable:
            continue
        for shelter in near[by_key[left.household].origin]:
            assert room[shelter] + plain_people[shelter] < left.people


@PROPERTY
@given(instances())
def test_every_placement_has_a_true_reason(instance) -> None:  # type: ignore[no-untyped-def]
    households, origins, shelters, k = instance
    result = solver.allocate(households, origins, shelters, candidates=k)
    near = _candidates(households, origins, shelters, k)
    by_key = {h.key: h for h in households}
    room = {s.key: s.free for s in shelters}
    for placed in result.placed:
        room[placed.shelter] -= placed.people
    for placed in result.placed:
        order = near[by_key[placed.household].origin]
        assert order[placed.rank - 1] == placed.shelter
        assert placed.stage in {"optimal", "repair", "priority"}
        # "The nearer ones have no room": true of every shelter ranked before it.
        assert all(room[s] < placed.people for s in order[: placed.rank - 1])
    for left in result.unplaced:
        assert left.reason in {"no_room", "no_shelter_nearby"}
        assert all(room[s] < left.people for s in near[by_key[left.household].origin])


@PROPERTY
@given(instances())
def test_the_objective_is_never_below_the_lp_bound(instance) -> None:  # type: ignore[no-untyped-def]
    households, origins, shelters, k = instance
    result = solver.allocate(households, origins, shelters, candidates=k)
    assert result.objective >= result.lp_bound - 1e-6 * max(1.0, abs(result.lp_bound))


def test_a_family_is_kept_together_rather_than_split_across_two_shelters() -> None:
    origins = [OriginIn("o", 46.0, 39.5)]
    shelters = [ShelterIn("a", 3, 46.0, 39.5), ShelterIn("b", 3, 46.01, 39.5)]
    result = solver.allocate([HouseholdIn("h", 5, False, "o")], origins, shelters)
    assert result.placed == []
    assert result.unplaced[0].reason == "no_room"


def test_a_vulnerable_household_takes_the_last_places_before_a_larger_plain_one() -> None:
    origins = [OriginIn("o", 46.0, 39.5)]
    shelters = [ShelterIn("a", 4, 46.0, 39.5)]
    households = [HouseholdIn("plain", 4, False, "o"), HouseholdIn("vuln", 3, True, "o")]
    result = solver.allocate(households, origins, shelters)
    assert [p.household for p in result.placed] == ["vuln"]


def test_people_go_to_the_shelter_nearest_their_origin() -> None:
    origins = [OriginIn("west", 46.0, 39.5), OriginIn("east", 47.0, 39.5)]
    shelters = [ShelterIn("w", 10, 46.05, 39.5), ShelterIn("e", 10, 46.95, 39.5)]
    households = [HouseholdIn("hw", 4, False, "west"), HouseholdIn("he", 4, False, "east")]
    result = solver.allocate(households, origins, shelters)
    assert {(p.household, p.shelter, p.rank) for p in result.placed} == {
        ("hw", "w", 1),
        ("he", "e", 1),
    }


def test_bad_input_is_refused_naming_the_item() -> None:
    origins = [OriginIn("o", 46.0, 39.5)]
    with pytest.raises(solver.SolverError, match="h0: size"):
        solver.allocate([HouseholdIn("h0", 0, False, "o")], origins, [])
    with pytest.raises(solver.SolverError, match="s0: free"):
        solver.allocate([], origins, [ShelterIn("s0", -1, 46, 39)])


def test_the_heuristic_matches_the_mip_optimum_on_a_small_instance() -> None:
    origins = [OriginIn(f"o{i}", 46 + i * 0.1, 39.5) for i in range(4)]
    shelters = [ShelterIn(f"s{i}", 7 + i, 46 + i * 0.12, 39.55) for i in range(6)]
    households = [HouseholdIn(f"h{i}", 1 + (i * 7) % 6, i % 4 == 0, f"o{i % 4}") for i in range(24)]
    result = solver.allocate(households, origins, shelters)
    model, _, _ = solver.build_model(households, origins, shelters)
    best, _bound, optimal = solver.mip_objective(model, time_limit=20)
    assert optimal and best is not None
    assert solver.relative_gap(result.objective, best) <= 0.01
