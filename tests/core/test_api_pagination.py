"""Cursor pagination: every visible row exactly once, in a stable order, nothing more."""

from __future__ import annotations

import math

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.api_client import Api, error_of, point
from truce.core import services
from truce.core.models import Settlement

SCOPES = ["public", "side_a", "side_b", "mission"]


def _settlements(scopes: list[str]) -> list[Settlement]:
    return [
        services.settlement_create(
            actor=None,
            fields={"pcode": f"H-{i}", "display_name": f"S{i}", "geometry": point(46, 39)},
            visibility=[scope],
        )
        for i, scope in enumerate(scopes)
    ]


def _walk(api: Api, limit: int) -> tuple[list[str], int]:
    seen: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        params: dict[str, object] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/settlements/", **params).json()
        pages += 1
        assert len(page["items"]) <= limit
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, pages


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scopes=st.lists(st.sampled_from(SCOPES), max_size=24), limit=st.integers(1, 8))
def test_a_walk_returns_every_visible_row_exactly_once_in_pk_order(side_a_user, scopes, limit):
    with transaction.atomic():
        rows = _settlements(scopes)
        expected = [str(r.public_id) for r in rows if r.share_public or r.share_side_a]
        seen, pages = _walk(Api(side_a_user), limit)
        assert seen == expected
        # Pages are cut by visible rows only, so their number reveals no hidden row.
        assert pages == max(1, math.ceil(len(expected) / limit))
        transaction.set_rollback(True)


def test_the_default_limit_is_50(admin_user):
    _settlements(["public"] * 55)
    page = Api(admin_user).get("/settlements/").json()
    assert len(page["items"]) == 50
    assert page["next_cursor"]


@override_settings(TRUCE_API_PAGE_MAX=5)
@pytest.mark.parametrize("limit", [0, -1, 6])
def test_a_limit_outside_one_to_the_maximum_is_refused(admin_user, limit):
    response = Api(admin_user).get("/settlements/", limit=limit)
    assert response.status_code == 422
    assert error_of(response)["field"] == "limit"


@override_settings(TRUCE_API_PAGE_MAX=5)
def test_the_maximum_limit_is_allowed(admin_user):
    _settlements(["public"] * 6)
    page = Api(admin_user).get("/settlements/", limit=5).json()
    assert len(page["items"]) == 5


def test_a_tampered_cursor_is_refused_naming_cursor(admin_user):
    _settlements(["public"] * 3)
    api = Api(admin_user)
    cursor = api.get("/settlements/", limit=1).json()["next_cursor"]
    for bad in (cursor[:-1] + ("A" if cursor[-1] != "A" else "B"), "garbage", cursor + "x"):
        response = api.get("/settlements/", limit=1, cursor=bad)
        assert response.status_code == 422
        assert error_of(response)["field"] == "cursor"


def test_a_cursor_from_another_list_is_refused(admin_user, places):
    api = Api(admin_user)
    cursor = api.get("/settlements/", limit=1).json()["next_cursor"]
    response = api.get("/facilities/", limit=1, cursor=cursor)
    assert response.status_code == 422
    assert error_of(response)["field"] == "cursor"


def test_a_walk_carries_on_after_the_last_seen_row_is_deleted(admin_user):
    rows = _settlements(["public"] * 3)
    api = Api(admin_user)
    first = api.get("/settlements/", limit=1).json()
    services.registry_delete(actor=None, record=rows[0], expected_version=1)
    second = api.get("/settlements/", limit=1, cursor=first["next_cursor"]).json()
    assert [item["id"] for item in second["items"]] == [str(rows[1].public_id)]


def test_rows_added_during_a_walk_are_not_seen_twice(admin_user):
    rows = _settlements(["public"] * 2)
    api = Api(admin_user)
    first = api.get("/settlements/", limit=1).json()
    services.settlement_update(
        actor=None, settlement=rows[0], expected_version=1, changes={"display_name": "A0"}
    )
    late = _settlements_from(10, 1)
    rest = api.get("/settlements/", limit=10, cursor=first["next_cursor"]).json()
    assert [i["id"] for i in rest["items"]] == [str(rows[1].public_id), str(late[0].public_id)]


def _settlements_from(start: int, count: int) -> list[Settlement]:
    return [
        services.settlement_create(
            actor=None,
            fields={"pcode": f"L-{i}", "display_name": f"L{i}", "geometry": point(46, 39)},
            visibility=["public"],
        )
        for i in range(start, start + count)
    ]
