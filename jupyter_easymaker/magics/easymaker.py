"""``%easymaker`` line magics and the ``%%easymaker train`` cell magic.

Only the standard library and IPython are imported here: the client, the
widgets and cloudpickle load when a command needs them.
"""
from __future__ import annotations

import base64
import importlib.util
import sys
import time
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class

from jupyter_easymaker.magics import parser
from jupyter_easymaker.areas.endpoints.magics import EndpointCommands

DEFAULT_EXPERIMENT = "notebook"
ENTRY_POINT = "main.py"
VARS_FILE = "__easymaker_vars__.pkl"
# one line, so that the cell's own line numbers move by one only; nothing is left in the namespace
VARS_PRELUDE = (
    'globals().update(__import__("cloudpickle").loads(__import__("base64").b64decode(open(__import__("os").path.join('
    '__import__("os").path.dirname(__import__("os").path.abspath(__file__)), "' + VARS_FILE + '"), "rb").read())))'
    "  # %%easymaker --vars\n"
)
MAX_VARS_BYTES = 14 * 1024 * 1024  # base64 of it stays under the server's 20 MB of inline sources
CELL_COMMANDS = ("train", "hpo", "batch")  # the commands that take the cell (batch: records, or --input on a line)


class TrainingResult(dict):
    """The final training dict, shown as one line instead of the whole spec."""

    def _summary(self) -> str:
        from jupyter_easymaker.magics.watch import format_elapsed

        return f"<training {self.get('name')}: {self.get('status')}, elapsed {format_elapsed(self.get('elapsed_seconds'))}, id {self.get('id')}>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self._summary())


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)


def _created(value: Any) -> str:
    return str(value or "")[:19].replace("T", " ")


@magics_class
class EasyMakerMagics(EndpointCommands, Magics):
    def __init__(self, shell: Any = None, **kwargs: Any):
        super().__init__(shell, **kwargs)
        self._client: Any = None

    # -- the client -----------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            from jupyter_easymaker.client import Client

            self._client = Client()
        return self._client

    @client.setter
    def client(self, value: Any) -> None:
        self._client = value

    # -- dispatch ---------------------------------------------------------------------
    @line_cell_magic
    def easymaker(self, line: str = "", cell: str | None = None) -> Any:
        """jupyter-easymaker: `%easymaker help` lists the commands, `%%easymaker train --help` the training options."""
        from jupyter_easymaker.client import EasyMakerError

        try:
            args = parser.parse(line)
        except parser.HelpShown:
            return None
        except parser.MagicUsageError as exc:
            _err(str(exc))
            return None
        command = args.command
        if command in (None, "help"):
            print(parser.help_text())
            return None
        if cell is not None and command not in CELL_COMMANDS:
            _err(f"%%easymaker: the cell magic takes `train`, `hpo` or `batch` (got {command!r}); use %easymaker {command} as a line magic")
            return None
        if command in CELL_COMMANDS and cell is None and command != "batch":
            _err(f"%easymaker {command}: the training code is the cell body; put %%easymaker {command} ... on the first line of a cell")
            return None
        try:
            return getattr(self, f"_cmd_{command}")(args, cell)
        except parser.MagicUsageError as exc:
            _err(str(exc))
        except EasyMakerError as exc:
            _err(f"error: {exc}")
        except TimeoutError as exc:
            _err(f"error: {exc}")
        except KeyboardInterrupt:
            _err(f"%easymaker {command}: interrupted")
        return None

    # -- %%easymaker train ----------------------------------------------------------------
    def _train_body(self, args: Any, cell: str) -> dict[str, Any]:
        """The create body; raises MagicUsageError before anything is sent."""
        if not cell.strip():
            raise parser.MagicUsageError("%%easymaker train: the cell is empty; write the training code below the magic line")
        main = cell
        files: dict[str, str] = {}
        if args.vars:
            files[VARS_FILE] = self._pickled_vars(args.vars)
            main = VARS_PRELUDE + main
        files[ENTRY_POINT] = main
        if args.requirements:
            packages = [p for p in args.requirements.replace(",", " ").split() if p]
            files["requirements.txt"] = "\n".join(packages) + "\n"
        body: dict[str, Any] = {
            "name": args.name or f"cell-{time.strftime('%Y%m%d-%H%M%S')}",
            "description": args.description,
            "experiment_name": args.experiment or DEFAULT_EXPERIMENT,
            "algorithm": {"type": "custom", "source_files": files, "entry_point": ENTRY_POINT},
        }
        hps = {k: parser.scalar(v) for k, v in args.hp}
        if args.template:
            body["template_id"] = args.template
            if hps:  # the template's hyperparameters stay unless the cell changes them
                spec = self.client.get_template(args.template).get("spec") or {}
                hps = {**(spec.get("hyperparameters") or {}), **hps}
        if hps:
            body["hyperparameters"] = hps
        if args.dataset:
            body["datasets"] = [{"name": k, "path": v} for k, v in args.dataset]
        for key, value in (
            ("instance_type", args.instance_type),
            ("nodes", args.nodes),
            ("nproc_per_node", args.nproc_per_node),
            ("max_run_seconds", args.max_time),
            ("backend", args.backend),
        ):
            if value is not None:
                body[key] = value
        if args.torchrun:
            body["use_torchrun"] = True
        return body

    def _pickled_vars(self, names: list[str]) -> str:
        user_ns = self.shell.user_ns if self.shell is not None else {}
        missing = [n for n in names if n not in user_ns]
        if missing:
            raise parser.MagicUsageError(f"%%easymaker train: --vars: no variable named {', '.join(map(repr, missing))} in the notebook")
        try:
            import cloudpickle
        except ImportError:
            raise parser.MagicUsageError("%%easymaker train: --vars needs cloudpickle in this kernel: pip install cloudpickle") from None
        try:
            data = cloudpickle.dumps({n: user_ns[n] for n in names})
        except Exception as exc:  # noqa: BLE001 - whatever pickling raises, name it
            raise parser.MagicUsageError(f"%%easymaker train: --vars: cannot pickle the variables: {exc}") from None
        if len(data) > MAX_VARS_BYTES:
            raise parser.MagicUsageError(
                f"%%easymaker train: --vars: {len(data) / 1e6:.1f} MB is too much to send inline; save the data to a dataset path instead"
            )
        return base64.b64encode(data).decode("ascii")

    def _cmd_train(self, args: Any, cell: str) -> Any:
        from jupyter_easymaker.client import EasyMakerError

        body = self._train_body(args, cell)
        client = self.client
        try:
            training = client.create_training(body)
        except EasyMakerError as exc:
            if args.name or exc.status != 409 or exc.field != "name":
                raise
            body["name"] = f"{body['name']}-{int(time.time() * 1000) % 100000}"  # two cells in the same second
            training = client.create_training(body)
        if not args.no_widget and self._widgets_available():
            return self._show_widget(training, args.wait)
        return self._follow_text(training, args.wait)

    def _widgets_available(self) -> bool:
        # a bare IPython (terminal, tests) has no kernel to render widgets
        if getattr(self.shell, "kernel", None) is None:
            return False
        return importlib.util.find_spec("ipywidgets") is not None

    def _show_widget(self, training: dict, wait: bool) -> Any:
        from IPython.display import display

        from jupyter_easymaker.magics.widgets import TrainingView

        view = TrainingView(self.client, training)
        if not wait:
            return view
        display(view)
        try:
            final = view.wait()
        except KeyboardInterrupt:
            return self._interrupted(training)
        print(view.watcher.summary())
        return TrainingResult(final or {})

    def _follow_text(self, training: dict, wait: bool) -> Any:
        from jupyter_easymaker.magics.watch import TrainingWatcher, follow_text

        print(f"submitted training {training['name']} ({training['id']}) to experiment {training.get('experiment_name')}: {training['status']}")
        if not wait:
            print(f"follow it with: %easymaker status {training['name']}  |  %easymaker logs {training['name']} --follow")
            return None
        try:
            return TrainingResult(follow_text(TrainingWatcher(self.client, training)))
        except KeyboardInterrupt:
            return self._interrupted(training)

    @staticmethod
    def _interrupted(training: dict) -> None:
        _err(f"stopped waiting; training {training['name']} keeps running (%easymaker stop {training['name']} stops it)")
        return None

    # -- line magics ------------------------------------------------------------------------
    def _cmd_list(self, args: Any, _cell: Any) -> None:
        page = self.client.list_trainings(status=args.status, experiment=args.experiment, name=args.name, limit=args.limit)
        if not page:
            print("no trainings")
            return
        from jupyter_easymaker.magics.watch import format_elapsed

        rows = [[t["name"], t["status"], t.get("experiment_name") or "", format_elapsed(t.get("elapsed_seconds")), _created(t.get("created_at"))] for t in page]
        print(_table(rows, ["NAME", "STATUS", "EXPERIMENT", "ELAPSED", "CREATED"]))
        if page.total > len(page):
            print(f"({len(page)} of {page.total}; --limit N shows more)")

    def _cmd_status(self, args: Any, _cell: Any) -> None:
        from jupyter_easymaker.magics.watch import format_elapsed, metric_summary

        client = self.client
        t = client.get_training(args.ref)
        spec = t.get("spec") or {}
        lines = [
            f"training     {t['name']}  ({t['id']})",
            f"status       {t['status']}" + (f"  ({t['status_reason']})" if t.get("status_reason") else ""),
            f"experiment   {t.get('experiment_name') or t.get('experiment_id')}",
            f"created      {_created(t.get('created_at'))}",
            f"elapsed      {format_elapsed(t.get('elapsed_seconds'))}",
            f"backend      {t.get('backend')}  instance {spec.get('instance_type')}  nodes {spec.get('nodes', 1)}",
        ]
        if spec.get("hyperparameters"):
            lines.append("hyperparams  " + " ".join(f"{k}={v}" for k, v in spec["hyperparameters"].items()))
        metrics = client.metrics(t["id"]).get("metrics") or []
        if metrics:
            lines.append(f"metrics      {metric_summary(metrics)}")
        if t.get("exit_code") is not None:
            lines.append(f"exit code    {t['exit_code']}")
        if t.get("tensorboard_log_dir"):
            lines.append(f"tensorboard  {t['tensorboard_log_dir']}")
        print("\n".join(lines))

    def _cmd_logs(self, args: Any, _cell: Any) -> None:
        client = self.client
        if args.follow:
            for record in client.follow_logs(args.ref):
                print(record.get("body", ""), flush=True)
            print(f"training {args.ref}: {client.get_training(args.ref)['status']}")
            return
        from collections import deque

        lines: deque[str] = deque(maxlen=args.tail)
        after = 0
        while True:
            page = client.training_logs(args.ref, after=after, limit=10000)
            lines.extend(r.get("body", "") for r in page["records"])
            if len(page["records"]) < 10000:
                break
            after = page["next_after"]
        if lines:
            print("\n".join(lines))
        else:
            from jupyter_easymaker.status_colors import FINAL_TRAINING_STATUSES

            status = page.get("status")
            print(f"(no log lines{'' if status in FINAL_TRAINING_STATUSES else ' yet'}; training is {status})")

    def _cmd_stop(self, args: Any, _cell: Any) -> None:
        t = self.client.stop_training(args.ref)
        print(f"stop requested for training {t['name']}: {t['status']}")

    def _cmd_copy(self, args: Any, _cell: Any) -> None:
        client = self.client
        overrides: dict[str, Any] = {}
        if args.name:
            overrides["name"] = args.name
        if args.hp:
            spec = client.get_training(args.ref).get("spec") or {}
            overrides["hyperparameters"] = {**(spec.get("hyperparameters") or {}), **{k: parser.scalar(v) for k, v in args.hp}}
        t = client.copy_training(args.ref, **overrides)
        print(f"submitted copy {t['name']} ({t['id']}) of {args.ref}: {t['status']}")

    def _cmd_delete(self, args: Any, _cell: Any) -> None:
        client = self.client
        getter, deleter = {
            "training": (client.get_training, client.delete_training),
            "experiment": (client.get_experiment, client.delete_experiment),
            "template": (client.get_template, client.delete_template),
        }[args.kind]
        item = getter(args.ref)
        what = f"{args.kind} {item['name']} ({item['id']}, {item['status']})"
        if not args.yes:
            extra = ", its logs, metrics and files" if args.kind == "training" else ""
            flag = "" if args.kind == "training" else f" --kind {args.kind}"
            print(f"would delete {what}{extra}; run `%easymaker delete {item['name']}{flag} --yes` to delete it")
            return
        deleter(item["id"])
        print(f"deleted {what}")

    def _cmd_tensorboard(self, args: Any, _cell: Any) -> None:
        from jupyter_easymaker.client import EasyMakerError

        client = self.client
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
        self._show_tensorboard(f"{noun} {item['name']}", board)

    @staticmethod
    def _show_tensorboard(what: str, board: dict) -> None:
        import html

        print(f"TensorBoard of {what} ({board['logdir']}): {board['link']}")
        try:
            from IPython.display import HTML, display
        except ImportError:
            return
        # the server path, not the kernel's view of the host: the browser resolves it against its own origin
        href = html.escape(board["url"], quote=True)
        display(HTML(f'<a href="{href}" target="_blank" rel="noopener">Open the TensorBoard of {html.escape(what)}</a>'))

    def _cmd_templates(self, args: Any, _cell: Any) -> None:
        page = self.client.list_templates(limit=args.limit)
        if not page:
            print("no training templates")
            return
        rows = [[t["name"], ",".join(t.get("hyperparameter_names") or []), t.get("description") or "", _created(t.get("created_at"))] for t in page]
        print(_table(rows, ["NAME", "HYPERPARAMETERS", "DESCRIPTION", "CREATED"]))

    def _cmd_experiments(self, args: Any, _cell: Any) -> None:
        page = self.client.list_experiments(limit=args.limit)
        if not page:
            print("no experiments")
            return
        rows = [[e["name"], e["status"], str(e.get("training_count", "")), _created(e.get("created_at"))] for e in page]
        print(_table(rows, ["NAME", "STATUS", "TRAININGS", "CREATED"]))

    # -- %%easymaker hpo, %easymaker tunings / tuning: magics/hpo.py ----------------------
    def _cmd_hpo(self, args: Any, cell: str) -> Any:
        from jupyter_easymaker.areas.tuning import magics as hpo

        return hpo.cmd_hpo(self, args, cell)

    def _cmd_tunings(self, args: Any, _cell: Any) -> None:
        from jupyter_easymaker.areas.tuning import magics as hpo

        hpo.cmd_tunings(self, args)

    def _cmd_tuning(self, args: Any, _cell: Any) -> None:
        from jupyter_easymaker.areas.tuning import magics as hpo

        hpo.cmd_tuning(self, args)

    # -- %%easymaker batch, %easymaker batches / evaluations / compare: magics/batch.py -------
    def _cmd_batch(self, args: Any, cell: str | None) -> Any:
        from jupyter_easymaker.areas.batch import magics as batch

        return batch.cmd_batch(self, args, cell)

    def _cmd_batches(self, args: Any, _cell: Any) -> None:
        from jupyter_easymaker.areas.batch import magics as batch

        batch.cmd_batches(self, args)

    def _cmd_evaluations(self, args: Any, _cell: Any) -> None:
        from jupyter_easymaker.areas.evaluations import magics as evaluations

        evaluations.cmd_evaluations(self, args)

    def _cmd_compare(self, args: Any, _cell: Any) -> None:
        from jupyter_easymaker.areas.evaluations import magics as evaluations

        evaluations.cmd_compare(self, args)

    def _cmd_connect(self, args: Any, _cell: Any) -> None:
        from jupyter_easymaker.client import Client

        client = Client(args.url, args.token)
        info = client.info()
        self.client = client
        print(f"connected to {info.get('name')} {info.get('version')} at {client.url}")
