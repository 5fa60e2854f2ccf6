"""Root URLs: pages, admin, the native API v1 and (later) the Hub-compatible routes at the root."""

from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from registry.signing import views as signing_views


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("healthz", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/v1/", include("registry.signing.urls")),  # signing keys and version signatures
    path("signing-keys", signing_views.keys_page, name="signing-keys-page"),
    path("api/v1/", include("registry.compliance.urls")),  # compliance reports and badges
    path("", include("evaluators.urls")),  # evaluation badges, evidence, runs, leaderboards
    path("api/v1/", include("registry.api.urls")),  # the native REST API v1
    # Hub-compatible routes at the root, last: /api/models..., /api/whoami-v2, /{ns}/{name}/resolve/...
    path("", include("registry.hub_api.push_urls")),  # Hub publishing: create repo, preupload, LFS, commit
    path("portal/", include("marketplace.portal_urls")),  # the publisher portal, sign-up and tokens
    path("", include("registry.hub_api.urls")),
    # Web pages, after everything else: /{namespace} and /{namespace}/{name} match any such path.
    path("", include("marketplace.urls")),
]
