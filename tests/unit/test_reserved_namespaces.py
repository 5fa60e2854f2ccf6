"""Namespaces named like the site's own paths are refused when created: their model pages and
downloads (/{namespace}/{name}/resolve/...) would be answered by that route instead."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import get_resolver
from django.urls.resolvers import RoutePattern, URLResolver

from registry.errors import InvalidInput
from registry.models import Publisher
from registry.services import accounts
from registry.services.repositories import RESERVED_NAMESPACES, ensure_publisher


def _first_segments(patterns, prefix: str = "") -> set[str]:
    segments = set()
    for entry in patterns:
        pattern = entry.pattern
        text = prefix + (pattern._route if isinstance(pattern, RoutePattern) else pattern._regex.lstrip("^"))
        if isinstance(entry, URLResolver):
            segments |= _first_segments(entry.url_patterns, text)
        else:
            segments.add(re.split(r"[/(<\[?$\\.*+]", text, maxsplit=1)[0])
    return segments - {""}


def test_every_first_path_segment_of_the_site_is_reserved():
    segments = _first_segments(get_resolver().url_patterns)
    assert {"admin", "api", "portal", "models"} <= segments  # the walk sees the routes
    assert segments <= RESERVED_NAMESPACES, f"reserve these too: {sorted(segments - RESERVED_NAMESPACES)}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["admin", "API", "portal"])
def test_sign_up_with_a_reserved_name_is_refused_and_creates_nothing(name):
    with pytest.raises(InvalidInput, match=rf"the name '{name}' is reserved: /{name.lower()}/ is a path"):
        accounts.sign_up(username=name, email="someone@example.com", password="a-long-passphrase-1")
    assert not get_user_model().objects.filter(username=name).exists()


@pytest.mark.django_db
def test_organisations_and_the_personal_namespace_of_a_reserved_username_are_refused():
    owner = get_user_model().objects.create_user("owner", password="x" * 12)
    with pytest.raises(InvalidInput, match="'leaderboards' is reserved"):
        accounts.create_organisation(slug="leaderboards", display_name="L", owner=owner)
    with pytest.raises(InvalidInput, match="'xet-cas' is reserved"):
        ensure_publisher(slug="xet-cas")
    # The local admin of `make run` is named admin: it publishes under organisations instead.
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "x" * 12)
    with pytest.raises(InvalidInput, match=r"user name 'admin' is reserved .* publish under an organisation"):
        accounts.personal_namespace(user=admin)
    assert not Publisher.objects.filter(slug__in=["leaderboards", "xet-cas", "admin"]).exists()
    assert accounts.create_organisation(slug="acme", display_name="Acme", owner=owner).slug == "acme"
