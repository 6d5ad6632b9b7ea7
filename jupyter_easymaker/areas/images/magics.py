"""``%easymaker images list [--base]|show REF|create NAME --address REF --type
NOTEBOOK|TRAINING [--account A] [--framework F] [--python PATH]|delete REF``.
Standard library and IPython only."""
from __future__ import annotations

import argparse
from typing import Any

from jupyter_easymaker.magics.arguments import MagicUsageError, arg, positive_int
from jupyter_easymaker.magics.formatting import created, table
from jupyter_easymaker.magics.registry import command

ACTIONS = ("list", "base", "show", "create", "update", "delete")


def _available(image: dict) -> str:
    return "yes" if image.get("available") else f"no: {image.get('unavailable_reason') or ''}"


@command("images", "Images: list (private, or --base for the base images), base, show, create, update (name, "
                   "description), delete.",
         arg("action", choices=ACTIONS),
         arg("ref", nargs="?", metavar="REF", help="the image's name or id (create: the new name)"),
         arg("--base", action="store_true", help="list: the base images"),
         arg("--address", help="create: the container image reference"),
         arg("--type", dest="image_type", choices=("NOTEBOOK", "TRAINING"), default="TRAINING"),
         arg("--framework", choices=("PYTHON", "PYTORCH", "TENSORFLOW"), default="PYTHON"),
         arg("--account", help="create: the registry account (name or id)"),
         arg("--python", default="", help="create: the local interpreter or conda environment its jobs run with"),
         arg("--description", default=None),
         arg("--new-name", help="update: the image's new name"),
         arg("--limit", type=positive_int, default=50))
def images_command(magics: Any, args: argparse.Namespace, _cell: Any) -> Any:
    client = magics.client
    if args.action in ("list", "base"):
        if args.base or args.action == "base":
            rows = [[i["name"], i["image_type"], i["core_type"], i["framework"], i["framework_version"], i["python_version"],
                     _available(i)] for i in client.list_base_images()]
            print(table(rows, ["NAME", "TYPE", "CORE", "FRAMEWORK", "VERSION", "PYTHON", "AVAILABLE HERE"]))
            return None
        page = client.list_images(limit=args.limit)
        if not page:
            print("no private images")
            return None
        rows = [[i["name"], i["image_type"], i["address"], i.get("registry_account_name") or "", i.get("local_python") or "(server's)",
                 _available(i), created(i.get("created_at"))] for i in page]
        print(table(rows, ["NAME", "TYPE", "ADDRESS", "ACCOUNT", "LOCAL PYTHON", "AVAILABLE HERE", "CREATED"]))
        return None
    if not args.ref:
        raise MagicUsageError(f"%easymaker images {args.action} REF")
    if args.action == "show":
        image = client.get_image(args.ref)
        for key in ("name", "id", "description", "address", "image_type", "core_type", "framework", "framework_version",
                    "python_version", "registry_account_name", "local_python"):
            if image.get(key) not in (None, ""):
                print(f"{key}: {image[key]}")
        print(f"available here: {_available(image)}")
        return image
    if args.action == "create":
        if not args.address:
            raise MagicUsageError("%easymaker images create NAME --address REFERENCE [--type TRAINING] [--account A]")
        image = client.create_image(args.ref, address=args.address, image_type=args.image_type, framework=args.framework,
                                    registry_account=args.account, local_python=args.python,
                                    description=args.description or "")
        print(f"image {image['name']} created ({image['id']})")
        return image
    if args.action == "update":
        if args.new_name is None and args.description is None:
            raise MagicUsageError("%easymaker images update REF [--new-name NAME] [--description TEXT]")
        image = client.update_image(args.ref, name=args.new_name, description=args.description)
        print(f"image {image['name']} updated")
        return image
    client.delete_image(args.ref)
    print(f"image {args.ref} deleted")
    return None
