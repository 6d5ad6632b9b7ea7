"""API keys of what the gateway serves (endpoints, RAGs): created (shown once),
listed masked, revoked. Each area keeps its keys in its own table with the
same columns; the owner column names what a key opens.

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

from jupyter_easymaker.core.errors import Conflict, NotFound
from jupyter_easymaker.core.resources import new_id, parse
from jupyter_easymaker.core.tables import utcnow

KEY_PREFIX = "emk"
MAX_KEYS_PER_OWNER = 100


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
    owner_id: str


class ApiKeyService:
    """``table``: the area's key table; ``owner``: its column naming what a key
    opens (``endpoint_id``); ``create``/``out``: the area's request and answer models."""

    def __init__(self, db, table: Any, owner: str, *, create: Any, out: Any, kind: str):
        self.db = db
        self.table = table
        self.owner = owner
        self.owner_column = getattr(table, owner)
        self.create_model = create
        self.out_model = out
        self.kind = kind
        self._lock = threading.Lock()
        self._verified: dict[str, VerifiedKey] = {}  # sha256(key) -> key (revocation removes it)
        self._used: dict[str, datetime] = {}  # key id -> last use, written to the store by flush_usage()

    def out(self, row: Any, key: str | None = None) -> Any:
        return self.out_model(id=row.id, **{self.owner: getattr(row, self.owner)}, name=row.name,
                              masked=masked(row.prefix, row.last4), created_at=row.created_at, revoked_at=row.revoked_at,
                              last_used_at=row.last_used_at, key=key)

    def create_in(self, session, owner_id: str, body: Any) -> Any:
        data = parse(self.create_model, body if body is not None else {})
        table = self.table
        count = len(session.scalars(select(table.id).where(self.owner_column == owner_id, table.revoked_at.is_(None))).all())
        if count >= MAX_KEYS_PER_OWNER:
            raise Conflict(f"a {self.kind} has at most {MAX_KEYS_PER_OWNER} active API keys: revoke one first")
        while True:
            prefix = secrets.token_hex(4)
            if session.scalar(select(table.id).where(table.prefix == prefix)) is None:
                break
        key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        salt = secrets.token_hex(16)
        row = table(id=new_id(), **{self.owner: owner_id}, name=data.name, prefix=prefix, last4=key[-4:],
                    salt=salt, digest=_digest(salt, key), created_at=utcnow())
        session.add(row)
        session.flush()
        return self.out(row, key)

    def list_in(self, session, owner_id: str) -> list[Any]:
        table = self.table
        rows = session.scalars(select(table).where(self.owner_column == owner_id).order_by(table.created_at, table.id)).all()
        used = dict(self._used)
        out = []
        for r in rows:
            item = self.out(r)
            if r.id in used and (item.last_used_at is None or used[r.id] > item.last_used_at):
                item.last_used_at = used[r.id]
            out.append(item)
        return out

    def revoke_in(self, session, owner_id: str, key_ref: str) -> Any:
        row = session.get(self.table, key_ref) or session.scalar(select(self.table).where(self.table.prefix == key_ref))
        if row is None or getattr(row, self.owner) != owner_id:
            raise NotFound(f"API key {key_ref!r} does not exist on this {self.kind}", field="key")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        self.forget(key_id=row.id)
        return self.out(row)

    def forget(self, *, key_id: str | None = None, owner_id: str | None = None) -> None:
        with self._lock:
            for digest, verified in list(self._verified.items()):
                if verified.key_id == key_id or verified.owner_id == owner_id:
                    del self._verified[digest]

    def forget_all(self) -> None:
        """Verify every key against the store again (another process revoked or deleted some)."""
        with self._lock:
            self._verified.clear()

    def cached(self, key: str) -> bool:
        """Whether verify() answers this key without the store."""
        return hashlib.sha256(key.encode("utf-8")).hexdigest() in self._verified

    # -- the gateway's side ---------------------------------------------------------
    def verify(self, owner_id: str, key: str | None) -> VerifiedKey | None:
        """The key if it is a valid, unrevoked key of this owner."""
        if not key:
            return None
        fingerprint = hashlib.sha256(key.encode("utf-8")).hexdigest()
        verified = self._verified.get(fingerprint)
        if verified is None:
            prefix = split_key(key)
            if prefix is None:
                return None
            with self.db.session() as session:
                row = session.scalar(select(self.table).where(self.table.prefix == prefix))
                if row is None or row.revoked_at is not None or not hmac.compare_digest(_digest(row.salt, key), row.digest):
                    return None
                verified = VerifiedKey(row.id, getattr(row, self.owner))
            with self._lock:
                self._verified[fingerprint] = verified
        if verified.owner_id != owner_id:
            return None
        self._used[verified.key_id] = utcnow()
        return verified

    def touch(self, key_id: str) -> None:
        """A verified key was used again (on a connection its first use opened)."""
        self._used[key_id] = utcnow()

    def flush_usage(self, session) -> None:
        # kept in memory too (one entry per key): a list during a flush still shows the last use
        for key_id, when in list(self._used.items()):
            row = session.get(self.table, key_id)
            if row is not None and (row.last_used_at is None or when > row.last_used_at):
                row.last_used_at = when
