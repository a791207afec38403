"""The alerts API under /api/v1/alerts/: the queue, answering alerts, CAP, and rules.

Handlers parse, call a selector or service, and serialise. Alerts and rules
are mission-only, so anyone else gets 404 for each of them (and an empty
list of alerts); rules are further kept to administrators and duty
officers, for whom alone the rules endpoints exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema
from pydantic import ConfigDict

from truce.alerts import cap, selectors, services
from truce.alerts.permissions import may_manage_rules
from truce.alerts.serializers import alert_out, rule_out
from truce.core.auth import api_user
from truce.core.errors import InvalidInput, NotFound
from truce.core.idempotency import KEY_HEADER, run_idempotent
from truce.core.models import User
from truce.core.schemas import HistoryEntryOut, PageQuery, page_of
from truce.core.serializers import history_out
from truce.lib.pagination import paginate

router = Router(tags=["alerts"])


# --- shapes ------------------------------------------------------------------------------------


class AlertFilters(PageQuery):
    status: str | None = Field(
        None, description="open, acknowledged, resolved, auto_resolved, active or closed."
    )
    since: dt.datetime | None = Field(
        None, description="Raised at or after (ISO 8601 with offset)."
    )
    kind: str | None = None
    severity: str | None = None


class Named(Schema):
    id: str
    name: str


class ZoneRef(Schema):
    code: str
    name: str


class IncidentRef(Schema):
    id: str
    reference: str


class ObservationRef(Schema):
    id: str


class FacilityRef(Schema):
    id: str
    code: str
    name: str


class Position(Schema):
    lon: float
    lat: float


class AlertOut(Schema):
    id: str
    version: int
    rule: Named
    kind: str
    severity: str
    status: str
    title: str = Field(
        description="As raised, in the deployment's language (chained in the ledger)."
    )
    message: str = Field(description="As raised, in the deployment's language.")
    title_local: str = Field(
        description="The title in the request's language (Accept-Language or the language "
        "cookie); the stored title for alerts raised before texts were kept per language."
    )
    message_local: str = Field(description="The message in the request's language, likewise.")
    local_language: str = Field(description="The language of title_local and message_local.")
    details: dict[str, Any]
    raised_at: str
    condition_at: str
    escalation_level: int
    escalated: bool
    current_role: str
    next_role: str | None
    due_at: str | None
    overdue: bool
    acknowledged_by: str | None
    acknowledged_at: str | None
    resolved_by: str | None
    resolved_at: str | None
    resolution: str
    zone: ZoneRef | None
    incident: IncidentRef | None
    observation: ObservationRef | None
    facility: FacilityRef | None
    position: Position | None
    url: str
    cap_url: str


class ResolveIn(Schema):
    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=2000, description="What was done.")


class RuleOut(Schema):
    id: str
    version: int
    name: str
    kind: str
    params: dict[str, Any]
    zone: str | None
    severity: str
    escalation: list[Any]
    recipients: list[str]
    active: bool
    description: str
    created_at: str
    updated_at: str


OptStr = Annotated[str, Field(default=None)]
OptBool = Annotated[bool, Field(default=None)]
OptDict = Annotated[dict[str, Any], Field(default=None)]
OptList = Annotated[list[Any], Field(default=None)]


class _RuleFields(Schema):
    model_config = ConfigDict(extra="forbid")
    zone: str | None = Field(None, description="Zone code; null for any zone.")
    severity: Annotated[str, Field(default=None, description="low, medium, high or critical.")]
    recipients: Annotated[list[str], Field(default=None, description="E-mail addresses.")]
    active: OptBool
    description: OptStr
    source: OptStr
    confidence: OptStr


class RuleCreate(_RuleFields):
    name: str
    kind: str = Field(description="verified_violation, threshold, casualty, op_silent, proximity.")
    params: dict[str, Any] = Field(default_factory=dict)
    escalation: list[Any] = Field(
        description='Roles with minutes, e.g. [["duty_officer", 10], ["administrator", 20]].'
    )


class RulePatch(_RuleFields):
    version: int = Field(description="The version the change was made from.")
    name: OptStr
    kind: OptStr
    params: OptDict
    escalation: OptList


# --- rules (before /{public_id}, so "rules" is never taken for an alert id) --------------------


def _rule_keeper(request: HttpRequest) -> User:
    user = api_user(request)
    if not may_manage_rules(user):
        # Not 403: who may not keep rules learns nothing of them, not even their existence.
        raise NotFound("no such endpoint")
    return user


@router.get("/rules/", response=page_of(RuleOut), url_name="alert_rules_list")
def alert_rules_list(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    user = _rule_keeper(request)
    page = paginate(
        selectors.alert_rules_visible_to(user),
        namespace="alert-rules",
        limit=query.limit,
        cursor=query.cursor,
    )
    return {"items": [rule_out(rule) for rule in page.items], "next_cursor": page.next_cursor}


@router.post("/rules/", response={201: RuleOut}, url_name="alert_rules_create")
def alert_rules_create(
    request: HttpRequest,
    payload: RuleCreate,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = _rule_keeper(request)
    fields = payload.model_dump(exclude_unset=True)
    fields.setdefault("params", {})

    def perform() -> tuple[int, dict[str, Any]]:
        return 201, rule_out(services.alert_rule_create(actor=user, fields=fields))

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/rules/{public_id}", response=RuleOut, url_name="alert_rule_get")
def alert_rule_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = _rule_keeper(request)
    return rule_out(selectors.get_rule(user, public_id))


@router.patch("/rules/{public_id}", response=RuleOut, url_name="alert_rule_update")
def alert_rule_update(request: HttpRequest, public_id: str, payload: RulePatch) -> dict[str, Any]:
    user = _rule_keeper(request)
    rule = selectors.get_rule(user, public_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    updated = services.alert_rule_update(
        actor=user, rule=rule, expected_version=version, changes=changes
    )
    return rule_out(updated)


@router.delete("/rules/{public_id}", response={204: None}, url_name="alert_rule_delete")
def alert_rule_delete(
    request: HttpRequest, public_id: str, version: int, reason: str = ""
) -> HttpResponse:
    user = _rule_keeper(request)
    rule = selectors.get_rule(user, public_id)
    services.alert_rule_delete(actor=user, rule=rule, expected_version=version, reason=reason)
    return HttpResponse(status=204)


# --- alerts ------------------------------------------------------------------------------------


@router.get("/", response=page_of(AlertOut), url_name="alerts_list")
def alerts_list(request: HttpRequest, query: Query[AlertFilters]) -> dict[str, Any]:
    """Alerts in the order they were raised; `since` and a cursor make a cheap poll."""
    user = api_user(request)
    if query.since is not None and query.since.tzinfo is None:
        raise InvalidInput("since needs its UTC offset, e.g. Z or +04:00", field="since")
    rows = selectors.alerts_visible_to(
        user,
        status=query.status,
        since=query.since,
        kind=query.kind,
        severity=query.severity,
        subjects=False,
    )
    # A page of bare rows first: the duty officer's poll mostly finds nothing new.
    page = paginate(
        rows.only("pk", "public_id"), namespace="alerts", limit=query.limit, cursor=query.cursor
    )
    items = selectors.with_subjects(page.items)
    return {"items": [alert_out(a) for a in items], "next_cursor": page.next_cursor}


@router.get("/{public_id}", response=AlertOut, url_name="alert_get")
def alert_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    return alert_out(selectors.get_alert(api_user(request), public_id))


@router.get("/{public_id}/history", response=list[HistoryEntryOut], url_name="alert_history")
def alert_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    """Every step of the alert (raise, escalate, acknowledge, resolve), from the ledger."""
    user = api_user(request)
    return history_out(selectors.get_alert(user, public_id), user)


@router.post("/{public_id}/acknowledge", response=AlertOut, url_name="alert_acknowledge")
def alert_acknowledge(request: HttpRequest, public_id: str) -> dict[str, Any]:
    """Take the alert: its escalation stops. Repeating it changes nothing."""
    user = api_user(request)
    alert = selectors.get_alert(user, public_id)
    services.alert_acknowledge(actor=user, alert=alert)
    return alert_out(selectors.get_alert(user, public_id))


@router.post("/{public_id}/resolve", response=AlertOut, url_name="alert_resolve")
def alert_resolve(
    request: HttpRequest, public_id: str, payload: ResolveIn | None = None
) -> dict[str, Any]:
    user = api_user(request)
    alert = selectors.get_alert(user, public_id)
    services.alert_resolve(actor=user, alert=alert, note=payload.note if payload else "")
    return alert_out(selectors.get_alert(user, public_id))


@router.get(
    "/{public_id}/cap",
    url_name="alert_cap",
    summary="The alert as CAP 1.2 XML (application/cap+xml)",
    response={200: None},
)
def alert_cap(request: HttpRequest, public_id: str) -> HttpResponse:
    alert = selectors.get_alert(api_user(request), public_id)
    body = cap.alert_cap(alert, web_url=request.build_absolute_uri(alert.get_absolute_url()))
    return HttpResponse(body, content_type=cap.CONTENT_TYPE)
