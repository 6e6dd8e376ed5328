"""The access-token authenticator registered in the app: a JWT proves who signed in where, and its session
row (one primary-key lookup) proves the session is still alive, so logging out or a revoked family ends the
access tokens too, not only the refresh token."""

from __future__ import annotations

from fastapi import Request

from kronos.config import Settings
from kronos.kit import clock
from kronos.kit.auth import Principal
from kronos.kit.db import Database
from kronos.modules.identity import access_bridge, tokens
from kronos.modules.identity.exceptions import InvalidToken
from kronos.modules.identity.models import AuthSession

_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


async def authenticate_access_token(request: Request, db: Database, token: str) -> Principal | None:
    if not tokens.looks_like_jwt(token):
        return None  # not ours: an API key, for the access module's authenticator
    settings: Settings = request.app.state.settings
    now = clock.utcnow()
    claims = tokens.decode_access_token(token, secret=settings.secret_key.get_secret_value(), now=now)
    if claims is None:
        raise InvalidToken("The access token is not valid or has expired; refresh it.", headers=_CHALLENGE)
    async with db.read_session() as session:
        auth_session = await session.get(AuthSession, claims.session_id)
        if (
            auth_session is None
            or auth_session.revoked_at is not None
            or auth_session.expires_at <= now
            or auth_session.user_id != claims.user_id
            or auth_session.tenant_id != claims.tenant_id
        ):
            raise InvalidToken("This session has ended; sign in again.", headers=_CHALLENGE)
        access = await access_bridge.load_permissions(session, claims.tenant_id, claims.user_id)
    return Principal(
        user_id=claims.user_id,
        tenant_id=claims.tenant_id,
        via="session",
        permissions=access.permissions,
        visible_owner_ids=access.visible_owner_ids,
        session_id=claims.session_id,
        schema_version=access.schema_version,
    )
