"""The Django admin for monitoring: read-mostly, and every write through the services.

Observations, check-ins and attachments are records of what was seen and
reported: the admin shows them and never edits them. An incident's status,
responsible party and notes can be changed here, through the same services
as the incident page and the API (version check and ledger entry included).
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from truce.core.admin import AdministratorsOnly
from truce.core.errors import DomainError
from truce.core.models import Party, User
from truce.monitoring import services
from truce.monitoring.models import Attachment, CheckIn, Incident, Observation


class ReadOnly(AdministratorsOnly):
    """Viewable by mission administrators; added and changed only through the services."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttachmentInline(ReadOnly, admin.TabularInline):
    model = Attachment
    fields = ("original_name", "content_type", "size_bytes", "sha256", "created_at")
    readonly_fields = fields
    extra = 0


@admin.register(Observation)
class ObservationAdmin(ReadOnly, admin.ModelAdmin):
    list_display = (
        "observed_at",
        "type",
        "count",
        "observer_kind",
        "observer_post",
        "zone",
        "incident",
        "reporting_party",
    )
    list_select_related = ("observer_post", "zone", "incident", "reporting_party")
    list_filter = ("type", "observer_kind", "is_deleted")
    search_fields = ("=client_uuid", "=public_id", "observer_label", "text")
    date_hierarchy = "observed_at"
    # Counting millions of rows on every page load would make the list crawl.
    show_full_result_count = False
    raw_id_fields = ("observer_post", "zone", "incident", "reporter", "reporting_party")
    inlines = (AttachmentInline,)


@admin.register(CheckIn)
class CheckInAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("post", "checked_in_at", "status", "reporter", "note")
    list_select_related = ("post", "reporter")
    list_filter = ("status",)
    date_hierarchy = "checked_in_at"
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("original_name", "observation", "content_type", "size_bytes", "created_at")
    list_select_related = ("observation",)
    search_fields = ("=sha256", "original_name")
    raw_id_fields = ("observation",)


class IncidentAdminForm(forms.ModelForm):
    """Status, responsible party, resolution and a new note, written by the incident services."""

    new_note = forms.CharField(
        label=_("Add a note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    # The version the editor loaded: if someone saved since, the write is refused.
    expected_version = forms.IntegerField(widget=forms.HiddenInput)

    request: ClassVar[HttpRequest]

    class Meta:
        model = Incident
        fields = ("status", "responsible_party", "resolution")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.written: Incident | None = None
        self.fields["expected_version"].initial = self.instance.version
        party = self.fields["responsible_party"]
        assert isinstance(party, forms.ModelChoiceField)
        # Only a side can be named responsible (the service checks again).
        party.queryset = Party.objects.filter(is_deleted=False, scope__in=["side_a", "side_b"])

    def _post_clean(self) -> None:
        # The services validate and write; ModelForm's own model validation is skipped.
        if self.errors:
            return
        try:
            self.written = self._write()
        except DomainError as exc:
            field = exc.field if exc.field in self.fields else None
            if exc.field in {"version", "expected_version"}:
                field = None
            self.add_error(field, exc.message)

    def _write(self) -> Incident:
        actor = cast(User, self.request.user)
        data = self.cleaned_data
        incident = Incident.objects.get(pk=self.instance.pk)
        version = data["expected_version"]
        if {"status", "responsible_party", "resolution"} & set(self.changed_data):
            incident = services.incident_set_status(
                actor=actor,
                incident=incident,
                status=data["status"],
                expected_version=version,
                responsible_party=party.code if (party := data.get("responsible_party")) else None,
                resolution=data.get("resolution") or None,
            )
            version = incident.version
        if data.get("new_note"):
            incident = services.incident_add_note(
                actor=actor, incident=incident, text=data["new_note"], expected_version=version
            )
        return incident


@admin.register(Incident)
class IncidentAdmin(AdministratorsOnly, admin.ModelAdmin):
    form = IncidentAdminForm
    list_display = (
        "reference",
        "type",
        "started_at",
        "status",
        "severity",
        "zone",
        "observation_count",
        "killed",
        "injured",
    )
    list_select_related = ("zone",)
    list_filter = ("status", "severity", "type", "grouped_by_hand", "is_deleted")
    search_fields = ("=reference", "=public_id", "notes")
    date_hierarchy = "started_at"
    show_full_result_count = False
    readonly_fields = (
        "reference",
        "public_id",
        "version",
        "type",
        "started_at",
        "ended_at",
        "geometry",
        "position_method",
        "uncertainty_m",
        "zone",
        "nearest_settlement",
        "settlement_distance_m",
        "severity",
        "grouped_by_hand",
        "notes",
        "observation_count",
        "killed",
        "injured",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "type",
                    "status",
                    "responsible_party",
                    "resolution",
                    "new_note",
                )
            },
        ),
        (
            _("Derived from the observations"),
            {
                "fields": (
                    "started_at",
                    "ended_at",
                    "severity",
                    "geometry",
                    "position_method",
                    "uncertainty_m",
                    "zone",
                    "nearest_settlement",
                    "settlement_distance_m",
                    "observation_count",
                    "killed",
                    "injured",
                    "grouped_by_hand",
                )
            },
        ),
        (_("Notes"), {"fields": ("notes",)}),
        (
            _("System"),
            {
                "fields": ("public_id", "version", "created_at", "updated_at", "expected_version"),
                "classes": ["collapse"],
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # Incidents come from grouping observations, never from a blank form.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        base = super().get_form(request, obj, change=change, **kwargs)
        return type(base.__name__, (base,), {"request": request})

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        return form.written

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing to do: the form wrote the incident through the services."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Incidents have no inlines to save."""
