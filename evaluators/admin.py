"""Admin: evaluation runs (read-only records) with re-run actions."""

from __future__ import annotations

from django.contrib import admin, messages

from evaluators import services
from evaluators.models import EvaluationRun, Metric
from registry.models import Version


class MetricInline(admin.TabularInline):
    model = Metric
    extra = 0
    can_delete = False
    fields = ("key", "value", "unit", "higher_is_better")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    list_display = (
        "version",
        "evaluator",
        "evaluator_version",
        "status",
        "stage",
        "is_current",
        "badge_message",
        "duration_s",
        "created_at",
    )
    list_filter = ("evaluator", "status", "is_current", "evaluator_version")
    search_fields = (
        "version__commit_id",
        "version__repository__name",
        "version__repository__namespace__slug",
    )
    list_select_related = ("version__repository__namespace",)
    inlines = [MetricInline]
    actions = ["rerun_selected", "rerun_stale"]
    readonly_fields = [f.name for f in EvaluationRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # runs are made by publishing or by the re-run actions

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # results are evidence: never edited

    @admin.action(description="Re-run the selected evaluations (new runs; the old ones stay)")
    def rerun_selected(self, request, queryset) -> None:
        runs = []
        for version_id, evaluator in queryset.values_list("version_id", "evaluator").distinct():
            version = Version.objects.get(pk=version_id)
            runs += services.request_rerun(versions=[version], evaluators=[evaluator], actor=request.user)
        self.message_user(request, f"Queued {len(runs)} evaluation run(s).", messages.SUCCESS)

    @admin.action(description="Re-run every stale evaluation (evaluator version changed), all versions")
    def rerun_stale(self, request, queryset) -> None:
        runs = []
        for version, evaluators in services.stale_versions():
            runs += services.request_rerun(
                versions=[version], evaluators=evaluators, force=False, actor=request.user
            )
        self.message_user(
            request, f"Queued {len(runs)} evaluation run(s) for stale results.", messages.SUCCESS
        )
