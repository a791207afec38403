"""Mission days run from evening to evening in mission time."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from truce.lib.time import window_bounds, window_of

UTC = dt.UTC


def test_window_is_named_by_the_day_it_ends(settings):
    settings.MISSION_TIME_ZONE = "Asia/Baku"  # UTC+4
    settings.TRUCE_WINDOW_BOUNDARY = dt.time(18, 0)
    # 13:59Z is 17:59 in Baku: still the window ending on the 20th.
    assert window_of(dt.datetime(2020, 11, 20, 13, 59, tzinfo=UTC)) == dt.date(2020, 11, 20)
    # 14:00Z is 18:00 in Baku: the window ending on the 21st has begun.
    assert window_of(dt.datetime(2020, 11, 20, 14, 0, tzinfo=UTC)) == dt.date(2020, 11, 21)
    start, end = window_bounds(dt.date(2020, 11, 20))
    assert (start, end) == (
        dt.datetime(2020, 11, 19, 14, 0, tzinfo=UTC),
        dt.datetime(2020, 11, 20, 14, 0, tzinfo=UTC),
    )


@given(
    st.datetimes(
        # hypothesis wants naive bounds and attaches the zone itself.
        min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001
        max_value=dt.datetime(2040, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    )
)
def test_every_instant_lies_inside_the_bounds_of_its_window(instant):
    start, end = window_bounds(window_of(instant))
    assert start <= instant < end
