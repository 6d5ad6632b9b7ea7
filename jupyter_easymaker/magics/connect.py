"""``%easymaker connect URL --token TOKEN``: the dispatcher's own command, for a
server that is not found automatically."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.magics.arguments import arg
from jupyter_easymaker.magics.registry import command


@command("connect", "Use this server (when it is not found automatically).",
         arg("url", metavar="URL", help="Jupyter server URL with its base URL, e.g. http://localhost:8888/"),
         arg("--token", help="the server's token"))
def connect(magics: Any, args: Any, _cell: Any) -> None:
    from jupyter_easymaker.client import Client

    client = Client(args.url, args.token)
    info = client.info()
    magics.client = client  # only once the server answered: a failed connect keeps the working client
    print(f"connected to {info.get('name')} {info.get('version')} at {client.url}")
