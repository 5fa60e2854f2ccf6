"""Marketplace pages, at the addresses Hub users know: `/models`, `/{namespace}/{name}`.

Included last by the root URLconf: `/{namespace}` and `/{namespace}/{name}` would otherwise shadow
every other route with one or two path segments.
"""

from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from . import views


class RepoNameConverter:
    """A namespace or repository name as the Hub allows it (registry.models.publishers)."""

    regex = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RepoNameConverter, "repo")

urlpatterns = [
    path("", views.home, name="home"),
    path("models", views.catalog, name="catalog"),
    path("compare", views.compare, name="compare"),
    path("leaderboards", views.leaderboards, name="leaderboards"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="marketplace/login.html", template_engine="jinja2"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("<repo:namespace>", views.publisher_page, name="publisher"),
    path("<repo:namespace>/<repo:name>", views.model_page, name="model"),
    path("<repo:namespace>/<repo:name>/tree/<path:revision>", views.model_page, name="model-revision"),
    path("<repo:namespace>/<repo:name>/access", views.request_access, name="request-access"),
    path("<repo:namespace>/<repo:name>/access-requests", views.access_requests_page, name="access-requests"),
]
