"""Recording and re-assessing structures: validation, versions, history, who may write."""

from __future__ import annotations

import pytest

from tests.core.api_client import write_counts
from truce.core.errors import Conflict, InvalidInput, PermissionDenied
from truce.core.models import User
from truce.damage import services
from truce.damage.models import DamageCount, Structure
from truce.damage.services.validation import NEED_KEYS
from truce.ledger.selectors import record_history

from .helpers import assess

pytestmark = pytest.mark.django_db


def _data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "settlement": "T-PUB",
        "reference": "B-1",
        "use": "school",
        "grade": "severe",
        "assessed_on": "2020-11-18",
        "needs": {"glazing_m2": 40, "roofing_m2": 300},
        "lon": 46.101,
        "lat": 39.501,
    }
    data.update(changes)
    return data


def _nothing_written(before: tuple[int, ...]) -> None:
    assert write_counts() == before
    assert not Structure.objects.exists()
    assert not DamageCount.objects.exists()


def test_a_structure_is_recorded_with_its_needs_position_and_assessor(
    places: object, mission_user: User
) -> None:
    s = services.structure_create(actor=mission_user, data=_data(), visibility=["agencies"])
    assert (s.version, s.grade, s.use) == (1, "severe", "school")
    assert s.needs() == {"glazing_m2": 40.0, "roofing_m2": 300.0}
    assert s.geometry == {"type": "Point", "coordinates": [46.101, 39.501]}
    assert not s.location_approximate
    assert s.assessor == mission_user
    assert s.visibility == ["mission", "agencies"]


def test_without_a_position_the_structure_stands_at_its_settlement_marked_approximate(
    places: object, mission_user: User
) -> None:
    data = _data()
    del data["lon"], data["lat"]
    s = services.structure_create(actor=mission_user, data=data)
    assert s.geometry == {"type": "Point", "coordinates": [46.1, 39.5]}
    assert s.location_approximate


@pytest.mark.parametrize("grade", ["ruined", "", "DESTROYED", None, 3])
def test_an_unknown_damage_grade_is_refused_naming_grade_and_nothing_is_written(
    places: object, mission_user: User, grade: object
) -> None:
    before = write_counts()
    with pytest.raises(InvalidInput) as caught:
        services.structure_create(actor=mission_user, data=_data(grade=grade))
    assert caught.value.field == "grade"
    _nothing_written(before)


@pytest.mark.parametrize(
    ("needs", "field"),
    [
        ({"glass_m2": 3}, "needs.glass_m2"),
        ({"glazing_m2": -1}, "needs.glazing_m2"),
        ({"roofing_m2": "lots"}, "needs.roofing_m2"),
        ({"roofing_m2": float("nan")}, "needs.roofing_m2"),
        ([1, 2], "needs"),
    ],
)
def test_bad_needs_are_refused_naming_the_item(
    places: object, mission_user: User, needs: object, field: str
) -> None:
    before = write_counts()
    with pytest.raises(InvalidInput) as caught:
        services.structure_create(actor=mission_user, data=_data(needs=needs))
    assert caught.value.field == field
    _nothing_written(before)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"use": "castle"}, "use"),
        ({"settlement": "NOWHERE"}, "settlement"),
        ({"assessed_on": "20 Nov"}, "assessed_on"),
        ({"lon": 200}, "lon"),
        ({"colour": "red"}, "colour"),
        ({"reference": ""}, "reference"),
    ],
)
def test_other_bad_fields_are_named(
    places: object, mission_user: User, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.structure_create(actor=mission_user, data=_data(**changes))
    assert caught.value.field == field


def test_a_reference_is_unique_in_its_settlement_but_not_across_settlements(
    places: object, mission_user: User
) -> None:
    services.structure_create(actor=mission_user, data=_data())
    with pytest.raises(InvalidInput) as caught:
        services.structure_create(actor=mission_user, data=_data())
    assert caught.value.field == "reference"
    other = services.structure_create(actor=mission_user, data=_data(settlement="T-M"))
    assert other.reference == "B-1"


def test_a_party_cannot_reference_a_settlement_hidden_from_it(
    places: object, agency_user: User
) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.structure_create(actor=agency_user, data=_data(settlement="T-M"))
    assert caught.value.field == "settlement"


def test_a_reassessment_is_a_new_version_and_the_old_one_stays_in_the_history(
    places: object, mission_user: User
) -> None:
    s = services.structure_create(actor=mission_user, data=_data())
    again = services.structure_update(
        actor=mission_user,
        structure=s,
        changes={"grade": "destroyed", "needs": {"glazing_m2": 55}},
        expected_version=1,
    )
    assert again.version == 2 and again.grade == "destroyed"
    assert Structure.objects.count() == 1
    history = record_history(again, mission_user)
    assert [h.entry.record_version for h in history] == [1, 2]
    assert history[0].data["grade"] == "severe"
    assert history[1].data["grade"] == "destroyed"
    assert history[1].entry.action == "reassess"
    assert {"grade", "need_glazing_m2", "need_roofing_m2"} <= set(history[1].changed)


def test_a_stale_version_is_a_conflict_and_changes_nothing(
    places: object, mission_user: User
) -> None:
    s = services.structure_create(actor=mission_user, data=_data())
    services.structure_update(
        actor=mission_user, structure=s, changes={"grade": "light"}, expected_version=1
    )
    with pytest.raises(Conflict):
        services.structure_update(
            actor=mission_user, structure=s, changes={"grade": "destroyed"}, expected_version=1
        )
    assert Structure.objects.get().grade == "light"


def test_an_unknown_grade_on_reassessment_writes_nothing(
    places: object, mission_user: User
) -> None:
    s = services.structure_create(actor=mission_user, data=_data())
    before = write_counts()
    counts = list(DamageCount.objects.values())
    with pytest.raises(InvalidInput) as caught:
        services.structure_update(
            actor=mission_user, structure=s, changes={"grade": "gone"}, expected_version=1
        )
    assert caught.value.field == "grade"
    assert write_counts() == before
    assert list(DamageCount.objects.values()) == counts
    assert Structure.objects.get().version == 1


def test_deleting_keeps_the_row_and_its_history_and_frees_the_reference(
    places: object, mission_user: User
) -> None:
    s = services.structure_create(actor=mission_user, data=_data())
    services.structure_delete(actor=mission_user, structure=s, expected_version=1, reason="dup")
    row = Structure.objects.get()
    assert row.is_deleted and row.version == 2
    assert not DamageCount.objects.exists()
    again = services.structure_create(actor=mission_user, data=_data())
    assert again.pk != row.pk


def test_the_parties_and_the_public_may_not_record_assessments(
    places: object, side_a_user: User, side_b_user: User
) -> None:
    for user in (side_a_user, side_b_user):
        with pytest.raises(PermissionDenied):
            services.structure_create(actor=user, data=_data())
    assert not Structure.objects.exists()


def test_an_agency_keeps_its_own_records_visible_and_changes_only_those(
    places: object, agency_user: User, mission_user: User
) -> None:
    own = services.structure_create(actor=agency_user, data=_data(), visibility=["mission"])
    assert "agencies" in own.visibility
    services.structure_update(
        actor=agency_user, structure=own, changes={"grade": "light"}, expected_version=1
    )
    theirs = assess(mission_user, visibility=["agencies"])
    with pytest.raises(PermissionDenied):
        services.structure_update(
            actor=agency_user, structure=theirs, changes={"grade": "light"}, expected_version=1
        )


def test_the_needs_vocabulary_is_in_si_units() -> None:
    assert all(k.endswith(("_m2", "_m3", "_count")) for k in NEED_KEYS)
