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

from casework.pages import page

STATIC = resources.files("casework.dashboard").joinpath("static")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

dashboard_page, dashboard_assets = page("/dashboard", STATIC, "index.html", CSP, "dashboard")
