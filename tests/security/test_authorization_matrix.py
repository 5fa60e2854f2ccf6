"""Who may do what, over every route of the project.

Each route (as enumerated from the root URLconf) has one entry below: the method and parameters of
the request, and the status each actor gets on a public, a private and a gated repository. A route
added without an entry fails `test_every_route_has_a_matrix_entry`, so nobody ships an endpoint
whose access rules were never written down.

Actors: anonymous, reader / maintainer / owner of the repositories' organisation, and the owner
of another organisation ("outsider"). Requests to `/api/...` carry the actor's bearer token (as
Hub clients and scripts do); pages use a browser session.

As designed (architecture.md invariant 5): private is 404 to anyone outside the organisation;
gated metadata is readable, gated files are 403 until access is granted; changes need the owner
or maintainer role (403 when the repository is visible, 404 when not); anonymous callers get
401 from APIs and a 302 to the login page from pages. A 400/422 means the caller was let through
and the (empty) body was refused.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pytest
from django.test import Client

from registry.models import (
    ApiToken,
    AuditEvent,
    EmailVerification,
    Membership,
    Publisher,
    VersionSignature,
)
from registry.services import accounts, tokens
from tests.security.conftest import ACTORS, KINDS, World
from tests.security.routes import all_routes, fill

pytestmark = pytest.mark.django_db

# Statuses for anonymous, reader, maintainer, owner, outsider.
EVERYONE = "200 200 200 200 200"
LOGGED_IN = "302 200 200 200 200"  # pages: anonymous is sent to the login page
API_LOGGED_IN = "401 200 200 200 200"
PRIVATE_READ = "404 200 200 200 404"
REPO_READ = {"public": EVERYONE, "private": PRIVATE_READ, "gated": EVERYONE}
REPO_FILES = {"public": EVERYONE, "private": PRIVATE_READ, "gated": "403 200 200 200 403"}


def repo_write(allowed: str, *, anonymous: str = "401") -> dict[str, str]:
    """Writers (maintainer, owner) get `allowed`; readers and outsiders 403, or 404 where private."""
    return {
        "public": f"{anonymous} 403 {allowed} {allowed} 403",
        "private": f"{anonymous} 403 {allowed} {allowed} 404",
        "gated": f"{anonymous} 403 {allowed} {allowed} 403",
    }


@dataclass(frozen=True)
class Entry:
    expected: str | dict[str, str]
    method: str = "get"
    body: str = "{}"


MATRIX: dict[str, Entry] = {
    "healthz": Entry(EVERYONE),
    "readyz": Entry(EVERYONE),
    "metrics": Entry(EVERYONE),  # Prometheus scrapes without credentials; counts only, no names
    "api/v1/schema/": Entry(EVERYONE),
    "api/v1/docs/": Entry(EVERYONE),
    "api/v1/redoc/": Entry(EVERYONE),
    "api/v1/^signing-keys/?$": Entry(EVERYONE),
    r"api/v1/^signing-keys/(?P<hint>current|[0-9a-fA-F]{64})\.pem$": Entry(EVERYONE),
    "api/v1/signatures/<str:namespace>/<str:name>/<str:revision>": Entry(REPO_READ),
    "api/v1/signatures/<str:namespace>/<str:name>/<str:revision>/<int:pk>.sig": Entry(REPO_FILES),
    "signing-keys": Entry(EVERYONE),
    "api/v1/models/<str:namespace>/<str:name>/revisions/<str:revision>/compliance-report": Entry(REPO_READ),
    "api/v1/models/<str:namespace>/<str:name>/badges/compliance.svg": Entry(REPO_READ),
    "api/v1/models/<str:namespace>/<str:name>/badges/findings.svg": Entry(REPO_READ),
    "api/v1/models/<str:namespace>/<str:name>/badges/license.svg": Entry(REPO_READ),
    "api/v1/models/<str:namespace>/<str:name>/badges/<slug:evaluator>.svg": Entry(REPO_READ),
    "api/v1/models/<str:namespace>/<str:name>/revisions/<str:revision>/badges/<slug:evaluator>.svg": Entry(
        REPO_READ
    ),
    "api/v1/models/<str:namespace>/<str:name>/revisions/<str:revision>/evaluation-runs": Entry(REPO_READ),
    "api/v1/models/<str:namespace>/<str:name>/revisions/<str:revision>/evaluation-runs/<slug:evaluator>": (
        Entry(REPO_READ)
    ),
    "api/v1/leaderboards": Entry(EVERYONE),
    "api/v1/leaderboards/<str:industry>/<str:task>": Entry(EVERYONE),
    "evaluations/<str:namespace>/<str:name>/<str:revision>/<slug:evaluator>": Entry(REPO_READ),
    "api/v1/publishers": Entry(EVERYONE),
    "api/v1/publishers/<str:slug>": Entry(EVERYONE),
    "api/v1/models": Entry(EVERYONE),
    "api/v1/models/<str:namespace>/<str:name>": Entry(REPO_READ),
    "api/v1/models/<str:namespace>/<str:name>/refs": Entry(REPO_READ),
    "api/v1/models/<str:namespace>/<str:name>/access-request": Entry(
        {"public": "401 400 400 400 400", "private": "401 400 400 400 404", "gated": "401 400 400 400 400"},
        method="post",
    ),
    "api/v1/models/<str:namespace>/<str:name>/revisions": Entry(REPO_READ),
    "api/v1/models/<str:namespace>/<str:name>/revisions/<str:revision>": Entry(REPO_READ),
    "api/v1/models/<str:namespace>/<str:name>/revisions/<str:revision>/files": Entry(REPO_READ),
    "api/v1/models/<str:namespace>/<str:name>/revisions/<str:revision>/card": Entry(REPO_READ),
    "api/v1/models/<str:namespace>/<str:name>/revisions/<str:revision>/compliance": Entry(REPO_READ),
    "api/v1/models/<str:namespace>/<str:name>/revisions/<str:revision>/evaluations": Entry(REPO_READ),
    # Webhooks belong to the organisation's owners and maintainers; to anyone else they do not exist.
    "api/v1/publishers/<str:slug>/webhooks": Entry("401 404 200 200 404"),
    "api/v1/publishers/<str:slug>/webhooks/<int:endpoint_id>": Entry("401 404 404 404 404"),  # no such one
    "api/v1/publishers/<str:slug>/webhooks/<int:endpoint_id>/deliveries": Entry("401 404 404 404 404"),
    "api/v1/publishers/<str:slug>/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay": Entry(
        "401 404 404 404 404", method="post"
    ),
    "api/v1/tokens": Entry("401 201 201 201 201", method="post", body='{"scope": "read"}'),
    # Revoking the owner's token: only the owner may; to anyone else it does not exist.
    "api/v1/tokens/<int:token_id>": Entry("401 404 404 204 404", method="delete"),
    "^api/repos/create$": Entry("401 400 400 400 400", method="post"),
    "^api/repos/delete$": Entry("403 403 403 403 403", method="delete"),  # never possible here
    "^api/validate-yaml$": Entry(EVERYONE, method="post"),  # a stateless syntax check
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+?)/preupload/(?P<revision>.+)$": Entry(
        repo_write("400"), method="post"
    ),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+?)/commit/(?P<revision>.+)$": Entry(
        repo_write("400"), method="post"
    ),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+?)/tag/(?P<revision>.+)$": Entry(
        repo_write("400"), method="post"
    ),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+?)/branch/(?P<branch>.+)$": Entry(
        repo_write("200"), method="post"
    ),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+?)/xet-write-token/(?P<revision>.+)$": Entry(
        repo_write("200")
    ),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+?)/xet-read-token/(?P<revision>.+)$": Entry(REPO_FILES),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+?)/auth-check/write$": Entry(repo_write("200")),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+?)/settings$": Entry(repo_write("400"), method="put"),
    # Exporting a bundle is for the organisation's members, even of a public model.
    "api/v1/models/<str:namespace>/<str:name>/bundle": Entry(
        {
            "public": "401 200 200 200 403",
            "private": PRIVATE_READ.replace("404", "401", 1),
            "gated": "401 200 200 200 403",
        }
    ),
    "api/v1/bundles": Entry("401 403 403 403 403", method="post"),  # staff only
    # The Xet CAS takes its own short-lived Xet tokens (from xet-*-token above), not API tokens.
    "^xet-cas/v1/xorbs/(?P<prefix>[^/]+)/(?P<hash_text>[0-9a-fA-F]{64})$": Entry(
        "401 401 401 401 401", method="post"
    ),
    "^xet-cas/v1/shards$": Entry("401 401 401 401 401", method="post"),
    "^xet-cas/v1/reconstructions/(?P<file_id>[0-9a-fA-F]{64})$": Entry("401 401 401 401 401"),
    "^xet-cas/v2/(?:shards|reconstructions)(?:/.*)?$": Entry("501 501 501 501 501"),  # client falls back
    "^xet-cas/v1/telemetry$": Entry(EVERYONE, method="post"),  # accepted and dropped
    "^v1/telemetry$": Entry(EVERYONE, method="post"),
    "^xet-cas/.*$": Entry("404 404 404 404 404"),
    # Webhooks belong to the organisation's owners and maintainers; to others they do not exist.
    "portal/orgs/<str:slug>/webhooks": Entry("302 404 200 200 404"),
    "portal/orgs/<str:slug>/webhooks/<int:endpoint_id>": Entry("302 404 404 404 404"),  # no such endpoint
    # Refused (reader, outsider): back to the endpoint page with the reason; managers: no such delivery.
    "portal/orgs/<str:slug>/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay": Entry(
        "302 302 404 404 302", method="post"
    ),
    "portal/bundles/export": Entry("302 400 400 400 400"),  # which models to export is missing
    "portal/bundles/import": Entry("302 403 403 403 403"),  # operators (staff) only
    r"^(?P<namespace>[^/]+)/(?P<name>[^/]+?)\.git/info/lfs/objects/batch$": Entry(
        repo_write("400"), method="post"
    ),
    # Presigned-upload completion is authorised by the session's secret, not by the caller.
    "^api/uploads/(?P<session_id>[0-9]+)/complete$": Entry("404 404 404 404 404", method="post"),
    "^api/uploads/lfs-verify$": Entry("401 400 400 400 400", method="post"),
    "portal/": Entry(LOGGED_IN),
    "portal/signup": Entry(EVERYONE),
    # The signed link is the credential: confirmed, then sent on to the portal.
    "portal/verify-email/<str:token>": Entry("302 302 302 302 302"),
    "portal/tokens": Entry(LOGGED_IN),
    "portal/orgs/new": Entry(LOGGED_IN),
    "portal/orgs/<repo:slug>": Entry("302 200 200 200 404"),
    # Anyone holding an invitation link may accept it (302 to the organisation); once.
    "portal/invitations/<str:token>": Entry("302 302 302 302 302", method="post"),
    "portal/repos/new": Entry(LOGGED_IN),
    "portal/repos/<repo:namespace>/<repo:name>": Entry(repo_write("200", anonymous="302")),
    "portal/repos/<repo:namespace>/<repo:name>/upload": Entry(repo_write("200", anonymous="302")),
    "portal/api/repos/<repo:namespace>/<repo:name>/uploads": Entry(repo_write("200"), method="post"),
    # A draft belongs to its repository's writers; to everyone else it does not exist.
    "portal/api/uploads/<int:draft_id>": Entry("401 404 200 200 404"),
    "portal/api/uploads/<int:draft_id>/files": Entry("401 404 400 400 404", method="post"),
    "portal/api/uploads/<int:draft_id>/publish": Entry("401 404 422 422 404", method="post"),
    "portal/api/uploads/<int:draft_id>/cancel": Entry("401 404 200 200 404", method="post"),
    "portal/api/uploads/<int:draft_id>/card": Entry("401 404 200 200 404", method="post"),
    "portal/api/card-preview": Entry(API_LOGGED_IN, method="post"),
    "portal/api/files/<int:session_id>/complete": Entry("401 404 404 404 404", method="post"),
    "^api/whoami-v2$": Entry(API_LOGGED_IN),
    "^api/models$": Entry(EVERYONE),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+)$": Entry(REPO_READ),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+)/revision/(?P<revision>.+)$": Entry(REPO_READ),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+)/tree/(?P<rest>.+)$": Entry(REPO_READ),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+)/paths-info/(?P<revision>.+)$": Entry(
        REPO_READ, method="post"
    ),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+)/refs$": Entry(REPO_READ),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+)/commits/(?P<revision>.+)$": Entry(REPO_READ),
    "^api/models/(?P<namespace>[^/]+)/(?P<name>[^/]+)/auth-check$": Entry(REPO_FILES),
    "^api/models/(?P<name>[^/]+)$": Entry("404 404 404 404 404"),  # names without a namespace
    "^api/models-tags-by-type$": Entry(EVERYONE),
    "^api/settings/repositories$": Entry(API_LOGGED_IN),  # the caller's own namespace
    "^api/organizations/(?P<namespace>[^/]+)/settings/repositories$": Entry("401 200 200 200 403"),
    "^(?P<namespace>[^/]+)/(?P<name>[^/]+)/resolve/(?P<rest>.+)$": Entry(REPO_FILES),
    "^(?P<name>[^/]+)/resolve/(?P<rest>.+)$": Entry("404 404 404 404 404"),
    "^api/(?P<rest>.*)$": Entry("404 404 404 404 404"),  # datasets, Spaces, discussions...: not served
    "": Entry(EVERYONE),
    "models": Entry(EVERYONE),
    "compare": Entry(EVERYONE),
    "leaderboards": Entry(EVERYONE),
    "accounts/login/": Entry(EVERYONE),
    "accounts/logout/": Entry(EVERYONE, method="post"),
    "<repo:namespace>": Entry(EVERYONE),
    "<repo:namespace>/<repo:name>": Entry(REPO_READ),
    "<repo:namespace>/<repo:name>/tree/<path:revision>": Entry(REPO_READ),
    # Not gated: sent back to the model page; gated: the terms form (members have access already).
    "<repo:namespace>/<repo:name>/access": Entry(
        {"public": "302 302 302 302 302", "private": "302 302 302 302 404", "gated": "302 200 200 200 200"}
    ),
    "<repo:namespace>/<repo:name>/access-requests": Entry(repo_write("200", anonymous="302")),
}


def values(world: World, kind: str, actor: str, route: str) -> dict[str, str]:
    version = world.versions[kind]
    signature = VersionSignature.objects.filter(version=version).first()
    return {
        "namespace": "acme",
        "name": f"{kind}-model",
        "revision": version.commit_id if "tree/" in route else "main",
        "rest": "main/config.json" if "resolve" in route else "main",
        "branch": f"branch-{actor}",
        "session_id": "999999",
        "token_id": str(world.victim_tokens[kind].pk),
        "draft_id": str(world.drafts[kind].pk),
        "slug": "acme",
        "token": world.invitations[kind, actor] if "invitations" in route else world.verify_token,
        "hint": "current",
        "evaluator": "card",
        "industry": "retail",
        "task": "text-generation",
        "pk": str(signature.pk),
        "prefix": "default",
        "hash_text": "0" * 64,
        "file_id": "0" * 64,
        "endpoint_id": "999999",
        "delivery_id": "999999",
    }


def request(world: World, route: str, entry: Entry, kind: str, actor: str) -> int:
    client = Client(raise_request_exception=False)
    path = fill(route, values(world, kind, actor, route))
    headers = {}
    if actor != "anonymous":
        if path.startswith("/api/") or ".git/" in path:
            headers["Authorization"] = f"Bearer {world.raw_token_of[actor]}"
        else:
            client.force_login(world.users[actor])
    call = getattr(client, entry.method)
    if entry.method == "get":
        response = call(path, headers=headers)
    else:
        response = call(path, data=entry.body, content_type="application/json", headers=headers)
    return response.status_code


@pytest.fixture
def matrix_world(world: World) -> World:
    owner = world.users["owner"]
    world.victim_tokens = {
        kind: tokens.create_token(user=owner, scope=ApiToken.Scope.READ, name=f"victim-{kind}")[0]
        for kind in KINDS
    }
    # Invitations to an organisation of their own: accepting one must not make anyone a member of
    # acme for the routes tested after it.
    inviting = Publisher.objects.create(slug="inviting-org", kind=Publisher.Kind.ORGANISATION)
    Membership.objects.create(publisher=inviting, user=owner, role="owner")
    world.invitations = {
        (kind, actor): accounts.invite(
            publisher=inviting, email=f"{kind}-{actor}@example.com", role="reader", actor=owner
        ).token
        for kind in KINDS
        for actor in ACTORS
    }
    EmailVerification.objects.create(user=world.users["reader"], email="reader@example.com")
    return world


def test_every_route_has_a_matrix_entry():
    routes = {route for route in all_routes() if not route.startswith("admin/")}
    assert sorted(routes - MATRIX.keys()) == [], "new routes need an entry in MATRIX"
    assert sorted(MATRIX.keys() - routes) == [], "MATRIX names routes that no longer exist"


def test_authorization_matrix(matrix_world):
    wrong = []
    for route, entry in MATRIX.items():
        # The same answer for every kind of repository: asked about one of them.
        kinds = ("public",) if isinstance(entry.expected, str) else KINDS
        for kind in kinds:
            expected = entry.expected if isinstance(entry.expected, str) else entry.expected[kind]
            got = " ".join(str(request(matrix_world, route, entry, kind, actor)) for actor in ACTORS)
            if got != expected:
                wrong.append(f"{entry.method.upper()} {route} [{kind}]: expected {expected}, got {got}")
    assert wrong == [], "\n".join(wrong)


def test_admin_is_for_staff_only(world):
    """Every admin route sends non-staff callers (anonymous or signed in) to the admin login."""
    outsiders = [None, world.users["owner"]]
    for route in all_routes():
        if not route.startswith("admin/") or route in {"admin/login/", "admin/logout/"}:
            continue
        path = fill(route, defaultdict(lambda: "1", app_label="registry", url="anything"))
        for user in outsiders:
            client = Client(raise_request_exception=False)
            if user is not None:
                client.force_login(user)
            response = client.get(path)
            assert response.status_code in {302, 404}, (route, user, response.status_code)
            if response.status_code == 302:
                assert "/admin/login/" in response["Location"], route
    assert AuditEvent.objects.filter(action__startswith="admin").count() == 0
