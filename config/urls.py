"""Root URLs: pages, admin, the native API v1 and (later) the Hub-compatible routes at the root."""

from django.contrib import admin
from django.http import JsonResponse
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from marketplace import views as pages


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]
