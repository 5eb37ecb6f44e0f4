"""A page the service serves as it is, from files in a package: one HTML
page at ``path`` and its assets under ``path``/static, open (the page signs
in through the API itself), with a strict Content-Security-Policy and
revalidated on every load, so that after an upgrade no browser keeps an old
module next to a new one (the modules carry no version in their names)."""

from __future__ import annotations

from importlib.resources.abc import Traversable
from typing import Any

from litestar import Response, get
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router


def page(path: str, static: Traversable, html: str, csp: str, name: str) -> tuple[Any, Any]:
    """(the page's handler, its assets' router)."""

    @get([path, path + "/"], include_in_schema=False, opt={"exclude_from_auth": True}, name=f"{name}_page")
    async def serve_page() -> Response[bytes]:
        return Response(
            static.joinpath(html).read_bytes(), media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff",
                     "Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"},
        )

    assets = create_static_files_router(
        path=f"{path}/static", directories=[str(static)], include_in_schema=False,
        opt={"exclude_from_auth": True}, name=f"{name}_static", cache_control=CacheControlHeader(no_cache=True),
    )
    return serve_page, assets
