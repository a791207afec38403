"""Canonical JSON gives one text per value, whatever the key order."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from truce.lib.canonical import canonical_json

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_round_trip_is_stable(value):
    text = canonical_json(value)
    assert canonical_json(json.loads(text)) == text


@given(st.dictionaries(st.text(max_size=5), st.integers(), min_size=2, max_size=6))
def test_key_order_does_not_matter(mapping):
    reordered = dict(reversed(list(mapping.items())))
    assert canonical_json(mapping) == canonical_json(reordered)


def test_datetimes_are_utc_with_z():
    moment = dt.datetime(2020, 11, 20, 21, 0, tzinfo=dt.timezone(dt.timedelta(hours=4)))
    assert canonical_json({"t": moment}) == '{"t":"2020-11-20T17:00:00Z"}'


def test_naive_datetimes_and_nan_are_refused():
    with pytest.raises(ValueError, match="naive"):
        canonical_json({"t": dt.datetime(2020, 11, 20)})  # noqa: DTZ001
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


any_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 10, max_value=2**70)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=-1e-3, max_value=1e-3, allow_nan=False)
    | st.floats(min_value=1e15, max_value=1e300),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
        | st.dictionaries(st.integers(), children, max_size=3)
    ),
    max_leaves=25,
)


@given(any_json)
def test_the_fast_path_writes_exactly_the_reference_text(value):
    from truce.lib.canonical import _reference

    assert canonical_json(value) == _reference(value)


def test_text_choices_and_small_floats_match_the_reference():
    from django.db.models import TextChoices

    from truce.lib.canonical import _reference

    class Kind(TextChoices):
        A = "a", "A"

    for value in [{"k": Kind.A}, {"x": 1e-05}, {"x": 9.9e-05}, {"x": 1e16}, {"x": -2.5e-300}]:
        assert canonical_json(value) == _reference(value)
    assert canonical_json({"k": Kind.A}) == '{"k":"a"}'


def test_infinity_is_refused_like_nan():
    with pytest.raises(ValueError):
        canonical_json({"x": [1.0, float("inf")]})
