"""Registry accounts: stored with the password encrypted (core/secrets.py),
answered with it masked, decrypted only to make a pull secret."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.registry_accounts.schemas import (
    RegistryAccountCreate,
    RegistryAccountOut,
    RegistryCredentials,
    registry_address,
)
from jupyter_easymaker.areas.registry_accounts.statuses import REGISTRY_ACCOUNT_MACHINE
from jupyter_easymaker.areas.registry_accounts.tables import RegistryAccount
from jupyter_easymaker.core.errors import Conflict, InvalidInput
from jupyter_easymaker.core.resources import ListQuery, ResourceService, new_id, parse
from jupyter_easymaker.core.secrets import SecretBox
from jupyter_easymaker.core.tables import utcnow

# what other areas' guards on this kind mean (core/area.py Guard): images using the account
# block its deletion; running work using those images makes a credentials change risky
IN_USE_KIND = "registry account credentials"
CREDENTIALS_WARNING = ("the registry id and password changed while {what} using its images are running or being created: "
                       "pulling their images again uses the new login, and a wrong one makes them fail")
PULL_SECRET_PREFIX = "easymaker-registry-"


def pull_secret_name(account_id: str) -> str:
    """The Kubernetes Secret an account becomes (deterministic, so every job shares one)."""
    return PULL_SECRET_PREFIX + account_id.lower().replace("_", "-")[:40]


class RegistryAccountService(ResourceService):
    table = RegistryAccount
    machine = REGISTRY_ACCOUNT_MACHINE
    kind = "registry account"

    def __init__(self, platform: Any):
        super().__init__(platform)
        self.secrets = SecretBox(self.settings.data_dir)

    def out(self, session: Session, row: RegistryAccount, warnings: list[str] | None = None) -> RegistryAccountOut:
        images: list[str] = []
        for label, found in self.platform.blockers(self.kind, session, row.id):
            if label == "images" and isinstance(found, (list, tuple)):
                images.extend(found)
        return RegistryAccountOut(
            id=row.id, name=row.name, description=row.description, status=row.status, status_reason=row.status_reason,
            created_at=row.created_at, updated_at=row.updated_at, registry_type=row.registry_type,
            registry_address=row.registry_address, username=row.username, images=images, warnings=warnings or [],
        )

    # -- create ---------------------------------------------------------------
    def add(self, session: Session, body: Any, *, field: str = "") -> RegistryAccount:
        """Store a new account in the caller's transaction (an image form creates one inline);
        ``field`` prefixes the names of the fields an error names."""
        prefix = f"{field}." if field else ""
        try:
            data = parse(RegistryAccountCreate, body)
        except InvalidInput as exc:
            raise InvalidInput(prefix + exc.message, field=prefix + (exc.field or "body")) from None
        try:
            address = registry_address(data.registry_type, data.registry_address)
        except ValueError as exc:
            raise InvalidInput(f"{prefix}registry_address: {exc}", field=f"{prefix}registry_address") from None
        try:
            self.check_name_free(session, data.name)
        except Conflict as exc:
            raise Conflict(prefix + exc.message, field=prefix + "name") from None
        row = RegistryAccount(id=new_id(), name=data.name, description=data.description, registry_type=data.registry_type,
                              registry_address=address, username=data.username, password=self.secrets.encrypt(data.password))
        self.initial(session, row)
        session.add(row)
        session.flush()
        return row

    def create(self, body: Any) -> RegistryAccountOut:
        with self.db.session() as session:
            row = self.add(session, body)
            out = self.out(session, row)
        self.publish(row, "created")
        return out

    # -- queries --------------------------------------------------------------
    def list(self, query: ListQuery) -> tuple[list[RegistryAccountOut], int]:
        with self.db.session() as session:
            rows, total = query.page(session, RegistryAccount, select(RegistryAccount))
            return [self.out(session, r) for r in rows], total

    def get(self, ref: str) -> RegistryAccountOut:
        with self.db.session() as session:
            return self.out(session, self.find(session, ref))

    # -- the guide's two edits ------------------------------------------------
    def update(self, ref: str, body: Any) -> RegistryAccountOut:
        """Name and description (레지스트리 계정 > 이름, 설명 변경)."""
        with self.db.session() as session:
            row = self.rename(session, ref, body)
            out = self.out(session, row)
        self.publish(row, "updated")
        return out

    def update_credentials(self, ref: str, body: Any) -> RegistryAccountOut:
        """The registry id and password (레지스트리 아이디, 비밀번호 수정), with the guide's
        warning when work using the account's images is running or being created."""
        data = parse(RegistryCredentials, body)
        with self.db.session() as session:
            row = self.find(session, ref)
            row.username = data.username
            row.password = self.secrets.encrypt(data.password)
            row.updated_at = utcnow()
            warnings = []
            for label, found in self.platform.blockers(IN_USE_KIND, session, row.id):
                names = ", ".join(repr(n) for n in found[:5]) if isinstance(found, (list, tuple)) else str(found)
                warnings.append(CREDENTIALS_WARNING.format(what=label) + f" ({names})")
            out = self.out(session, row, warnings)
        self.publish(row, "updated")
        return out

    def delete(self, ref: str) -> None:
        with self.db.session() as session:
            row = self.find(session, ref)
            blocked = self.blockers_message(session, row)
            if blocked:
                raise Conflict(blocked, field="id")
            session.delete(row)
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)

    # -- what other areas ask -------------------------------------------------
    def lookup(self, session: Session, ref: str) -> RegistryAccount | None:
        return session.get(RegistryAccount, ref) or session.scalar(select(RegistryAccount).where(RegistryAccount.name == ref))

    def names(self, session: Session, ids: set[str]) -> dict[str, str]:
        if not ids:
            return {}
        return dict(session.execute(select(RegistryAccount.id, RegistryAccount.name).where(RegistryAccount.id.in_(ids))).all())

    def pull_secret(self, account_id: str) -> tuple[str, dict[str, str]] | None:
        """The Secret name and the login of an account, decrypted here and only for a pull secret."""
        with self.db.session() as session:
            row = session.get(RegistryAccount, account_id)
            if row is None:
                return None
            login = {"server": row.registry_address, "username": row.username, "password": self.secrets.decrypt(row.password)}
        return pull_secret_name(account_id), login
