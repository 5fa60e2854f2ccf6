"""The registry's own check of a version's license, lineage and compliance answers."""

from django.db import models

from .versions import Version


class ComplianceCheck(models.Model):
    """Computed at ingest, after verification and before publication (registry/services/compliance.py).

    A separate row rather than version fields: a check may be refreshed when the rules or a parent's
    license change, while the version itself stays immutable. The columns are what listings filter
    and sort on; `findings`, `lineage`, `license` and `answers` hold the details pages and reports show.
    """

    version = models.OneToOneField(Version, on_delete=models.CASCADE, related_name="compliance_check")
    license_id = models.CharField(max_length=200, blank=True, help_text="Canonical id; empty if unknown.")
    license_known = models.BooleanField(default=False)
    completeness = models.PositiveSmallIntegerField(default=0, help_text="0-100: questionnaire answered.")
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    info_count = models.PositiveIntegerField(default=0)
    has_lineage_conflict = models.BooleanField(default=False)
    license = models.JSONField(default=dict, blank=True, help_text="The declared license, resolved.")
    lineage = models.JSONField(default=list, blank=True, help_text="Ancestors, nearest first.")
    answers = models.JSONField(default=dict, blank=True, help_text="Normalized compliance answers.")
    missing = models.JSONField(default=list, blank=True, help_text="Applicable questions left unanswered.")
    findings = models.JSONField(default=list, blank=True)
    rules_version = models.CharField(max_length=32)
    checked_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(completeness__lte=100), name="completeness_percent"),
        ]

    def __str__(self) -> str:
        return f"compliance check of {self.version}"
