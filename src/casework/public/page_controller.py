"""The citizen's page at /apply: file online, keep the receipt, follow the case.

One HTML page, a stylesheet and an ES module from this package, and the
ALTCHA widget vendored from npm (public/static/vendor/altcha, its external
build so styles and the worker are files): nothing is loaded from outside
and the Content-Security-Policy says so to the browser. docs/public.md
describes it.
"""

from __future__ import annotations

from importlib import resources

from litestar import Response, get
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

STATIC = resources.files("casework.public").joinpath("static")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@get(["/apply", "/apply/"], include_in_schema=False, opt={"exclude_from_auth": True})
async def apply_page() -> Response[bytes]:
    return Response(
        STATIC.joinpath("apply.html").read_bytes(), media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                 "Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"},
    )


apply_assets = create_static_files_router(
    path="/apply/static", directories=[str(STATIC)], include_in_schema=False,
    opt={"exclude_from_auth": True}, name="apply_static", cache_control=CacheControlHeader(no_cache=True),
)
