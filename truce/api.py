"""The HTTP API under /api/v1/: each app's router mounted on one NinjaAPI.

Every error leaves in one shape, `{"error": {"code", "message", "field"}}`,
whether it is a request that failed validation, a DomainError from a
service, a missing record, a failed login or a bug (500, details only in the
server log).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, cast

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.urls import Resolver404, URLPattern, URLResolver, path, resolve
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation

from truce.alerts.api import router as alerts_router
from truce.convoys.api import router as convoys_router
from truce.core.api import router as core_router
from truce.core.auth import BearerTokenAuth, SessionCsrfAuth
from truce.core.errors import DomainError
from truce.core.figures_api import router as figures_router
from truce.damage.api import router as damage_router
from truce.deployment.api import router as deployment_router
from truce.detainees.api import router as detainees_router
from truce.funding.api import router as funding_router
from truce.ledger.api import router as ledger_router
from truce.lib.pagination import PageError
from truce.logistics.api import router as logistics_router
from truce.mineaction.api import router as mineaction_router
from truce.monitoring.api import router as monitoring_router
from truce.population.api import router as population_router
from truce.routing.api import router as routing_router
from truce.shelter.api import router as shelter_router
from truce.winter.api import router as winter_router

logger = logging.getLogger("truce.api")

# Sources ninja puts first in a validation error's location; clients know
# fields by name, not by where in the request ninja found them.
_SOURCES = frozenset({"body", "query", "path", "header", "cookie", "form", "file"})

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    429: "throttled",
}


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def error_response(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, field), status=status)


def _field_of(loc: tuple[Any, ...] | list[Any], param_names: set[str]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    # A body schema is nested under its parameter name (`payload.pcode`).
    if len(parts) > 1 and parts[0] in param_names:
        parts = parts[1:]
    return ".".join(parts) or None


def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    field = _field_of(first.get("loc", ()), {"payload", "query"})
    message = str(first.get("msg", "invalid request"))
    if field:
        message = f"{field}: {message}"
    if len(exc.errors) > 1:
        message += f" (and {len(exc.errors) - 1} more)"
    return error_response(422, "invalid", message, field)


def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return JsonResponse(exc.as_dict(), status=exc.status)


def _page_error(request: HttpRequest, exc: PageError) -> HttpResponse:
    return error_response(422, "invalid", exc.message, exc.field)


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = _CODES_BY_STATUS.get(exc.status_code, "error")
    message = exc.message
    if isinstance(exc, AuthenticationError) and message == "Unauthorized":
        message = "authentication required: send 'Authorization: Bearer <token>' or log in"
    response = error_response(exc.status_code, code, message)
    if isinstance(exc, AuthenticationError):
        response["WWW-Authenticate"] = 'Bearer realm="truce"'
    return response


def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # Http404's text may name a model or a query: not for clients.
    return error_response(404, "not_found", "no such record")


def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled error in %s %s", request.method, request.path)
    return error_response(500, "server_error", "internal error; the server log has the details")


def _json_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Ninja answers 405 and its root 404 outside the exception handlers; reshape them."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return error_response(404, "not_found", "no such endpoint")
        if isinstance(response, HttpResponseNotAllowed):
            reshaped = error_response(
                405, "method_not_allowed", f"{request.method} is not allowed here"
            )
            reshaped["Allow"] = response["Allow"]
            return reshaped
        return response

    return wrapper


@csrf_exempt
def _no_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
    # Django's APPEND_SLASH cannot help once this catch-all matches, so do its job.
    if not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not _no_endpoint:
            query = request.META.get("QUERY_STRING", "")
            # 308 keeps the method and body, so a POST is not turned into a GET.
            return HttpResponsePermanentRedirect(
                request.path + "/" + (f"?{query}" if query else ""), status=308
            )
    return error_response(404, "not_found", f"no endpoint at {request.path}")


class TruceAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # Handler names are unique across the API; the module prefix is noise.
        return str(operation.view_func.__name__)

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_errors(pattern.callback)
        urls.append(path("<path:rest>", _no_endpoint))
        return urls


api = TruceAPI(
    title="Truce API",
    version="1",
    urls_namespace="api",
    description=(
        "Registries, map layers and the ledger of the Truce operations platform. "
        "Authenticate with `Authorization: Bearer truce_...` or a browser session "
        "(unsafe methods then need the X-CSRFToken header)."
    ),
    auth=[BearerTokenAuth(), SessionCsrfAuth()],
    # No validator badge: it would call validator.swagger.io from an offline centre.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": True}),
)

_HANDLERS: tuple[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]], ...] = (
    (ValidationError, _validation_error),
    (DomainError, _domain_error),
    (PageError, _page_error),
    (HttpError, _http_error),
    (Http404, _not_found),
    (Exception, _unexpected),
)
for _exc_class, _handler in _HANDLERS:
    # ninja's handler type also admits the exception class itself; ours take instances.
    api.add_exception_handler(_exc_class, cast(Any, _handler))

api.add_router("/", core_router)
api.add_router("/ledger", ledger_router)
api.add_router("/figures", figures_router)
api.add_router("/monitoring", monitoring_router)
api.add_router("/alerts", alerts_router)
api.add_router("/population", population_router)
api.add_router("/detainees", detainees_router)
api.add_router("/damage", damage_router)
api.add_router("/shelter", shelter_router)
api.add_router("/winter", winter_router)
api.add_router("/mineaction", mineaction_router)
api.add_router("/routing", routing_router)
api.add_router("/logistics", logistics_router)
api.add_router("/convoys", convoys_router)
api.add_router("/funding", funding_router)
api.add_router("/deployment", deployment_router)
