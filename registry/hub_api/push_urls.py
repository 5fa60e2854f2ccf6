"""Hub publishing routes (registry/hub_api/push.py), included by the root URLconf before the read
routes. No trailing slashes; revisions and branch names are percent-encoded by the client."""

from django.urls import re_path

from . import push

REPO = r"(?P<namespace>[^/]+)/(?P<name>[^/]+?)"

urlpatterns = [
    re_path(r"^api/repos/create$", push.create_repo, name="hub-create-repo"),
    re_path(r"^api/repos/delete$", push.delete_repo, name="hub-delete-repo"),
    re_path(r"^api/validate-yaml$", push.validate_yaml, name="hub-validate-yaml"),
    re_path(rf"^api/models/{REPO}/preupload/(?P<revision>.+)$", push.preupload, name="hub-preupload"),
    re_path(rf"^api/models/{REPO}/commit/(?P<revision>.+)$", push.commit, name="hub-commit"),
    re_path(rf"^api/models/{REPO}/tag/(?P<revision>.+)$", push.tag, name="hub-tag"),
    re_path(rf"^api/models/{REPO}/branch/(?P<branch>.+)$", push.branch, name="hub-branch"),
    re_path(
        rf"^api/models/{REPO}/xet-write-token/(?P<revision>.+)$", push.xet_write_token, name="hub-xet-write"
    ),
    re_path(
        rf"^api/models/{REPO}/xet-read-token/(?P<revision>.+)$", push.xet_read_token, name="hub-xet-read"
    ),
    re_path(rf"^api/models/{REPO}/auth-check/write$", push.auth_check_write, name="hub-auth-check-write"),
    re_path(rf"^api/models/{REPO}/settings$", push.repo_settings, name="hub-repo-settings"),
    re_path(rf"^{REPO}\.git/info/lfs/objects/batch$", push.lfs_batch, name="hub-lfs-batch"),
    re_path(
        r"^api/uploads/(?P<session_id>[0-9]+)/complete$", push.complete_multipart, name="hub-lfs-complete"
    ),
    re_path(r"^api/uploads/lfs-verify$", push.lfs_verify, name="hub-lfs-verify"),
]
