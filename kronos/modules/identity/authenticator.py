"""The access-token authenticator registered in the app: a JWT proves who signed in where, and its session
row proves the session is still alive, so logging out or a revoked family ends the access tokens too, not
only the refresh token.

Checking the session and loading the principal (role, teams, schema version) is one statement, run in the
request's own transaction when the route opened its session first (``kronos.kit.auth.auth_session``); that
statement also binds the transaction to the workspace for row-level security. So an authenticated request
costs no round trip of its own beyond that one, and the check is never cached: a revoked session, a removed
member or a changed role takes effect on the very next request.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from fastapi import Request

from kronos.config import Settings
from kronos.kit import clock
from kronos.kit.auth import Principal, auth_session
from kronos.kit.db import Database
from kronos.modules.identity import tokens
from kronos.modules.identity.exceptions import InvalidToken

_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}

# Tokens whose signature checked out, by (secret, token): verifying one is pure, so a client sending the same
# token on every request (as they do, for its 15 minutes) pays the JSON parsing and HMAC once. Expiry is still
# checked against the clock on every use, and the session row on every request. Only valid tokens are kept, so
# a flood of forged ones cannot crowd them out; the bound caps the memory.
_VERIFIED: OrderedDict[tuple[str, str], tokens.AccessClaims] = OrderedDict()
_VERIFIED_SIZE = 4096


def _verified_claims(token: str, secret: str, now: datetime) -> tokens.AccessClaims | None:
    key = (secret, token)
    claims = _VERIFIED.get(key)
    if claims is None:
        claims = tokens.decode_access_token(token, secret=secret, now=now)
        if claims is None:
            return None
        _VERIFIED[key] = claims
        if len(_VERIFIED) > _VERIFIED_SIZE:
            _VERIFIED.popitem(last=False)
    return claims if claims.expires_at > now else None


async def authenticate_access_token(request: Request, db: Database, token: str) -> Principal | None:
    if not tokens.looks_like_jwt(token):
        return None  # not ours: an API key, for the access module's authenticator
    # Imported here, as access_bridge does: the access module builds on identity's models.
    from kronos.modules.access.service import load_session_access

    settings: Settings = request.app.state.settings
    now = clock.utcnow()
    claims = _verified_claims(token, settings.secret_key.get_secret_value(), now)
    if claims is None:
        raise InvalidToken("The access token is not valid or has expired; refresh it.", headers=_CHALLENGE)
    async with auth_session(request, db) as (session, own_transaction):
        access = await load_session_access(
            session, claims.tenant_id, claims.user_id, claims.session_id, now, bind=own_transaction
        )
    if access is None:
        raise InvalidToken("This session has ended; sign in again.", headers=_CHALLENGE)
    return Principal(
        user_id=claims.user_id,
        tenant_id=claims.tenant_id,
        via="session",
        permissions=access.permissions,
        visible_owner_ids=access.visible_owner_ids,
        session_id=claims.session_id,
        schema_version=access.schema_version,
    )
