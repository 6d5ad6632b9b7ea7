"""The jupyter-server extension: configuration, wiring, controller start/stop."""
from __future__ import annotations

import os
from typing import Any

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import IOLoop
from traitlets import Bool, Dict, Float, Int, List, Unicode, default

from jupyter_easymaker import __version__
from jupyter_easymaker.backend.base import InstanceType
from jupyter_easymaker.settings import DEFAULT_INSTANCE_TYPES, Settings

URL_ENV = "JUPYTER_EASYMAKER_URL"
TOKEN_ENV = "JUPYTER_EASYMAKER_TOKEN"


class EasyMakerContext:
    """What handlers reach through ``self.settings["easymaker"]``."""

    def __init__(self, services, backends: dict[str, Any], controller, tensorboards=None):
        self.services = services
        self.backends = backends
        self.controller = controller
        self.tensorboards = tensorboards

    def server_info(self) -> dict[str, Any]:
        settings = self.services.settings
        return {
            "name": "jupyter-easymaker",
            "version": __version__,
            "api_version": "v1",
            "capabilities": {
                "areas": ["dashboard", "experiments", "trainings", "training-templates", "hyperparameter-tuning", "models", "endpoints",
                          "batch-inference", "model-evaluation"],
                "backends": {name: b.capabilities() for name, b in self.backends.items()},
                "default_backend": settings.default_backend,
                "instance_types": [it.to_dict() for it in settings.instance_types.values()],
                "default_instance_type": settings.default_instance_type,
                "storage": {"local_roots": settings.local_roots, "nas": sorted(settings.nas_mounts), "obs": True},
                "log_streaming": "sse",
                "events": "sse",
                # whether the [ml] extra's tensorboard is importable (POST tensorboards answers 501 if not)
                "tensorboard": bool(self.tensorboards is not None and self.tensorboards.available()),
            },
        }


class EasyMakerExtension(ExtensionApp):
    name = "jupyter_easymaker"
    description = "Experiments, trainings, tuning, models and endpoints inside JupyterLab"
    load_other_extensions = True

    data_dir = Unicode(help="Where the database, job files and TensorBoard logs live").tag(config=True)
    db_url = Unicode("", help="SQLAlchemy URL of the store (default: SQLite in data_dir)").tag(config=True)
    local_roots = List(Unicode(), help="Local directories jobs may read and write (the server root and data_dir always)").tag(config=True)
    nas_mounts = Dict(help="NAS id -> local mount point, for nas://{id}:/{path} paths").tag(config=True)
    obs_storage_options = Dict(help="fsspec/s3fs options for obs:// paths (key, secret, scheme, ...)").tag(config=True)
    instance_types = Dict(help="name -> {cpu, memory_mib, gpu, node_selector, description}").tag(config=True)
    default_instance_type = Unicode("cpu-1").tag(config=True)
    default_backend = Unicode("local", help="local or kubernetes").tag(config=True)
    default_image = Unicode("jupyter-easymaker/training:latest", help="Image of Kubernetes jobs").tag(config=True)
    region = Unicode("local").tag(config=True)
    appkey = Unicode("").tag(config=True)
    controller_interval = Float(0.5, help="Seconds between reconcile passes").tag(config=True)
    stop_grace_seconds = Float(10.0, help="SIGTERM to SIGKILL delay when stopping a job").tag(config=True)
    local_cpu = Float(0.0, help="CPUs the local backend may hand out (0: all of this host)").tag(config=True)
    local_memory_mib = Int(0, help="Memory the local backend may hand out (0: all of this host)").tag(config=True)
    local_gpus = List(Int(), allow_none=True, default_value=None, help="GPU indices for local jobs (default: detected)").tag(config=True)
    kubernetes_enabled = Bool(False, help="Offer the kubernetes backend").tag(config=True)
    kubernetes = Dict(help="KubernetesBackend options: namespace, image, kubeconfig, in_cluster, volume_mounts, ...").tag(config=True)
    serving = Dict(help="Endpoint serving options (backend/serving.py ServingOptions): gateway_timeout_seconds, "
                   "drain_timeout_seconds, scale_down_cooldown_seconds, kubernetes_image, ...").tag(config=True)
    tensorboard_idle_seconds = Float(1800.0, help="Stop a TensorBoard server nobody has looked at for this long").tag(config=True)
    tensorboard_start_timeout = Float(60.0, help="Seconds a TensorBoard server may take to answer").tag(config=True)

    @default("data_dir")
    def _default_data_dir(self) -> str:
        return os.path.join(jupyter_data_dir(), "easymaker")

    def _settings(self) -> Settings:
        types = dict(DEFAULT_INSTANCE_TYPES)
        for name, spec in self.instance_types.items():
            types[name] = InstanceType.from_dict({"name": name, **spec})
        os.makedirs(self.data_dir, exist_ok=True)
        roots = [*self.local_roots, os.path.abspath(self.serverapp.root_dir)]
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
        )

    def _backends(self) -> dict[str, Any]:
        from jupyter_easymaker.backend.local import LocalBackend

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
                from jupyter_easymaker.backend.kubernetes import KubernetesBackend
            except ImportError as exc:  # the [k8s] extra is missing
                self.log.error("jupyter-easymaker: the kubernetes backend needs `pip install jupyter-easymaker[k8s]` (%s)", exc)
            else:
                backends["kubernetes"] = KubernetesBackend(**{"image": self.default_image, **self.kubernetes})
        return backends

    def initialize_settings(self) -> None:
        from jupyter_easymaker.controller.batch import BatchInferenceReconciler, ModelEvaluationReconciler
        from jupyter_easymaker.controller.hpo import TuningReconciler
        from jupyter_easymaker.controller.models import ModelReconciler
        from jupyter_easymaker.controller.reconciler import Controller
        from jupyter_easymaker.services import Services
        from jupyter_easymaker.services.tensorboard import TensorBoardManager

        settings = self._settings()
        backends = self._backends()
        services = Services(settings, backend_names=lambda: list(backends))
        controller = Controller(services, backends, log=self.log)
        tensorboards = TensorBoardManager(
            services,
            base_url=self.serverapp.base_url,
            idle_seconds=self.tensorboard_idle_seconds,
            start_timeout=self.tensorboard_start_timeout,
            log=self.log,
        )
        from jupyter_easymaker.controller.endpoints import setup_serving

        setup_serving(services, backends, controller, self.serving, log=self.log)
        controller.add(tensorboards)  # idle stop, and orphans of a crashed server
        controller.add(TuningReconciler(services, backends, log=self.log, wake=controller.wake))
        controller.add(ModelReconciler(services, log=self.log))  # fetches obs:// and Hub artifacts
        controller.add(BatchInferenceReconciler(services, backends, log=self.log))
        controller.add(ModelEvaluationReconciler(services, backends, log=self.log))  # after the batch inferences it follows
        self.context = EasyMakerContext(services, backends, controller, tensorboards)
        self.settings.update({"easymaker": self.context})
        IOLoop.current().add_callback(self._start)

    def initialize_handlers(self) -> None:
        from jupyter_easymaker.handlers.routes import url_specs

        self.handlers.extend(url_specs())

    async def _start(self) -> None:
        """Runs once the event loop turns. Scheduled from initialize_settings
        rather than the start hook, because servers embedded in tests and
        other applications never call that hook."""
        self._publish_connection(self.serverapp)
        await self.context.controller.start()

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
        context = getattr(self, "context", None)
        if context is not None:
            await context.controller.stop()
            context.services.endpoints.gateway.flush()  # statistics not yet written
            context.tensorboards.stop_all()
            context.services.db.close()
