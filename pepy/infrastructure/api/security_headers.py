"""Security headers on every answer, chosen by what the answer holds; OWASP's Secure Headers Project is the reference.

Data (JSON, CSV, Prometheus' text, Swagger UI's scripts and styles) may load, run and be framed by nothing. Images
(badges, charts) run nothing and may be embedded by any site. Pages (HTML) load only from this origin, run no inline
script but those their view names, and are never framed. README's "Security headers" says why each header is there.
"""

from __future__ import annotations

import base64
import hashlib

from flask import Blueprint, Response, current_app, request

blueprint = Blueprint("security_headers", __name__)

# On every answer, 304s included. pepy reads no Referer, and a page's links to PyPI or GitHub gain nothing by
# telling them which project was looked at. The server would name itself (and its version's known faults) to
# scanners: the answer names the service instead.
EVERY_ANSWER = (
    ("Server", "pepy"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Permitted-Cross-Domain-Policies", "none"),
)
# Cross-Origin-Resource-Policy binds only no-cors loads (<img>, <script>); the API's readers on other sites fetch it
# through CORS, which it does not affect.
DATA = (
    *EVERY_ANSWER,
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
# Badges draw with presentation attributes and charts may use a <style> element; no script, no fetch. Other sites'
# pages embed them, in an <img> or an <object>: framing one is harmless, it has nothing to click.
IMAGE = (
    *EVERY_ANSWER,
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
    ("Cross-Origin-Resource-Policy", "cross-origin"),
)
# Features a statistics page never uses, each one Chromium knows: an unknown name is an error in the console.
PERMISSIONS = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)


def page_headers(script_sources: tuple[str, ...] = ()) -> tuple[tuple[str, str], ...]:
    """The headers of an HTML page that may run the given script sources besides this origin's files."""
    scripts = " ".join(("'self'", *script_sources))
    policy = (
        f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return (
        *EVERY_ANSWER,
        ("Content-Security-Policy", policy),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", PERMISSIONS),
    )


PAGE = page_headers()


def script_hash(script: str) -> str:
    """The Content-Security-Policy source that allows an inline script of exactly this text."""
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def inline_scripts(*scripts: str):
    """Decorate a view: its HTML answers may run these inline scripts, each the exact text between <script> and
    </script>; any other inline script is refused by the browser."""
    headers = page_headers(tuple(script_hash(script) for script in scripts))

    def decorate(view):
        view.page_headers = headers
        return view

    return decorate


@blueprint.after_app_request
def add_security_headers(response: Response) -> Response:
    """Set the headers of what the answer holds: a page, an image, or data."""
    if response.status_code == 304:
        # No body to govern; and a 304's headers replace those stored with the copy it revalidates (RFC 9111,
        # 4.3.4), so a policy guessed here would overwrite the right one.
        headers = EVERY_ANSWER
    elif response.mimetype.startswith("image/"):
        headers = IMAGE
    elif response.mimetype == "text/html":
        view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
        headers = getattr(view, "page_headers", PAGE)
    else:
        headers = DATA
    # Added, not set: no view writes these, and setting each scans every header already there.
    response.headers.extend(headers)
    return response
