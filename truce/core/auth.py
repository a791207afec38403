"""Who is calling the API: a bearer token (machines) or a Django session (the browser)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from truce.core.errors import PermissionDenied
from truce.core.models import ApiToken, User
from truce.core.services import TOKEN_PREFIX, hash_token
from truce.ledger.cache import RecordsCache
from truce.lib.time import utcnow

# Writing last_used_at on every call would turn each read into a write;
# a minute is precise enough to tell a live token from a forgotten one.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class TokenRejected(AuthenticationError):
    """A bearer token was sent and is wrong, revoked or belongs to an inactive user."""

    def __init__(self) -> None:
        super().__init__(401, "the bearer token is not valid (unknown, revoked or inactive)")


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer truce_...`, checked against the SHA-256 in core.ApiToken."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        token = token.strip()
        # A bad token is refused outright rather than falling through to the
        # session: a machine that sent credentials must learn they are wrong.
        if not token.startswith(TOKEN_PREFIX):
            raise TokenRejected()
        row = _live_tokens.get().get(hash_token(token))
        if row is None or not row.user.is_active:
            raise TokenRejected()
        _touch(row)
        request.user = row.user
        return row.user


def _all_live_tokens() -> dict[str, ApiToken]:
    tokens = list(
        ApiToken.objects.filter(revoked_at__isnull=True, user__is_active=True).select_related(
            "user", "user__party"
        )
    )
    roles: dict[int, set[str]] = {}
    for user_id, code in User.roles.through.objects.filter(
        user_id__in={t.user_id for t in tokens}
    ).values_list("user_id", "role__code"):
        roles.setdefault(user_id, set()).add(code)
    for token in tokens:
        token.user._role_codes = roles.get(token.user_id, set())
    return {token.key_hash: token for token in tokens}


# Every API call names its token: the live ones, with their users, parties and
# roles, are kept per process until a token, user or party is written (each
# a ledger entry), and for at most TOKEN_CACHE_SECONDS even without one.
TOKEN_CACHE_SECONDS = 30.0
_live_tokens: RecordsCache[dict[str, ApiToken]] = RecordsCache(
    ["core.apitoken", "core.user", "core.party"], _all_live_tokens, TOKEN_CACHE_SECONDS
)


def _touch(token: ApiToken) -> None:
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    # Conditional update: concurrent calls within the minute write at most once.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    token.last_used_at = now  # the cached copy too, or every call would try again


class SessionCsrfAuth(APIKeyCookie):
    """The browser's Django session; unsafe methods must carry the CSRF token.

    Unlike ninja's SessionAuth, CSRF is checked only once a session user is
    known, so a request with no credentials at all gets 401, not 403.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        # csrf=True tells the docs page to send X-CSRFToken; the check itself
        # runs in authenticate, once a session user is known.
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user: Any = getattr(request, "user", None)
        if not isinstance(user, User) or not user.is_active:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise PermissionDenied(
                "CSRF check failed: send the X-CSRFToken header with the csrftoken cookie",
                code="csrf_failed",
            )
        return user


def api_user(request: HttpRequest) -> User:
    """The authenticated user of an API request (auth has already run)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise TokenRejected()
    return user
