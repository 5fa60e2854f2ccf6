"""The admin, as a moderator uses it: everything listed, published versions read-only."""

import re

import pytest

from registry.models import Version
from tests.integration.helpers import publish

pytestmark = pytest.mark.django_db


def hidden_inputs(html: bytes) -> dict[str, str]:
    """The form's hidden fields (inline management forms and ids), as the browser would send them."""
    return {
        m["name"]: m["value"]
        for m in re.finditer(rb'<input type="hidden" name="(?P<name>[^"]+)" value="(?P<value>[^"]*)"', html)
        for m in [{k: v.decode() for k, v in m.groupdict().items()}]
    }


@pytest.fixture
def published(model_folder):
    return publish(model_folder, "acme/admin-view")


def test_admin_lists_registry_objects(admin_client, published):
    for page in ["modelrepository", "version", "versionfile", "blob", "publisher", "auditevent", "modelcard"]:
        answer = admin_client.get(f"/admin/registry/{page}/")
        assert answer.status_code == 200, page
    assert b"acme/admin-view" in admin_client.get("/admin/registry/modelrepository/").content


def test_admin_cannot_change_or_delete_a_published_version(admin_client, published):
    url = f"/admin/registry/version/{published.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b'name="message"' not in page.content  # rendered read-only
    answer = admin_client.post(
        url,
        {
            **hidden_inputs(page.content),
            "message": "tampered",
            "is_yanked": "on",
            "yank_reason": "bad weights",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[-3000:]
    version = Version.objects.get(pk=published.pk)
    assert version.message == published.message and version.is_yanked and version.yank_reason == "bad weights"
    assert (
        admin_client.post(f"/admin/registry/version/{published.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Version.objects.filter(pk=published.pk).exists()
    file = published.files.first()
    assert (
        admin_client.post(f"/admin/registry/versionfile/{file.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


def test_home_page_lists_the_published_model(client, published):
    page = client.get("/")
    assert page.status_code == 200
    assert b"acme/admin-view" in page.content
