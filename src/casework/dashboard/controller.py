"""The petition bureau's dashboard page at /dashboard.

One HTML page, a stylesheet, a favicon and a few ES modules, all served from
this package as they are (no build step): government networks are closed,
so nothing is loaded from the internet (the Content-Security-Policy says so
to the browser too). The page signs in with the same accounts (POST
/api/v1/auth/token) and draws only what the API returns; its charts and the
tile map are plain SVG drawn by dashboard/static/js. docs/backlog.md says
what each screen shows.
"""

from __future__ import annotations

from importlib import resources

from litestar import Response, get
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

STATIC = resources.files("casework.dashboard").joinpath("static")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@get(["/dashboard", "/dashboard/"], include_in_schema=False, opt={"exclude_from_auth": True})
async def dashboard_page() -> Response[bytes]:
    return Response(
        STATIC.joinpath("index.html").read_bytes(), media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                 "Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"},
    )


dashboard_assets = create_static_files_router(
    path="/dashboard/static", directories=[str(STATIC)], include_in_schema=False,
    opt={"exclude_from_auth": True}, name="dashboard_static",
    # Small files, revalidated on every load: after an upgrade no browser keeps
    # an old module next to a new one (the modules carry no version in their names).
    cache_control=CacheControlHeader(no_cache=True),
)
