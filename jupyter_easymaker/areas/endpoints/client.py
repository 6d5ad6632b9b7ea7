"""The endpoint methods of :class:`jupyter_easymaker.client.Client` (a mixin:
standard library only, like the client).

Inference goes through the gateway with an endpoint API key, not the Jupyter
token. ``predict()`` uses, in order: the ``api_key`` argument, a key this
client was given when it created the endpoint, ``EASYMAKER_API_KEY``, and
else creates a key named ``notebook`` once and keeps it for this session.
"""
from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

from jupyter_easymaker.client.common import _ref
from jupyter_easymaker.client.transport import EasyMakerError, _error_from, _opener

API_KEY_ENV = "EASYMAKER_API_KEY"
FAILED = {"CREATE FAILED", "UPDATE FAILED"}


def resource_body(model: Any, *, pod_count: int | None = None, cpu: float | None = None, memory: Any = None,
                  gpu: int | None = None, allocation_percent: float | None = None, autoscaler: dict | None = None,
                  description: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model["id"] if isinstance(model, dict) else str(model)}
    for key, value in (("pod_count", pod_count), ("cpu", cpu), ("memory", memory), ("gpu", gpu),
                       ("allocation_percent", allocation_percent), ("pod_autoscaler", autoscaler), ("description", description)):
        if value is not None:
            body[key] = value
    return body


def inference_body(data: Any) -> tuple[str, Any]:
    """(route, body) for what a user wants to send: a list is v1 ``instances``;
    a dict with ``inputs`` is v2, with ``messages`` OpenAI chat, with ``prompt``
    OpenAI completions, anything else v1."""
    if isinstance(data, list):
        return "v1", {"instances": data}
    if isinstance(data, dict):
        if "inputs" in data:
            return "v2", data
        if "messages" in data:
            return "chat", data
        if "prompt" in data:
            return "completions", data
        return "v1", data
    return "v1", {"instances": [data]}


class EndpointsClient:
    """Mixed into Client: needs ``request``, ``_get``, ``_page``, ``url`` and ``timeout``."""

    _endpoint_keys: dict[str, str]

    def _keys(self) -> dict[str, str]:
        if not hasattr(self, "_endpoint_keys"):
            self._endpoint_keys = {}
        return self._endpoint_keys

    # -- endpoints ------------------------------------------------------------------------
    def list_endpoints(self, *, status: Any = None, name: str | None = None, sort: str | None = None, offset: int = 0,
                       limit: int = 50):
        return self._page("endpoints", status=status, name=name, sort=sort, offset=offset, limit=limit)

    def create_endpoint(self, name: str, model: Any = None, *, resources: list[dict] | None = None, stage_name: str | None = None,
                        instance_type: str | None = None, instance_count: int | None = None, pod_count: int | None = None,
                        cpu: float | None = None, memory: Any = None, gpu: int | None = None, autoscaler: dict | None = None,
                        backend: str | None = None, description: str = "", **fields: Any) -> dict:
        """A new endpoint serving ``model`` (or ``resources``) on its default stage.
        The answer carries the endpoint's first API key once, as ``api_key.key``;
        this client remembers it for ``predict``."""
        if resources is None:
            if model is None:
                raise ValueError("give a model or resources")
            resources = [resource_body(model, pod_count=pod_count, cpu=cpu, memory=memory, gpu=gpu, autoscaler=autoscaler)]
        body = {"name": name, "description": description, "resources": resources, **fields}
        for key, value in (("stage_name", stage_name), ("instance_type", instance_type), ("instance_count", instance_count),
                           ("backend", backend)):
            if value is not None:
                body[key] = value
        endpoint = self.request("POST", "endpoints", body)
        key = (endpoint.get("api_key") or {}).get("key")
        if key:
            self._keys()[endpoint["id"]] = self._keys()[endpoint["name"]] = key
        return endpoint

    def get_endpoint(self, ref: Any) -> dict:
        return self._get(f"endpoints/{_ref(ref)}")

    def update_endpoint(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        return self.request("PATCH", f"endpoints/{_ref(ref)}", {k: v for k, v in (("name", name), ("description", description))
                                                                if v is not None})

    def delete_endpoint(self, ref: Any) -> None:
        self.request("DELETE", f"endpoints/{_ref(ref)}")

    def wait_endpoint(self, ref: Any, status: str = "ACTIVE", timeout: float | None = 600, poll: float = 0.5) -> dict:
        """Block until the endpoint has ``status``; raises EasyMakerError when it failed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            endpoint = self.get_endpoint(ref)
            if endpoint["status"] == status:
                return endpoint
            if endpoint["status"] in FAILED and status not in FAILED:
                raise EasyMakerError(None, f"endpoint {endpoint['name']} is {endpoint['status']}: {endpoint.get('status_reason')}")
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"endpoint {endpoint['name']} is still {endpoint['status']} after {timeout:g} s")
            time.sleep(poll)

    def endpoint_statistics(self, ref: Any, since: str | None = None) -> dict:
        return self._get(f"endpoints/{_ref(ref)}/statistics", since=since)

    # -- stages -------------------------------------------------------------------------------
    def list_stages(self, ref: Any) -> list[dict]:
        return self._get(f"endpoints/{_ref(ref)}/stages")["items"]

    def get_stage(self, ref: Any, stage: Any) -> dict:
        return self._get(f"endpoints/{_ref(ref)}/stages/{_ref(stage)}")

    def create_stage(self, ref: Any, name: str, model: Any = None, *, resources: list[dict] | None = None,
                     instance_type: str | None = None, instance_count: int | None = None, pod_count: int | None = None,
                     cpu: float | None = None, memory: Any = None, gpu: int | None = None, autoscaler: dict | None = None,
                     description: str = "", **fields: Any) -> dict:
        """A new stage on an existing endpoint (to test a model beside the default stage)."""
        if resources is None:
            if model is None:
                raise ValueError("give a model or resources")
            resources = [resource_body(model, pod_count=pod_count, cpu=cpu, memory=memory, gpu=gpu, autoscaler=autoscaler)]
        body = {"name": name, "description": description, "resources": resources, **fields}
        for key, value in (("instance_type", instance_type), ("instance_count", instance_count)):
            if value is not None:
                body[key] = value
        return self.request("POST", f"endpoints/{_ref(ref)}/stages", body)

    def update_stage(self, ref: Any, stage: Any, *, description: str) -> dict:
        """Change a stage's description."""
        return self.request("PATCH", f"endpoints/{_ref(ref)}/stages/{_ref(stage)}", {"description": description})

    def stage_gateway(self, ref: Any, stage: Any) -> dict:
        """The API gateway settings of a stage: what the gateway routes for it, where, and how it is called."""
        return self._get(f"endpoints/{_ref(ref)}/stages/{_ref(stage)}/gateway")

    def delete_stage(self, ref: Any, stage: Any) -> None:
        self.request("DELETE", f"endpoints/{_ref(ref)}/stages/{_ref(stage)}")

    def retry_stage(self, ref: Any, stage: Any) -> dict:
        return self.request("POST", f"endpoints/{_ref(ref)}/stages/{_ref(stage)}/retry")

    def set_default_stage(self, ref: Any, stage: Any) -> dict:
        """Move the default stage URL to ``stage``; the old default's servers stop once drained."""
        return self.request("POST", f"endpoints/{_ref(ref)}/default-stage", {"stage": str(stage)})

    def stage_statistics(self, ref: Any, stage: Any, *, since: str | None = None, until: str | None = None,
                         interval: int | None = None) -> dict:
        """``{totals, points: [{time, calls, success, failure, latency_ms: {avg, p50, p90, p95, p99, max}}]}``."""
        return self._get(f"endpoints/{_ref(ref)}/stages/{_ref(stage)}/statistics", since=since, until=until, interval=interval)

    def stage_monitoring(self, ref: Any, stage: Any, since: str | None = None) -> dict:
        return self._get(f"endpoints/{_ref(ref)}/stages/{_ref(stage)}/monitoring", since=since)

    def inference_logs(self, ref: Any, stage: Any, *, after: int = 0, limit: int | None = None, query: str | None = None) -> dict:
        return self._get(f"endpoints/{_ref(ref)}/stages/{_ref(stage)}/logs", after=after or None, limit=limit, query=query)

    # -- stage resources ------------------------------------------------------------------------
    def list_stage_resources(self, ref: Any, stage: Any) -> list[dict]:
        return self._get(f"endpoints/{_ref(ref)}/stages/{_ref(stage)}/resources")["items"]

    def add_stage_resource(self, ref: Any, stage: Any, model: Any, **fields: Any) -> dict:
        return self.request("POST", f"endpoints/{_ref(ref)}/stages/{_ref(stage)}/resources", resource_body(model, **fields))

    def get_stage_resource(self, ref: Any, stage: Any, resource: Any) -> dict:
        return self._get(f"endpoints/{_ref(ref)}/stages/{_ref(stage)}/resources/{_ref(resource)}")

    def stage_resource_logs(self, ref: Any, stage: Any, resource: Any, *, tail: int = 200) -> str:
        """The last ``tail`` lines the model servers of one stage resource wrote (start-up, load errors), as text."""
        response = self.request("GET", f"endpoints/{_ref(ref)}/stages/{_ref(stage)}/resources/{_ref(resource)}/logs",
                                params={"tail": tail}, stream=True)
        with response:
            return response.read().decode("utf-8", "replace")

    def delete_stage_resource(self, ref: Any, stage: Any, resource: Any) -> None:
        self.request("DELETE", f"endpoints/{_ref(ref)}/stages/{_ref(stage)}/resources/{_ref(resource)}")

    # -- API keys ----------------------------------------------------------------------------------
    def create_api_key(self, ref: Any, name: str = "") -> dict:
        """A new key; ``key`` is in this answer only."""
        return self.request("POST", f"endpoints/{_ref(ref)}/api-keys", {"name": name})

    def list_api_keys(self, ref: Any) -> list[dict]:
        return self._get(f"endpoints/{_ref(ref)}/api-keys")["items"]

    def revoke_api_key(self, ref: Any, key_id: str) -> dict:
        return self.request("DELETE", f"endpoints/{_ref(ref)}/api-keys/{_ref(key_id)}")

    def _api_key_for(self, endpoint: dict) -> str:
        keys = self._keys()
        key = keys.get(endpoint["id"]) or os.environ.get(API_KEY_ENV)
        if not key:
            key = self.create_api_key(endpoint["id"], "notebook")["key"]
        keys[endpoint["id"]] = keys[endpoint["name"]] = key
        return key

    # -- inference ------------------------------------------------------------------------------------
    def stage_url(self, ref: Any, stage: Any = None) -> tuple[dict, str, list[str]]:
        """(endpoint, stage URL, models served there); no stage: the default stage URL."""
        endpoint = self.get_endpoint(ref)
        stages = endpoint.get("stages") or []
        if stage is None:
            chosen = next((s for s in stages if s["is_default"]), None)
            url = endpoint.get("default_stage_url") or ""
        else:
            chosen = next((s for s in stages if stage in (s["name"], s["id"])), None)
            if chosen is None:
                raise ValueError(f"endpoint {endpoint['name']} has no stage {stage!r}")
            url = chosen["url"]
        models = sorted({r["model_name"] for r in (chosen or {}).get("resources") or [] if r["status"] == "ACTIVE"})
        return endpoint, url, models

    def openai_base_url(self, ref: Any, model: str | None = None, stage: Any = None) -> str:
        """The ``base_url`` for the ``openai`` client (use an API key as its ``api_key``)."""
        _endpoint, url, models = self.stage_url(ref, stage)
        return f"{url}/{model or self._only(models)}/openai/v1"

    @staticmethod
    def _only(models: list[str]) -> str:
        if len(models) != 1:
            raise ValueError(f"the stage serves {len(models)} models ({', '.join(models) or 'none ready'}): name one with model=")
        return models[0]

    def predict(self, ref: Any, data: Any, *, stage: Any = None, model: str | None = None, api_key: str | None = None,
                path: str | None = None, timeout: float | None = None) -> Any:
        """Call an endpoint through the gateway. ``data``: a list (v1 instances),
        a v1 / v2 body, or an OpenAI chat / completions body; ``path`` overrides
        the model server path (e.g. ``v1/models/NAME/explain``)."""
        endpoint, url, models = self.stage_url(ref, stage)
        model = model or self._only(models)
        kind, body = inference_body(data)
        if path is None:
            path = {"v1": f"v1/models/{model}/predict", "v2": f"v2/models/{model}/infer",
                    "chat": "openai/v1/chat/completions", "completions": "openai/v1/completions"}[kind]
            if kind in ("chat", "completions"):
                body = {"model": model, **body}
        key = api_key or self._api_key_for(endpoint)
        return self._gateway_call(f"{url}/{model}/{path.lstrip('/')}", key, body, timeout or max(self.timeout, 120))

    @staticmethod
    def _gateway_call(url: str, key: str, body: Any, timeout: float) -> Any:
        request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), method="POST",
                                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        try:
            with _opener(url).open(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 401:  # the gateway's answer names the problem; the Jupyter token is not involved
                raise EasyMakerError(401, f"the endpoint refused the API key ({API_KEY_ENV} or api_key=)") from None
            raise _error_from(exc) from None
        except (urllib.error.URLError, OSError) as exc:
            raise EasyMakerError(None, f"cannot reach the endpoint at {url}: {getattr(exc, 'reason', exc)}") from None
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode("utf-8", "replace")
