"""Scenario section `alert_rules`: the rules a scenario's duty officers start with.

    actor: admin                   # who keeps the rules (a mission administrator or duty officer)
    source: <default source of every rule below>
    rules:
      - name: Three explosions in one zone within 30 minutes
        kind: threshold
        params: {count: 3, window_minutes: 30, types: [explosion_impact, ...]}
        severity: high
        escalation: [[duty_officer, 15], [administrator, 30]]
        description: ...

Rules are matched by name (a rule's natural key within a scenario): a second load of
the same data writes nothing; a changed rule gets a new version through
alert_rule_update. Rules are the mission's own: visibility, if given, must be [mission].
Parameters, escalation chains and recipients are checked with the alerting app's own
validators (truce.alerts.rules) before anything is written, so a bad rule stops the load
naming its field, e.g. `params.window_minutes` or `escalation.1.minutes`.
"""

from __future__ import annotations

from typing import Any

from truce.alerts import rules
from truce.alerts.models import AlertRule, RuleKind
from truce.alerts.services import alert_rule_create, alert_rule_update
from truce.core.errors import InvalidInput
from truce.core.models import RoleCode, Settlement, Zone
from truce.core.scenario import (
    Item,
    LoadContext,
    Outcome,
    Raw,
    Section,
    SectionType,
    register_section,
    sync_record,
    yaml_entries,
)
from truce.core.sharing import Scope
from truce.monitoring.models import Severity
from truce.monitoring.scenario import account, checked_user

RULE_KEYS = {
    "name",
    "kind",
    "params",
    "zone",
    "severity",
    "escalation",
    "recipients",
    "active",
    "description",
    "source",
    "visibility",
}
KEEPER_ROLES = (RoleCode.ADMINISTRATOR.value, RoleCode.DUTY_OFFICER.value)


def _checked(raw: Raw, check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except InvalidInput as exc:
        raise raw.error(exc.message, exc.field) from None


def _params(ctx: LoadContext, raw: Raw, kind: str) -> dict[str, Any]:
    params = raw.data.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise raw.error("must be a mapping of the kind's parameters", "params")
    # Settlements named by P-code may be declared by this very load, so they are
    # checked against the load's declarations here, not by the validator's query.
    pcodes = params.get("settlements")
    rest = {k: v for k, v in params.items() if k != "settlements"}
    cleaned: dict[str, Any] = _checked(raw, rules.clean_params, kind, rest)
    if pcodes is not None:
        if kind != RuleKind.PROXIMITY or cleaned.get("target") != rules.TARGET_SETTLEMENT:
            raise raw.error("settlements apply only to target settlement", "params.settlements")
        if not isinstance(pcodes, list) or not all(isinstance(p, str) and p for p in pcodes):
            raise raw.error("must be a list of P-codes", "params.settlements")
        for pcode in pcodes:
            if not ctx.known("settlement", pcode, Settlement, "pcode"):
                raise raw.error(f"unknown settlement P-code {pcode!r}", "params.settlements")
        cleaned["settlements"] = sorted(set(pcodes))
    return cleaned


def _rule(ctx: LoadContext, raw: Raw, default_source: str) -> dict[str, Any]:
    name = raw.text("name", required=True, max_length=200)
    raw.keyed("name", name)
    raw.only(RULE_KEYS)
    kind = raw.choice("kind", RuleKind.values)
    zone = raw.text("zone")
    if zone and not ctx.known("zone", zone, Zone, "code"):
        raise raw.error(f"unknown zone {zone!r}", "zone")
    if raw.data.get("visibility") not in (None, "") and raw.visibility() != [Scope.MISSION.value]:
        raise raw.error("alert rules are seen by the mission only: [mission]", "visibility")
    return {
        "name": name,
        "kind": kind,
        "params": _params(ctx, raw, kind),
        "zone": zone or None,
        "severity": raw.choice("severity", Severity.values, required=False) or Severity.MEDIUM,
        "escalation": _checked(raw, rules.clean_escalation, raw.data.get("escalation")),
        "recipients": _checked(raw, rules.clean_recipients, raw.data.get("recipients")),
        "active": raw.flag("active", default=True),
        "description": raw.text("description"),
        "source": raw.text("source", max_length=500) or default_source,
    }


def parse_alert_rules(ctx: LoadContext, section: Section) -> list[Item]:
    entries = yaml_entries(section, "rules")
    document = entries[0][1] if entries else {}
    unknown = sorted(set(document) - {"actor", "source", "rules"})
    if unknown:
        raise section.error("unknown key; expected actor, source, rules", field=unknown[0])
    head = Raw(section.file, "header", document)
    actor = checked_user(
        ctx,
        head,
        "actor",
        scopes=[Scope.MISSION.value],
        roles=KEEPER_ROLES,
        what="keeping alert rules",
    )
    default_source = head.text("source", max_length=500)
    items = []
    for raw, _ in entries:
        fields = _rule(ctx, raw, default_source)
        item = Item(
            file=raw.file,
            label=raw.label,
            key=fields["name"],
            fields=fields,
            visibility=[Scope.MISSION.value],
            extra={"actor": actor, "params_as_given": raw.data.get("params") or {}},
        )
        ctx.declare("alert_rule", item)
        items.append(item)
    return items


def _as_given(item: Item, fields: dict[str, Any]) -> dict[str, Any]:
    # The services normalise params themselves and do not accept every normalised
    # form back (an empty `types` list); records are compared in the normalised form.
    if "params" not in fields:
        return fields
    return {**fields, "params": item.extra["params_as_given"]}


def write_alert_rule(ctx: LoadContext, item: Item) -> Outcome:
    actor = account(item.extra["actor"])
    return sync_record(
        item,
        model=AlertRule,
        key_field="name",
        create=lambda fields, vis: alert_rule_create(
            actor=actor, fields=_as_given(item, fields), visibility=vis
        ),
        update=lambda rule, changes, vis: alert_rule_update(
            actor=actor,
            rule=rule,
            expected_version=rule.version,
            changes=_as_given(item, changes),
            visibility=vis,
        ),
    )


register_section(
    SectionType("alert_rules", parse_alert_rules, write_alert_rule, "Alert rules (YAML)")
)
