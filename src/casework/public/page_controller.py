"""The citizen's page at /apply: file online, keep the receipt, follow the case.

One HTML page, a stylesheet and an ES module from this package, and the
ALTCHA widget vendored from npm (public/static/vendor/altcha, its external
build so styles and the worker are files): nothing is loaded from outside
and the Content-Security-Policy says so to the browser. docs/public.md
describes it.
"""

from __future__ import annotations

from importlib import resources

from casework.pages import page

STATIC = resources.files("casework.public").joinpath("static")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

apply_page, apply_assets = page("/apply", STATIC, "apply.html", CSP, "apply")
