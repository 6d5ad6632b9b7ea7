"""The jupyter-server extension: configuration, the route table, and the
platform and controller started once the server runs.

Start-up does as little as it can: the route table is read from the areas'
handler modules (which import no service, table or pydantic model), and the
store, the areas' services and the controller start on the event loop once
the server is up, in a worker thread. A request that arrives before its area
is loaded waits for it.
"""
from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import IOLoop
from traitlets import Bool, Dict, Float, Int, List, Unicode, default

# worker threads of the server's event loop (see _widen_worker_threads)
WORKER_THREADS = 64

URL_ENV = "JUPYTER_EASYMAKER_URL"
TOKEN_ENV = "JUPYTER_EASYMAKER_TOKEN"


class EasyMakerExtension(ExtensionApp):
    name = "jupyter_easymaker"
    description = "Experiments, trainings, tuning, models and endpoints inside JupyterLab"
    load_other_extensions = True

    data_dir = Unicode(help="Where the database, job files and TensorBoard logs live").tag(config=True)
    db_url = Unicode("", help="SQLAlchemy URL of the store (default: SQLite in data_dir)").tag(config=True)
    local_roots = List(Unicode(), help="Local directories jobs may read and write (the server root and data_dir always)").tag(config=True)
    nas_mounts = Dict(help="NAS id -> local mount point, for nas://{id}:/{path} paths").tag(config=True)
    obs_storage_options = Dict(help="fsspec/s3fs options for obs:// paths (key, secret, scheme, ...)").tag(config=True)
    instance_types = Dict(help="name -> {cpu, memory_mib, gpu, node_selector, tolerations, description}").tag(config=True)
    default_instance_type = Unicode("cpu-1").tag(config=True)
    default_backend = Unicode("local", help="local or kubernetes").tag(config=True)
    default_image = Unicode("jupyter-easymaker/training:latest", help="Image of Kubernetes jobs").tag(config=True)
    region = Unicode("local").tag(config=True)
    appkey = Unicode("").tag(config=True)
    log_type = Unicode("jupyter-easymaker", help="logType of structured log records; the guide's queries use "
                       "NHNCloud-AIEasyMaker").tag(config=True)
    retention_days = Int(120, help="Days log records, metric points and TensorBoard event files are kept").tag(config=True)
    controller_interval = Float(0.5, help="Seconds between reconcile passes").tag(config=True)
    stop_grace_seconds = Float(10.0, help="SIGTERM to SIGKILL delay when stopping a job").tag(config=True)
    local_cpu = Float(0.0, help="CPUs the local backend may hand out (0: all of this host)").tag(config=True)
    local_memory_mib = Int(0, help="Memory the local backend may hand out (0: all of this host)").tag(config=True)
    local_gpus = List(Int(), allow_none=True, default_value=None, help="GPU indices for local jobs (default: detected)").tag(config=True)
    kubernetes_enabled = Bool(False, help="Offer the kubernetes backend").tag(config=True)
    kubernetes = Dict(help="KubernetesBackend options: namespace, image, kubeconfig, in_cluster, volume_mounts, ...").tag(config=True)
    serving = Dict(help="Endpoint serving options (backend/serving/base.py ServingOptions): gateway_timeout_seconds, "
                   "drain_timeout_seconds, scale_down_cooldown_seconds, kubernetes_image, ...").tag(config=True)
    tensorboard_idle_seconds = Float(1800.0, help="Stop a TensorBoard server nobody has looked at for this long").tag(config=True)
    tensorboard_start_timeout = Float(60.0, help="Seconds a TensorBoard server may take to answer").tag(config=True)
    area_options = Dict(help="Options of an area by its name ({area: {option: value}}), for areas without traits of "
                        "their own").tag(config=True)

    @default("data_dir")
    def _default_data_dir(self) -> str:
        from jupyter_core.paths import jupyter_data_dir

        return os.path.join(jupyter_data_dir(), "easymaker")

    def _settings(self, backends: dict[str, Any]) -> Any:
        from jupyter_easymaker.backend.base import InstanceType
        from jupyter_easymaker.core.settings import (
            DEFAULT_INSTANCE_TYPES,
            Settings,
            host_instance_types,
        )

        if self.kubernetes_enabled:  # a cluster's nodes, not this host: the operator names its types
            types = dict(DEFAULT_INSTANCE_TYPES)
        else:
            local = backends["local"]
            types = host_instance_types(local.total_cpu, local.total_memory_mib, len(local.gpus))
        for name, spec in self.instance_types.items():
            types[name] = InstanceType.from_dict({"name": name, **spec})
        os.makedirs(self.data_dir, mode=0o700, exist_ok=True)  # the store and every job's files: the owner's only
        roots = [*self.local_roots, os.path.abspath(self.serverapp.root_dir)]
        area_options = {name: dict(options) for name, options in self.area_options.items()}
        area_options.setdefault("endpoints", {}).update(self.serving)
        area_options.setdefault("tensorboard", {}).update(idle_seconds=self.tensorboard_idle_seconds,
                                                          start_timeout=self.tensorboard_start_timeout)
        return Settings(
            data_dir=self.data_dir,
            db_url=self.db_url,
            local_roots=roots,
            nas_mounts=dict(self.nas_mounts),
            obs_storage_options=dict(self.obs_storage_options),
            instance_types=types,
            default_instance_type=self.default_instance_type,
            default_backend=self.default_backend,
            default_image=self.default_image,
            region=self.region,
            appkey=self.appkey,
            controller_interval=self.controller_interval,
            stop_grace_seconds=self.stop_grace_seconds,
            retention_days=self.retention_days,
            log_type=self.log_type,
            base_url=self.serverapp.base_url,
            area_options=area_options,
        )

    def _backends(self) -> dict[str, Any]:
        from jupyter_easymaker.backend.jobs.local import LocalBackend

        backends: dict[str, Any] = {
            "local": LocalBackend(
                cpu=self.local_cpu or None,
                memory_mib=self.local_memory_mib or None,
                gpus=self.local_gpus,
                stop_grace_seconds=self.stop_grace_seconds,
            )
        }
        if self.kubernetes_enabled:
            try:
                from jupyter_easymaker.backend.jobs.kubernetes import KubernetesBackend
            except ImportError as exc:  # the [k8s] extra is missing
                self.log.error("jupyter-easymaker: the kubernetes backend needs `pip install jupyter-easymaker[k8s]` (%s)", exc)
            else:
                backends["kubernetes"] = KubernetesBackend(**{"image": self.default_image, **self.kubernetes})
        return backends

    def initialize_settings(self) -> None:
        from jupyter_easymaker import api, areas
        from jupyter_easymaker.core.platform import Platform
        from jupyter_easymaker.core.reconcile import Controller

        backends = self._backends()
        self.platform = Platform(self._settings(backends), areas.AREAS, backends, log=self.log)
        self.platform.routes = api.routes()
        self.controller = Controller(self.platform, log=self.log)
        self.settings.update({"easymaker": self.platform})
        IOLoop.current().add_callback(self._start)

    def initialize_handlers(self) -> None:
        from jupyter_easymaker import api
        from jupyter_easymaker.core.http import NotFoundHandler
        from jupyter_easymaker.core.routing import url_specs

        platform = getattr(self, "platform", None)
        routes = platform.routes if platform is not None else api.routes()
        self.handlers.extend(url_specs(routes, api.pages(), not_found=NotFoundHandler))

    async def _start(self) -> None:
        """Runs once the event loop turns. Scheduled from initialize_settings
        rather than the start hook, because servers embedded in tests and
        other applications never call that hook."""
        self._publish_connection(self.serverapp)
        self._widen_worker_threads()
        await self.controller.start()

    def _widen_worker_threads(self) -> None:
        """Handlers and reconcilers do their blocking work in the loop's worker threads,
        and some of it waits for seconds (a model server given its grace to stop, a
        health probe): with asyncio's default of cores + 4 threads, a few such waits
        would hold up every other request and the controller. Waiting threads cost
        little, so there are many."""
        workers = max(WORKER_THREADS, (os.cpu_count() or 1) + 4)
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="easymaker-worker"))

    def _publish_connection(self, serverapp: Any) -> None:
        """Kernels started by this server inherit these, so Client() needs no arguments."""
        try:
            os.environ[URL_ENV] = serverapp.connection_url
            token = serverapp.identity_provider.token
            if token:
                os.environ[TOKEN_ENV] = token
        except Exception as exc:  # noqa: BLE001 - kernels can still pass url/token explicitly
            self.log.warning("jupyter-easymaker: could not publish the server URL to kernels: %s", exc)

    async def stop_extension(self) -> None:
        controller = getattr(self, "controller", None)
        if controller is not None:
            await controller.stop()
            self.platform.close()
