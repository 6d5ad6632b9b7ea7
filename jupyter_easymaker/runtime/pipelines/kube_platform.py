"""A task's Kubernetes settings from the pipeline's platform spec (what the
``kfp-kubernetes`` SDK compiles: ``platforms.kubernetes.deploymentSpec.executors.<executor>``,
a ``KubernetesExecutorConfig`` in proto3 JSON) applied to the task's Job, as
KFP's own driver applies them to the task's pod. Names given as parameters are
resolved from constants and from the input parameters of the task's DAG (as
KFP's driver does)."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.runtime.pipelines.spec import SpecError

# fields of KubernetesExecutorConfig this module applies; any other is named in the task's log
APPLIED = frozenset({
    "secretAsVolume", "secretAsEnv", "pvcMount", "nodeSelector", "podMetadata", "imagePullSecret",
    "imagePullPolicy", "configMapAsVolume", "configMapAsEnv", "activeDeadlineSeconds", "fieldPathAsEnv",
    "tolerations", "emptyDirMounts", "enabledSharedMemory", "securityContext",
})


def executor_config(platform_spec: dict[str, Any] | None, executor_label: str) -> dict[str, Any]:
    """The Kubernetes settings of one executor, {} when the pipeline has none."""
    kubernetes = ((platform_spec or {}).get("platforms") or {}).get("kubernetes") or {}
    return dict(((kubernetes.get("deploymentSpec") or {}).get("executors") or {}).get(executor_label) or {})


def not_applied(config: dict[str, Any]) -> list[str]:
    return sorted(k for k, v in config.items() if v not in (None, [], {}, "") and k not in APPLIED)


def _name(item: dict[str, Any], field: str, parameters: dict[str, Any]) -> str:
    """A Secret, ConfigMap or PVC name: the deprecated constant field, or its ``...Parameter`` form."""
    spec = item.get(f"{field}Parameter") or {}
    if "runtimeValue" in spec:
        value = (spec["runtimeValue"] or {}).get("constant")
    elif spec.get("componentInputParameter"):
        key = spec["componentInputParameter"]
        if key not in parameters:
            raise SpecError(f"the Kubernetes setting names input {key!r}, which the task's DAG does not have")
        value = parameters[key]
    elif spec:
        raise SpecError(f"a Kubernetes {field} from an upstream task's output is not supported")
    else:
        value = item.get(field)
    if not isinstance(value, str) or not value:
        raise SpecError(f"a Kubernetes setting has no {field}: {item!r}")
    return value


def apply(job: dict[str, Any], config: dict[str, Any], parameters: dict[str, Any]) -> None:
    """Change ``job`` (one task attempt's Job) by ``config``; SpecError for a setting that cannot be honoured."""
    template = job["spec"]["template"]
    pod = template["spec"]
    container = pod["containers"][0]
    volumes, mounts, env = pod.setdefault("volumes", []), container.setdefault("volumeMounts", []), container.setdefault("env", [])

    def volume(kind: str, source: dict[str, Any], mount_path: str, **mount: Any) -> None:
        name = f"kfp-{kind}-{len(volumes)}"
        volumes.append({"name": name, **source})
        mounts.append({"name": name, "mountPath": mount_path, **mount})

    for item in config.get("secretAsVolume") or []:
        source = {"secretName": _name(item, "secretName", parameters)}
        if "optional" in item:
            source["optional"] = bool(item["optional"])
        volume("secret", {"secret": source}, item["mountPath"])
    for item in config.get("configMapAsVolume") or []:
        source = {"name": _name(item, "configMapName", parameters)}
        if "optional" in item:
            source["optional"] = bool(item["optional"])
        volume("configmap", {"configMap": source}, item["mountPath"])
    for item in config.get("pvcMount") or []:
        claim = item.get("constant") or (parameters.get(item["componentInputParameter"])
                                         if item.get("componentInputParameter") else None)
        claim = claim or _name(item, "pvcName", parameters)
        extra = {"subPath": item["subPath"]} if item.get("subPath") else {}
        volume("pvc", {"persistentVolumeClaim": {"claimName": claim}}, item["mountPath"], **extra)
    for item in config.get("emptyDirMounts") or []:
        source = {k: item[k] for k in ("medium", "sizeLimit") if item.get(k)}
        volumes.append({"name": item["volumeName"], "emptyDir": source})
        mounts.append({"name": item["volumeName"], "mountPath": item["mountPath"]})
    shared = config.get("enabledSharedMemory")
    if shared is not None:
        name = shared.get("volumeName") or "shm"
        volumes.append({"name": name, "emptyDir": {"medium": "Memory", **({"sizeLimit": shared["size"]} if shared.get("size") else {})}})
        mounts.append({"name": name, "mountPath": "/dev/shm"})

    for item in config.get("secretAsEnv") or []:
        secret = _name(item, "secretName", parameters)
        for pair in item.get("keyToEnv") or []:
            ref = {"name": secret, "key": pair["secretKey"], **({"optional": bool(item["optional"])} if "optional" in item else {})}
            env.append({"name": pair["envVar"], "valueFrom": {"secretKeyRef": ref}})
    for item in config.get("configMapAsEnv") or []:
        config_map = _name(item, "configMapName", parameters)
        for pair in item.get("keyToEnv") or []:
            ref = {"name": config_map, "key": pair["configMapKey"], **({"optional": bool(item["optional"])} if "optional" in item else {})}
            env.append({"name": pair["envVar"], "valueFrom": {"configMapKeyRef": ref}})
    for item in config.get("fieldPathAsEnv") or []:
        env.append({"name": item["name"], "valueFrom": {"fieldRef": {"fieldPath": item["fieldPath"]}}})

    labels = ((config.get("nodeSelector") or {}).get("labels")) or {}
    if labels:
        pod["nodeSelector"] = {**(pod.get("nodeSelector") or {}), **{str(k): str(v) for k, v in labels.items()}}
    for toleration in config.get("tolerations") or []:
        out = {k: toleration[k] for k in ("key", "operator", "value", "effect") if toleration.get(k)}
        if toleration.get("tolerationSeconds") is not None:
            out["tolerationSeconds"] = int(toleration["tolerationSeconds"])
        pod.setdefault("tolerations", []).append(out)
    metadata = config.get("podMetadata") or {}
    meta = template.setdefault("metadata", {})
    for key in ("labels", "annotations"):
        if metadata.get(key):
            # the product's own labels win: they pick the task's pods
            meta[key] = {**{str(k): str(v) for k, v in metadata[key].items()}, **(meta.get(key) or {})}
    secrets = [_name(item, "secretName", parameters) for item in config.get("imagePullSecret") or []]
    if secrets:
        known = [s["name"] for s in pod.get("imagePullSecrets") or []]
        pod["imagePullSecrets"] = [{"name": n} for n in dict.fromkeys([*known, *secrets])]
    if config.get("imagePullPolicy"):
        container["imagePullPolicy"] = config["imagePullPolicy"]
    if config.get("activeDeadlineSeconds"):
        pod["activeDeadlineSeconds"] = int(config["activeDeadlineSeconds"])
    security = config.get("securityContext") or {}
    if security:
        context = {"capabilities": {"drop": ["ALL"]}, "allowPrivilegeEscalation": False}
        for key in ("runAsUser", "runAsGroup"):
            if security.get(key) is not None:
                context[key] = int(security[key])
        if security.get("runAsNonRoot") is not None:
            context["runAsNonRoot"] = bool(security["runAsNonRoot"])
        container["securityContext"] = context
