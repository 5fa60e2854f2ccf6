"""Hub routes at the server root, without trailing slashes (the client never sends one).

Only `/api/...` (the last route answers every other path under it with a JSON 404 that says what
is not served) and `/{namespace}/{name}/resolve/...` are claimed here, so the web pages (`/`,
`/models`, `/{namespace}/{name}`), `/admin/` and `/healthz` stay free; `/api/v1/` comes earlier.
Revisions and paths are matched greedily (`.+`): `revisions.split_revision` tells them apart.
"""

from django.urls import re_path

from .views import files, models, refs, unknown, users

REPO = r"(?P<namespace>[^/]+)/(?P<name>[^/]+)"

urlpatterns = [
    re_path(r"^api/whoami-v2$", users.whoami, name="hub-whoami"),
    re_path(r"^api/settings/repositories$", users.repositories, name="hub-my-repositories"),
    re_path(
        r"^api/organizations/(?P<namespace>[^/]+)/settings/repositories$",
        users.repositories,
        name="hub-organisation-repositories",
    ),
    re_path(r"^api/models$", models.list_models, name="hub-models"),
    re_path(r"^api/models-tags-by-type$", models.tags_by_type, name="hub-model-tags"),
    re_path(rf"^api/models/{REPO}$", models.model_info, name="hub-model-info"),
    re_path(rf"^api/models/{REPO}/revision/(?P<revision>.+)$", models.model_info, name="hub-model-revision"),
    re_path(rf"^api/models/{REPO}/tree/(?P<rest>.+)$", files.tree, name="hub-tree"),
    re_path(rf"^api/models/{REPO}/paths-info/(?P<revision>.+)$", files.paths_info, name="hub-paths-info"),
    re_path(rf"^api/models/{REPO}/refs$", refs.refs, name="hub-refs"),
    re_path(rf"^api/models/{REPO}/commits/(?P<revision>.+)$", refs.commits, name="hub-commits"),
    re_path(rf"^api/models/{REPO}/auth-check$", models.auth_check, name="hub-auth-check"),
    re_path(r"^api/models/(?P<name>[^/]+)$", models.model_without_namespace),
    re_path(rf"^{REPO}/resolve/(?P<rest>.+)$", files.resolve_file, name="hub-resolve"),
    re_path(r"^(?P<name>[^/]+)/resolve/(?P<rest>.+)$", models.model_without_namespace),
    # Anything else under /api/ (datasets, Spaces, discussions, likes...): a 404 that says so,
    # in the client's shape, rather than the catalog's HTML page for /{namespace}/{name}.
    re_path(r"^api/(?P<rest>.*)$", unknown.not_served, name="hub-not-served"),
]
