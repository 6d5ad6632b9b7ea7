"""``%easymaker deploy MODEL`` / ``%easymaker predict ENDPOINT ...`` /
``%easymaker endpoints``: the endpoint commands of the magics (a mixin of
EasyMakerMagics, and the parsers they add)."""
from __future__ import annotations

import json
import os
import re
import time
from typing import Any

AUTOSCALE = re.compile(r"^(cpu|memory):(\d+(?:\.\d+)?)(?::(\d+)-(\d+))?$", re.IGNORECASE)


def autoscaler(text: str) -> dict[str, Any]:
    """``cpu:80`` or ``memory:70:1-4`` -> the pod autoscaler of a stage resource."""
    import argparse

    match = AUTOSCALE.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"expected METRIC:THRESHOLD[:MIN-MAX] like cpu:80 or memory:70:1-4, got {text!r}")
    out: dict[str, Any] = {"enabled": True, "metric": match.group(1).lower(), "threshold": float(match.group(2))}
    if match.group(3):
        out.update(min_pods=int(match.group(3)), max_pods=int(match.group(4)))
    return out


def add_parsers(add, positive_int, backends) -> None:
    """The endpoint subcommands, added to the ``%easymaker`` parser."""
    deploy = add("deploy", "Serve a model: a new endpoint, or a new stage on an existing one (--endpoint NAME --stage NAME).")
    deploy.add_argument("model", metavar="MODEL", help="model name or id")
    deploy.add_argument("--endpoint", help="endpoint name (default: MODEL-ep); an existing one gets a new stage")
    deploy.add_argument("--stage", help="stage name: the default stage's name for a new endpoint, the new stage otherwise")
    deploy.add_argument("--instance-type", help="instance type (see Client().instance_types())")
    deploy.add_argument("--instances", type=positive_int, help="instance count")
    deploy.add_argument("--pods", type=positive_int, help="pod count")
    deploy.add_argument("--cpu", type=float, help="CPU cores per pod")
    deploy.add_argument("--memory", help="memory per pod: MiB or 512Mi / 2Gi")
    deploy.add_argument("--gpu", type=int, help="GPUs per pod")
    deploy.add_argument("--autoscale", type=autoscaler, metavar="METRIC:THRESHOLD[:MIN-MAX]",
                        help="pod autoscaler, e.g. cpu:80 or memory:70:1-4")
    deploy.add_argument("--backend", choices=backends, help="serving backend")
    deploy.add_argument("--description", default="")
    deploy.add_argument("--wait", action="store_true", help="block until the endpoint is ACTIVE")

    predict = add("predict", "Call an endpoint: JSON (a list is v1 instances; {inputs} v2; {messages} chat) or @file.json.")
    predict.add_argument("endpoint", metavar="ENDPOINT", help="endpoint name or id")
    predict.add_argument("data", metavar="JSON|@FILE", nargs="+", help="the request body")
    predict.add_argument("--stage", help="a stage (default: the default stage URL)")
    predict.add_argument("--model", help="the model (default: the stage's only one)")
    predict.add_argument("--api-key", help="an API key of the endpoint (default: one this session holds or creates)")

    endpoints = add("endpoints", "List endpoints with their default stage URL.")
    endpoints.add_argument("--limit", type=positive_int, default=50)


class EndpointCommands:
    """Mixed into EasyMakerMagics: needs ``client``."""

    def _cmd_deploy(self, args: Any, _cell: Any) -> Any:
        from jupyter_easymaker.client import EasyMakerError

        client = self.client
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
            created = client.create_stage(existing["id"], stage, model["id"], instance_type=args.instance_type,
                                          instance_count=args.instances, description=args.description, **resource)
            print(f"new stage {created['name']} of endpoint {existing['name']} deploying {model['name']}: {created['status']}")
            print(f"stage URL: {created['url']}")
            endpoint_ref = existing["id"]
        else:
            created = client.create_endpoint(name, model["id"], stage_name=args.stage, instance_type=args.instance_type,
                                             instance_count=args.instances, backend=args.backend, description=args.description,
                                             **resource)
            print(f"endpoint {created['name']} ({created['id']}) deploying {model['name']}: {created['status']}")
            print(f"default stage URL: {created['default_stage_url']}")
            key = (created.get("api_key") or {}).get("key")
            if key:
                print(f"API key (shown once; this notebook session keeps it for %easymaker predict): {key}")
            endpoint_ref = created["id"]
        if not args.wait:
            print(f"follow it with: %easymaker endpoints  |  %easymaker predict {name} '[[...]]' once ACTIVE")
            return None
        endpoint = client.wait_endpoint(endpoint_ref)
        stage_url = next((s["url"] for s in endpoint.get("stages") or [] if s["name"] == (created.get("name") if existing else
                          endpoint.get("default_stage_name"))), endpoint.get("default_stage_url"))
        print(f"endpoint {endpoint['name']} is ACTIVE")
        print(f"curl -X POST '{stage_url}/{model['name']}/v1/models/{model['name']}/predict' "
              "-H 'Authorization: Bearer <API key>' -H 'Content-Type: application/json' -d '{\"instances\": [...]}'")
        return endpoint

    def _cmd_predict(self, args: Any, _cell: Any) -> Any:
        from jupyter_easymaker.magics import parser

        text = " ".join(args.data).strip()
        if text.startswith("@"):
            path = os.path.expanduser(text[1:])
            try:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
            except OSError as exc:
                raise parser.MagicUsageError(f"%easymaker predict: cannot read {path}: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise parser.MagicUsageError(f"%easymaker predict: the body is not JSON ({exc}); quote it: '[[1, 2]]'") from None
        return self.client.predict(args.endpoint, data, stage=args.stage, model=args.model, api_key=args.api_key)

    def _cmd_endpoints(self, args: Any, _cell: Any) -> None:
        from jupyter_easymaker.magics.easymaker import _created, _table

        page = self.client.list_endpoints(limit=args.limit)
        if not page:
            print("no endpoints")
            return
        rows = [[e["name"], e["status"], e.get("default_stage_name") or "", e.get("default_stage_url") or "",
                 _created(e.get("created_at"))] for e in page]
        print(_table(rows, ["NAME", "STATUS", "DEFAULT STAGE", "DEFAULT STAGE URL", "CREATED"]))
