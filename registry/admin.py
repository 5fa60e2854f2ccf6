"""Admin for moderators: everything browsable; published versions and their files read-only."""

import yaml
from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from registry import models
from registry.errors import RegistryError
from registry.services import external_listings


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(models.Publisher)
class PublisherAdmin(admin.ModelAdmin):
    list_display = ["slug", "display_name", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["slug", "display_name"]
    inlines = [MembershipInline]


class RefInline(admin.TabularInline):
    model = models.Ref
    extra = 0
    fields = ["name", "kind", "version", "updated_at"]
    readonly_fields = ["updated_at"]
    raw_id_fields = ["version"]


@admin.register(models.ModelRepository)
class ModelRepositoryAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "industry",
        "task",
        "license",
        "visibility",
        "gating",
        "kind",
        "base_model_relation",
        "downloads",
        "updated_at",
    ]
    list_filter = ["industry", "visibility", "gating", "license", "kind", "base_model_relation"]
    search_fields = ["name", "namespace__slug", "description"]
    list_select_related = ["namespace"]
    readonly_fields = ["base_model", "base_model_relation"]  # copied from the card at publication
    inlines = [RefInline]

    def get_urls(self):
        extra = [
            path(
                "add-external-listing/",
                self.admin_site.admin_view(self.add_external_listing_view),
                name="registry_modelrepository_add_external_listing",
            )
        ]
        return extra + super().get_urls()

    def add_external_listing_view(self, request):
        """The same listing file `manage.py add_external_listing` reads, pasted as YAML or JSON."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ExternalListingForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                spec = external_listings.parse_spec(form.cleaned_data["listing"], source="listing")
                version = external_listings.add_external_listing(spec=spec, actor=request.user)
            except RegistryError as exc:
                form.add_error("listing", exc.message)
            else:
                self.message_user(
                    request, f"Listed {spec.repo_id} (no weights here) at {version.commit_id[:12]}."
                )
                return redirect("admin:registry_modelrepository_change", version.repository_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Add an external listing",
            "form": form,
        }
        return TemplateResponse(request, "admin/registry/modelrepository/add_external_listing.html", context)


class ExternalListingForm(forms.Form):
    listing = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "class": "vLargeTextField"}),
        help_text="YAML or JSON: repo_id, provider, url, license (+ license_name and license_link for "
        "`other`); optionally industry, task, description, tags, body, compliance, evaluations.",
    )

    def clean_listing(self) -> dict:
        try:
            data = yaml.safe_load(self.cleaned_data["listing"])
        except yaml.YAMLError as exc:
            raise forms.ValidationError(f"not valid YAML or JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise forms.ValidationError("expected a mapping of listing fields")
        return data


class VersionFileInline(admin.TabularInline):
    model = models.VersionFile
    extra = 0
    fields = ["path", "size", "sha256", "is_lfs", "downloads"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class ModelCardInline(admin.StackedInline):
    model = models.ModelCard
    extra = 0
    readonly_fields = ["metadata", "body"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ComplianceInline(admin.StackedInline):
    model = models.ComplianceRecord
    extra = 0
    can_delete = False


@admin.register(models.Version)
class VersionAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "status",
        "short_commit",
        "total_size",
        "parameter_count",
        "is_yanked",
        "created_at",
    ]
    list_filter = ["status", "is_yanked", "repository__industry"]
    search_fields = ["commit_id", "repository__name", "repository__namespace__slug", "message"]
    list_select_related = ["repository__namespace"]
    raw_id_fields = ["repository", "parent", "author"]
    inlines = [VersionFileInline, ModelCardInline, ComplianceInline]

    @admin.display(description="commit")
    def short_commit(self, obj):
        return obj.commit_id[:12] if obj.commit_id else "—"

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:  # invariant 1: only the yank flag may change
            mutable = models.Version.MUTABLE_AFTER_PUBLISH - {"downloads"}
            return [f.name for f in obj._meta.concrete_fields if f.attname not in mutable]
        return ["commit_id", "status", "published_at"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None and obj.is_published else [VersionFileInline, ModelCardInline]

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_published


@admin.register(models.VersionFile)
class VersionFileAdmin(admin.ModelAdmin):
    list_display = ["path", "version", "size", "is_lfs", "downloads"]
    search_fields = ["path", "sha256"]
    raw_id_fields = ["version", "blob"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.version.is_published:
            return [f.name for f in obj._meta.concrete_fields]
        return []

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.version.is_published


@admin.register(models.Blob)
class BlobAdmin(admin.ModelAdmin):
    list_display = ["sha256", "size", "verified_at", "created_at"]
    search_fields = ["sha256"]
    readonly_fields = ["sha256", "size", "storage_key", "git_sha1", "created_at", "verified_at"]

    def has_add_permission(self, request):
        return False


@admin.register(models.SafetensorsInfo)
class SafetensorsInfoAdmin(admin.ModelAdmin):
    list_display = ["file", "tensor_count", "parameter_count"]
    readonly_fields = [
        "file",
        "header_size",
        "tensor_count",
        "parameter_count",
        "parameters_by_dtype",
        "metadata",
    ]


@admin.register(models.ModelCard)
class ModelCardAdmin(admin.ModelAdmin):
    list_display = ["version"]
    readonly_fields = ["version", "metadata", "body"]


@admin.register(models.ComplianceRecord)
class ComplianceRecordAdmin(admin.ModelAdmin):
    list_display = ["version", "eu_ai_act_risk", "contains_phi", "contains_pii"]
    raw_id_fields = ["version"]


@admin.register(models.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "scope", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["scope"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["prefix", "token_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # tokens are created by `create_token` or the portal, which show the value once


@admin.register(models.AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    list_display = ["repository", "user", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    raw_id_fields = ["repository", "user", "decided_by"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "repository", "target"]
    list_filter = ["action"]
    search_fields = ["action", "repository__name"]

    @admin.display(description="version")
    def target(self, obj):
        return format_html("<code>{}</code>", obj.version) if obj.version_id else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from registry.signing import admin as signing_admin  # noqa: E402, F401 - registers key and signature admins
