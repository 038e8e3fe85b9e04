"""Sign-in for the web pages, and protection of their forms against cross-site requests.

The session cookie ``ctd_session`` holds the user's API token with an expiry, signed with
HMAC-SHA256 under a secret key kept in ``<data dir>/web-secret.key`` (created mode 0600 on
first use). Each request re-checks the token with ``auth.authenticate``, so a revoked token
ends the session at once.

CSRF: a random nonce in the cookie ``ctd_csrf`` (set on the first page shown), and in every
form a hidden field ``csrf`` = HMAC(secret, nonce | session cookie). Another site can neither
read the nonce nor compute the field, and a field is worth nothing with another session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from functools import cache
from pathlib import Path

from fastapi import Request, Response
from sqlmodel import Session

from catalogue import auth
from catalogue.config import load_settings
from catalogue.errors import Unauthorized
from catalogue.files import secret_file

SESSION_COOKIE = "ctd_session"
CSRF_COOKIE = "ctd_csrf"
CSRF_FIELD = "csrf"
SESSION_SECONDS = 12 * 3600
SECRET_FILE = "web-secret.key"


# --- the secret key -------------------------------------------------------------------------

@cache
def _secret(directory: Path) -> bytes:
    return secret_file(directory / SECRET_FILE, lambda: secrets.token_bytes(32))


def secret() -> bytes:
    return _secret(load_settings().data_dir)


def _mac(purpose: str, message: str) -> str:
    digest = hmac.new(secret(), f"{purpose}\x00{message}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


# --- the session cookie ---------------------------------------------------------------------

def sign(token: str, now: float | None = None) -> str:
    """The cookie value for ``token``: ``token.expiry.signature``."""
    expires = int(now if now is not None else time.time()) + SESSION_SECONDS
    return f"{token}.{expires}.{_mac('session', f'{token}.{expires}')}"


def unsign(value: str | None, now: float | None = None) -> str | None:
    """The token of a valid, unexpired cookie value, else None."""
    if not value:
        return None
    token, _, rest = value.partition(".")
    expires, _, signature = rest.partition(".")
    if not (token and expires.isdigit() and signature):
        return None
    if not hmac.compare_digest(signature, _mac("session", f"{token}.{expires}")):
        return None
    if int(expires) < (now if now is not None else time.time()):
        return None
    return token


def actor(request: Request, session: Session) -> auth.Actor:
    """Who the page is for: the signed-in user, else the anonymous public."""
    token = unsign(request.cookies.get(SESSION_COOKIE))
    if token is None:
        return auth.ANONYMOUS
    try:
        return auth.authenticate(session, token)
    except Unauthorized:
        return auth.ANONYMOUS


def _secure(request: Request) -> bool:
    public = load_settings().public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def sign_in(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, sign(token), max_age=SESSION_SECONDS, path="/",
                        httponly=True, samesite="lax", secure=_secure(request))


def sign_out(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=_secure(request))


# --- CSRF -----------------------------------------------------------------------------------

def _nonce(request: Request) -> str:
    """This browser's CSRF nonce: its cookie, or a new one that ``set_csrf_cookie`` sends."""
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce:
        nonce = getattr(request.state, "new_csrf_nonce", None)
        if nonce is None:
            nonce = request.state.new_csrf_nonce = secrets.token_urlsafe(32)
    return nonce


def csrf_token(request: Request) -> str:
    """The value of the ``csrf`` field of this browser's forms."""
    return _mac("csrf", f"{_nonce(request)}|{request.cookies.get(SESSION_COOKIE, '')}")


def csrf_valid(request: Request, submitted: str | None) -> bool:
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce or not submitted:
        return False
    expected = _mac("csrf", f"{nonce}|{request.cookies.get(SESSION_COOKIE, '')}")
    return hmac.compare_digest(submitted, expected)


def set_csrf_cookie(request: Request, response: Response) -> None:
    """Send the nonce made while rendering this page, if the browser had none."""
    nonce = getattr(request.state, "new_csrf_nonce", None)
    if nonce is not None:
        response.set_cookie(CSRF_COOKIE, nonce, path="/", httponly=True, samesite="lax",
                            secure=_secure(request))
