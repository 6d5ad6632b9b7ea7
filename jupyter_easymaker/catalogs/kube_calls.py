"""How the platform reaches and calls the Kubernetes API, on the server (the
Kubernetes backend) and inside a pipeline run's pod (its tasks' Jobs) alike.

- :func:`api_client` is the one place a Kubernetes client is made: from the
  pod's service account when running in a cluster (found on its own), else
  from a kubeconfig file.
- :func:`call_json` calls the API for the raw answer as JSON, never through the
  client's models, which refuse objects that lack a field they require (the
  emulator's, or a newer server's).

The ``kubernetes`` client (the ``[k8s]`` extra) is imported only when a client
is made.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

# where the kubelet mounts a pod's service account (token, ca.crt, namespace)
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
SERVICE_HOST_ENV = "KUBERNETES_SERVICE_HOST"


def in_cluster(environ: Mapping[str, str] | None = None, service_account_dir: str = SERVICE_ACCOUNT_DIR) -> bool:
    """Whether this process runs in a pod that has API credentials: the API
    server's address in the environment and a service account token mounted."""
    env = os.environ if environ is None else environ
    return bool(env.get(SERVICE_HOST_ENV)) and os.path.isfile(os.path.join(service_account_dir, "token"))


def api_client(kubeconfig: str | None = None, use_in_cluster: bool | None = None, *,
               environ: Mapping[str, str] | None = None, service_account_dir: str = SERVICE_ACCOUNT_DIR) -> Any:
    """A ``kubernetes.client.ApiClient``.

    ``use_in_cluster`` None (the default) decides by itself: the pod's service
    account when :func:`in_cluster` and no ``kubeconfig`` is named, else the
    kubeconfig file (``kubeconfig``, or the client's default: ``$KUBECONFIG``,
    ``~/.kube/config``). True or False forces one of them. The client's own
    exceptions (``ConfigException``, ``OSError``) pass through."""
    # the cluster's client, imported only where one is made
    from kubernetes import client, config
    from kubernetes.config.incluster_config import InClusterConfigLoader

    if use_in_cluster is None:
        use_in_cluster = kubeconfig is None and in_cluster(environ, service_account_dir)
    if use_in_cluster:
        configuration = client.Configuration()
        InClusterConfigLoader(
            token_filename=os.path.join(service_account_dir, "token"),
            cert_filename=os.path.join(service_account_dir, "ca.crt"),
            environ=os.environ if environ is None else environ,
        ).load_and_set(configuration)  # re-reads the token as the kubelet rotates it
        return client.ApiClient(configuration)
    return config.new_client_from_config(config_file=kubeconfig)


def call_json(fn: Callable[..., Any], *args: Any, raw: bool = False, **kwargs: Any) -> Any:
    """``fn`` (a method of an official client API) called for its raw answer: a dict
    ({} when empty), or the text when ``raw`` (a pod's log). ``ValueError`` when the
    answer is not JSON; the client's own exceptions pass through."""
    response = fn(*args, _preload_content=False, **kwargs)
    try:
        data = response.data
    finally:
        response.release_conn()
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else str(data or "")
    if raw:
        return text
    return json.loads(text) if text else {}
