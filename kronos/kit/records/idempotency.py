"""``Idempotency-Key`` on POST: a retry returns the first response and writes nothing twice.

The key is claimed (a row inserted) at the start of the request and its response stored at the end, both in
the request's own transaction: the write and its key commit together or not at all. A request that fails
(4xx/5xx) rolls back, key included, so it can be retried. A second request with the same key that arrives
while the first is still running blocks on the key's primary key (PostgreSQL) and then gets a unique
violation: 409 ``idempotency_conflict``, with nothing written.

Keys are per (workspace, principal): a user's key, or an API key's. They are honoured for 24 hours; an older
row is replaced by the next request that brings the same key.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.responses import JSONResponse

from kronos.kit.auth import Principal
from kronos.kit.clock import utcnow
from kronos.kit.crypto import KEYS
from kronos.kit.errors import Conflict, FieldError, ValidationFailed
from kronos.kit.models import Base
from kronos.kit.records.models import NullableJSON

MAX_KEY_LENGTH = 255
TTL = timedelta(hours=24)
_SEALED = "$sealed"
HEADER_DESCRIPTION = (
    "A unique string (at most 255 characters) chosen by the client. Retrying a POST with the same key and "
    "body within 24 hours returns the first response and changes nothing."
)


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency_key_reused"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


class InvalidIdempotencyKey(ValidationFailed):
    code = "invalid_idempotency_key"


class IdempotencyKey(Base):
    """A claimed key and, once its request succeeded, the response it got."""

    __tablename__ = "idempotency_keys"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    # The user id for a session, the API key id for an API key.
    principal: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(300))  # "POST /api/v1/contacts"
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer, default=None)
    response_body: Mapped[Any] = mapped_column(NullableJSON, nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def principal_key(principal: Principal) -> uuid.UUID:
    return principal.api_key_id if principal.api_key_id is not None else principal.user_id


def request_hash(endpoint: str, body: Any, *, private: bool = False) -> str:
    # The parsed body, canonicalised: key order and whitespace do not make a different request.
    canonical = json.dumps([endpoint, body], sort_keys=True, separators=(",", ":"), default=str)
    if private:  # a body with sensitive values: a plain hash would let a guess at one be checked offline
        return KEYS.for_writing().digest(canonical.encode())
    return hashlib.sha256(canonical.encode()).hexdigest()


def _associated(tenant_id: uuid.UUID, principal: uuid.UUID, key: str) -> bytes:
    return f"kronos.idempotency/v1/{tenant_id}/{principal}/{key}".encode()


@dataclass(slots=True)
class Claim:
    """A claimed key; ``store`` records the response in the same transaction. ``key`` None: no header."""

    session: AsyncSession
    tenant_id: uuid.UUID
    principal: uuid.UUID
    key: str | None
    # The response holds sensitive values: stored encrypted, like them (``kronos.kit.records.sensitive``).
    private: bool = False

    async def store(self, status: int, body: Any) -> None:
        if self.key is None:
            return
        if self.private:
            associated = _associated(self.tenant_id, self.principal, self.key)
            body = {_SEALED: KEYS.for_writing().seal(body, associated)}
        await self.session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.tenant_id == self.tenant_id,
                IdempotencyKey.key == self.key,
                IdempotencyKey.principal == self.principal,
            )
            .values(response_status=status, response_body=body)
        )


def replay(row: IdempotencyKey, location: str | None = None) -> JSONResponse:
    """The first response again: same status and body; ETag (and Location) derived from the body."""
    body = row.response_body
    if isinstance(body, dict) and set(body) == {_SEALED}:
        body = KEYS.for_reading().open(body[_SEALED], _associated(row.tenant_id, row.principal, row.key))
    headers = {"Idempotent-Replayed": "true"}
    if isinstance(body, dict) and "version" in body and "id" in body:
        headers["ETag"] = f'"{body["version"]}"'
        if location is not None:
            headers["Location"] = f"{location}/{body['id']}"
    return JSONResponse(body, status_code=row.response_status or 200, headers=headers)


async def claim(
    session: AsyncSession,
    principal: Principal,
    key: str | None,
    endpoint: str,
    body: Any,
    *,
    location: str | None = None,
    private: bool = False,
) -> Claim | JSONResponse:
    """Claim ``key`` for this request, or the first response if it was already answered (``location``: the
    collection a created record's Location header points into; ``private``: the object has sensitive
    fields, so the request is fingerprinted with a keyed digest and the response stored encrypted)."""
    who = principal_key(principal)
    tenant_id = principal.tenant_id
    if key is None:
        return Claim(session, tenant_id, who, None)
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
            errors=[
                FieldError(
                    path="header.idempotency-key",
                    message=f"1 to {MAX_KEY_LENGTH} characters.",
                    type="invalid_idempotency_key",
                )
            ],
        )
    digest = request_hash(endpoint, body, private=private)
    where = (
        IdempotencyKey.tenant_id == tenant_id,
        IdempotencyKey.key == key,
        IdempotencyKey.principal == who,
    )
    now = utcnow()
    row = await session.scalar(select(IdempotencyKey).where(*where))
    if row is not None:
        if row.created_at > now - TTL and row.response_status is not None:
            if row.endpoint != endpoint or row.request_hash != digest:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was already used for a different request; use a new key.",
                    errors=[
                        FieldError(
                            path="header.idempotency-key",
                            message="Used for a different request.",
                            type="idempotency_key_reused",
                        )
                    ],
                )
            return replay(row, location)
        # Expired (or, impossibly, committed without a response): the key starts over.
        await session.execute(delete(IdempotencyKey).where(*where))
        session.expunge(row)
    try:
        # A Core INSERT runs now (not at some later flush), so a duplicate is reported here, before any work.
        await session.execute(
            insert(IdempotencyKey).values(
                tenant_id=tenant_id,
                key=key,
                principal=who,
                endpoint=endpoint,
                request_hash=digest,
                created_at=now,
            )
        )
    except IntegrityError:
        raise IdempotencyConflict(
            "A request with this Idempotency-Key is in progress or has just completed; retry it shortly."
        ) from None
    return Claim(session, tenant_id, who, key, private)
