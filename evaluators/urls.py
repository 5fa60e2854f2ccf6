"""Evaluation routes, included at the root by config/urls.py before the Hub and page routes.

Badges sit beside the compliance badges (`/api/v1/models/{ns}/{name}/badges/{name}.svg`), one per
evaluator; `revisions/{commit}/badges/...` pins a version. The evidence page each badge links to is
HTML for people; the same data is JSON under `evaluation-runs`.
"""

from django.urls import path

from . import views

MODEL = "api/v1/models/<str:namespace>/<str:name>"
REVISION = f"{MODEL}/revisions/<str:revision>"

urlpatterns = [
    path(f"{MODEL}/badges/<slug:evaluator>.svg", views.badge, name="evaluation-badge"),
    path(f"{REVISION}/badges/<slug:evaluator>.svg", views.badge, name="evaluation-revision-badge"),
    path(f"{REVISION}/evaluation-runs", views.EvaluationRunsView.as_view(), name="api-evaluation-runs"),
    path(
        f"{REVISION}/evaluation-runs/<slug:evaluator>",
        views.EvaluationRunView.as_view(),
        name="api-evaluation-run",
    ),
    path("api/v1/leaderboards", views.LeaderboardListView.as_view(), name="api-leaderboards"),
    path(
        "api/v1/leaderboards/<str:industry>/<str:task>",
        views.LeaderboardView.as_view(),
        name="api-leaderboard",
    ),
    path(
        "evaluations/<str:namespace>/<str:name>/<str:revision>/<slug:evaluator>",
        views.evidence_page,
        name="evaluation-evidence",
    ),
]
