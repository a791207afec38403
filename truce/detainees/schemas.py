"""Request and response shapes of the detainees API (documentation and validation)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from truce.core.schemas import PageQuery, RecordOut


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class Expected(_In):
    expected_version: int = Field(description="The version the change was made from.")


class ListIn(_In):
    side: str = Field(description="The side's party code (or side_a / side_b).")
    kind: str = Field(description="held or sought.")
    intermediary: str = Field("icrc", description="Organisation code of the intermediary.")
    title: str
    submitted_on: dt.date
    notes: str = ""
    source: str = ""


class CaseIn(_In):
    side_list: str = Field(description="Public id of the side list.")
    kind: str = Field(description="person or remains.")
    category: str = Field("unknown", description="military, civilian or unknown.")
    full_name: str = ""
    birth_year: int | None = None
    unit: str = ""
    event_place: str = Field("", description="Where captured or where died.")
    event_date: dt.date | None = Field(None, description="When captured or when died.")
    notes: str = ""
    source: str = ""


class CasePatch(Expected):
    kind: str | None = None
    category: str | None = None
    full_name: str | None = None
    birth_year: int | None = None
    unit: str | None = None
    event_place: str | None = None
    event_date: dt.date | None = None
    notes: str | None = None
    source: str | None = None


class WithReason(Expected):
    reason: str


class ExchangeIn(_In):
    planned_on: dt.date
    crossing_point: str
    intermediary: str = "icrc"
    cases: list[str] = Field(description="Public ids of verified cases, one transfer each.")
    notes: str = ""
    source: str = ""


class ConfirmIn(Expected):
    side: str = Field(description="The confirming side's party code (or side_a / side_b).")


class CaseFilters(PageQuery):
    side_list: str | None = Field(None, description="Public id of a side list.")
    status: str | None = None
    kind: str | None = None


class StatusFilters(PageQuery):
    status: str | None = None


class TransferFilters(PageQuery):
    exchange: str | None = None
    status: str | None = None


class ListOut(RecordOut):
    reference: str
    side: str
    kind: str
    intermediary: str
    title: str
    submitted_on: str
    notes: str


class CaseOut(RecordOut):
    reference: str
    side_list: str
    side: str
    kind: str
    category: str
    status: str
    full_name: str | None
    birth_year: int | None
    unit: str | None
    event_place: str | None
    event_date: str | None
    notes: str | None
    verified_at: str | None
    redacted: list[str] = Field(description="Personal fields withheld from this reader.")


class TransferOut(RecordOut):
    reference: str
    exchange: str
    number: int
    case: str
    case_reference: str
    case_kind: str
    full_name: str | None
    from_side: str
    to_side: str
    status: str
    handed_over_at: str | None
    handed_over_by: str | None
    released_confirmed_at: str | None
    released_confirmed_by: str | None
    received_confirmed_at: str | None
    received_confirmed_by: str | None


class ExchangeOut(RecordOut):
    reference: str
    planned_on: str
    crossing_point: str
    intermediary: str
    status: str
    completed_at: str | None
    notes: str


class ExchangeDetailOut(ExchangeOut):
    transfers: list[TransferOut]


class SummaryOut(Schema):
    cases: int
    cases_by_status: dict[str, int]
    cases_by_kind: dict[str, int]
    exchanges_by_status: dict[str, int]
    transfers_by_status: dict[str, int]
    confirmations_pending: int
