"""One way to answer a request with a page: the whole page, or one block of it for htmx."""

from __future__ import annotations

from flask import Response, make_response, redirect, render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    """True when htmx asked for part of a page (not a boosted navigation or history restore)."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template: str, block: str | None = None, status: int = 200, **context) -> Response:
    """Render `template`; for an htmx request that targets part of it, only `block`.

    Fragments are named blocks of the page template, never copies of it, so a page with
    JavaScript off and the htmx swap show the same markup.
    """
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def redirect_after_post(location: str) -> Response:
    """After a successful POST: 303 for browsers, HX-Location for htmx fragment requests."""
    if wants_fragment():
        response = make_response("", 204)
        response.headers["HX-Location"] = location
        return response
    return redirect(location, 303)
