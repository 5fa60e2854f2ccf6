"""The visibility gate: private is 404 to outsiders, gated is 403 on files until access is granted."""

import pytest

from registry.errors import PermissionDenied, RepositoryGated, RepositoryNotFound
from registry.models import AccessGrant, Membership
from registry.services import access
from tests.integration.helpers import make_repository

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    return {name: django_user_model.objects.create_user(name) for name in ["owner", "reader", "outsider"]}


@pytest.fixture
def repos(people):
    private = make_repository("acme/private", visibility="private")
    auto = make_repository("acme/auto", gating="auto")
    manual = make_repository("acme/manual", gating="manual")
    Membership.objects.create(publisher=private.namespace, user=people["owner"], role="owner")
    Membership.objects.create(publisher=private.namespace, user=people["reader"], role="reader")
    return {"private": private, "auto": auto, "manual": manual}


@pytest.mark.parametrize(
    ("who", "visible"), [("anonymous", False), ("outsider", False), ("reader", True), ("owner", True)]
)
def test_private_repository_is_not_found_for_outsiders(people, repos, who, visible):
    user = people.get(who)
    if visible:
        assert (
            access.access_repository(repository_id="acme/private", user=user, files=True) == repos["private"]
        )
    else:
        with pytest.raises(RepositoryNotFound, match="not found, or you do not have access"):
            access.access_repository(repository_id="acme/private", user=user)


def test_gated_metadata_readable_files_forbidden_until_granted(people, repos):
    outsider = people["outsider"]
    assert access.access_repository(repository_id="acme/auto", user=outsider) == repos["auto"]
    with pytest.raises(RepositoryGated, match="accept its license terms before downloading"):
        access.access_repository(repository_id="acme/auto", user=outsider, files=True)
    grant = access.request_access(repository=repos["auto"], user=outsider, answers={"company": "Initech"})
    assert grant.status == AccessGrant.Status.APPROVED
    assert access.access_repository(repository_id="acme/auto", user=outsider, files=True) == repos["auto"]


def test_manual_gating_waits_for_the_publisher(people, repos):
    outsider, owner = people["outsider"], people["owner"]
    grant = access.request_access(repository=repos["manual"], user=outsider, answers={})
    assert grant.status == AccessGrant.Status.PENDING
    with pytest.raises(RepositoryGated, match="and be approved by the publisher"):
        access.access_repository(repository_id="acme/manual", user=outsider, files=True)
    with pytest.raises(PermissionDenied, match="owner or maintainer role"):
        access.decide_access(grant=grant, approve=True, actor=outsider)
    access.decide_access(grant=grant, approve=True, actor=owner)
    assert access.access_repository(repository_id="acme/manual", user=outsider, files=True) == repos["manual"]


def test_gated_anonymous_is_refused_files(repos):
    with pytest.raises(RepositoryGated):
        access.access_repository(repository_id="acme/manual", user=None, files=True)
