"""``%easymaker registry-accounts list|show REF|create NAME --username U [--type T]
[--address HOST]|credentials REF --username U|rename REF NEW|delete REF``. The
password is asked with getpass (never on the command line, so never in the
notebook or its history). Standard library and IPython only."""
from __future__ import annotations

import argparse
import getpass
from typing import Any

from jupyter_easymaker.magics.arguments import MagicUsageError, arg, positive_int
from jupyter_easymaker.magics.formatting import created, table
from jupyter_easymaker.magics.registry import command

ACTIONS = ("list", "show", "create", "credentials", "rename", "delete")
TYPES = ("NCR", "DOCKER_HUB", "OTHER")


def _password(args: argparse.Namespace) -> str:
    return args.password if args.password is not None else getpass.getpass("registry password: ")


@command("registry-accounts", "Registry accounts: list, show, create, credentials (change id and password), rename, delete.",
         arg("action", choices=ACTIONS),
         arg("refs", nargs="*", metavar="REF", help="the account's name or id (create: the new name; rename: REF NEW_NAME)"),
         arg("--type", dest="registry_type", choices=TYPES, default="NCR"),
         arg("--address", default="", help="the registry host (NCR, other)"),
         arg("--username", help="the registry id (create, credentials)"),
         arg("--password", help=argparse.SUPPRESS),  # for scripts; the prompt keeps it out of the notebook
         arg("--description", default=None),
         arg("--limit", type=positive_int, default=50))
def registry_accounts_command(magics: Any, args: argparse.Namespace, _cell: Any) -> Any:
    client = magics.client
    refs = args.refs
    if args.action == "list":
        page = client.list_registry_accounts(limit=args.limit)
        if not page:
            print("no registry accounts")
            return None
        rows = [[a["name"], a["registry_type"], a["registry_address"], a["username"], ",".join(a.get("images") or []),
                 created(a.get("created_at"))] for a in page]
        print(table(rows, ["NAME", "TYPE", "ADDRESS", "ID", "IMAGES", "CREATED"]))
        return None
    if not refs:
        raise MagicUsageError(f"%easymaker registry-accounts {args.action} REF")
    if args.action == "show":
        account = client.get_registry_account(refs[0])
        for key in ("name", "id", "description", "registry_type", "registry_address", "username", "password", "images"):
            print(f"{key}: {account.get(key)}")
        return account
    if args.action == "create":
        if not args.username:
            raise MagicUsageError("%easymaker registry-accounts create NAME --username ID [--type T] [--address HOST]")
        account = client.create_registry_account(refs[0], username=args.username, password=_password(args),
                                                 registry_type=args.registry_type, registry_address=args.address,
                                                 description=args.description or "")
        print(f"registry account {account['name']} created ({account['id']})")
        return account
    if args.action == "credentials":
        if not args.username:
            raise MagicUsageError("%easymaker registry-accounts credentials REF --username ID")
        account = client.update_registry_credentials(refs[0], username=args.username, password=_password(args))
        for warning in account.get("warnings") or []:
            print(f"warning: {warning}")
        print(f"registry account {account['name']}: id and password changed")
        return account
    if args.action == "rename":
        if len(refs) != 2 and args.description is None:
            raise MagicUsageError("%easymaker registry-accounts rename REF NEW_NAME [--description TEXT]")
        account = client.update_registry_account(refs[0], name=refs[1] if len(refs) > 1 else None, description=args.description)
        print(f"registry account {account['name']} changed")
        return account
    client.delete_registry_account(refs[0])
    print(f"registry account {refs[0]} deleted")
    return None
