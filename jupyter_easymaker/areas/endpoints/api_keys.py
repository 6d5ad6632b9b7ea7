"""API keys of endpoints: created (shown once), listed masked, revoked.

A key reads ``emk_<prefix>_<secret>``. Only the prefix (to find the row),
the last four characters (to recognise it in a list) and a salted SHA-256 of
the whole key are stored. Verified keys are remembered by the SHA-256 of the
key, so the gateway's hot path does no database read after a key's first use.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from jupyter_easymaker.areas.endpoints.schemas import ApiKeyCreate, ApiKeyOut
from jupyter_easymaker.areas.endpoints.tables import EndpointApiKey
from jupyter_easymaker.core.errors import Conflict, NotFound
from jupyter_easymaker.core.resources import new_id, parse
from jupyter_easymaker.core.tables import utcnow

KEY_PREFIX = "emk"
MAX_KEYS_PER_ENDPOINT = 100


def _digest(salt: str, key: str) -> str:
    return hashlib.sha256((salt + key).encode("utf-8")).hexdigest()


def split_key(key: str) -> str | None:
    """The prefix part of a well-formed key, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 8 or not parts[2]:
        return None
    return parts[1]


def masked(prefix: str, last4: str) -> str:
    return f"{KEY_PREFIX}_{prefix}_{'*' * 8}{last4}"


@dataclass(frozen=True)
class VerifiedKey:
    key_id: str
    endpoint_id: str


class ApiKeyService:
    def __init__(self, db):
        self.db = db
        self._lock = threading.Lock()
        self._verified: dict[str, VerifiedKey] = {}  # sha256(key) -> key (revocation removes it)
        self._used: dict[str, datetime] = {}  # key id -> last use, written to the store by flush_usage()

    @staticmethod
    def out(row: EndpointApiKey, key: str | None = None) -> ApiKeyOut:
        return ApiKeyOut(id=row.id, endpoint_id=row.endpoint_id, name=row.name, masked=masked(row.prefix, row.last4),
                         created_at=row.created_at, revoked_at=row.revoked_at, last_used_at=row.last_used_at, key=key)

    def create_in(self, session, endpoint_id: str, body: Any) -> ApiKeyOut:
        data = parse(ApiKeyCreate, body if body is not None else {})
        count = len(session.scalars(select(EndpointApiKey.id).where(EndpointApiKey.endpoint_id == endpoint_id,
                                                                    EndpointApiKey.revoked_at.is_(None))).all())
        if count >= MAX_KEYS_PER_ENDPOINT:
            raise Conflict(f"an endpoint has at most {MAX_KEYS_PER_ENDPOINT} active API keys: revoke one first")
        while True:
            prefix = secrets.token_hex(4)
            if session.scalar(select(EndpointApiKey.id).where(EndpointApiKey.prefix == prefix)) is None:
                break
        key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        salt = secrets.token_hex(16)
        row = EndpointApiKey(id=new_id(), endpoint_id=endpoint_id, name=data.name, prefix=prefix, last4=key[-4:],
                             salt=salt, digest=_digest(salt, key), created_at=utcnow())
        session.add(row)
        session.flush()
        return self.out(row, key)

    def list_in(self, session, endpoint_id: str) -> list[ApiKeyOut]:
        rows = session.scalars(select(EndpointApiKey).where(EndpointApiKey.endpoint_id == endpoint_id)
                               .order_by(EndpointApiKey.created_at, EndpointApiKey.id)).all()
        used = dict(self._used)
        out = []
        for r in rows:
            item = self.out(r)
            if r.id in used and (item.last_used_at is None or used[r.id] > item.last_used_at):
                item.last_used_at = used[r.id]
            out.append(item)
        return out

    def revoke_in(self, session, endpoint_id: str, key_ref: str) -> ApiKeyOut:
        row = session.get(EndpointApiKey, key_ref) or session.scalar(
            select(EndpointApiKey).where(EndpointApiKey.prefix == key_ref))
        if row is None or row.endpoint_id != endpoint_id:
            raise NotFound(f"API key {key_ref!r} does not exist on this endpoint", field="key")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        self.forget(key_id=row.id)
        return self.out(row)

    def forget(self, *, key_id: str | None = None, endpoint_id: str | None = None) -> None:
        with self._lock:
            for digest, verified in list(self._verified.items()):
                if verified.key_id == key_id or verified.endpoint_id == endpoint_id:
                    del self._verified[digest]

    # -- the gateway's side ---------------------------------------------------------
    def verify(self, endpoint_id: str, key: str | None) -> VerifiedKey | None:
        """The key if it is a valid, unrevoked key of this endpoint."""
        if not key:
            return None
        fingerprint = hashlib.sha256(key.encode("utf-8")).hexdigest()
        verified = self._verified.get(fingerprint)
        if verified is None:
            prefix = split_key(key)
            if prefix is None:
                return None
            with self.db.session() as session:
                row = session.scalar(select(EndpointApiKey).where(EndpointApiKey.prefix == prefix))
                if row is None or row.revoked_at is not None or not hmac.compare_digest(_digest(row.salt, key), row.digest):
                    return None
                verified = VerifiedKey(row.id, row.endpoint_id)
            with self._lock:
                self._verified[fingerprint] = verified
        if verified.endpoint_id != endpoint_id:
            return None
        self._used[verified.key_id] = utcnow()
        return verified

    def flush_usage(self, session) -> None:
        # kept in memory too (one entry per key): a list during a flush still shows the last use
        for key_id, when in list(self._used.items()):
            row = session.get(EndpointApiKey, key_id)
            if row is not None and (row.last_used_at is None or when > row.last_used_at):
                row.last_used_at = when
