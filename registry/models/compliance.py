"""What a version declares about itself: card, weights metadata, license and compliance."""

from django.db import models

from .versions import Version, VersionFile


class ModelCard(models.Model):
    """The README.md of a version: its YAML metadata and markdown body, parsed at ingest."""

    version = models.OneToOneField(Version, on_delete=models.CASCADE, related_name="card")
    metadata = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"card of {self.version}"


class SafetensorsInfo(models.Model):
    """Metadata read from a validated safetensors header."""

    file = models.OneToOneField(VersionFile, on_delete=models.CASCADE, related_name="safetensors")
    header_size = models.PositiveIntegerField()
    tensor_count = models.PositiveIntegerField()
    parameter_count = models.PositiveBigIntegerField()
    parameters_by_dtype = models.JSONField(default=dict)
    metadata = models.JSONField(default=dict, blank=True, help_text="The header's __metadata__ strings.")

    class Meta:
        verbose_name_plural = "safetensors info"

    def __str__(self) -> str:
        return f"{self.file}: {self.tensor_count} tensors, {self.parameter_count} parameters"


class ComplianceRecord(models.Model):
    """Compliance answers of a version, as declared by its publisher (checked by the compliance rules)."""

    class EuAiActRisk(models.TextChoices):
        UNSPECIFIED = "", "Not stated"
        MINIMAL = "minimal", "Minimal risk"
        LIMITED = "limited", "Limited risk"
        HIGH = "high", "High risk"
        PROHIBITED = "prohibited", "Prohibited"

    version = models.OneToOneField(Version, on_delete=models.CASCADE, related_name="compliance")
    frameworks = models.JSONField(default=list, blank=True, help_text="e.g. HIPAA, PCI-DSS, GDPR, SOX, GLBA.")
    eu_ai_act_risk = models.CharField(max_length=16, choices=EuAiActRisk.choices, blank=True)
    contains_phi = models.BooleanField(
        null=True, blank=True, help_text="PHI in the training data; null = not stated."
    )
    contains_pii = models.BooleanField(
        null=True, blank=True, help_text="PII in the training data; null = not stated."
    )
    intended_uses = models.TextField(blank=True)
    out_of_scope_uses = models.TextField(blank=True)
    answers = models.JSONField(default=dict, blank=True, help_text="Further questionnaire answers.")

    def __str__(self) -> str:
        return f"compliance of {self.version}"
