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
from jupyter_easymaker.magics import resource_actions as ra
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


ENDPOINT_ACTIONS = ("list", "show", "rename", "delete", "statistics", "stage-statistics", "stages", "stage", "stage-describe", "stage-delete",
                    "stage-retry", "default-stage", "gateway", "monitoring", "logs", "resources", "resource", "resource-add",
                    "resource-delete", "resource-logs", "api-keys", "api-key-create", "api-key-revoke")
ENDPOINT_FIELDS = [("name", "name"), ("id", "id"), ("status", "status"), ("reason", "status_reason"),
                   ("default stage", "default_stage_name"), ("url", "default_stage_url"),
                   ("gateway url", "default_stage_gateway_url"), ("description", "description"),
                   ("created", "created_at")]
STAGE_FIELDS = [("stage", "name"), ("id", "id"), ("status", "status"), ("reason", "status_reason"), ("url", "url"),
                ("gateway url", "gateway_url"), ("default", "is_default"), ("instance type", "instance_type"), ("instances", "instance_count"),
                ("description", "description"), ("created", "created_at")]


def _print_json(data: Any) -> Any:
    print(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False, default=str))
    return data


@command("endpoints", "Endpoints: " + ", ".join(ENDPOINT_ACTIONS) + " (list without an action). Stage actions take "
         "--stage (default: the default stage), resource actions --resource, resource-add --model.",
         arg("action", nargs="?", choices=ENDPOINT_ACTIONS, default="list"), *ra.NAME_ARGS,
         arg("--stage", help="the stage (name or id)"),
         arg("--resource", help="resource, resource-delete, resource-logs: the stage resource (id)"),
         arg("--model", help="resource-add: the model to serve beside the others"),
         arg("--pods", type=positive_int, help="resource-add: pod count"),
         arg("--key", help="api-key-revoke: the key's id"),
         arg("--since", metavar="ISO_TIME", help="statistics, monitoring: from this time"),
         arg("--limit", type=positive_int, default=50))
def list_endpoints(magics: Any, args: Any, _cell: Any) -> Any:
    client = magics.client
    if args.action != "list":
        return endpoint_action(client, args)
    page = client.list_endpoints(limit=args.limit)
    if not page:
        print("no endpoints")
        return None
    rows = [[e["name"], e["status"], e.get("default_stage_name") or "", e.get("default_stage_url") or "",
             created(e.get("created_at"))] for e in page]
    print(table(rows, ["NAME", "STATUS", "DEFAULT STAGE", "DEFAULT STAGE URL", "CREATED"]))
    return None


def _stage(client: Any, args: Any) -> str:
    if args.stage:
        return args.stage
    default = client.get_endpoint(args.name).get("default_stage_name")
    if not default:
        raise MagicUsageError(f"%easymaker endpoints {args.action} {args.name}: the endpoint has no default stage; give --stage")
    return default


def _need(value: Any, flag: str, args: Any) -> Any:
    if not value:
        raise MagicUsageError(f"%easymaker endpoints {args.action} {args.name} {flag} ...")
    return value


def endpoint_action(client: Any, args: Any) -> Any:
    name = ra.need_name(args, "endpoints")
    action = args.action
    if action == "show":
        return ra.show(client.get_endpoint(name), ENDPOINT_FIELDS)
    if action == "rename":
        return ra.rename("endpoint", args, client.update_endpoint)
    if action == "delete":
        return ra.delete("endpoint", args, client.get_endpoint, client.delete_endpoint, "%easymaker endpoints delete")
    if action == "statistics":
        return _print_json(client.endpoint_statistics(name, since=args.since))
    if action == "stages":
        stages = client.list_stages(name)
        rows = [[s["name"], s["status"], "yes" if s.get("is_default") else "", s.get("url") or "", created(s.get("created_at"))]
                for s in stages]
        print(table(rows, ["STAGE", "STATUS", "DEFAULT", "URL", "CREATED"]))
        return stages
    if action == "api-keys":
        keys = client.list_api_keys(name)
        print(table([[k["id"], k.get("name") or "", k.get("masked") or "", "revoked" if k.get("revoked_at") else "active",
                      created(k.get("created_at"))] for k in keys], ["ID", "NAME", "KEY", "STATE", "CREATED"]) if keys else "no API keys")
        return keys
    if action == "api-key-create":
        key = client.create_api_key(name, args.new_name or "")
        print(f"API key {key['id']}: {key.get('key')} (shown only now: keep it)")
        return key
    if action == "api-key-revoke":
        key = client.revoke_api_key(name, _need(args.key, "--key", args))
        print(f"API key {args.key} revoked")
        return key
    stage = _stage(client, args)
    if action == "stage":
        return ra.show(client.get_stage(name, stage), STAGE_FIELDS)
    if action == "stage-describe":
        if args.description is None:
            raise MagicUsageError(f"%easymaker endpoints stage-describe {name} --stage S --description TEXT")
        s = client.update_stage(name, stage, description=args.description)
        print(f"stage {s['name']} of {name}: {s.get('description')}")
        return s
    if action == "stage-delete":
        if not args.yes:
            print(f"would delete stage {stage} of endpoint {name} and stop its model servers; run "
                  f"`%easymaker endpoints stage-delete {name} --stage {stage} --yes` to delete it")
            return None
        client.delete_stage(name, stage)
        print(f"deleted stage {stage} of endpoint {name}")
        return None
    if action == "stage-retry":
        s = client.retry_stage(name, stage)
        print(f"retrying stage {stage} of {name}: {s.get('status')}")
        return s
    if action == "default-stage":
        e = client.set_default_stage(name, _need(args.stage, "--stage", args))
        print(f"the default stage of {name} is now {e.get('default_stage_name') or args.stage}")
        return e
    if action == "stage-statistics":
        return _print_json(client.stage_statistics(name, stage, since=args.since))
    if action == "gateway":
        return _print_json(client.stage_gateway(name, stage))
    if action == "monitoring":
        return _print_json(client.stage_monitoring(name, stage, since=args.since))
    if action == "logs":
        return ra.print_logs(client.inference_logs(name, stage, limit=10000), "stage")
    if action == "resources":
        resources = client.list_stage_resources(name, stage)
        rows = [[r["id"], r.get("model_name") or r["model_id"], r["status"], f"{r.get('pods_ready', 0)}/{r.get('pods_total', 0)}"]
                for r in resources]
        print(table(rows, ["RESOURCE", "MODEL", "STATUS", "PODS"]) if rows else f"stage {stage} has no resources")
        return resources
    if action == "resource-add":
        fields = {"pod_count": args.pods} if args.pods else {}
        r = client.add_stage_resource(name, stage, _need(args.model, "--model", args), **fields)
        print(f"added {r.get('model_name') or args.model} to stage {stage} of {name}: {r.get('status')}")
        return r
    resource = _need(args.resource, "--resource", args)
    if action == "resource":
        return _print_json(client.get_stage_resource(name, stage, resource))
    if action == "resource-logs":
        text = client.stage_resource_logs(name, stage, resource)
        print(text or "(no model server output yet)")
        return text
    if not args.yes:
        print(f"would remove resource {resource} from stage {stage} of {name}; run "
              f"`%easymaker endpoints resource-delete {name} --stage {stage} --resource {resource} --yes` to remove it")
        return None
    client.delete_stage_resource(name, stage, resource)
    print(f"removed resource {resource} from stage {stage} of {name}")
    return None
