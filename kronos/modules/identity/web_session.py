"""The web app's session mode: the refresh token in an HttpOnly cookie instead of the page's storage.

API clients keep bearer tokens in the body. The web app asks for cookie mode with ``X-Kronos-Session:
cookie`` on every route that issues tokens (sign-in, sign-up, refresh, switch, accepting an invitation); the
answer then carries the access token (which the app keeps in memory only, for its 15 minutes) and sets:

- ``kronos_refresh``: the refresh token, HttpOnly (no script reads it, so an XSS cannot steal the session),
  SameSite=Strict, Secure over HTTPS, scoped to ``/api/v1/auth`` (no other request carries it);
- ``kronos_csrf``: a random value the app's script reads and echoes in ``X-CSRF-Token``. A request that
  authenticates with the cookie (refresh) must carry the matching header (double submit): another site can
  neither read the cookie nor set a custom header without CORS, which the API never grants.

The cookie is the only credential the browser sends by itself, and it only refreshes; every other request is
authorised by the bearer access token, so the API as a whole is not exposed to CSRF.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from kronos.config import Settings
from kronos.kit.errors import Forbidden
from kronos.modules.identity.schemas import Tokens

MODE_HEADER = "x-kronos-session"
REFRESH_COOKIE = "kronos_refresh"
CSRF_COOKIE = "kronos_csrf"
CSRF_HEADER = "x-csrf-token"
COOKIE_PATH = "/api/v1/auth"


class CsrfFailed(Forbidden):
    code = "csrf_failed"


def wants_cookie(request: Request) -> bool:
    return request.headers.get(MODE_HEADER, "").strip().lower() == "cookie"


def _secure(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.public_url.startswith("https://")


def deliver(request: Request, response: Response, settings: Settings, tokens: Tokens) -> Tokens:
    """The tokens as this client takes them: in the body for API clients; in cookie mode the refresh token
    goes into the HttpOnly cookie and out of the body."""
    if not wants_cookie(request):
        return tokens
    secure = _secure(request, settings)
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token or "",
        max_age=settings.refresh_token_ttl,
        path=COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(24),  # a fresh one with every token: a value seen once is no use later
        max_age=settings.refresh_token_ttl,
        path="/",
        secure=secure,
        httponly=False,
        samesite="strict",
    )
    return tokens.model_copy(update={"refresh_token": None})


def cookie_refresh_token(request: Request) -> str | None:
    """The refresh token from the cookie, once the CSRF header matches; None when there is no cookie."""
    token = request.cookies.get(REFRESH_COOKIE)
    if not token:
        return None
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise CsrfFailed("Send the kronos_csrf cookie's value in the X-CSRF-Token header.")
    return token


def clear(response: Response, request: Request, settings: Settings) -> None:
    secure = _secure(request, settings)
    response.delete_cookie(REFRESH_COOKIE, path=COOKIE_PATH, secure=secure, httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, httponly=False, samesite="strict")
