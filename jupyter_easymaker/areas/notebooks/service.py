"""Notebooks: the rules (fields, storage, status changes through the one
state machine) and what the reconciler and the proxy ask."""
from __future__ import annotations

import os
import secrets
import sys
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.notebooks.schemas import (
    NotebookCreate,
    NotebookOut,
    NotebookUpdate,
)
from jupyter_easymaker.areas.notebooks.statuses import (
    ACTIVE,
    CHANGEABLE,
    NOTEBOOK_MACHINE,
    STARTING,
    NotebookStatus,
)
from jupyter_easymaker.areas.notebooks.tables import Notebook
from jupyter_easymaker.backend.base import BackendError
from jupyter_easymaker.backend.notebooks.init_scripts import (
    InitScriptFailed,
    run_log,
    script_results,
)
from jupyter_easymaker.backend.notebooks.local import (
    LocalNotebookBackend,
    NotebookPhase,
    NotebookSpec,
    data_dir,
)
from jupyter_easymaker.core.errors import Conflict, DomainError, InvalidInput, NotFound
from jupyter_easymaker.core.holding import Held
from jupyter_easymaker.core.resources import ListQuery, ResourceService, new_id, parse
from jupyter_easymaker.core.tables import ResourceSample, StatusEvent
from jupyter_easymaker.storage_uri import StoragePathError, resolve_path

N = NotebookStatus
PROXY_PATH = "easymaker/notebooks"
NOTEBOOKS_FOLDER = "notebooks"
DEFAULT_NOTEBOOK_IMAGE = "jupyter-easymaker/notebook:latest"
N = NotebookStatus
# statuses in which a notebook's server holds its instance, or is on its way up or down
HOLDING = frozenset({N.CREATE_IN_PROGRESS, N.START_IN_PROGRESS, N.REBOOT_IN_PROGRESS, N.STOP_IN_PROGRESS}) | ACTIVE
# statuses in which nothing of it runs
PARKED = frozenset({N.STOPPED, N.CREATE_FAILED, N.START_FAILED, N.STOP_FAILED, N.DELETE_FAILED})
# where the data storage is mounted in a notebook's container (the guide's path)
CONTAINER_DATA_PATH = "/root/easymaker"


@dataclass(frozen=True)
class ImageRuntime:
    python: str  # the interpreter a local notebook server runs with
    container_image: str  # what a pod runs
    pull_secret_account_id: str | None = None


def image_runtime(platform: Any, image_ref: str) -> ImageRuntime:
    """What a notebook's image gives it (the images area's answer): the interpreter of a
    local notebook server (this server's own where the image names none) and the
    container image of a pod (the configured notebook image where it has none)."""
    found = platform.service("images").runtime_for(image_ref or None, purpose="notebook")
    default = platform.settings.options("notebooks").get("default_image") or DEFAULT_NOTEBOOK_IMAGE
    return ImageRuntime(python=found.python or sys.executable, container_image=found.container_image or default,
                        pull_secret_account_id=found.pull_secret_account_id)


class NotebookService(ResourceService):
    table = Notebook
    machine = NOTEBOOK_MACHINE
    kind = "notebook"

    def __init__(self, platform: Any):
        super().__init__(platform)
        options = self.settings.options("notebooks")
        self.local = LocalNotebookBackend(start_timeout_seconds=float(options.get("start_timeout_seconds", 120.0)),
                                          health_timeout_seconds=float(options.get("health_timeout_seconds", 2.0)))
        base = self.settings.base_url if self.settings.base_url.endswith("/") else self.settings.base_url + "/"
        self.base_url = base
        self._kube_backend: Any = None
        self._sampled: dict[str, float] = {}
        self._checked: dict[str, float] = {}
        self.health_interval_seconds = float(options.get("health_interval_seconds", 1.0))

    def _backend_name(self) -> str:
        wanted = self.settings.options("notebooks").get("backend") or self.settings.default_backend
        return "kubernetes" if wanted == "kubernetes" and "kubernetes" in self.platform.backends else "local"

    def _kube(self) -> Any:
        """Notebooks on the Kubernetes backend's cluster and namespace (its client is imported only when configured)."""
        if self._kube_backend is None:
            jobs = self.platform.backends.get("kubernetes")
            if jobs is None:
                raise BackendError("no Kubernetes backend is configured")
            from jupyter_easymaker.backend.notebooks.kubernetes import (
                KubernetesNotebookBackend,
            )

            self._kube_backend = KubernetesNotebookBackend(jobs.api, jobs.namespace)
        return self._kube_backend

    def _manifest(self, row: Notebook, token: str) -> Any:
        from jupyter_easymaker.backend.kubernetes.notebook_manifests import (
            NotebookManifest,
        )

        runtime = image_runtime(self.platform, row.image)
        instance = self.settings.instance_types.get(row.instance_type) or self.settings.instance_types[self.settings.default_instance_type]
        server = export = ""
        if row.nas_path:  # nas://{id}:/{path}: the NAS id's NFS server (configurable), the path its export
            nas_id, _, export = row.nas_path[len("nas://"):].partition(":")
            server = (self.settings.options("notebooks").get("nas_servers") or {}).get(nas_id, nas_id)
        return NotebookManifest(
            notebook_id=row.id, name=row.name, image=runtime.container_image, base_url=self.proxy_prefix(row.id),
            cpu=instance.cpu, memory_mib=instance.memory_mib, gpu=instance.gpu, boot_storage_gb=row.boot_storage_gb,
            data_storage_gb=row.data_storage_gb, token=token, pull_secret_account_id=runtime.pull_secret_account_id,
            nas_mount_name=row.nas_mount_name, nas_server=server, nas_export=export, node_selector=dict(instance.node_selector),
            tolerations=[dict(t) for t in instance.tolerations],
            storage_class=self.settings.options("notebooks").get("storage_class"))

    # -- paths -----------------------------------------------------------------
    def work_dir(self, notebook_id: str) -> str:
        return self.settings.path(NOTEBOOKS_FOLDER, notebook_id)

    def data_path(self, notebook_id: str) -> str:
        return data_dir(self.work_dir(notebook_id))

    def proxy_prefix(self, notebook_id: str) -> str:
        return f"{self.base_url}{PROXY_PATH}/{notebook_id}/proxy/"

    # -- validation ----------------------------------------------------------------
    def _instance_type(self, name: str | None) -> str:
        return self.job_specs.instance_type_name(name)  # InvalidInput naming instance_type

    def _core_type(self, name: str) -> str:
        return "GPU" if self.settings.instance_types[name].gpu > 0 else "CPU"

    def _nas(self, mount_name: str, nas_path: str) -> None:
        if bool(mount_name) != bool(nas_path):
            field = "nas_path" if mount_name else "nas_mount_name"
            raise InvalidInput(f"{field}: a NAS needs both a mount directory name and a nas:// path", field=field)
        if not nas_path:
            return
        if mount_name in (".", "..", "easymaker") or "/" in mount_name:
            raise InvalidInput(f"nas_mount_name: {mount_name!r} cannot be a mount directory name", field="nas_mount_name")
        if not nas_path.startswith("nas://"):
            raise InvalidInput("nas_path: NAS paths look like nas://{NAS ID}:/{path}", field="nas_path")
        try:
            resolve_path(nas_path, local_roots=self.settings.local_roots, nas_mounts=self.settings.nas_mounts)
        except StoragePathError as exc:
            raise InvalidInput(f"nas_path: {exc}", field="nas_path") from None

    # -- read ----------------------------------------------------------------
    def out(self, row: Notebook) -> NotebookOut:
        return NotebookOut(
            **{c: getattr(row, c) for c in NotebookOut.model_fields if hasattr(row, c)},
            url=self.proxy_prefix(row.id) if row.status in ACTIVE else "",
            data_path=CONTAINER_DATA_PATH if row.backend == "kubernetes" else self.data_path(row.id),
        )

    def list(self, query: ListQuery) -> tuple[list[NotebookOut], int]:
        with self.db.session() as session:
            rows, total = query.page(session, Notebook, select(Notebook))
            return [self.out(r) for r in rows], total

    def get(self, ref: str) -> NotebookOut:
        with self.db.session() as session:
            return self.out(self.find(session, ref))

    def count_active(self) -> int:
        """Notebooks ACTIVE (HEALTHY) or ACTIVE (UNHEALTHY)."""
        with self.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(Notebook).where(Notebook.status.in_(ACTIVE))) or 0)

    def dashboard_counts(self) -> dict[str, int]:
        """The guide's service usage: the notebooks in use, ACTIVE (HEALTHY)."""
        with self.db.session() as session:
            healthy = session.scalar(select(func.count()).select_from(Notebook).where(
                Notebook.status == NotebookStatus.ACTIVE_HEALTHY)) or 0
        return {"active_notebooks": int(healthy)}

    def holding(self) -> list[Held]:
        """Each notebook whose server is up or on its way (the dashboard's usage)."""
        with self.db.session() as session:
            rows = session.execute(select(Notebook.id, Notebook.name, Notebook.instance_type, Notebook.backend)
                                   .where(Notebook.status.in_(HOLDING))).all()
        return [Held("notebook", nid, name, instance_type or self.settings.default_instance_type, backend=backend or "local")
                for nid, name, instance_type, backend in rows]

    @staticmethod
    def running_with_image(session: Session, image_id: str) -> list[str]:
        """Notebooks up or starting with an image (a registry credentials change warns of them)."""
        rows = session.execute(select(Notebook.name).where(Notebook.image == image_id,
                                                            Notebook.status.notin_(PARKED)))
        return [f"notebook {name}" for (name,) in rows][:6]

    def lookup(self, session: Session, ref: str) -> Notebook | None:
        return session.get(Notebook, ref) or session.scalar(select(Notebook).where(Notebook.name == ref))

    # -- write ----------------------------------------------------------------
    def create(self, body: Any) -> NotebookOut:
        data = parse(NotebookCreate, body)
        instance_type = self._instance_type(data.instance_type)
        self._nas(data.nas_mount_name, data.nas_path)
        with self.db.session() as session:
            # a private image is kept by its id (a rename keeps it); one of the training type is refused
            image = self.platform.service("images").resolve(session, data.image, "notebook") \
                or image_runtime(self.platform, "").container_image
            self.check_name_free(session, data.name)
            row = Notebook(id=new_id(), name=data.name, description=data.description, image=image,
                           instance_type=instance_type, boot_storage_gb=data.boot_storage_gb,
                           data_storage_gb=data.data_storage_gb, nas_mount_name=data.nas_mount_name,
                           nas_path=data.nas_path, backend=self._backend_name(), generation=0, handle=None)
            self.initial(session, row)
            session.add(row)
            session.flush()
            out = self.out(row)
        self.publish(row, "created")
        self.platform.wake()
        return out

    def update(self, ref: str, body: Any) -> NotebookOut:
        data = parse(NotebookUpdate, body)
        with self.db.session() as session:
            row = self.find(session, ref)
            for field in ("boot_storage_gb", "data_storage_gb"):
                value = getattr(data, field)
                if value is not None and value != getattr(row, field):
                    raise DomainError(f"{field}: a notebook's storage size cannot change after creation", field=field)
            if data.instance_type is not None and data.instance_type != row.instance_type:
                new_type = self._instance_type(data.instance_type)
                if row.status not in CHANGEABLE:
                    raise Conflict(f"instance_type: notebook {row.name!r} is {row.status}; stop it before changing its instance type",
                                   field="instance_type")
                if self._core_type(new_type) != self._core_type(row.instance_type):
                    raise DomainError(f"instance_type: {new_type} is a {self._core_type(new_type)} type; notebook {row.name!r} "
                                      f"needs a {self._core_type(row.instance_type)} type", field="instance_type")
                row.instance_type = new_type
            self.rename(session, row.id, {k: v for k, v in (("name", data.name), ("description", data.description)) if v is not None})
            out = self.out(row)
        self.publish(row, "updated")
        return out

    def _act(self, ref: str, target: str, verb: str, *, new_generation: bool = False) -> NotebookOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            if not self.machine.can(row.status, target):
                raise Conflict(f"notebook {row.name!r} is {row.status} and cannot be {verb}", field="status")
            if new_generation:
                row.generation += 1
            self.set_status(session, row, target, f"{verb} requested")
            out = self.out(row)
        self.publish(row, "status")
        self.platform.wake()
        return out

    def start(self, ref: str) -> NotebookOut:
        return self._act(ref, N.START_IN_PROGRESS, "started", new_generation=True)

    def stop(self, ref: str) -> NotebookOut:
        return self._act(ref, N.STOP_IN_PROGRESS, "stopped")

    def reboot(self, ref: str) -> NotebookOut:
        return self._act(ref, N.REBOOT_IN_PROGRESS, "rebooted", new_generation=True)

    def delete(self, ref: str) -> NotebookOut:
        return self._act(ref, N.DELETE_IN_PROGRESS, "deleted")

    # -- what the panel reads ----------------------------------------------------------
    def startup_scripts(self, ref: str) -> dict[str, Any]:
        with self.db.session() as session:
            row = self.find(session, ref)
        data = self.data_path(row.id)
        return {"scripts": script_results(data), "run_log": run_log(data)}

    def monitoring(self, ref: str, since: Any = None) -> dict[str, Any]:
        with self.db.session() as session:
            row = self.find(session, ref)
        return {"notebook_id": row.id, "instance_type": row.instance_type, "usage": self.platform.logs.samples(row.id, since=since)}

    def upstream(self, notebook_id: str) -> tuple[str, str]:
        """(base URL, token) of a running notebook, for the proxy."""
        with self.db.session() as session:
            row = session.get(Notebook, notebook_id)
            if row is None:
                raise NotFound(f"notebook {notebook_id!r} does not exist", field="id")
            if row.status not in ACTIVE or not row.handle:
                raise Conflict(f"notebook {row.name!r} is {row.status}, not ACTIVE")
            handle = dict(row.handle)
        try:
            if handle.get("backend") == "kubernetes":
                return self._kube().upstream(notebook_id)
            return self.local.upstream(handle)
        except BackendError as exc:
            raise Conflict(f"notebook {notebook_id}: {exc}") from None

    # -- the reconciler's work ---------------------------------------------------------
    def _spec(self, row: Notebook) -> NotebookSpec:
        runtime = image_runtime(self.platform, row.image)
        instance = self.settings.instance_types.get(row.instance_type) or self.settings.instance_types[self.settings.default_instance_type]
        nas_dir = ""
        if row.nas_path:
            nas_dir = resolve_path(row.nas_path, local_roots=self.settings.local_roots, nas_mounts=self.settings.nas_mounts)
        return NotebookSpec(notebook_id=row.id, work_dir=self.work_dir(row.id), base_url=self.proxy_prefix(row.id),
                            python=runtime.python, generation=row.generation, cpu=instance.cpu, memory_mib=instance.memory_mib,
                            gpu=instance.gpu, nas_mount_name=row.nas_mount_name, nas_dir=nas_dir)

    def pending_ids(self) -> list[str]:
        settled_idle = {N.STOPPED, N.CREATE_FAILED, N.STOP_FAILED, N.START_FAILED, N.REBOOT_FAILED, N.DELETE_FAILED}
        with self.db.session() as session:
            return list(session.scalars(select(Notebook.id).where(Notebook.status.not_in(settled_idle))))

    def _move(self, notebook_id: str, expected: str, target: str, reason: str = "", **columns: Any) -> bool:
        """Change the status if nobody changed it since it was read; False when someone did."""
        with self.db.session() as session:
            row = session.get(Notebook, notebook_id)
            if row is None or row.status != expected:
                return False
            for key, value in columns.items():
                setattr(row, key, value)
            if target != row.status:
                self.set_status(session, row, target, reason)
            elif reason != row.status_reason:
                row.status_reason = reason
        self.publish(row, "status")
        return True

    def reconcile(self, notebook_id: str) -> None:
        with self.db.session() as session:
            row = session.get(Notebook, notebook_id)
            if row is None:
                return
            if row.backend == "kubernetes":
                status, handle, generation = row.status, dict(row.handle) if row.handle else None, row.generation
                manifest = self._manifest(row, secrets.token_hex(24)) if status in STARTING else None
        if row.backend == "kubernetes":
            self._reconcile_kube(notebook_id, status, handle, generation, manifest)
            return
        with self.db.session() as session:
            row = session.get(Notebook, notebook_id)
            if row is None:
                return
            status, handle, generation = row.status, dict(row.handle) if row.handle else None, row.generation
            spec = self._spec(row) if status in STARTING or status == N.CREATE_REQUESTED else None
        if status == N.CREATE_REQUESTED:
            self._move(notebook_id, status, N.CREATE_IN_PROGRESS, "creating its storage and server", generation=max(1, generation))
        elif status in STARTING:
            self._bring_up(notebook_id, status, handle, generation, spec)
        elif status in ACTIVE:
            self._watch(notebook_id, status, handle)
        elif status == N.STOP_IN_PROGRESS:
            try:
                if handle:
                    self.local.stop(handle, self.settings.stop_grace_seconds)
            except (BackendError, OSError) as exc:
                self._move(notebook_id, status, N.STOP_FAILED, str(exc))
            else:
                self._move(notebook_id, status, N.STOPPED, "", handle=None)
        elif status == N.DELETE_IN_PROGRESS:
            self._delete(notebook_id, handle)

    def _bring_up(self, notebook_id: str, status: str, handle: dict | None, generation: int, spec: NotebookSpec | None) -> None:
        failed = STARTING[status]
        if handle is None or handle.get("generation") != generation:
            assert spec is not None
            try:
                handle = self.local.start(spec)
            except InitScriptFailed as exc:
                self._move(notebook_id, status, failed, f"start-up script {exc.script} failed (exit code {exc.exit_code})", handle=None)
                return
            except (BackendError, OSError, StoragePathError) as exc:
                self._move(notebook_id, status, failed, str(exc), handle=None)
                return
            if not self._move(notebook_id, status, status, "starting the notebook server", handle=handle):
                self.local.stop(handle, 2.0)  # deleted or stopped meanwhile: nothing may keep running
                return
        state = self.local.status(handle)
        if state.phase == NotebookPhase.READY:
            self._move(notebook_id, status, N.ACTIVE_HEALTHY, "")
        elif state.phase in (NotebookPhase.FAILED, NotebookPhase.EXITED, NotebookPhase.STOPPED):
            self._move(notebook_id, status, failed, state.reason or "the notebook server is gone")
        elif state.phase == NotebookPhase.UNHEALTHY:
            self._move(notebook_id, status, N.ACTIVE_UNHEALTHY, state.reason)

    def _watch(self, notebook_id: str, status: str, handle: dict | None) -> None:
        now = time.monotonic()
        if now - self._checked.get(notebook_id, 0.0) < self.health_interval_seconds:
            return
        self._checked[notebook_id] = now
        state = self.local.status(handle) if handle else None
        if state is not None and state.phase == NotebookPhase.READY:
            if status != N.ACTIVE_HEALTHY:
                self._move(notebook_id, status, N.ACTIVE_HEALTHY, "")
        else:
            reason = state.reason if state is not None else "the notebook server is not known"
            if status != N.ACTIVE_UNHEALTHY:
                self._move(notebook_id, status, N.ACTIVE_UNHEALTHY, reason)
        if handle and now - self._sampled.get(notebook_id, 0.0) >= self.settings.usage_sample_seconds:
            self._sampled[notebook_id] = now
            usage = self.local.usage(handle)
            if usage is not None:
                with self.db.session() as session:
                    self.platform.logs.add_sample(session, notebook_id, usage)

    def _reconcile_kube(self, notebook_id: str, status: str, handle: dict | None, generation: int, manifest: Any) -> None:
        """The same statuses on a StatefulSet: apply / restart its pod, scale to 0, delete; readiness from the StatefulSet."""
        kube = self._kube()
        try:
            if status == N.CREATE_REQUESTED:
                self._move(notebook_id, status, N.CREATE_IN_PROGRESS, "creating its StatefulSet", generation=max(1, generation))
            elif status in STARTING:
                if handle is None or handle.get("generation") != generation:
                    if handle is not None and status == N.REBOOT_IN_PROGRESS:
                        kube.restart(notebook_id)
                    new = {**kube.apply(manifest), "generation": generation, "started": time.time()}
                    self._move(notebook_id, status, status, "starting the notebook's pod", handle=new)
                    return
                state = kube.status(notebook_id)
                if state.phase == NotebookPhase.READY:
                    self._move(notebook_id, status, N.ACTIVE_HEALTHY, "")
                elif time.time() - float(handle.get("started") or 0) > self.local.start_timeout_seconds:
                    self._move(notebook_id, status, STARTING[status], f"the notebook's pod was not ready in {self.local.start_timeout_seconds:g} s")
            elif status in ACTIVE:
                now = time.monotonic()
                if now - self._checked.get(notebook_id, 0.0) < self.health_interval_seconds:
                    return
                self._checked[notebook_id] = now
                ready = kube.status(notebook_id).phase == NotebookPhase.READY
                target = N.ACTIVE_HEALTHY if ready else N.ACTIVE_UNHEALTHY
                if target != status:
                    self._move(notebook_id, status, target, "" if ready else "the notebook's pod is not ready")
            elif status == N.STOP_IN_PROGRESS:
                kube.scale(notebook_id, 0)
                self._move(notebook_id, status, N.STOPPED, "", handle=None)
            elif status == N.DELETE_IN_PROGRESS:
                kube.delete(notebook_id)
                self._delete(notebook_id, None)
        except BackendError as exc:
            failed = {N.STOP_IN_PROGRESS: N.STOP_FAILED, N.DELETE_IN_PROGRESS: N.DELETE_FAILED, **STARTING}.get(status)
            if failed:
                self._move(notebook_id, status, failed, str(exc))

    def _delete(self, notebook_id: str, handle: dict | None) -> None:
        try:
            if handle:
                self.local.stop(handle, self.settings.stop_grace_seconds)
            work = self.work_dir(notebook_id)
            if os.path.isdir(work):
                self.local.remove(work)
        except (BackendError, OSError) as exc:
            self._move(notebook_id, N.DELETE_IN_PROGRESS, N.DELETE_FAILED, str(exc))
            return
        with self.db.session() as session:
            row = session.get(Notebook, notebook_id)
            if row is None or row.status != N.DELETE_IN_PROGRESS:
                return
            name = row.name
            for table in (StatusEvent, ResourceSample):
                session.execute(sql_delete(table).where(table.resource_id == notebook_id))
            session.delete(row)
        self._sampled.pop(notebook_id, None)
        self._checked.pop(notebook_id, None)
        self.events.publish(self.kind, notebook_id, change="deleted", name=name)
