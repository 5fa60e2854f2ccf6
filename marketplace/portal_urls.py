"""The publisher portal under /portal/: sign-up, organisations, repositories, uploads, tokens."""

from django.urls import path

from .urls import RepoNameConverter  # noqa: F401 - registers the "repo" converter
from .views import bundles, portal

app_name = "portal"

urlpatterns = [
    path("", portal.home, name="home"),
    path("signup", portal.sign_up, name="signup"),
    path("verify-email/<str:token>", portal.verify_email, name="verify-email"),
    path("tokens", portal.token_list, name="tokens"),
    path("bundles/export", bundles.export, name="bundle-export"),
    path("bundles/import", bundles.import_page, name="bundle-import"),
    path("orgs/new", portal.new_organisation, name="new-organisation"),
    path("orgs/<repo:slug>", portal.organisation, name="organisation"),
    path("invitations/<str:token>", portal.accept_invitation, name="accept-invitation"),
    path("repos/new", portal.new_repository, name="new-repository"),
    path("repos/<repo:namespace>/<repo:name>", portal.repository, name="repository"),
    path("repos/<repo:namespace>/<repo:name>/upload", portal.upload, name="upload"),
    # The uploader's JSON calls (session + CSRF header); the bytes themselves go to S3.
    path("api/repos/<repo:namespace>/<repo:name>/uploads", portal.api_start, name="api-start"),
    path("api/uploads/<int:draft_id>", portal.api_status, name="api-status"),
    path("api/uploads/<int:draft_id>/files", portal.api_file, name="api-file"),
    path("api/uploads/<int:draft_id>/publish", portal.api_publish, name="api-publish"),
    path("api/uploads/<int:draft_id>/cancel", portal.api_cancel, name="api-cancel"),
    path("api/uploads/<int:draft_id>/card", portal.api_card, name="api-card"),
    path("api/card-preview", portal.api_card_preview, name="api-card-preview"),
    path("api/files/<int:session_id>/complete", portal.api_complete, name="api-complete"),
]
