"""Every URL pattern of the project, as the resolver sees it, and how to fill in its parameters."""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver, get_resolver


def all_routes() -> list[str]:
    """Each route as its full pattern text, e.g. `api/v1/models/<str:namespace>/<str:name>`."""

    def walk(resolver: URLResolver, prefix: str):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    return list(walk(get_resolver(), ""))


UNNAMED_CHOICE = re.compile(r"\((?:\?:)?([\w-]+)(?:\|[\w-]+)+\)")
PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*(?:\([^)]*\)[^)]*)*\)")


def fill(route: str, values: dict[str, str]) -> str:
    """A concrete path for `route`: each parameter replaced by values[name]; regex anchors dropped."""

    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        return values[name]

    path = PARAM.sub(value, route)
    path = UNNAMED_CHOICE.sub(lambda m: m.group(1), path)  # (a|b) -> a
    path = path.replace("(?:/.*)?", "").replace("(/.*)?", "").replace(".*", "anything").replace("/?", "/")
    return "/" + path.replace("^", "").replace("$", "").replace("\\.", ".")
