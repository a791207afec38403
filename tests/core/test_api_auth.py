"""Who may call the API: bearer tokens for machines, sessions (with CSRF) for the browser."""

from __future__ import annotations

import datetime as dt
import json
import secrets

from django.test import Client

from tests.conftest import PASSWORD
from tests.core.api_client import PREFIX, Api, error_of, point, write_counts
from truce.core import services
from truce.lib.time import utcnow


def _assert_unauthenticated(response) -> None:
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_request_without_credentials_is_refused_with_401(parties, places):
    for path in ("/me", "/settlements/", "/layers/settlements", "/ledger/head"):
        _assert_unauthenticated(Api().get(path))


def test_a_write_without_credentials_is_401_not_a_csrf_403(parties):
    api = Api()
    before = write_counts()
    _assert_unauthenticated(api.post("/zones/", {"code": "z", "name": "Z", "kind": "corridor"}))
    assert write_counts() == before


def test_a_valid_token_identifies_its_user(side_a_user):
    response = Api(side_a_user).get("/me")
    assert response.status_code == 200
    assert response.json() == {
        "username": "liaison_a",
        "party": "side-a",
        "party_scope": "side_a",
        "organisation": None,
        "roles": ["liaison_officer"],
    }


def test_an_unknown_token_is_refused(side_a_user):
    _assert_unauthenticated(Api(token="truce_" + secrets.token_urlsafe(32)).get("/me"))


def test_a_token_without_the_truce_prefix_is_refused(side_a_user):
    _assert_unauthenticated(Api(token=secrets.token_urlsafe(32)).get("/me"))


def test_a_revoked_token_is_refused(side_a_user):
    token, secret = services.token_create(actor=None, user=side_a_user)
    assert Api(token=secret).get("/me").status_code == 200
    services.token_revoke(actor=None, token=token)
    _assert_unauthenticated(Api(token=secret).get("/me"))


def test_the_token_of_an_inactive_user_is_refused(side_a_user):
    api = Api(side_a_user)
    side_a_user.is_active = False
    side_a_user.save(update_fields=["is_active"])
    _assert_unauthenticated(api.get("/me"))


def test_deactivating_a_user_through_the_services_refuses_their_token_at_once(side_a_user):
    api = Api(side_a_user)
    assert api.get("/me").status_code == 200  # the token is known to this process now
    services.user_update(actor=None, user=side_a_user, is_active=False)
    _assert_unauthenticated(api.get("/me"))


def test_a_change_behind_the_services_back_holds_for_at_most_the_cache_age(
    side_a_user, monkeypatch
):
    from truce.core import auth
    from truce.ledger import cache

    api = Api(side_a_user)
    assert api.get("/me").status_code == 200
    User = type(side_a_user)
    User.objects.filter(pk=side_a_user.pk).update(is_active=False)  # no ledger entry
    now = cache.time.monotonic()
    monkeypatch.setattr(cache.time, "monotonic", lambda: now + auth.TOKEN_CACHE_SECONDS + 1)
    _assert_unauthenticated(api.get("/me"))


def test_a_bad_token_is_refused_even_beside_a_valid_session(side_a_user):
    client = Client(headers={"Authorization": "Bearer truce_wrong"})
    client.login(username="liaison_a", password=PASSWORD)
    _assert_unauthenticated(client.get(PREFIX + "/me"))


def test_last_used_at_is_written_at_most_once_a_minute(side_a_user, monkeypatch):
    from truce.core import auth

    token, secret = services.token_create(actor=None, user=side_a_user)
    api = Api(token=secret)
    assert token.last_used_at is None
    start = utcnow()
    clock = [start]
    monkeypatch.setattr(auth, "utcnow", lambda: clock[0])

    api.get("/me")
    token.refresh_from_db()
    assert token.last_used_at == start

    clock[0] = start + dt.timedelta(seconds=30)
    api.get("/me")
    token.refresh_from_db()
    assert token.last_used_at == start  # not written again within the minute

    clock[0] = start + dt.timedelta(minutes=2)
    api.get("/me")
    token.refresh_from_db()
    assert token.last_used_at == start + dt.timedelta(minutes=2)


def test_a_browser_session_can_read(side_a_user):
    client = Client()
    assert client.login(username="liaison_a", password=PASSWORD)
    response = client.get(PREFIX + "/me")
    assert response.status_code == 200
    assert response.json()["username"] == "liaison_a"


def test_the_session_of_an_inactive_user_is_refused(side_a_user):
    client = Client()
    client.login(username="liaison_a", password=PASSWORD)
    side_a_user.is_active = False
    side_a_user.save(update_fields=["is_active"])
    _assert_unauthenticated(client.get(PREFIX + "/me"))


def _zone(code: str) -> str:
    return json.dumps(
        {
            "code": code,
            "name": code,
            "kind": "corridor",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[46, 39], [46.1, 39], [46.1, 39.1], [46, 39.1], [46, 39]]],
            },
        }
    )


def test_a_session_write_without_the_csrf_token_is_refused_and_writes_nothing(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.login(username="admin", password=PASSWORD)
    before = write_counts()
    response = client.post(PREFIX + "/zones/", _zone("z1"), content_type="application/json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "csrf_failed"
    assert write_counts() == before


def test_a_session_write_with_the_csrf_token_is_accepted(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.login(username="admin", password=PASSWORD)
    csrf = secrets.token_hex(16)
    client.cookies["csrftoken"] = csrf
    response = client.post(
        PREFIX + "/zones/",
        _zone("z1"),
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "z1"


def test_a_bearer_write_needs_no_csrf_token(admin_user):
    # Browsers never attach a bearer token on their own, so CSRF cannot forge one.
    api = Api(admin_user, enforce_csrf=True)
    response = api.post(
        "/settlements/", {"pcode": "P1", "display_name": "Goris", "geometry": point(46.3, 39.5)}
    )
    assert response.status_code == 201
