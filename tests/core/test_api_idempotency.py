"""Idempotency-Key: a retried POST is answered once, written once."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from tests.core.api_client import PREFIX, Api, error_of, point, write_counts
from truce.core import idempotency, services
from truce.core.models import IdempotentRequest, Settlement

KEY = {"Idempotency-Key": "4b1f7c0e-retry-1"}


def _body(pcode: str = "P-1", name: str = "Goris") -> dict[str, object]:
    return {"pcode": pcode, "display_name": name, "geometry": point(46.34, 39.51)}


def test_a_retry_gets_the_first_response_and_writes_nothing(admin_user):
    api = Api(admin_user)
    first = api.post("/settlements/", _body(), **KEY)
    assert first.status_code == 201
    after_first = write_counts()

    retry = api.post("/settlements/", _body(), **KEY)
    assert retry.status_code == 201
    assert retry.content == first.content
    assert retry["Idempotent-Replayed"] == "true"
    assert write_counts() == after_first
    assert Settlement.objects.filter(pcode="P-1").count() == 1


def test_a_retry_is_recognised_whatever_the_key_order_of_its_json(admin_user):
    api = Api(admin_user)
    body = _body()
    first = api.post("/settlements/", body, **KEY)
    after_first = write_counts()
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    retry = api.client.post(
        PREFIX + "/settlements/", reordered, content_type="application/json", headers=KEY
    )
    assert (retry.status_code, retry.content) == (201, first.content)
    assert write_counts() == after_first


def test_the_same_key_with_a_different_body_is_refused_and_writes_nothing(admin_user):
    api = Api(admin_user)
    api.post("/settlements/", _body(), **KEY)
    after_first = write_counts()
    response = api.post("/settlements/", _body(pcode="P-2", name="Other"), **KEY)
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert write_counts() == after_first
    assert not Settlement.objects.filter(pcode="P-2").exists()


def test_the_same_key_on_another_endpoint_is_refused(admin_user):
    api = Api(admin_user)
    api.post("/settlements/", _body(), **KEY)
    after_first = write_counts()
    response = api.post("/zones/", {"code": "z", "name": "Z", "kind": "corridor"}, **KEY)
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert write_counts() == after_first


def test_keys_belong_to_one_user(admin_user, parties):
    other_admin = services.user_create(
        actor=None, username="admin2", party=parties["mission"], roles=["administrator"]
    )
    Api(admin_user).post("/settlements/", _body(), **KEY)
    response = Api(other_admin).post("/settlements/", _body(pcode="P-2"), **KEY)
    assert response.status_code == 201
    assert IdempotentRequest.objects.filter(key=KEY["Idempotency-Key"]).count() == 2


def test_a_refused_write_does_not_use_up_its_key(admin_user):
    api = Api(admin_user)
    before = write_counts()
    refused = api.post("/settlements/", _body() | {"geometry": point(500, 0)}, **KEY)
    assert refused.status_code == 422
    assert write_counts() == before
    accepted = api.post("/settlements/", _body(), **KEY)
    assert accepted.status_code == 201


def test_without_a_key_each_post_is_its_own_request(admin_user):
    api = Api(admin_user)
    assert api.post("/settlements/", _body()).status_code == 201
    again = api.post("/settlements/", _body())
    assert again.status_code == 422
    assert error_of(again)["field"] == "pcode"
    assert IdempotentRequest.objects.count() == 0


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there"])
def test_an_unusable_key_is_refused_naming_the_header(admin_user, key):
    api = Api(admin_user)
    before = write_counts()
    response = api.post("/settlements/", _body(), **{"Idempotency-Key": key})
    assert response.status_code == 422
    assert error_of(response)["field"] == "Idempotency-Key"
    assert write_counts() == before


def test_the_stored_response_is_written_in_the_same_transaction_as_the_record(
    admin_user, monkeypatch
):
    api = Api(admin_user)
    before = write_counts()
    save = IdempotentRequest.save
    performed: list[bool] = []

    def failing_response_save(self, *args, **kwargs):
        # The claim is inserted first; storing the response comes after the write.
        if kwargs.get("update_fields"):
            performed.append(Settlement.objects.filter(pcode="P-1").exists())
            raise RuntimeError("disk full")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(IdempotentRequest, "save", failing_response_save)
    response = api.post("/settlements/", _body(), **KEY)
    assert response.status_code == 500
    assert performed == [True]
    # The settlement, its ledger entry and the key were rolled back together.
    assert write_counts() == before


def test_a_concurrent_retry_that_loses_the_race_replays_the_winner(admin_user, monkeypatch):
    api = Api(admin_user)
    first = api.post("/settlements/", _body(), **KEY)
    after_first = write_counts()
    lookups = {"n": 0}
    real_stored = idempotency._stored

    def stored_not_yet_committed(user, key):
        # As if the winner had not committed when this request first looked.
        lookups["n"] += 1
        return None if lookups["n"] == 1 else real_stored(user, key)

    monkeypatch.setattr(idempotency, "_stored", stored_not_yet_committed)
    retry = api.post("/settlements/", _body(), **KEY)
    assert (retry.status_code, retry.content) == (201, first.content)
    assert write_counts() == after_first


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_retries_write_once(admin_user):
    api = Api(admin_user)
    token = api.token
    before = Settlement.objects.count()
    start = threading.Barrier(2)
    responses: list[tuple[int, bytes]] = []

    def post() -> None:
        try:
            start.wait()
            response = Api(token=token).post("/settlements/", _body(), **KEY)
            responses.append((response.status_code, response.content))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(responses) == 2
    assert responses[0] == responses[1]
    assert responses[0][0] == 201
    assert Settlement.objects.count() == before + 1
