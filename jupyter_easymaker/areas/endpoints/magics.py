"""``%easymaker deploy MODEL`` / ``%easymaker predict ENDPOINT ...`` /
``%easymaker endpoints``: the endpoint commands of the magics."""
from __future__ import annotations

import argparse
import json
import os
import re
import time
from typing import Any

from jupyter_easymaker.client.transport import EasyMakerError
from jupyter_easymaker.magics.arguments import (
    BACKENDS,
    MagicUsageError,
    arg,
    positive_int,
)
from jupyter_easymaker.magics.formatting import created, table
from jupyter_easymaker.magics.registry import command

AUTOSCALE = re.compile(r"^(cpu|memory):(\d+(?:\.\d+)?)(?::(\d+)-(\d+))?$", re.IGNORECASE)


def autoscaler(text: str) -> dict[str, Any]:
    """``cpu:80`` or ``memory:70:1-4`` -> the pod autoscaler of a stage resource."""
    match = AUTOSCALE.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"expected METRIC:THRESHOLD[:MIN-MAX] like cpu:80 or memory:70:1-4, got {text!r}")
    out: dict[str, Any] = {"enabled": True, "metric": match.group(1).lower(), "threshold": float(match.group(2))}
    if match.group(3):
        out.update(min_pods=int(match.group(3)), max_pods=int(match.group(4)))
    return out


DEPLOY_ARGUMENTS = (
    arg("model", metavar="MODEL", help="model name or id"),
    arg("--endpoint", help="endpoint name (default: MODEL-ep); an existing one gets a new stage"),
    arg("--stage", help="stage name: the default stage's name for a new endpoint, the new stage otherwise"),
    arg("--instance-type", help="instance type (see Client().instance_types())"),
    arg("--instances", type=positive_int, help="instance count"),
    arg("--pods", type=positive_int, help="pod count"),
    arg("--cpu", type=float, help="CPU cores per pod"),
    arg("--memory", help="memory per pod: MiB or 512Mi / 2Gi"),
    arg("--gpu", type=int, help="GPUs per pod"),
    arg("--autoscale", type=autoscaler, metavar="METRIC:THRESHOLD[:MIN-MAX]",
        help="pod autoscaler, e.g. cpu:80 or memory:70:1-4"),
    arg("--backend", choices=BACKENDS, help="serving backend"),
    arg("--description", default=""),
    arg("--wait", action="store_true", help="block until the endpoint is ACTIVE"),
)

PREDICT_ARGUMENTS = (
    arg("endpoint", metavar="ENDPOINT", help="endpoint name or id"),
    arg("data", metavar="JSON|@FILE", nargs="+", help="the request body"),
    arg("--stage", help="a stage (default: the default stage URL)"),
    arg("--model", help="the model (default: the stage's only one)"),
    arg("--api-key", help="an API key of the endpoint (default: one this session holds or creates)"),
)


@command("deploy", "Serve a model: a new endpoint, or a new stage on an existing one (--endpoint NAME --stage NAME).",
         *DEPLOY_ARGUMENTS)
def deploy(magics: Any, args: Any, _cell: Any) -> Any:
    client = magics.client
    model = client.get_model(args.model)
    name = args.endpoint or f"{model['name']}-ep"[:50]
    resource = {"pod_count": args.pods, "cpu": args.cpu, "memory": args.memory, "gpu": args.gpu, "autoscaler": args.autoscale}
    try:
        existing = client.get_endpoint(name) if args.endpoint else None
    except EasyMakerError as exc:
        if exc.status != 404:
            raise
        existing = None
    if existing is not None:
        stage = args.stage or f"stage-{time.strftime('%Y%m%d-%H%M%S')}"
        made = client.create_stage(existing["id"], stage, model["id"], instance_type=args.instance_type,
                                      instance_count=args.instances, description=args.description, **resource)
        print(f"new stage {made['name']} of endpoint {existing['name']} deploying {model['name']}: {made['status']}")
        print(f"stage URL: {made['url']}")
        endpoint_ref = existing["id"]
    else:
        made = client.create_endpoint(name, model["id"], stage_name=args.stage, instance_type=args.instance_type,
                                         instance_count=args.instances, backend=args.backend, description=args.description,
                                         **resource)
        print(f"endpoint {made['name']} ({made['id']}) deploying {model['name']}: {made['status']}")
        print(f"default stage URL: {made['default_stage_url']}")
        key = (made.get("api_key") or {}).get("key")
        if key:
            print(f"API key (shown once; this notebook session keeps it for %easymaker predict): {key}")
        endpoint_ref = made["id"]
    if not args.wait:
        print(f"follow it with: %easymaker endpoints  |  %easymaker predict {name} '[[...]]' once ACTIVE")
        return None
    endpoint = client.wait_endpoint(endpoint_ref)
    stage_url = next((s["url"] for s in endpoint.get("stages") or [] if s["name"] == (made.get("name") if existing else
                      endpoint.get("default_stage_name"))), endpoint.get("default_stage_url"))
    print(f"endpoint {endpoint['name']} is ACTIVE")
    print(f"curl -X POST '{stage_url}/{model['name']}/v1/models/{model['name']}/predict' "
          "-H 'Authorization: Bearer <API key>' -H 'Content-Type: application/json' -d '{\"instances\": [...]}'")
    return endpoint


@command("predict", "Call an endpoint: JSON (a list is v1 instances; {inputs} v2; {messages} chat) or @file.json.",
         *PREDICT_ARGUMENTS)
def predict(magics: Any, args: Any, _cell: Any) -> Any:
    text = " ".join(args.data).strip()
    if text.startswith("@"):
        path = os.path.expanduser(text[1:])
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise MagicUsageError(f"%easymaker predict: cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MagicUsageError(f"%easymaker predict: the body is not JSON ({exc}); quote it: '[[1, 2]]'") from None
    return magics.client.predict(args.endpoint, data, stage=args.stage, model=args.model, api_key=args.api_key)


@command("endpoints", "List endpoints with their default stage URL.", arg("--limit", type=positive_int, default=50))
def list_endpoints(magics: Any, args: Any, _cell: Any) -> None:
    page = magics.client.list_endpoints(limit=args.limit)
    if not page:
        print("no endpoints")
        return
    rows = [[e["name"], e["status"], e.get("default_stage_name") or "", e.get("default_stage_url") or "",
             created(e.get("created_at"))] for e in page]
    print(table(rows, ["NAME", "STATUS", "DEFAULT STAGE", "DEFAULT STAGE URL", "CREATED"]))
