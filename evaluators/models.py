"""Evaluation runs of published versions, their metrics, and the badge each one awarded.

A run is never edited after it finishes: a re-run (a new evaluator version, or an operator's
request) is a new row, and the newest finished run of each evaluator is the version's current
result (`is_current`). Results never touch the version itself: a failed evaluation never
un-publishes anything.
"""

from __future__ import annotations

from django.db import models

from registry.models import Version


class EvaluationRunQuerySet(models.QuerySet["EvaluationRun"]):
    def current(self) -> EvaluationRunQuerySet:
        return self.filter(is_current=True)

    def pending(self) -> EvaluationRunQuerySet:
        return self.filter(status__in=EvaluationRun.PENDING)


class EvaluationRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"  # the model did not meet the check; the badge says why
        SKIPPED = "skipped", "Skipped"  # the evaluator does not apply to this model
        ERROR = "error", "Error"  # the evaluation itself broke (timeout, crash, storage)

    PENDING = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.PASSED, Status.FAILED, Status.SKIPPED, Status.ERROR)

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="evaluation_runs")
    evaluator = models.CharField(max_length=64)
    evaluator_version = models.CharField(max_length=32)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=120, blank=True, help_text="What a running evaluation is doing now.")
    reason = models.TextField(blank=True, help_text="Why it failed, errored or was skipped.")
    is_current = models.BooleanField(
        default=False, help_text="The newest finished run of this evaluator for this version."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    seed = models.IntegerField(default=0)
    suite = models.CharField(max_length=64, blank=True)
    dataset_digest = models.CharField(max_length=64, blank=True, help_text="sha256 of the suite manifest.")
    badge_label = models.CharField(max_length=64, blank=True)
    badge_message = models.CharField(max_length=120, blank=True)
    badge_level = models.CharField(max_length=8, blank=True)
    thresholds = models.JSONField(default=dict, blank=True, help_text="The rule that chose the badge level.")
    headline_score = models.FloatField(
        null=True, blank=True, help_text="The evaluator's ranking metric, in [0, 1], higher is better."
    )
    evidence = models.JSONField(default=dict, blank=True)
    logs = models.TextField(blank=True)
    hardware = models.JSONField(default=dict, blank=True)
    library_versions = models.JSONField(default=dict, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = EvaluationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "evaluator"],
                condition=models.Q(is_current=True),
                name="one_current_run_per_evaluator",
            ),
            models.CheckConstraint(
                condition=~models.Q(is_current=True)
                | models.Q(status__in=["passed", "failed", "skipped", "error"]),
                name="current_run_is_finished",
            ),
        ]
        indexes = [models.Index(fields=["version", "evaluator", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.evaluator} v{self.evaluator_version} on {self.version} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class Metric(models.Model):
    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="metrics")
    key = models.CharField(max_length=64)
    value = models.FloatField()
    unit = models.CharField(max_length=32, blank=True)
    higher_is_better = models.BooleanField(default=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="unique_metric_per_run")]

    def __str__(self) -> str:
        return f"{self.key}={self.value:g}"
