"""The ledger in the admin: read-only, for administrators, never added to or changed here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from truce.core.permissions import is_administrator
from truce.ledger.models import LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = (
        "seq",
        "recorded_at",
        "actor",
        "action",
        "record_type",
        "record_id",
        "record_version",
    )
    list_filter = ("action", "record_type")
    search_fields = ("record_id", "actor")
    readonly_fields = (
        "seq",
        "recorded_at",
        "actor",
        "action",
        "record_type",
        "record_id",
        "record_version",
        "payload",
        "prev_hash",
        "entry_hash",
    )
    date_hierarchy = "recorded_at"
    # Counting a long ledger for every page is slow and tells nobody anything.
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
