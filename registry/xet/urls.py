"""CAS routes, served by Django under `/xet-cas/` (the `casUrl` handed out with Xet tokens), plus
the client's fire-and-forget telemetry at the origin root."""

from django.urls import re_path

from . import views

CAS = r"^xet-cas/"
HASH = r"(?P<hash_text>[0-9a-fA-F]{64})"

urlpatterns = [
    re_path(rf"{CAS}v1/xorbs/(?P<prefix>[^/]+)/{HASH}$", views.upload_xorb, name="xet-xorb"),
    re_path(rf"{CAS}v1/shards$", views.upload_shard, name="xet-shard"),
    re_path(
        rf"{CAS}v1/reconstructions/(?P<file_id>[0-9a-fA-F]{{64}})$", views.reconstruction, name="xet-recon"
    ),
    re_path(rf"{CAS}v2/(?:shards|reconstructions)(?:/.*)?$", views.not_implemented),
    re_path(rf"{CAS}v1/telemetry$", views.telemetry),
    re_path(r"^v1/telemetry$", views.telemetry),
    re_path(rf"{CAS}.*$", views.not_found),
]
