"""Watch-fed caches (informers) of the objects the Kubernetes backends read on
every reconcile pass: Jobs, PyTorchJobs, the product's pods, Deployments,
InferenceServices and StatefulSets of the backend's namespace.

Each kind is one :class:`Informer`: a LIST of the product's objects, then a
WATCH from the list's resourceVersion with the official client's
``watch.Watch``, in a daemon thread of its own (the client blocks). A watch
that ends is resumed from the last resourceVersion seen; a 410 Gone, an error
(after a backoff) or the periodic resync (``resync_seconds``) lists again.
While an informer has not listed, or after an error until it has listed again,
it says it is not synced and the backends read directly.

Nothing runs until :meth:`Informers.start` (the controller starts the
backends' watching); from then on an informer starts the first time a backend
asks for its kind, so a kind whose CRD is not served, or that this server
never uses, is never listed. Every
change calls ``on_change(kind, object)``: the backends count changes per job or
server (so the controller looks only at what changed) and wake the controller.

Reads answer copies of nothing: callers must not modify the objects they get.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from jupyter_easymaker.backend.kubernetes.api import KubernetesApi, labels_match
from jupyter_easymaker.backend.kubernetes.job_manifests import PYTORCHJOB_GROUP, PYTORCHJOB_PLURAL, PYTORCHJOB_VERSION
from jupyter_easymaker.backend.kubernetes.labels import ID_LABEL, MANAGED_BY, MANAGED_BY_KEY, selector
from jupyter_easymaker.backend.kubernetes.serving_manifests import ISVC_GROUP, ISVC_PLURAL, ISVC_VERSION

JOBS = "jobs"
PODS = "pods"
PYTORCHJOBS = "pytorchjobs"
DEPLOYMENTS = "deployments"
INFERENCESERVICES = "inferenceservices"
STATEFULSETS = "statefulsets"

DEFAULT_RESYNC_SECONDS = 300.0
MAX_BACKOFF_SECONDS = 30.0
PRODUCT_LABELS = {MANAGED_BY_KEY: MANAGED_BY}

log = logging.getLogger("jupyter_easymaker.kubernetes.informers")


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _id_of(obj: Mapping[str, Any]) -> str:
    return str(((obj.get("metadata") or {}).get("labels") or {}).get(ID_LABEL) or "")


class Informer:
    """The product's objects of one kind, kept current by LIST + WATCH (see the module).

    ``list_fn`` and ``args`` name the official client's namespaced list method and
    its positional arguments (``api.batch.list_namespaced_job, namespace``)."""

    def __init__(self, api: KubernetesApi, list_fn: Callable[..., Any], *args: Any, kind: str,
                 resync_seconds: float = DEFAULT_RESYNC_SECONDS,
                 on_change: Callable[[str, dict], None] | None = None):
        self.api = api
        self.kind = kind
        self.resync_seconds = max(1.0, float(resync_seconds))
        self._list_fn, self._args = list_fn, args
        self._on_change = on_change or (lambda kind, obj: None)
        self._objects: dict[str, dict] = {}
        self._by_id: dict[str, set[str]] = {}  # easymaker/id label -> names
        self._lock = threading.Lock()
        self._synced = threading.Event()
        self._stopping = threading.Event()
        self._watch: watch.Watch | None = None
        self._thread: threading.Thread | None = None
        self.lists = 0  # how often it listed (first list, relists)
        self.events = 0  # watch events applied

    # -- life ----------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"easymaker-informer-{self.kind}", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self.drop_watch()
        if self._thread is not None:
            self._thread.join(timeout)

    def drop_watch(self) -> None:
        """End the open watch now, even one that waits for its next event (the loop then watches
        again, or lists when its resync is due)."""
        w = self._watch
        if w is None:
            return
        w.stop()  # shuts the socket down only under TLS
        response = getattr(w, "_resp", None)
        shutdown = getattr(response, "shutdown", None)  # urllib3 >= 2.3: unblocks a read on a plain socket too
        if shutdown is not None:
            try:
                shutdown()
            except Exception:  # noqa: BLE001 - already closed
                pass

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    @property
    def synced(self) -> bool:
        return self._synced.is_set()

    # -- reads -----------------------------------------------------------------------
    def get(self, name: str) -> dict | None:
        with self._lock:
            return self._objects.get(name)

    def with_id(self, resource_id_label: str) -> list[dict]:
        """The objects whose ``easymaker/id`` label is this (a job's or server's pods)."""
        with self._lock:
            return [self._objects[n] for n in self._by_id.get(resource_id_label, ()) if n in self._objects]

    def items(self) -> list[dict]:
        with self._lock:
            return list(self._objects.values())

    # -- the loop --------------------------------------------------------------------
    def _run(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                version = self._relist()
                backoff = 1.0
                deadline = time.monotonic() + self.resync_seconds * random.uniform(0.9, 1.1)
                while not self._stopping.is_set() and time.monotonic() < deadline:
                    version = self._watch_from(version, deadline)
            except ApiException as exc:
                self._synced.clear()  # stale until listed again: the backends read directly
                if exc.status == 410:
                    continue  # the version is too old: list again at once
                log.warning("easymaker: watching %s failed (%s %s); listing again in %.0f s", self.kind, exc.status,
                            exc.reason, backoff)
            except Exception as exc:  # noqa: BLE001 - any failure: list again after a pause
                self._synced.clear()
                if self._stopping.is_set():
                    return
                log.warning("easymaker: watching %s failed (%s); listing again in %.0f s", self.kind, exc, backoff)
            else:
                continue  # resync due
            self._stopping.wait(backoff)
            backoff = min(MAX_BACKOFF_SECONDS, backoff * 2)

    def _relist(self) -> str | None:
        answer = self.api.call(self._list_fn, *self._args, label_selector=selector(PRODUCT_LABELS))
        fresh = {_name(o): o for o in answer.get("items") or [] if labels_match(o, PRODUCT_LABELS) and _name(o)}
        with self._lock:
            old = self._objects
            self._objects = fresh
            self._by_id = {}
            for name, obj in fresh.items():
                self._by_id.setdefault(_id_of(obj), set()).add(name)
        self.lists += 1
        self._synced.set()
        changed = [o for n, o in fresh.items() if old.get(n) != o] + [o for n, o in old.items() if n not in fresh]
        for obj in changed:
            self._on_change(self.kind, obj)
        return str((answer.get("metadata") or {}).get("resourceVersion") or "") or None

    def _watch_from(self, version: str | None, deadline: float) -> str | None:
        """Apply events until the watch ends (its server timeout, or the resync deadline); the last version seen."""
        left = max(1.0, deadline - time.monotonic())
        w = watch.Watch(return_type="object")  # events as plain dicts: no client models
        self._watch = w
        timer = threading.Timer(left, self.drop_watch)  # servers that ignore timeoutSeconds (and dead connections)
        timer.daemon = True
        timer.start()
        kwargs: dict[str, Any] = {"label_selector": selector(PRODUCT_LABELS), "timeout_seconds": int(left),
                                  "allow_watch_bookmarks": True, "_request_timeout": (self.api.timeout, left + 30)}
        if version:
            kwargs["resource_version"] = version
        try:
            for event in w.stream(self._list_fn, *self._args, **kwargs):
                obj = event.get("raw_object") or {}
                version = str((obj.get("metadata") or {}).get("resourceVersion") or "") or version
                if event.get("type") != "BOOKMARK":
                    self._apply(str(event.get("type")), obj)
                if self._stopping.is_set():
                    break
        finally:
            timer.cancel()
            self._watch = None
        return version

    def _apply(self, kind_of_event: str, obj: dict) -> None:
        name = _name(obj)
        if not name:
            return
        gone = kind_of_event == "DELETED" or not labels_match(obj, PRODUCT_LABELS)
        with self._lock:
            old = self._objects.get(name)
            if gone:
                if old is None:
                    return
                del self._objects[name]
                self._by_id.get(_id_of(old), set()).discard(name)
            else:
                if old == obj:
                    return  # a replay of what is known (a watch that starts with every object)
                if old is not None:
                    self._by_id.get(_id_of(old), set()).discard(name)
                self._objects[name] = obj
                self._by_id.setdefault(_id_of(obj), set()).add(name)
        self.events += 1
        self._on_change(self.kind, obj)


class Informers:
    """The informers of one namespace, each started when its kind is first asked for."""

    def __init__(self, api: KubernetesApi, namespace: str, *, resync_seconds: float = DEFAULT_RESYNC_SECONDS,
                 on_change: Callable[[str, dict], None] | None = None):
        self.api = api
        self.namespace = namespace
        self.resync_seconds = resync_seconds
        self.on_change = on_change
        self._informers: dict[str, Informer] = {}
        self._lock = threading.Lock()
        self._running = False

    def start(self) -> None:
        """Let informers run (each starts when its kind is first asked for)."""
        with self._lock:
            self._running = True

    @property
    def running(self) -> bool:
        return self._running

    def _make(self, kind: str) -> Informer:
        api, ns = self.api, self.namespace
        options = {"kind": kind, "resync_seconds": self.resync_seconds, "on_change": self._changed}
        if kind == JOBS:
            return Informer(api, api.batch.list_namespaced_job, ns, **options)
        if kind == PODS:
            return Informer(api, api.core.list_namespaced_pod, ns, **options)
        if kind == PYTORCHJOBS:
            return Informer(api, api.custom.list_namespaced_custom_object, PYTORCHJOB_GROUP, PYTORCHJOB_VERSION, ns,
                            PYTORCHJOB_PLURAL, **options)
        if kind == DEPLOYMENTS:
            return Informer(api, api.apps.list_namespaced_deployment, ns, **options)
        if kind == INFERENCESERVICES:
            return Informer(api, api.custom.list_namespaced_custom_object, ISVC_GROUP, ISVC_VERSION, ns, ISVC_PLURAL,
                            **options)
        if kind == STATEFULSETS:
            return Informer(api, api.apps.list_namespaced_stateful_set, ns, **options)
        raise ValueError(f"no informer for {kind!r}")

    def _changed(self, kind: str, obj: dict) -> None:
        if self.on_change is not None:
            self.on_change(kind, obj)

    def informer(self, kind: str) -> Informer | None:
        """The kind's informer, started now if it was not; None before start() and after stop()."""
        with self._lock:
            if not self._running:
                return None
            found = self._informers.get(kind)
            if found is None:
                found = self._informers[kind] = self._make(kind)
                found.start()
            return found

    def synced(self, kind: str) -> Informer | None:
        """The kind's informer when it has listed (reads may come from it); else None (read directly)."""
        found = self.informer(kind)
        return found if found is not None and found.synced else None

    def started(self) -> dict[str, Informer]:
        with self._lock:
            return dict(self._informers)

    def stop(self) -> None:
        with self._lock:
            self._running = False
            informers = list(self._informers.values())
            self._informers.clear()
        for informer in informers:
            informer.stop()
