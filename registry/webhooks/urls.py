"""Webhook pages, mounted under /portal/ (config/urls.py)."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("orgs/<str:slug>/webhooks", views.endpoint_list, name="endpoints"),
    path("orgs/<str:slug>/webhooks/<int:endpoint_id>", views.endpoint_detail, name="endpoint"),
    path(
        "orgs/<str:slug>/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay",
        views.replay,
        name="replay",
    ),
]
