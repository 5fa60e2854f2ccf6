"""Routes under /api/v1/ (included by config/urls.py); the web page is routed there too."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    re_path(r"^signing-keys/?$", views.SigningKeyList.as_view(), name="signing-keys"),
    re_path(r"^signing-keys/(?P<hint>current|[0-9a-fA-F]{64})\.pem$", views.key_pem, name="signing-key-pem"),
    path(
        "signatures/<str:namespace>/<str:name>/<str:revision>",
        views.VersionSignatures.as_view(),
        name="version-signatures",
    ),
    path(
        "signatures/<str:namespace>/<str:name>/<str:revision>/<int:pk>.sig",
        views.signature_bundle,
        name="version-signature-bundle",
    ),
]
