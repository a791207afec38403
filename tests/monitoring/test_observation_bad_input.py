"""Bad observations are refused with the field at fault named, and nothing is written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.monitoring.conftest import Front, ObsFactory
from truce.core.errors import InvalidInput
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.lib.time import utcnow
from truce.monitoring.models import Observation
from truce.monitoring.services import observation_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]

BAD: list[tuple[str, dict[str, Any], str, str]] = [
    ("bearing of 360", {"bearing_deg": 360}, "bearing_deg", "outside [0, 360)"),
    ("negative bearing", {"bearing_deg": -0.5}, "bearing_deg", "outside"),
    ("bearing as words", {"bearing_deg": "north"}, "bearing_deg", "number"),
    ("bearing NaN", {"bearing_deg": float("nan")}, "bearing_deg", "finite"),
    ("negative distance", {"distance_m": -1}, "distance_m", "negative"),
    ("absurd distance", {"distance_m": 5e6}, "distance_m", "beyond"),
    ("before the ceasefire", {"observed_at": "2020-11-09T20:59:59Z"}, "observed_at", "ceasefire"),
    ("no time zone", {"observed_at": "2020-11-20T08:00:00"}, "observed_at", "time zone"),
    ("not a time", {"observed_at": "yesterday"}, "observed_at", "ISO 8601"),
    ("no time", {"observed_at": None}, "observed_at", "required"),
    ("unknown post", {"observer_post": "op-zz"}, "observer_post", "unknown observation post"),
    ("post of wrong kind", {"observer_post": "wh-1"}, "observer_post", "observation post or"),
    ("op without post", {"observer_post": None}, "observer_post", "observer_post"),
    ("unknown type", {"type": "earthquake"}, "type", "unknown observation type"),
    ("no type", {"type": None}, "type", "required"),
    ("unknown observer kind", {"observer_kind": "satellite"}, "observer_kind", "unknown"),
    ("unknown direction", {"direction_of_fire": "sideways"}, "direction_of_fire", "unknown"),
    ("negative count", {"count": -1}, "count", "at least 1"),
    ("zero count", {"count": 0}, "count", "at least 1"),
    ("fractional count", {"count": 1.5}, "count", "whole number"),
    ("negative killed", {"killed_civilian": -2}, "killed_civilian", "at least 0"),
    ("negative injured", {"injured_military": -1}, "injured_military", "at least 0"),
    ("true as a count", {"killed_military": True}, "killed_military", "whole number"),
    ("longitude out of range", {"lon": 181, "lat": 39.5}, "lon", "out of range"),
    ("latitude out of range", {"lon": 46.5, "lat": -91}, "lat", "out of range"),
    ("lon without lat", {"lon": 46.5}, "lat", "missing"),
    ("lat without lon", {"lat": 39.5}, "lon", "missing"),
    (
        "observer lon without lat",
        {"observer_kind": "patrol", "observer_post": None, "observer_lon": 46.5},
        "observer_lat",
        "missing",
    ),
    (
        "post and observer position",
        {"observer_lon": 46.5, "observer_lat": 39.5},
        "observer_lon",
        "not both",
    ),
    ("bad uuid", {"client_uuid": "not-a-uuid"}, "client_uuid", "UUID"),
    ("no uuid", {"client_uuid": None}, "client_uuid", "required"),
    ("unknown field", {"colour": "red"}, "colour", "unknown field"),
    ("unknown scope", {"visibility": ["side_c"]}, "visibility", "unknown visibility scope"),
    ("long label", {"observer_label": "x" * 101}, "observer_label", "longer than"),
    ("unknown confidence", {"confidence": "certain"}, "confidence", "unknown"),
]


@pytest.mark.parametrize(("case", "changes", "field", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_field(
    front: Front,
    operator: User,
    make_obs: ObsFactory,
    case: str,
    changes: dict[str, Any],
    field: str,
    words: str,
) -> None:
    entries = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as caught:
        observation_record(actor=operator, data=make_obs(**changes))
    assert caught.value.field == field, caught.value.message
    assert words in caught.value.message
    assert caught.value.status == 422
    assert Observation.objects.count() == 0
    assert LedgerEntry.objects.count() == entries


def test_a_time_beyond_the_clock_skew_is_refused_but_within_it_accepted(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    with pytest.raises(InvalidInput) as caught:
        observation_record(
            actor=operator, data=make_obs(observed_at=utcnow() + dt.timedelta(minutes=6))
        )
    assert caught.value.field == "observed_at"
    assert "future" in caught.value.message
    result = observation_record(
        actor=operator, data=make_obs(observed_at=utcnow() + dt.timedelta(minutes=4))
    )
    assert result.created


def test_a_post_hidden_from_the_reporter_reads_as_unknown(
    front: Front, side_a_user: User, operator: User, make_obs: ObsFactory
) -> None:
    # The mission-only OP exists, but a side A liaison may not learn so.
    for code in ("op-s", "op-nowhere"):
        with pytest.raises(InvalidInput) as caught:
            observation_record(
                actor=side_a_user,
                data=make_obs(observer_kind="party_complaint", observer_post=code),
            )
        assert caught.value.field == "observer_post"
    # A checkpoint is a valid post for the mission.
    assert observation_record(actor=operator, data=make_obs(observer_post="cp-1")).created


@pytest.mark.parametrize(
    ("user_fixture", "kind", "ok"),
    [
        ("operator", "op", True),
        ("operator", "patrol", True),
        ("operator", "party_complaint", False),
        ("side_a_user", "op", False),
        ("side_a_user", "drone", False),
        ("side_a_user", "party_complaint", True),
        ("side_a_user", "liaison_officer", True),
        ("side_a_plain", "liaison_officer", False),
        ("side_a_plain", "party_complaint", True),
        ("side_b_user", "camera", False),
        ("agency_user", "party_complaint", False),
        ("agency_user", "patrol", False),
        ("operator", "liaison_officer", False),
    ],
)
def test_an_observer_must_belong_to_the_reporters_party(
    request: pytest.FixtureRequest,
    front: Front,
    make_obs: ObsFactory,
    user_fixture: str,
    kind: str,
    ok: bool,
) -> None:
    user: User = request.getfixturevalue(user_fixture)
    post = "op-a" if kind == "op" else None
    data = make_obs(observer_kind=kind, observer_post=post)
    if ok:
        assert observation_record(actor=user, data=data).created
        return
    with pytest.raises(InvalidInput) as caught:
        observation_record(actor=user, data=data)
    assert caught.value.field == "observer_kind"


def test_a_partys_report_names_no_post(
    front: Front, side_a_user: User, make_obs: ObsFactory
) -> None:
    with pytest.raises(InvalidInput) as caught:
        observation_record(
            actor=side_a_user, data=make_obs(observer_kind="party_complaint", observer_post="op-a")
        )
    assert caught.value.field == "observer_post"


def test_data_must_be_an_object(front: Front, operator: User) -> None:
    with pytest.raises(InvalidInput):
        observation_record(actor=operator, data=["not", "a", "mapping"])  # type: ignore[arg-type]


def test_an_inactive_or_missing_reporter_is_refused(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    from truce.core.errors import PermissionDenied

    operator.is_active = False
    with pytest.raises(PermissionDenied):
        observation_record(actor=operator, data=make_obs())
    with pytest.raises(PermissionDenied):
        observation_record(actor=None, data=make_obs())  # type: ignore[arg-type]
