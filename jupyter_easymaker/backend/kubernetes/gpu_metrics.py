"""GPU usage of pods, which metrics.k8s.io does not have: the series NVIDIA's
DCGM exporter publishes, read through Prometheus' HTTP API (the backend's
``gpu_metrics_url``, e.g. the kube-prometheus stack's Prometheus service).

Per GPU the exporter gives its utilisation (``DCGM_FI_DEV_GPU_UTIL``, percent)
and its framebuffer in use (``DCGM_FI_DEV_FB_USED``, MiB), labelled with the
pod that holds it: ``pod``/``namespace``, or ``exported_pod``/
``exported_namespace`` where Prometheus kept its own labels."""
from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass

UTILISATION = "DCGM_FI_DEV_GPU_UTIL"
FRAMEBUFFER_USED_MIB = "DCGM_FI_DEV_FB_USED"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class GpuUsage:
    gpus: int  # GPUs seen
    utilisation_sum: float  # percent, summed over them
    memory_bytes: int

    @property
    def percent(self) -> float:
        """The mean utilisation of the GPUs (as the local backend gives it)."""
        return self.utilisation_sum / max(1, self.gpus)


class GpuMetrics:
    def __init__(self, url: str, timeout: float = 3.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def of_pods(self, namespace: str, pods: Iterable[str]) -> GpuUsage | None:
        """The GPUs the pods hold, together; None when none is seen (no GPU, no sample
        yet, or Prometheus out of reach: usage is best effort)."""
        names = sorted(set(pods))
        if not names:
            return None
        try:
            utilisation = self._by_gpu(UTILISATION, namespace, names)
            framebuffer = self._by_gpu(FRAMEBUFFER_USED_MIB, namespace, names)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not utilisation:
            return None
        return GpuUsage(gpus=len(utilisation), utilisation_sum=sum(utilisation.values()),
                        memory_bytes=int(sum(framebuffer.values()) * 1024 * 1024))

    def _by_gpu(self, metric: str, namespace: str, pods: list[str]) -> dict[tuple[str, str], float]:
        """(pod, GPU) -> the latest value of ``metric``."""
        pattern = "|".join(_regex_literal(p) for p in pods)
        query = " or ".join(f'{metric}{{{ns}="{_string(namespace)}",{pod}=~"{pattern}"}}'
                            for ns, pod in (("namespace", "pod"), ("exported_namespace", "exported_pod")))
        url = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
        with _NO_PROXY.open(url, timeout=self.timeout) as response:
            answer = json.loads(response.read())
        if answer.get("status") != "success":
            raise ValueError(f"Prometheus answered {answer.get('status')}: {answer.get('error')}")
        out: dict[tuple[str, str], float] = {}
        for series in answer["data"]["result"]:
            labels = series.get("metric") or {}
            pod = labels.get("pod") or labels.get("exported_pod") or ""
            if pod not in pods:
                continue
            gpu = str(labels.get("UUID") or labels.get("gpu") or len(out))
            out[(pod, gpu)] = float(series["value"][1])
        return out


def _string(value: str) -> str:
    """A PromQL double-quoted string's content."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _regex_literal(value: str) -> str:
    """``value`` matched literally by a PromQL (RE2) regex, as string content."""
    special = set("\\.+*?()|[]{}^$")
    return _string("".join("\\" + c if c in special else c for c in value))
