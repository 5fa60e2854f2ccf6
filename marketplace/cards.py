"""Model cards rendered for the page: markdown to HTML, then sanitised.

A card is publisher-written input shown to every visitor, so its HTML is cleaned by nh3 with an
allow-list: no scripts, styles, forms, frames or event handlers, and links only to http(s),
mailto or relative addresses. Published versions never change, so the result is cached per version.
"""

from __future__ import annotations

import markdown
import nh3
from django.core.cache import cache

# Bump when the rendering rules change, so cached cards are rendered again.
RENDERER_VERSION = 2
CACHE_SECONDS = 24 * 3600

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre",
    "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "code": {"class"},  # language-xxx from fenced code blocks
}
URL_SCHEMES = {"http", "https", "mailto"}
# Tags removed together with everything inside them (not just unwrapped to their text).
REMOVED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"}


def render_card(body: str) -> str:
    """Safe HTML of a markdown card body."""
    html = markdown.markdown(body, extensions=["fenced_code", "tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow ugc",
        strip_comments=True,
    )


def rendered_card(*, version_id: int, body: str) -> str:
    """`render_card`, cached: a published version's card never changes."""
    key = f"card-html:v{RENDERER_VERSION}:{version_id}"
    html = cache.get(key)
    if html is None:
        html = render_card(body)
        cache.set(key, html, CACHE_SECONDS)
    return html
