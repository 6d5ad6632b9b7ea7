"""``%easymaker notebooks list|create|start|stop|reboot|delete|open|show|update|startup-scripts|monitoring``."""
from __future__ import annotations

import argparse
import html
from typing import Any

from jupyter_easymaker.magics.arguments import MagicUsageError, arg, positive_int
from jupyter_easymaker.magics.formatting import created, table
from jupyter_easymaker.magics.registry import command

ACTIONS = ("list", "create", "start", "stop", "reboot", "delete", "open", "show", "update", "startup-scripts", "monitoring")


@command("notebooks", "Notebooks (Jupyter servers of their own): " + ", ".join(ACTIONS) + ".",
         arg("action", choices=ACTIONS), arg("name", nargs="?", metavar="NAME"),
         arg("--image", default=""), arg("--instance-type"), arg("--description", default=None),
         arg("--new-name", help="update: the notebook's new name"),
         arg("--boot-storage-gb", type=positive_int, default=50), arg("--data-storage-gb", type=positive_int, default=100),
         arg("--nas-mount-name", default=""), arg("--nas-path", default=""),
         arg("--wait", action="store_true", help="block until the notebook settles"),
         arg("--limit", type=positive_int, default=50))
def notebooks(magics: Any, args: argparse.Namespace, _cell: Any) -> Any:
    client = magics.client
    if args.action == "list":
        page = client.list_notebooks(limit=args.limit)
        rows = [[n["name"], n["status"], n["instance_type"], n["image"], created(n.get("created_at"))] for n in page]
        print(table(rows, ["NAME", "STATUS", "INSTANCE TYPE", "IMAGE", "CREATED"]) if rows else "no notebooks")
        return None
    if not args.name:
        raise MagicUsageError(f"%easymaker notebooks {args.action} NAME")
    if args.action == "create":
        notebook = client.create_notebook(args.name, image=args.image, instance_type=args.instance_type,
                                          description=args.description or "", boot_storage_gb=args.boot_storage_gb,
                                          data_storage_gb=args.data_storage_gb, nas_mount_name=args.nas_mount_name,
                                          nas_path=args.nas_path)
    elif args.action in ("start", "stop", "reboot", "delete"):
        notebook = getattr(client, f"{args.action}_notebook")(args.name)
    elif args.action == "update":
        if args.new_name is None and args.description is None and args.instance_type is None:
            raise MagicUsageError("%easymaker notebooks update NAME [--new-name N] [--description D] [--instance-type T] "
                                  "(the instance type changes while it is STOPPED)")
        notebook = client.update_notebook(args.name, name=args.new_name, description=args.description,
                                          instance_type=args.instance_type)
    elif args.action == "startup-scripts":
        return startup_scripts(client, args.name)
    elif args.action == "monitoring":
        return monitoring(client, args.name)
    else:
        notebook = client.get_notebook(args.name)
    if args.wait and args.action != "delete":
        notebook = client.wait_notebook(notebook["id"])
    if args.action == "show":
        show(client, notebook)
    elif args.action == "open":
        link(client, notebook)
    else:
        print(f"{notebook['name']}: {notebook['status']} {notebook['status_reason']}".rstrip())
    return notebook


def show(client: Any, notebook: dict) -> None:
    rows = [[key, str(notebook.get(key, ""))] for key in (
        "name", "status", "status_reason", "image", "instance_type", "boot_storage_gb", "data_storage_gb",
        "nas_mount_name", "nas_path", "data_path", "url")]
    print(table(rows, ["FIELD", "VALUE"]))
    scripts = client.notebook_startup_scripts(notebook["id"])["scripts"]
    if scripts:
        print(table([[s["name"], "yes" if s["runnable"] else "no", "" if s["exit_code"] is None else str(s["exit_code"])]
                     for s in scripts], ["START-UP SCRIPT", "RUNS", "EXIT CODE"]))


def startup_scripts(client: Any, ref: str) -> dict:
    """Each script of cont-init.d with its exit code and output, then the whole run's log."""
    answer = client.notebook_startup_scripts(ref)
    for script in answer["scripts"]:
        code = "not run" if script["exit_code"] is None else f"exit code {script['exit_code']}"
        print(f"== {script['name']} ({code}{'' if script['runnable'] else ', skipped: not an executable #! file'})")
        if script.get("output"):
            print(script["output"].rstrip())
    if not answer["scripts"]:
        print("no start-up scripts in cont-init.d")
    return answer


def monitoring(client: Any, ref: str) -> dict:
    """The latest CPU, memory and GPU samples of the notebook's server."""
    answer = client.notebook_monitoring(ref)
    samples = answer.get("usage") or []
    rows = [[s["time"], f"{s['cpu_percent']:.1f}", f"{s['memory_bytes'] / 2**20:.0f}",
             "" if s.get("gpu_percent") is None else f"{s['gpu_percent']:.1f}"] for s in samples[-10:]]
    print(table(rows, ["TIME", "CPU %", "MEMORY MiB", "GPU %"]) if rows else "no usage samples yet")
    return answer


def link(client: Any, notebook: dict) -> None:
    if not notebook.get("url"):
        print(f"{notebook['name']} is {notebook['status']}: start it to open it")
        return
    full = client.notebook_url(notebook["id"])
    print(f"{notebook['name']}: {full}")
    try:
        from IPython.display import HTML, display
    except ImportError:
        return
    # the server path: the browser resolves it against its own origin
    href = html.escape(notebook["url"], quote=True)
    display(HTML(f'<a href="{href}" target="_blank" rel="noopener">Open notebook {html.escape(notebook["name"])}</a>'))
