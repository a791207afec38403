"""The Django admin for mission administrators, on the same write path as everything else.

The admin never saves a registry row itself. Its form calls the service
(truce.core.services -> truce.core.records -> ledger, in one transaction)
while the form is validated, so a DomainError from the service shows on the
field it names instead of as a server error; `save_model` then has nothing
left to do. Deletion is a tombstone through `services.registry_delete`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import SetPasswordMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from truce.core import services
from truce.core.errors import DomainError
from truce.core.forms import SCOPE_LABELS
from truce.core.models import (
    AdminArea,
    Facility,
    Organisation,
    Party,
    Record,
    Settlement,
    User,
    Zone,
)
from truce.core.permissions import is_administrator
from truce.core.records import record_create, record_update
from truce.core.sharing import SHARE_COLUMNS

SHAREABLE = [(scope.value, SCOPE_LABELS[scope.value]) for scope in SHARE_COLUMNS]
SYSTEM_FIELDS = (
    "public_id",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "is_deleted",
    "deleted_at",
)
GEO_SYSTEM_FIELDS = ("min_lon", "min_lat", "max_lon", "max_lat")
PROVENANCE_FIELDS = ("source", "confidence")

admin.site.site_header = _("Truce administration")
admin.site.site_title = _("Truce administration")
admin.site.index_title = _("Registries and accounts")


def _site_has_permission(request: HttpRequest) -> bool:
    # Staff status alone is not enough: only mission administrators (and
    # superusers) may enter, whoever else was once given is_staff.
    return is_administrator(request.user)


admin.site.has_permission = _site_has_permission  # type: ignore[method-assign]


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


class AdministratorsOnly:
    """Every permission of an admin page: mission administrators and superusers only."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)


# --- registry records --------------------------------------------------------------------


class RecordAdminForm(forms.ModelForm):
    """Edits a record and writes it through its service during validation."""

    visibility = forms.MultipleChoiceField(
        label=_("Shared with"),
        choices=SHAREABLE,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The mission always sees every record."),
    )
    # The version the editor loaded: if someone saved since, the write is refused.
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    # Set by RecordAdmin.get_form for the request at hand.
    record_admin: ClassVar[RecordAdmin]
    request: ClassVar[HttpRequest]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.written: Record | None = None
        if self.instance.pk is not None:
            self.fields["visibility"].initial = [
                name for name in self.instance.visibility if name != "mission"
            ]
            self.fields["expected_version"].initial = self.instance.version

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        if self.errors:
            return
        try:
            self.written = self._write()
        except DomainError as exc:
            self._add_domain_error(exc)

    def _write(self) -> Record:
        actor = _actor(self.request)
        visibility = list(self.cleaned_data.get("visibility") or [])
        model_fields = {f.name for f in self._meta.model._meta.fields}
        if self.instance._state.adding:
            fields = {k: v for k, v in self.cleaned_data.items() if k in model_fields}
            return self.record_admin.create_record(
                actor=actor, fields=fields, visibility=visibility
            )
        changes = {k: self.cleaned_data[k] for k in self.changed_data if k in model_fields}
        visibility_changed = "visibility" in self.changed_data
        original = type(self.instance)._default_manager.get(pk=self.instance.pk)
        if not changes and not visibility_changed:
            # Saving an unchanged form writes no empty version.
            return cast(Record, original)
        return self.record_admin.update_record(
            actor=actor,
            record=original,
            expected_version=self.cleaned_data.get("expected_version"),
            changes=changes,
            visibility=visibility if visibility_changed else None,
        )

    def _add_domain_error(self, exc: DomainError) -> None:
        field = exc.field if exc.field in self.fields else None
        if exc.field == "version":
            message = _("Someone else saved this record meanwhile: %(detail)s") % {
                "detail": exc.message
            }
            self.add_error(None, message)
            return
        self.add_error(field, exc.message if field else f"{exc.field or ''} {exc.message}".strip())


class RecordAdmin(AdministratorsOnly, admin.ModelAdmin):
    """Shared behaviour of the registry admins; subclasses name their services."""

    form = RecordAdminForm
    exclude = tuple(SHARE_COLUMNS.values())
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        extra = GEO_SYSTEM_FIELDS if hasattr(self.model, "geometry") else ()
        return (*SYSTEM_FIELDS, *extra)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        base = super().get_form(request, obj, change=change, **kwargs)
        return type(base.__name__, (base,), {"record_admin": self, "request": request})

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        # The record's own fields first; who sees it, where it came from, and
        # the fields the system keeps (read-only) after.
        fields = list(self.get_fields(request, obj))
        sharing = [f for f in fields if f == "visibility"]
        provenance = [f for f in fields if f in PROVENANCE_FIELDS]
        system = [f for f in fields if f in SYSTEM_FIELDS or f in GEO_SYSTEM_FIELDS]
        own = [f for f in fields if f not in {*sharing, *provenance, *system}]
        return [
            (None, {"fields": own}),
            (_("Sharing"), {"fields": sharing}),
            (_("Provenance"), {"fields": provenance}),
            (_("System"), {"fields": system, "classes": ["collapse"]}),
        ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if isinstance(related, type) and issubclass(related, Record):
            # A tombstoned record is no longer something to point at.
            kwargs["queryset"] = related._default_manager.filter(is_deleted=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A tombstone is history: it can be viewed, not edited.
        deleted = bool(obj is not None and obj.is_deleted)
        return super().has_change_permission(request, obj) and not deleted

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        deleted = bool(obj is not None and obj.is_deleted)
        return super().has_delete_permission(request, obj) and not deleted

    # The write path: each admin names its model's services; the form calls
    # them while validating, so the hooks below only hand the result back.
    create_service: ClassVar[Any] = None
    update_service: ClassVar[Any] = None
    # The keyword under which the update service takes the record (zone=, area=...).
    update_argument: ClassVar[str] = "record"

    def create_record(
        self, *, actor: User, fields: Mapping[str, Any], visibility: list[str]
    ) -> Record:
        record: Record = self.create_service(actor=actor, fields=fields, visibility=visibility)
        return record

    def update_record(
        self,
        *,
        actor: User,
        record: Any,
        expected_version: int | None,
        changes: Mapping[str, Any],
        visibility: list[str] | None,
    ) -> Record:
        updated: Record = self.update_service(
            actor=actor,
            expected_version=expected_version,
            changes=changes,
            visibility=visibility,
            **{self.update_argument: record},
        )
        return updated

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        return form.written

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing to do: RecordAdminForm wrote `obj` through the service, ledger included."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Registry records have no many-to-many fields or inlines."""

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        try:
            services.registry_delete(
                actor=_actor(request),
                record=obj,
                expected_version=obj.version,
                reason="deleted in the admin",
            )
        except DomainError as exc:
            raise DjangoPermissionDenied(exc.message) from exc

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # One tombstone (and ledger entry) per record, as a single delete would.
        for obj in queryset.filter(is_deleted=False):
            self.delete_model(request, obj)


@admin.register(Party)
class PartyAdmin(RecordAdmin):
    list_display = ("code", "name", "scope", "version", "is_deleted")
    list_filter = ("is_deleted",)
    search_fields = ("code", "name")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Changing a party's scope would change at once what all its users see.
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "scope") if obj is not None else fields

    def create_record(
        self, *, actor: User, fields: Mapping[str, Any], visibility: list[str]
    ) -> Record:
        services.ensure_registry_editor(actor)
        return record_create(actor=actor, model=Party, fields=fields, visibility=visibility)

    def update_record(
        self,
        *,
        actor: User,
        record: Any,
        expected_version: int | None,
        changes: Mapping[str, Any],
        visibility: list[str] | None,
    ) -> Record:
        services.ensure_registry_editor(actor)
        return record_update(
            actor=actor,
            record=record,
            expected_version=expected_version,
            changes=changes,
            visibility=visibility,
        )


@admin.register(Organisation)
class OrganisationAdmin(RecordAdmin):
    list_display = ("code", "name", "acronym", "party", "kind", "version", "is_deleted")
    list_select_related = ("party",)
    list_filter = ("party", "is_deleted")
    search_fields = ("code", "name", "acronym")
    create_service = staticmethod(services.organisation_create)
    update_service = staticmethod(services.organisation_update)
    update_argument = "organisation"


@admin.register(AdminArea)
class AdminAreaAdmin(RecordAdmin):
    list_display = ("pcode", "display_name", "level", "parent", "version", "is_deleted")
    list_select_related = ("parent",)
    list_filter = ("level", "is_deleted")
    search_fields = ("pcode", "display_name", "name_en", "name_ru", "name_hy", "name_az")
    create_service = staticmethod(services.admin_area_create)
    update_service = staticmethod(services.admin_area_update)
    update_argument = "area"


@admin.register(Settlement)
class SettlementAdmin(RecordAdmin):
    list_display = (
        "pcode",
        "display_name",
        "kind",
        "admin_area",
        "location_approximate",
        "is_deleted",
    )
    list_select_related = ("admin_area",)
    list_filter = ("kind", "location_approximate", "is_deleted")
    search_fields = ("pcode", "display_name", "name_en", "name_ru", "name_hy", "name_az")
    create_service = staticmethod(services.settlement_create)
    update_service = staticmethod(services.settlement_update)
    update_argument = "settlement"


@admin.register(Zone)
class ZoneAdmin(RecordAdmin):
    list_display = ("code", "name", "kind", "battalion", "version", "is_deleted")
    list_filter = ("kind", "is_deleted")
    search_fields = ("code", "name", "battalion")
    create_service = staticmethod(services.zone_create)
    update_service = staticmethod(services.zone_update)
    update_argument = "zone"


@admin.register(Facility)
class FacilityAdmin(RecordAdmin):
    list_display = ("code", "name", "kind", "op_role", "battalion", "zone", "is_deleted")
    list_select_related = ("zone",)
    list_filter = ("kind", "op_role", "is_deleted")
    search_fields = ("code", "name", "battalion")
    create_service = staticmethod(services.facility_create)
    update_service = staticmethod(services.facility_update)
    update_argument = "facility"


# --- accounts ----------------------------------------------------------------------------


class UserAddForm(SetPasswordMixin, forms.ModelForm):
    """A new account, created by services.user_create (which records it in the ledger)."""

    full_name = forms.CharField(label=_("Full name"), required=False, max_length=300)
    password1, password2 = SetPasswordMixin.create_password_fields()

    request: ClassVar[HttpRequest]

    class Meta:
        model = User
        fields = ("username", "email", "party", "organisation", "roles")
        widgets: ClassVar[dict[str, Any]] = {"roles": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.written: User | None = None

    def clean(self) -> dict[str, Any]:
        self.validate_passwords()
        return cast(dict[str, Any], super().clean())

    def _post_clean(self) -> None:
        # Skip ModelForm's own model validation: the service validates, and
        # reports the field at fault.
        if self.errors:
            return
        data = self.cleaned_data
        try:
            self.written = services.user_create(
                actor=_actor(self.request),
                username=data["username"],
                party=data["party"],
                organisation=data.get("organisation"),
                roles=[role.code for role in data.get("roles") or []],
                password=data.get("password1"),
                email=data.get("email") or "",
                full_name=data.get("full_name") or "",
            )
        except DomainError as exc:
            field = exc.field if exc.field in self.fields else None
            self.add_error("password1" if exc.field == "password" else field, exc.message)


class UserChangeForm(forms.ModelForm):
    """Roles, organisation, status and contact details, written by services.user_update.

    The party is shown but fixed: someone who moves to another party gets a
    new account, so what each account saw stays attributable to one party.
    """

    full_name = forms.CharField(label=_("Full name"), required=False, max_length=300)

    request: ClassVar[HttpRequest]

    class Meta:
        model = User
        fields = ("email", "organisation", "roles", "is_active")
        widgets: ClassVar[dict[str, Any]] = {"roles": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.written: User | None = None
        if self.instance.pk:
            self.fields["full_name"].initial = self.instance.get_full_name()

    def _post_clean(self) -> None:
        if self.errors:
            return
        data = self.cleaned_data
        try:
            self.written = services.user_update(
                actor=_actor(self.request),
                user=self.instance,
                roles=[role.code for role in data.get("roles") or []],
                organisation=data.get("organisation"),
                is_active=bool(data.get("is_active")),
                email=data.get("email") or "",
                full_name=data.get("full_name") or "",
            )
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)


@admin.register(User)
class UserAdmin(AdministratorsOnly, DjangoUserAdmin):
    """Accounts: who belongs to which party, with which roles.

    New accounts go through services.user_create and changes through
    services.user_update, so each is a ledger entry. Accounts are deactivated,
    never deleted.
    """

    form = UserChangeForm
    add_form = UserAddForm
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "username",
                    "full_name",
                    "email",
                    "party",
                    "organisation",
                    "roles",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    fieldsets = (
        (None, {"fields": ("username", "full_name", "email")}),
        (_("Party and roles"), {"fields": ("party", "organisation", "roles")}),
        (
            _("Status"),
            {"fields": ("is_active", "is_staff", "is_superuser", "last_login", "date_joined")},
        ),
    )
    readonly_fields = ("username", "party", "is_staff", "is_superuser", "last_login", "date_joined")
    list_display = ("username", "full_name", "party", "organisation", "role_list", "is_active")
    list_select_related = ("party", "organisation")
    list_filter = ("party", "roles", "is_active")
    search_fields = ("username", "first_name", "last_name", "email")
    filter_horizontal = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description=_("Full name"))
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description=_("Roles"))
    def role_list(self, obj: User) -> str:
        return ", ".join(str(role) for role in obj.roles.all())

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        base = super().get_form(request, obj, change=change, **kwargs)
        return type(base.__name__, (base,), {"request": request})

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        return form.written

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing to do: UserAddForm created the account through services.user_create."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Roles were set by the service."""
