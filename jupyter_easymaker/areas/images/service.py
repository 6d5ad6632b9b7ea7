"""Images: the guide's base images (read-only, catalog.py) and private images,
each checked at creation (its address, its registry account, and on the local
backend the Python environment its work runs in). Other areas ask
:meth:`ImageService.runtime_for` where an image's work runs."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.images.catalog import BASE_IMAGES, BaseImage, base_image
from jupyter_easymaker.areas.images.image_runtime import ImageRuntime, Purpose
from jupyter_easymaker.areas.images.probe import ProbeError, here, interpreter_path, own_python_version, probe
from jupyter_easymaker.areas.images.reference import check_reference, registry_host
from jupyter_easymaker.areas.images.schemas import BaseImagesOut, ImageCreate, ImageOut
from jupyter_easymaker.areas.images.statuses import IMAGE_MACHINE, ImageStatus
from jupyter_easymaker.areas.images.tables import Image
from jupyter_easymaker.core.errors import Conflict, InvalidInput
from jupyter_easymaker.core.resources import ListQuery, ResourceService, new_id, parse

IMAGE_TYPE_OF = {"training": "TRAINING", "notebook": "NOTEBOOK"}
IN_USE_KIND = "image in use"  # other areas' guards on it count their running work using an image
CATALOG_DATE = datetime(2023, 12, 1, tzinfo=timezone.utc)  # the guide's base image table's date
DOCKER_HUB_HOSTS = {None, "docker.io", "index.docker.io", "registry-1.docker.io"}


def _host(address: str) -> str:
    return address.split("://", 1)[-1].rstrip("/")


class ImageService(ResourceService):
    table = Image
    machine = IMAGE_MACHINE
    kind = "image"

    @property
    def accounts(self) -> Any:
        return self.platform.service("registry_accounts")

    # -- answers ----------------------------------------------------------------
    def out(self, row: Image, account_name: str | None = None) -> ImageOut:
        if row.local_python:
            available = os.path.isfile(row.local_python)
            reason = "" if available else f"{row.local_python} no longer exists"
        else:
            available, reason, _version = here(row.framework)
        return ImageOut(
            id=row.id, name=row.name, description=row.description, status=row.status, status_reason=row.status_reason,
            created_at=row.created_at, updated_at=row.updated_at, address=row.address, image_type=row.image_type,
            framework=row.framework, framework_version=row.framework_version, python_version=row.python_version,
            registry_account_id=row.registry_account_id, registry_account_name=account_name, local_python=row.local_python,
            available=available, unavailable_reason=reason,
        )

    @staticmethod
    def base_out(image: BaseImage) -> ImageOut:
        available, reason, local_version = here(image.framework)
        return ImageOut(
            id=image.id, name=image.name, description=f"{image.core_type} {image.framework} {image.framework_version}",
            status=ImageStatus.ACTIVE, status_reason="", created_at=CATALOG_DATE, updated_at=CATALOG_DATE, builtin=True,
            address=image.address, image_type=image.image_type, core_type=image.core_type, framework=image.framework,
            framework_version=image.framework_version, python_version=image.python_version, local_python="",
            available=available, unavailable_reason=reason,
        )

    def _outs(self, session: Session, rows: list[Image]) -> list[ImageOut]:
        names = self.accounts.names(session, {r.registry_account_id for r in rows if r.registry_account_id})
        return [self.out(r, names.get(r.registry_account_id or "")) for r in rows]

    # -- create ---------------------------------------------------------------------
    def _environment(self, data: ImageCreate) -> tuple[str, str, str]:
        """(interpreter, Python version, framework version) of the image's local environment."""
        if not data.local_python:
            _ok, _reason, version = here(data.framework)
            return "", own_python_version(), version
        try:
            path = interpreter_path(data.local_python, self.settings.options("images").get("conda_root"))
            env = probe(path, data.framework)
        except ProbeError as exc:
            raise InvalidInput(f"local_python: {exc}", field="local_python") from None
        return env.python, env.python_version, env.framework_version

    def create(self, body: Any) -> ImageOut:
        data = parse(ImageCreate, body)
        try:
            check_reference(data.address)
        except ValueError as exc:
            raise InvalidInput(f"address: {exc}", field="address") from None
        if data.registry_account_id and data.registry_account is not None:
            raise InvalidInput("registry_account: give an existing account (registry_account_id) or a new one, not both",
                               field="registry_account")
        if base_image(data.name) is not None:
            raise Conflict(f"{data.name!r} is the name of a base image", field="name")
        python, python_version, framework_version = self._environment(data)  # before the transaction: it runs a process
        with self.db.session() as session:
            self.check_name_free(session, data.name)
            account = None
            if data.registry_account is not None:
                account = self.accounts.add(session, data.registry_account, field="registry_account")
            elif data.registry_account_id:
                account = self.accounts.lookup(session, data.registry_account_id)
                if account is None:
                    raise InvalidInput(f"registry_account_id: registry account {data.registry_account_id!r} does not exist",
                                       field="registry_account_id")
            if account is not None:
                self._check_registry(data.address, account)
            row = Image(id=new_id(), name=data.name, description=data.description, address=data.address,
                        image_type=data.image_type, framework=data.framework,
                        registry_account_id=account.id if account is not None else None, local_python=python,
                        python_version=python_version, framework_version=framework_version)
            self.initial(session, row)
            session.add(row)
            out = self.out(row, account.name if account is not None else None)
        self.publish(row, "created")
        if account is not None and data.registry_account is not None:
            self.accounts.publish(account, "created")
        return out

    @staticmethod
    def _check_registry(address: str, account: Any) -> None:
        host = registry_host(address)
        if account.registry_type == "DOCKER_HUB":
            if host not in DOCKER_HUB_HOSTS:
                raise InvalidInput(f"address: {host} is not Docker Hub, the registry of account {account.name!r}", field="address")
        elif host != _host(account.registry_address):
            raise InvalidInput(f"address: the image is not in {_host(account.registry_address)}, the registry of account "
                               f"{account.name!r}", field="address")

    # -- queries ----------------------------------------------------------------------
    def list(self, query: ListQuery) -> tuple[list[ImageOut], int]:
        with self.db.session() as session:
            rows, total = query.page(session, Image, select(Image))
            return self._outs(session, list(rows)), total

    def base_images(self, image_type: str | None = None) -> BaseImagesOut:
        if image_type and image_type not in IMAGE_TYPE_OF.values():
            raise InvalidInput("image_type: must be NOTEBOOK or TRAINING", field="image_type")
        items = [self.base_out(i) for i in BASE_IMAGES if not image_type or i.image_type == image_type]
        return BaseImagesOut(items=items, total=len(items))

    def get(self, ref: str) -> ImageOut:
        base = base_image(ref)
        if base is not None:
            return self.base_out(base)
        with self.db.session() as session:
            return self._outs(session, [self.find(session, ref)])[0]

    # -- changes -----------------------------------------------------------------------
    def update(self, ref: str, body: Any) -> ImageOut:
        if base_image(ref) is not None:
            raise Conflict("a base image cannot be changed", field="id")
        new_name = body.get("name") if isinstance(body, dict) else None
        if isinstance(new_name, str) and base_image(new_name) is not None:
            raise Conflict(f"{new_name!r} is the name of a base image", field="name")
        with self.db.session() as session:
            row = self.rename(session, ref, body)
            out = self._outs(session, [row])[0]
        self.publish(row, "updated")
        return out

    def delete(self, ref: str) -> None:
        if base_image(ref) is not None:
            raise Conflict("a base image cannot be deleted", field="id")
        with self.db.session() as session:
            row = self.find(session, ref)
            running = [n for _label, found in self.platform.blockers(IN_USE_KIND, session, row.id)
                       for n in (found if isinstance(found, (list, tuple)) else [str(found)])]
            if running:  # their jobs still resolve the image (a restart, a tuning's next trial)
                raise Conflict(f"image {row.name!r} is used by work being created or running ({', '.join(running)}): "
                               "wait for it to end or stop it first", field="id")
            session.delete(row)
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)

    # -- what other areas ask ------------------------------------------------------------
    @staticmethod
    def names_for_account(session: Session, account_id: str) -> list[str]:
        """Names of the images pulled with a registry account (its deletion guard)."""
        return list(session.scalars(select(Image.name).where(Image.registry_account_id == account_id).order_by(Image.name).limit(6)))

    def running_work_for_account(self, session: Session, account_id: str) -> list[str]:
        """What runs (or is being created) with the account's images: the guide's caution on a credentials change."""
        found: list[str] = []
        for image_id in session.scalars(select(Image.id).where(Image.registry_account_id == account_id)):
            for _label, names in self.platform.blockers(IN_USE_KIND, session, image_id):
                found.extend(names if isinstance(names, (list, tuple)) else [str(names)])
        return found

    def resolve(self, session: Session, ref: str | None, purpose: Purpose, field: str = "image") -> str:
        """The stored form of an image a resource names: a private image's id, else the reference
        as given (a base image, or a plain container image); a 400 naming ``field`` for an image of the
        other type."""
        if not ref:
            return ""
        wanted = IMAGE_TYPE_OF[purpose]
        row = self.lookup(session, ref)
        image_type = row.image_type if row is not None else (base_image(ref).image_type if base_image(ref) else None)
        if image_type is not None and image_type != wanted:
            raise InvalidInput(f"{field}: {ref!r} is a {image_type.lower()} image; a {purpose} needs a {wanted.lower()} image",
                               field=field)
        return row.id if row is not None else ref

    def lookup(self, session: Session, ref: str) -> Image | None:
        return session.get(Image, ref) or session.scalar(select(Image).where(Image.name == ref))

    def runtime_for(self, image_ref: str | None, purpose: Purpose) -> ImageRuntime:
        """Where work naming ``image_ref`` runs: the container image and its pull account, and the
        interpreter of the local backend (None: the server's own, as when no image is named)."""
        if not image_ref:
            return ImageRuntime(name="", container_image="", python=None, pull_secret_account_id=None)
        with self.db.session() as session:
            self.resolve(session, image_ref, purpose)
            row = self.lookup(session, image_ref)
            if row is not None:
                return ImageRuntime(name=row.name, container_image=row.address, python=row.local_python or None,
                                    pull_secret_account_id=row.registry_account_id)
        base = base_image(image_ref)
        if base is not None:
            return ImageRuntime(name=base.name, container_image=base.address, python=None, pull_secret_account_id=None)
        return ImageRuntime(name=image_ref, container_image=image_ref, python=None, pull_secret_account_id=None)

    def job_fields(self, image_ref: str | None, purpose: Purpose, backend: str) -> dict[str, Any]:
        """The JobSpec fields an image sets (none when no image is named): the container image,
        the local interpreter and, for a backend that pulls images, the registry login (decrypted
        only then)."""
        runtime = self.runtime_for(image_ref, purpose)
        fields: dict[str, Any] = {}
        if runtime.container_image:
            fields["image"] = runtime.container_image
        if runtime.python:
            fields["python"] = runtime.python
        if runtime.pull_secret_account_id and backend != "local":
            secret = self.accounts.pull_secret(runtime.pull_secret_account_id)
            if secret is not None:
                fields["registry_credentials"] = {secret[0]: secret[1]}
        return fields
