"""Idempotency-Key for POSTs: a retry over a bad link must not write twice.

The key is claimed, the write performed and its response stored in one
transaction, so either all three happen or none does. Only successful
responses are stored: a refused write rolls back with its key, and a retry
is simply tried again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from truce.core.errors import InvalidInput
from truce.core.models import IdempotentRequest, User
from truce.lib.canonical import canonical_json
from truce.lib.time import utcnow

KEY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
REPLAY_HEADER = "Idempotent-Replayed"

Perform = Callable[[], tuple[int, Any]]


@dataclass(frozen=True)
class Outcome:
    status: int
    body: str
    replayed: bool

    def as_response(self) -> HttpResponse:
        response = HttpResponse(self.body, status=self.status, content_type="application/json")
        if self.replayed:
            response[REPLAY_HEADER] = "true"
        return response


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            f"{KEY_HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters",
            field=KEY_HEADER,
        )


def request_fingerprint(request: HttpRequest) -> str:
    """Method, path and body; JSON bodies are canonicalised so key order does not matter."""
    try:
        body = canonical_json(json.loads(request.body))
    except ValueError:
        body = request.body.hex()
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, body):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def _render(body: Any) -> str:
    return json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False)


def _replay(stored: IdempotentRequest, fingerprint: str) -> Outcome:
    if stored.fingerprint != fingerprint:
        raise InvalidInput(
            f"this {KEY_HEADER} was already used for a different request; "
            "use a new key for a new request",
            field=KEY_HEADER,
            code="idempotency_key_reused",
        )
    return Outcome(status=stored.status_code, body=stored.response_body, replayed=True)


def _stored(user: User, key: str) -> IdempotentRequest | None:
    return IdempotentRequest.objects.select_for_update().filter(user=user, key=key).first()


def run_idempotent(
    request: HttpRequest, *, user: User, key: str | None, perform: Perform
) -> Outcome:
    """Run `perform` (which writes and returns status and body) at most once per key.

    Without a key there is nothing to claim: `perform` runs as it is, its
    service opening its own transaction. (Wrapping it in one would take
    SQLite's write lock for the whole request, validation included, so
    concurrent requests could not overlap their work outside the lock.)
    """
    if key is None:
        status, body = perform()
        return Outcome(status=status, body=_render(body), replayed=False)
    _check_key(key)
    fingerprint = request_fingerprint(request)
    try:
        with transaction.atomic():
            stored = _stored(user, key)
            if stored is not None:
                return _replay(stored, fingerprint)
            # Claim the key before writing: a concurrent request with the same
            # key then waits on the unique index until this transaction ends,
            # and fails over to replaying our response instead of writing twice.
            claim = IdempotentRequest.objects.create(
                user=user,
                key=key,
                fingerprint=fingerprint,
                status_code=0,
                response_body="",
                created_at=utcnow(),
            )
            status, body = perform()
            claim.status_code, claim.response_body = status, _render(body)
            claim.save(update_fields=["status_code", "response_body"])
            return Outcome(status=status, body=claim.response_body, replayed=False)
    except IntegrityError:
        # Another request with this key committed first and ours rolled back
        # whole; answer with the winner's response.
        with transaction.atomic():
            stored = _stored(user, key)
            if stored is None:
                raise
            return _replay(stored, fingerprint)
