"""Scenario section of the exchanges of detainees and remains: `detainees.exchanges`.

One YAML file holds the sides' lists (each with its cases) and the exchanges:

    source: <default source of every record below>
    lists:
      - key: a-held
        side: side-a            # party code
        kind: held              # held | sought
        intermediary: icrc      # organisation code (an agency)
        title: ...
        submitted_on: 2020-12-01
        by: liaison-a           # who hands the list in (the side's liaison officer)
        cases:
          - {key: a-held-1, kind: person, full_name: ..., category: military,
             birth_year: 1999, unit: ..., event_place: ..., event_date: 2020-11-02,
             verified_by: icrc}
    exchanges:
      - key: demo-exchange
        planned_on: 2020-12-14
        crossing_point: ...
        intermediary: icrc
        by: icrc                # who plans it
        cases: [a-held-1, ...]  # one transfer each, in this order
        handed_over_by: icrc    # optional: the intermediary records every handover
        confirmed_by: {side-a: liaison-a, side-b: liaison-b}   # optional: both sides confirm

Everything is written through the services as the named users, so the load
exercises the same rules as real use. Records are matched by what identifies
them (a list by side, kind and title; a case by list, kind and name; an
exchange by date, crossing point and intermediary), and each step (verify,
hand over, confirm) is taken only if not yet taken, so a second load writes
nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from truce.core.errors import DomainError
from truce.core.models import Organisation, Party, User
from truce.core.scenario import (
    Item,
    LoadContext,
    Outcome,
    Raw,
    Section,
    SectionType,
    register_section,
    yaml_entries,
)
from truce.detainees import services
from truce.detainees.models import (
    Case,
    CaseKind,
    CaseStatus,
    Category,
    Exchange,
    ExchangeStatus,
    ListKind,
    SideList,
    Transfer,
    TransferStatus,
)

LIST_KEYS = {"key", "side", "kind", "intermediary", "title", "submitted_on", "by", "notes"}
LIST_KEYS |= {"cases", "source"}
CASE_KEYS = {"key", "kind", "full_name", "category", "birth_year", "unit", "event_place"}
CASE_KEYS |= {"event_date", "notes", "verified_by", "source"}
EXCHANGE_KEYS = {"key", "planned_on", "crossing_point", "intermediary", "by", "cases"}
EXCHANGE_KEYS |= {"handed_over_by", "confirmed_by", "notes", "source"}
NOTES_KEY = "detainees.cases"


def _known_user(ctx: LoadContext, raw: Raw, name: str, *, required: bool = True) -> str:
    username = raw.text(name, required=required, max_length=150)
    if username and not ctx.known("user", username, User, "username"):
        raise raw.error(f"unknown user {username!r} (list it in the users section)", name)
    return username


def _known(ctx: LoadContext, raw: Raw, name: str, namespace: str, model: Any) -> str:
    code = raw.text(name, required=True, max_length=40)
    if not ctx.known(namespace, code, model, "code"):
        raise raw.error(f"unknown {namespace} {code!r}", name)
    return code


def _required_date(raw: Raw, name: str) -> dt.date:
    value = raw.date(name)
    if value is None:
        raise raw.error("is required", name)
    return value


def _source(raw: Raw, default: str) -> str:
    source = raw.text("source", max_length=500) or default
    if not source:
        raise raw.error("is required: say where the record comes from", "source")
    return source


def _case(ctx: LoadContext, raw: Raw, list_item: Item, default_source: str) -> Item:
    key = raw.text("key", required=True, max_length=100)
    raw.keyed("key", key)
    raw.only(CASE_KEYS)
    kind = raw.choice("kind", CaseKind.values)
    full_name = raw.text("full_name", max_length=200)
    if kind == CaseKind.PERSON and not full_name:
        raise raw.error("a person's case needs the person's name", "full_name")
    fields = {
        "kind": kind,
        "full_name": full_name,
        "category": raw.choice("category", Category.values, required=False) or "unknown",
        "birth_year": raw.integer("birth_year", minimum=1900),
        "unit": raw.text("unit", max_length=200),
        "event_place": raw.text("event_place", max_length=200),
        "event_date": raw.date("event_date"),
        "notes": raw.text("notes", max_length=5000),
        "source": _source(raw, default_source),
    }
    item = Item(
        file=raw.file,
        label=raw.label,
        key=key,
        fields=fields,
        extra={
            "kind": "case",
            "list": list_item.key,
            "by": list_item.extra["by"],
            "verified_by": _known_user(ctx, raw, "verified_by", required=False),
        },
    )
    ctx.declare("detainee_case", item)
    return item


def _list(ctx: LoadContext, raw: Raw, default_source: str) -> list[Item]:
    key = raw.text("key", required=True, max_length=100)
    raw.keyed("key", key)
    raw.only(LIST_KEYS)
    source = _source(raw, default_source)
    fields: dict[str, Any] = {
        "side": _known(ctx, raw, "side", "party", Party),
        "kind": raw.choice("kind", ListKind.values),
        "intermediary": _known(ctx, raw, "intermediary", "organisation", Organisation),
        "title": raw.text("title", required=True, max_length=200),
        "submitted_on": _required_date(raw, "submitted_on"),
        "notes": raw.text("notes", max_length=5000),
        "source": source,
    }
    item = Item(
        file=raw.file,
        label=raw.label,
        key=key,
        fields=fields,
        extra={"kind": "list", "by": _known_user(ctx, raw, "by")},
    )
    ctx.declare("detainee_list", item)
    cases = raw.data.get("cases") or []
    if not isinstance(cases, list):
        raise raw.error("must be a list of cases", "cases")
    items = [item]
    for number, entry in enumerate(cases, 1):
        if not isinstance(entry, dict):
            raise raw.error("each case must be a mapping", f"cases[{number}]")
        case_raw = Raw(raw.file, f"{raw.label} cases[{number}]", entry)
        items.append(_case(ctx, case_raw, item, source))
    return items


def _exchange(ctx: LoadContext, raw: Raw, default_source: str) -> Item:
    key = raw.text("key", required=True, max_length=100)
    raw.keyed("key", key)
    raw.only(EXCHANGE_KEYS)
    case_keys = raw.strings("cases")
    if not case_keys:
        raise raw.error("list the cases to transfer", "cases")
    for case_key in case_keys:
        if ctx.declared_item("detainee_case", case_key) is None:
            raise raw.error(f"no case {case_key!r} in the lists above", "cases")
    confirmed = raw.data.get("confirmed_by") or {}
    if not isinstance(confirmed, dict):
        raise raw.error("must map each side's party code to a user", "confirmed_by")
    for side, username in confirmed.items():
        if not ctx.known("party", str(side), Party, "code"):
            raise raw.error(f"unknown party {side!r}", "confirmed_by")
        if not ctx.known("user", str(username), User, "username"):
            raise raw.error(f"unknown user {username!r}", "confirmed_by")
    fields = {
        "planned_on": _required_date(raw, "planned_on"),
        "crossing_point": raw.text("crossing_point", required=True, max_length=200),
        "intermediary": _known(ctx, raw, "intermediary", "organisation", Organisation),
        "notes": raw.text("notes", max_length=5000),
        "source": _source(raw, default_source),
    }
    item = Item(
        file=raw.file,
        label=raw.label,
        key=key,
        fields=fields,
        extra={
            "kind": "exchange",
            "by": _known_user(ctx, raw, "by"),
            "cases": case_keys,
            "handed_over_by": _known_user(ctx, raw, "handed_over_by", required=False),
            "confirmed_by": {str(k): str(v) for k, v in confirmed.items()},
        },
    )
    ctx.declare("detainee_exchange", item)
    return item


def parse_exchanges(ctx: LoadContext, section: Section) -> list[Item]:
    items: list[Item] = []
    entries = yaml_entries(section, "lists")
    document = entries[0][1] if entries else {}
    default_source = document.get("source") or ""
    if not isinstance(default_source, str) or len(default_source) > 500:
        raise section.error("must be text of at most 500 characters", field="source")
    for raw, _ in entries:
        items.extend(_list(ctx, raw, default_source))
    exchanges = document.get("exchanges") or []
    if not isinstance(exchanges, list):
        raise section.error("must be a list", field="exchanges")
    for number, entry in enumerate(exchanges, 1):
        if not isinstance(entry, dict):
            raise section.error("each exchange must be a mapping", item=f"exchanges[{number}]")
        items.append(
            _exchange(ctx, Raw(section.file, f"exchanges[{number}]", entry), default_source)
        )
    return items


# --- writing ----------------------------------------------------------------------------


def _account(username: str) -> User:
    return User.objects.select_related("party", "organisation").get(username=username)


def _cases_of(ctx: LoadContext) -> dict[str, int]:
    found: dict[str, int] = ctx.notes.setdefault(NOTES_KEY, {})
    return found


def _write_list(ctx: LoadContext, item: Item) -> Outcome:
    fields = item.fields
    existing = SideList.objects.filter(
        side__code=fields["side"], kind=fields["kind"], title=fields["title"], is_deleted=False
    ).first()
    if existing is None:
        existing = services.list_create(actor=_account(item.extra["by"]), **fields)
        outcome: Outcome = "created"
    else:
        outcome = "unchanged"
    ctx.notes.setdefault("detainees.lists", {})[item.key] = existing.pk
    return outcome


def _write_case(ctx: LoadContext, item: Item) -> Outcome:
    side_list = SideList.objects.get(pk=ctx.notes["detainees.lists"][item.extra["list"]])
    fields = item.fields
    case = Case.objects.filter(
        side_list=side_list, kind=fields["kind"], full_name=fields["full_name"], is_deleted=False
    ).first()
    outcome: Outcome = "unchanged"
    if case is None:
        case = services.case_create(actor=_account(item.extra["by"]), side_list=side_list, **fields)
        outcome = "created"
    verifier = item.extra["verified_by"]
    if verifier and case.status == CaseStatus.LISTED:
        case = services.case_verify(
            actor=_account(verifier), case=case, expected_version=case.version
        )
        outcome = "created" if outcome == "created" else "updated"
    _cases_of(ctx)[item.key] = case.pk
    return outcome


def _write_exchange(ctx: LoadContext, item: Item) -> Outcome:
    fields = item.fields
    exchange = (
        Exchange.objects.filter(
            planned_on=fields["planned_on"],
            crossing_point=fields["crossing_point"],
            intermediary__code=fields["intermediary"],
            is_deleted=False,
        )
        .exclude(status=ExchangeStatus.CANCELLED)
        .first()
    )
    outcome: Outcome = "unchanged"
    if exchange is None:
        cases = Case.objects.in_bulk([_cases_of(ctx)[k] for k in item.extra["cases"]])
        ordered = [cases[_cases_of(ctx)[k]] for k in item.extra["cases"]]
        exchange = services.exchange_create(
            actor=_account(item.extra["by"]), cases=ordered, **fields
        )
        outcome = "created"
    moved = _advance_transfers(exchange, item)
    if moved and outcome == "unchanged":
        outcome = "updated"
    return outcome


def _advance_transfers(exchange: Exchange, item: Item) -> bool:
    """Hand over and confirm each transfer as far as the data says; True if anything moved."""
    moved = False
    handler = item.extra["handed_over_by"]
    confirmers = item.extra["confirmed_by"]
    for transfer in Transfer.objects.filter(exchange=exchange).order_by("number"):
        if handler and transfer.status == TransferStatus.PENDING:
            transfer = services.transfer_hand_over(
                actor=_account(handler), transfer=transfer, expected_version=transfer.version
            )
            moved = True
        for side, username in confirmers.items():
            transfer = Transfer.objects.select_related("from_side", "to_side").get(pk=transfer.pk)
            if transfer.status != TransferStatus.HANDED_OVER:
                break
            owed = (transfer.from_side.code == side and transfer.released_confirmed_at is None) or (
                transfer.to_side.code == side and transfer.received_confirmed_at is None
            )
            if owed:
                services.transfer_confirm(
                    actor=_account(username),
                    transfer=transfer,
                    side=side,
                    expected_version=transfer.version,
                )
                moved = True
    return moved


def write_exchanges(ctx: LoadContext, item: Item) -> Outcome:
    writers = {"list": _write_list, "case": _write_case, "exchange": _write_exchange}
    try:
        return writers[item.extra["kind"]](ctx, item)
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None


register_section(
    SectionType(
        "detainees.exchanges",
        parse_exchanges,
        write_exchanges,
        "Lists of detainees and remains per side, and their exchanges through the ICRC (YAML)",
    )
)
