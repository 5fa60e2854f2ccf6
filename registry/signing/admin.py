"""Admin for keys and signatures: publisher keys are registered here (the portal comes later)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from registry.errors import RegistryError
from registry.models import PublisherKey, SigningKey, VersionSignature
from registry.services import signing
from registry.signing import keys


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    """Read-only: keys change through create_signing_key / revoke_signing_key (files and audit)."""

    list_display = ["hint", "algorithm", "status", "not_before", "not_after", "revoked_at"]
    list_filter = ["status"]
    search_fields = ["hint"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a published key stays published: old signatures depend on it


class PublisherKeyForm(forms.ModelForm):
    class Meta:
        model = PublisherKey
        fields = ["publisher", "name", "public_key_pem"]
        help_texts = {
            "public_key_pem": "PEM public key (EC P-256/P-384/P-521): `openssl ec -in key.pem -pubout`."
        }

    def clean_public_key_pem(self):
        try:
            return keys.public_key_info(self.cleaned_data["public_key_pem"]).pem.decode()
        except keys.KeyFileError as exc:
            raise ValidationError(str(exc)) from exc


@admin.register(PublisherKey)
class PublisherKeyAdmin(admin.ModelAdmin):
    form = PublisherKeyForm
    list_display = ["publisher", "name", "hint", "algorithm", "created_at", "revoked_at"]
    list_filter = ["algorithm"]
    search_fields = ["publisher__slug", "name", "hint"]
    readonly_fields = ["hint", "algorithm", "created_at", "created_by", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # A registered key never changes: what it verified must stay checkable.
        return [*self.readonly_fields, "publisher", "public_key_pem"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        try:
            saved = signing.register_publisher_key(
                publisher=obj.publisher,
                public_key_pem=obj.public_key_pem,
                actor=request.user,
                name=obj.name,
                moderator=True,
            )
        except RegistryError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk, obj.hint, obj.algorithm = saved.pk, saved.hint, saved.algorithm

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: versions keep the record of who signed them

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            signing.revoke_publisher_key(key=key, actor=request.user, moderator=True)


@admin.register(VersionSignature)
class VersionSignatureAdmin(admin.ModelAdmin):
    list_display = ["version", "kind", "key_hint", "signed_at", "is_current", "superseded_at"]
    list_filter = ["kind", "is_current"]
    search_fields = ["key_hint", "root_digest", "subject_name"]
    raw_id_fields = ["version"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
