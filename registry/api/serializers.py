"""Request and response shapes of the REST API v1; they also describe it in the OpenAPI schema.

Hot listings build their rows with the plain functions in `rows.py` (performance.md: serializers
cost more than the SQL at 50 rows a page); the `*Serializer` classes here document those same
shapes, and a test keeps the two in step. Names are unique project-wide (they become schema
component names).
"""

from __future__ import annotations

from rest_framework import serializers

from registry.formats.footprint import FIT_PRECISIONS
from registry.models import ApiToken
from registry.webhooks.models import EVENTS

ORDERINGS = [
    "-downloads",
    "downloads",
    "-last_modified",
    "last_modified",
    "-created_at",
    "created_at",
    "id",
    "-id",
]


# --- queries -------------------------------------------------------------------------------------


class ModelListQuerySerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Words that must start words of the id, description or tags.",
    )
    namespace = serializers.CharField(required=False, max_length=96, help_text="Publisher slug.")
    industry = serializers.CharField(required=False, max_length=32)
    license = serializers.CharField(required=False, max_length=64)
    task = serializers.CharField(
        required=False, max_length=64, help_text="Pipeline tag, e.g. text-generation."
    )
    tag = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, help_text="Repeatable; all must match."
    )
    gated = serializers.BooleanField(required=False, allow_null=True, default=None)
    min_parameters = serializers.IntegerField(required=False, min_value=0)
    max_parameters = serializers.IntegerField(required=False, min_value=0)
    fits_in_gb = serializers.FloatField(
        required=False, min_value=0, help_text="Only models whose weights fit in this many GB (10^9 bytes)."
    )
    fits_precision = serializers.ChoiceField(
        choices=FIT_PRECISIONS,
        required=False,
        default="stored",
        help_text="The precision `fits_in_gb` counts at: as stored, or re-quantized to bf16, int8 or int4.",
    )
    ordering = serializers.ChoiceField(choices=ORDERINGS, required=False, default="-downloads")
    cursor = serializers.CharField(
        required=False, max_length=1000, help_text="From a previous page's `next`."
    )
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)


class PublisherListQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=200)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)


class AccessRequestSerializer(serializers.Serializer):
    accept_terms = serializers.BooleanField(help_text="Must be true: you accept the repository's terms.")
    answers = serializers.DictField(
        child=serializers.CharField(max_length=2000, allow_blank=True), required=False, default=dict
    )

    def validate_accept_terms(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("access is granted only when the terms are accepted")
        return value


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    scope = serializers.ChoiceField(choices=ApiToken.Scope.values, default=ApiToken.Scope.READ)
    expires_in_days = serializers.IntegerField(required=False, min_value=1, max_value=3650, allow_null=True)


# --- responses -----------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False, help_text="Per-field problems of a request body or query.")


class ErrorResponseSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class ModelSummarySerializer(serializers.Serializer):
    id = serializers.CharField(help_text="NAMESPACE/NAME")
    namespace = serializers.CharField()
    name = serializers.CharField()
    industry = serializers.CharField()
    task = serializers.CharField()
    license = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    private = serializers.BooleanField()
    gating = serializers.ChoiceField(choices=["none", "auto", "manual"])
    downloads = serializers.IntegerField()
    sha = serializers.CharField(help_text="Commit id of the main branch.")
    last_modified = serializers.DateTimeField(help_text="When main's version was published.")
    created_at = serializers.DateTimeField()
    parameter_count = serializers.IntegerField(allow_null=True)
    total_size = serializers.IntegerField(help_text="Bytes of main's files.")
    url = serializers.URLField()


class ModelPageSerializer(serializers.Serializer):
    results = ModelSummarySerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, absent on the last.")


class RefSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["branch", "tag"])
    commit_id = serializers.CharField()
    updated_at = serializers.DateTimeField()


class VersionSummarySerializer(serializers.Serializer):
    commit_id = serializers.CharField()
    parent_commit_id = serializers.CharField(allow_null=True)
    message = serializers.CharField()
    author = serializers.CharField(allow_null=True)
    target_branch = serializers.CharField()
    published_at = serializers.DateTimeField()
    total_size = serializers.IntegerField()
    parameter_count = serializers.IntegerField(allow_null=True)
    license = serializers.CharField()
    is_yanked = serializers.BooleanField()
    downloads = serializers.IntegerField()


class VersionDetailSerializer(VersionSummarySerializer):
    parameters_by_dtype = serializers.DictField(child=serializers.IntegerField())
    memory_footprint = serializers.DictField(
        help_text="Weights only, from the safetensors headers: `parameters`, `dtype` (dominant), and bytes "
        "`stored`, `bf16`, `int8`, `int4`; empty without weights."
    )
    refs = serializers.ListField(child=serializers.CharField(), help_text="Branches and tags pointing here.")
    file_count = serializers.IntegerField()


class ComplianceRecordSerializer(serializers.Serializer):
    frameworks = serializers.ListField(child=serializers.CharField())
    eu_ai_act_risk = serializers.CharField()
    contains_phi = serializers.BooleanField(allow_null=True)
    contains_pii = serializers.BooleanField(allow_null=True)
    intended_uses = serializers.CharField()
    out_of_scope_uses = serializers.CharField()
    answers = serializers.DictField()


class ComplianceSerializer(serializers.Serializer):
    commit_id = serializers.CharField()
    declared = ComplianceRecordSerializer(
        allow_null=True, help_text="As stated by the publisher in the card."
    )
    findings = serializers.ListField(
        child=serializers.DictField(),
        allow_null=True,
        help_text="The compliance rules' findings; null until the compliance checks are installed.",
    )


class EvaluationsSerializer(serializers.Serializer):
    commit_id = serializers.CharField()
    results = serializers.ListField(
        child=serializers.DictField(), help_text="model-index results: task, dataset, metrics."
    )


class CardSerializer(serializers.Serializer):
    commit_id = serializers.CharField()
    metadata = serializers.DictField()
    body = serializers.CharField()


class SafetensorsSummarySerializer(serializers.Serializer):
    tensor_count = serializers.IntegerField()
    parameter_count = serializers.IntegerField()
    parameters_by_dtype = serializers.DictField(child=serializers.IntegerField())
    metadata = serializers.DictField(child=serializers.CharField())


class FileSerializer(serializers.Serializer):
    path = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    git_oid = serializers.CharField()
    is_lfs = serializers.BooleanField()
    downloads = serializers.IntegerField()
    download_url = serializers.URLField(help_text="Hub-compatible resolve URL at this commit.")
    safetensors = SafetensorsSummarySerializer(allow_null=True)


class FileListSerializer(serializers.Serializer):
    commit_id = serializers.CharField()
    files = FileSerializer(many=True)


class AccessStateSerializer(serializers.Serializer):
    gating = serializers.ChoiceField(choices=["none", "auto", "manual"])
    terms = serializers.CharField()
    terms_digest = serializers.CharField(help_text="sha256 of the terms; recorded with your acceptance.")
    status = serializers.ChoiceField(choices=["pending", "approved", "rejected"], allow_null=True)
    has_access = serializers.BooleanField()


class ModelDetailSerializer(ModelSummarySerializer):
    gating_terms = serializers.CharField()
    refs = RefSerializer(many=True)
    main = VersionDetailSerializer()
    card_metadata = serializers.DictField()
    compliance = ComplianceSerializer()
    evaluations = serializers.ListField(child=serializers.DictField())
    has_file_access = serializers.BooleanField(help_text="False on a gated model until access is granted.")
    kind = serializers.ChoiceField(
        choices=["hosted", "external"], help_text="`external`: an API-only listing with no weights here."
    )
    external_provider = serializers.CharField(help_text="External listings: who serves the model.")
    external_url = serializers.CharField(
        help_text="External listings: where the provider's API is documented."
    )
    base_model = serializers.CharField(help_text="The base model its card names (first one); empty if none.")
    base_model_relation = serializers.CharField(
        help_text="quantized, distilled, finetune, adapter or merge; empty without a base model."
    )


class PublisherSerializer(serializers.Serializer):
    slug = serializers.CharField()
    display_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["org", "user"])
    description = serializers.CharField()
    website = serializers.CharField()
    created_at = serializers.DateTimeField()
    models_url = serializers.URLField()


class PublisherPageSerializer(serializers.Serializer):
    results = PublisherSerializer(many=True)
    next = serializers.URLField(allow_null=True)


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="First characters, to recognise the token.")
    scope = serializers.ChoiceField(choices=ApiToken.Scope.values)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    is_active = serializers.BooleanField()


class CreatedTokenSerializer(TokenSerializer):
    token = serializers.CharField(help_text="The token itself. Shown once: only its hash is kept.")


# --- webhooks ------------------------------------------------------------------------------------


class WebhookCreateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000, help_text="https:// to a public address.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENTS)), min_length=1, max_length=len(EVENTS)
    )
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class WebhookUpdateSerializer(serializers.Serializer):
    is_active = serializers.BooleanField(help_text="false disables the endpoint; true enables it again.")


class WebhookEndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENTS)))
    is_active = serializers.BooleanField()
    consecutive_failures = serializers.IntegerField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class CreatedWebhookEndpointSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text="Signs every delivery (X-Registry-Signature). Shown once: store it now."
    )


class WebhookDeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.CharField()
    event_id = serializers.UUIDField(help_text="The same on every replay.")
    status = serializers.ChoiceField(choices=["pending", "succeeded", "failed"])
    attempts = serializers.IntegerField()
    response_status = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    replay_of = serializers.IntegerField(allow_null=True, source="replay_of_id")
    created_at = serializers.DateTimeField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
