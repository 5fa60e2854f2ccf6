"""Pages. Thin: each parses the request, reads through the access gate and selectors, renders."""

from .access import access_requests_page, request_access
from .browse import compare, leaderboards, publisher_page
from .catalog import catalog, home
from .model_page import model_page

__all__ = [
    "access_requests_page",
    "catalog",
    "compare",
    "home",
    "leaderboards",
    "model_page",
    "publisher_page",
    "request_access",
]
