"""Root URLs: pages, admin, the native API v1 and (later) the Hub-compatible routes at the root."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from config.health import healthz, readyz
from config.metrics import metrics_view
from registry.signing import views as signing_views

# A database or object-store outage answers 503 with Retry-After, not a 500 page.
handler500 = "config.unavailable.server_error"

DOCS_CSP = {"style-src": ["'unsafe-inline'"]}

urlpatterns = [
    path("healthz", healthz, name="health"),  # liveness: touches no dependency
    path("readyz", readyz, name="ready"),  # readiness: database, object storage, broker
    path("metrics", metrics_view, name="metrics"),  # Prometheus
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The API docs pages render only our schema: their inline styles (and Redoc's inline start-up
    # script and worker) are allowed there and nowhere else (CONTENT_SECURITY_POLICY in settings).
    path(
        "api/v1/docs/",
        csp_update(DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path(
        "api/v1/redoc/",
        csp_update({**DOCS_CSP, "script-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})(
            SpectacularRedocView.as_view(url_name="schema")
        ),
        name="api-redoc",
    ),
    path("api/v1/", include("registry.signing.urls")),  # signing keys and version signatures
    path("signing-keys", signing_views.keys_page, name="signing-keys-page"),
    path("api/v1/", include("registry.compliance.urls")),  # compliance reports and badges
    path("", include("evaluators.urls")),  # evaluation badges, evidence, runs, leaderboards
    path("api/v1/", include("registry.api.urls")),  # the native REST API v1
    # Hub-compatible routes at the root, last: /api/models..., /api/whoami-v2, /{ns}/{name}/resolve/...
    path("", include("registry.xet.urls")),  # the Xet CAS (/xet-cas/...) for hf_xet uploads
    path("", include("registry.hub_api.push_urls")),  # Hub publishing: create repo, preupload, LFS, commit
    path("portal/", include("registry.webhooks.urls")),  # an organisation's webhooks
    path("portal/", include("marketplace.portal_urls")),  # the publisher portal, sign-up and tokens
    path("", include("registry.hub_api.urls")),
    # Web pages, after everything else: /{namespace} and /{namespace}/{name} match any such path.
    path("", include("marketplace.urls")),
]
