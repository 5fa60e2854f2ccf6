"""`/api/v1/` routes. No trailing slashes, like the Hub routes; the schema and docs (`schema/`,
`docs/`, `redoc/`) are routed in config/urls.py."""

from django.urls import path

from . import schema  # noqa: F401 - registers the bearer-token scheme with drf-spectacular
from .views import bundles, models, publishers, tokens, versions, webhooks

MODEL = "models/<str:namespace>/<str:name>"
REVISION = f"{MODEL}/revisions/<str:revision>"
WEBHOOK = "publishers/<str:slug>/webhooks/<int:endpoint_id>"

urlpatterns = [
    path("publishers", publishers.PublisherListView.as_view(), name="api-publishers"),
    path("publishers/<str:slug>", publishers.PublisherDetailView.as_view(), name="api-publisher"),
    path("publishers/<str:slug>/webhooks", webhooks.WebhookListView.as_view(), name="api-webhooks"),
    path(WEBHOOK, webhooks.WebhookDetailView.as_view(), name="api-webhook"),
    path(f"{WEBHOOK}/deliveries", webhooks.WebhookDeliveriesView.as_view(), name="api-webhook-deliveries"),
    path(
        f"{WEBHOOK}/deliveries/<int:delivery_id>/replay",
        webhooks.WebhookReplayView.as_view(),
        name="api-webhook-replay",
    ),
    path("models", models.ModelListView.as_view(), name="api-models"),
    path(MODEL, models.ModelDetailView.as_view(), name="api-model"),
    path(f"{MODEL}/refs", models.ModelRefsView.as_view(), name="api-model-refs"),
    path(f"{MODEL}/access-request", models.AccessRequestView.as_view(), name="api-access-request"),
    path(f"{MODEL}/revisions", versions.VersionListView.as_view(), name="api-versions"),
    path(REVISION, versions.VersionDetailView.as_view(), name="api-version"),
    path(f"{REVISION}/files", versions.VersionFilesView.as_view(), name="api-version-files"),
    path(f"{REVISION}/card", versions.VersionCardView.as_view(), name="api-version-card"),
    path(f"{REVISION}/compliance", versions.VersionComplianceView.as_view(), name="api-version-compliance"),
    path(
        f"{REVISION}/evaluations", versions.VersionEvaluationsView.as_view(), name="api-version-evaluations"
    ),
    path(f"{MODEL}/bundle", bundles.BundleExportView.as_view(), name="api-bundle-export"),
    path("bundles", bundles.BundleImportView.as_view(), name="api-bundle-import"),
    path("tokens", tokens.TokenListView.as_view(), name="api-tokens"),
    path("tokens/<int:token_id>", tokens.TokenDetailView.as_view(), name="api-token"),
]
