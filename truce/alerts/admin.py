"""Alert rules in the Django admin, on the same write path as the API.

The form writes through services.alert_rule_create / alert_rule_update while
it validates (truce.core.admin.RecordAdmin), so a bad parameter shows on the
field it names and every save is a ledger entry. Alerts are shown read-only;
the two actions acknowledge and resolve them through the services too.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from truce.alerts import services
from truce.alerts.models import Alert, AlertRule
from truce.core.admin import AdministratorsOnly, RecordAdmin, RecordAdminForm, _actor
from truce.core.errors import DomainError


class AlertRuleForm(RecordAdminForm):
    # Rules are mission-only: the sharing choice is kept (the base form
    # expects it) but offers nothing and is not shown.
    visibility = forms.MultipleChoiceField(
        required=False, choices=[], widget=forms.MultipleHiddenInput
    )

    def _add_domain_error(self, exc: DomainError) -> None:
        # "params.window_minutes" belongs on the params box, with its full name.
        base = (exc.field or "").split(".", 1)[0]
        if exc.field and base in self.fields and base != exc.field:
            self.add_error(base, f"{exc.field}: {exc.message}")
            return
        super()._add_domain_error(exc)


@admin.register(AlertRule)
class AlertRuleAdmin(RecordAdmin):
    form = AlertRuleForm
    list_display = ("name", "kind", "zone", "severity", "active", "version", "is_deleted")
    list_select_related = ("zone",)
    list_filter = ("kind", "severity", "active", "is_deleted")
    search_fields = ("name", "description")
    create_service = staticmethod(services.alert_rule_create)
    update_service = staticmethod(services.alert_rule_update)
    update_argument = "rule"

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return [
            (title, options)
            for title, options in super().get_fieldsets(request, obj)
            if "visibility" not in options["fields"]
        ]

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        try:
            services.alert_rule_delete(
                actor=_actor(request),
                rule=obj,
                expected_version=obj.version,
                reason="deleted in the admin",
            )
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)


@admin.register(Alert)
class AlertAdmin(AdministratorsOnly, admin.ModelAdmin):
    list_display = ("title", "kind", "severity", "status", "current_role", "raised_at")
    list_filter = ("status", "kind", "severity", "escalation_level")
    list_select_related = ("rule",)
    search_fields = ("title", "message", "dedup_key")
    date_hierarchy = "raised_at"
    actions = ("acknowledge", "resolve")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _answer(self, request: HttpRequest, queryset: QuerySet[Alert], resolve: bool) -> None:
        done = 0
        for alert in queryset:
            try:
                if resolve:
                    services.alert_resolve(actor=_actor(request), alert=alert, note="admin")
                else:
                    services.alert_acknowledge(actor=_actor(request), alert=alert)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{alert}: {exc.message}", level=messages.WARNING)
        self.message_user(request, _("%(n)d alert(s) updated.") % {"n": done})

    @admin.action(description=_("Acknowledge the selected alerts"))
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        self._answer(request, queryset, resolve=False)

    @admin.action(description=_("Resolve the selected alerts"))
    def resolve(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        self._answer(request, queryset, resolve=True)
