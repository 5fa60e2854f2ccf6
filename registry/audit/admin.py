"""The security log in the admin: read-only, filterable by action and day, searchable by user."""

from django.contrib import admin

from .models import SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "username", "ip", "repository", "details"]
    list_filter = ["action", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["action", "actor__username", "repository__name", "data__username", "data__ip"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "repository__namespace"]

    @admin.display(description="user named")
    def username(self, obj: SecurityEvent) -> str:
        return obj.data.get("username") or obj.data.get("user") or ""

    @admin.display(description="IP")
    def ip(self, obj: SecurityEvent) -> str:
        return obj.data.get("ip", "")

    @admin.display(description="details")
    def details(self, obj: SecurityEvent) -> str:
        hidden = {"username", "user", "ip", "user_agent"}
        return ", ".join(f"{key}={value}" for key, value in sorted(obj.data.items()) if key not in hidden)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
