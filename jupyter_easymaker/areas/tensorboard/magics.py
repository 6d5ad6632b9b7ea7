"""``%easymaker tensorboard REF``: the TensorBoard of a training, a
hyperparameter tuning or an experiment, with a link to open it."""
from __future__ import annotations

import html
from typing import Any

from jupyter_easymaker.client.transport import EasyMakerError
from jupyter_easymaker.magics.arguments import arg
from jupyter_easymaker.magics.registry import command


@command("tensorboard", "TensorBoard of a training, an experiment (all its trainings) or a tuning (all its trials).",
         arg("ref", metavar="REF", help="training, tuning or experiment name or id"))
def tensorboard(magics: Any, args: Any, _cell: Any) -> None:
    client = magics.client
    # a name can be a training's, a tuning's or an experiment's: the first that exists
    lookups = (("training", "training", client.get_training), ("tuning", "hyperparameter tuning", client.get_tuning),
               ("experiment", "experiment", client.get_experiment))
    for i, (kind, noun, getter) in enumerate(lookups):
        try:
            item = getter(args.ref)
            break
        except EasyMakerError as exc:
            if exc.status != 404 or i == len(lookups) - 1:
                raise
    board = client.open_tensorboard(**{kind: item["id"]})
    show(f"{noun} {item['name']}", board)


def show(what: str, board: dict) -> None:
    print(f"TensorBoard of {what} ({board['logdir']}): {board['link']}")
    try:
        from IPython.display import HTML, display
    except ImportError:
        return
    # the server path, not the kernel's view of the host: the browser resolves it against its own origin
    href = html.escape(board["url"], quote=True)
    display(HTML(f'<a href="{href}" target="_blank" rel="noopener">Open the TensorBoard of {html.escape(what)}</a>'))
