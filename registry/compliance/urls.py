"""Routes under /api/v1/ (included by config/urls.py before the generic API routes)."""

from django.urls import path

from . import views

MODEL = "models/<str:namespace>/<str:name>"

urlpatterns = [
    path(
        f"{MODEL}/revisions/<str:revision>/compliance-report",
        views.ComplianceReportView.as_view(),
        name="compliance-report",
    ),
    *(
        path(f"{MODEL}/badges/{kind}.svg", views.badge, {"kind": kind}, name=f"badge-{kind}")
        for kind in ("compliance", "findings", "license")
    ),
]
