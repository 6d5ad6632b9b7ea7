"""``%%easymaker hpo``: the cell as a hyperparameter tuning's training code,
plus ``%easymaker tunings [ACTION] [NAME]`` (list, show, stop, rename, copy,
delete, logs, metrics, trials, best, create-model) / ``%easymaker tuning REF``.

    %%easymaker hpo --param lr=double:1e-4:1e-1:log --param opt=categorical:sgd,adam \\
        --metric loss --goal minimize --trials 20 --parallel 2 [--target 0.1] \\
        [--early-stop median:min_trials=5,start_step=3] [--wait]

Standard library only at import; ipywidgets loads when the view is shown.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from jupyter_easymaker.areas.tuning.client import FINAL_TUNING_STATUSES
from jupyter_easymaker.client.transport import EasyMakerError
from jupyter_easymaker.magics import resource_actions as ra
from jupyter_easymaker.magics.arguments import (
    BACKENDS,
    MagicUsageError,
    arg,
    duration,
    key_value,
    names_list,
    positive_int,
)
from jupyter_easymaker.magics.formatting import (
    OneLine,
    created,
    format_elapsed,
    sparkline,
    table,
    write_line,
)
from jupyter_easymaker.magics.registry import command

STRATEGIES = {"random": "Random", "grid": "Grid", "bayesian": "Bayesian", "tpe": "TPE"}
PARAM_HELP = (
    "NAME=int:MIN:MAX[:STEP][:log], NAME=double:MIN:MAX[:STEP][:log] or NAME=categorical:A,B,C "
    "(STEP is the Grid strategy's increment)"
)


# -- argument types ---------------------------------------------------------------
def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None
    return value


def parameter(text: str) -> dict[str, Any]:
    """``lr=double:1e-4:1e-1:log`` -> the API's parameter spec."""
    name, sep, rest = text.partition("=")
    kind, _, args = rest.partition(":")
    kind = kind.strip().lower()
    if not sep or not name.strip() or not kind:
        raise argparse.ArgumentTypeError(f"expected {PARAM_HELP}; got {text!r}")
    name = name.strip()
    if kind in ("categorical", "choice"):
        values = [v.strip() for v in args.split(",") if v.strip()]
        if not values:
            raise argparse.ArgumentTypeError(f"{name}: a categorical parameter needs values, e.g. {name}=categorical:sgd,adam")
        return {"name": name, "type": "categorical", "values": values}
    if kind not in ("int", "double", "float"):
        raise argparse.ArgumentTypeError(f"{name}: type must be int, double or categorical, got {kind!r}")
    parts = [x.strip() for x in args.split(":") if x.strip()]
    log = "log" in parts
    numbers = [x for x in parts if x != "log"]
    if len(numbers) not in (2, 3):
        raise argparse.ArgumentTypeError(f"{name}: expected {kind}:MIN:MAX[:STEP][:log], got {text!r}")
    spec: dict[str, Any] = {"name": name, "type": "double" if kind == "float" else kind}
    cast = int if kind == "int" else float
    for key, raw in zip(("min", "max", "step"), numbers):
        value = _number(raw, f"{name} {key}")
        spec[key] = int(value) if cast is int and value.is_integer() else value
    if log:
        spec["log"] = True
    return spec


def early_stop(text: str) -> dict[str, Any]:
    """``median:min_trials=5,start_step=3`` -> the API's early_stopping."""
    algorithm, _, args = text.partition(":")
    if algorithm.strip().lower() != "median":
        raise argparse.ArgumentTypeError(f"the early stopping rule is median, got {algorithm!r}")
    out: dict[str, Any] = {"algorithm": "median"}
    for item in filter(None, (a.strip() for a in args.split(","))):
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in ("min_trials", "start_step") or not value.strip().isdigit():
            raise argparse.ArgumentTypeError(f"expected median:min_trials=N,start_step=N, got {text!r}")
        out[key.strip()] = int(value)
    return out


def strategy(text: str) -> str:
    value = STRATEGIES.get(text.strip().lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"strategy must be one of {', '.join(STRATEGIES.values())}, got {text!r}")
    return value


HPO_ARGUMENTS = (
    arg("--param", action="append", type=parameter, default=[], required=True, metavar="SPEC", help=PARAM_HELP),
    arg("--metric", required=True, help="objective metric, scraped from lines like 'loss=0.25'"),
    arg("--metric-format", metavar="REGEX", help="regex for the metric (default: Katib's name=value format)"),
    arg("--goal", choices=("minimize", "maximize"), default="minimize"),
    arg("--target", type=float, help="stop with GoalReached once a trial reaches this value"),
    arg("--strategy", type=strategy, default="Random", help="Random (default), Grid, Bayesian or TPE"),
    arg("--seed", type=int, help="random seed: the same seed gives the same suggestions"),
    arg("--trials", type=positive_int, help="maximum trials (default 10; Grid: the grid's size)"),
    arg("--parallel", type=positive_int, default=1, help="trials running at once"),
    arg("--max-failed", type=positive_int, help="failed trials that fail the tuning (default 3)"),
    arg("--early-stop", type=early_stop, metavar="median:min_trials=N,start_step=N", help="median stopping rule"),
    # the job options of %%easymaker train
    arg("--name", help="tuning name (default: hpo-YYYYmmdd-HHMMSS)"),
    arg("--experiment", metavar="NAME", help="experiment name, created when missing (default: notebook)"),
    arg("--description", default=""),
    arg("--hp", nargs="+", action="extend", type=key_value, default=[], metavar="KEY=VALUE",
        help="fixed hyperparameters every trial gets"),
    arg("--dataset", nargs="+", action="extend", type=key_value, default=[], metavar="NAME=PATH"),
    arg("--instance-type"),
    arg("--nodes", type=positive_int),
    arg("--nproc-per-node", type=positive_int),
    arg("--torchrun", action="store_true"),
    arg("--max-time", type=duration, metavar="DURATION", help="maximum time of each trial"),
    arg("--backend", choices=BACKENDS),
    arg("--template", metavar="TEMPLATE", help="training template whose fields pre-fill the tuning"),
    arg("--requirements", metavar='"PKG ..."'),
    arg("--vars", type=names_list, default=[], metavar="A,B"),
    arg("--wait", action="store_true", help="block until the tuning ends and return it"),
    arg("--no-widget", action="store_true", help="print progress lines instead of the live widget"),
)


# -- the create body --------------------------------------------------------------
def tuning_body(magics: Any, args: argparse.Namespace, cell: str) -> dict[str, Any]:
    """The training part is the cell as a job (``magics/cell_job.py``), as for %%easymaker train."""
    if not cell.strip():
        raise MagicUsageError("%%easymaker hpo: the cell is empty; write the training code below the magic line")
    if not args.name:
        args.name = f"hpo-{time.strftime('%Y%m%d-%H%M%S')}"
    body = magics._train_body(args, cell)
    body.update({
        "strategy": args.strategy,
        "parameters": args.param,
        "objective_metric": args.metric,
        "goal": args.goal,
        "parallel_trials": args.parallel,
    })
    if args.metric_format:
        body["metrics"] = [{"name": args.metric, "format": args.metric_format}]
    for key, value in (("random_seed", args.seed), ("target_value", args.target), ("max_trials", args.trials),
                       ("max_failed_trials", args.max_failed), ("early_stopping", args.early_stop)):
        if value is not None:
            body[key] = value
    return body


# -- following a tuning -------------------------------------------------------------
def format_params(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


class TuningResult(OneLine):
    """The final tuning, shown as one line."""

    def summary(self) -> str:
        best = self.get("best_trial") or {}
        detail = f" ({self['status_detail']})" if self.get("status_detail") else ""
        text = f"<hyperparameter tuning {self.get('name')}: {self.get('status')}{detail}, {self.get('trials', {}).get('total', 0)} trials"
        if best:
            text += f", best {self.get('objective_metric')}={best.get('objective_value'):.6g} with {format_params(best.get('parameters') or {})}"
        return text + ">"


class TuningWatcher:
    """Polls one tuning and its trials; reports trials whose status changed."""

    def __init__(self, client: Any, tuning: dict):
        self.client = client
        self.tuning = tuning
        self.trials: list[dict] = []
        self._seen: dict[str, str] = {}

    @property
    def done(self) -> bool:
        return self.tuning.get("status") in FINAL_TUNING_STATUSES

    def poll(self) -> tuple[bool, list[dict]]:
        before = self.tuning.get("status")
        self.tuning = self.client.get_tuning(self.tuning["id"])
        self.trials = list(self.client.tuning_trials(self.tuning["id"]))
        changed = [t for t in self.trials if self._seen.get(t["id"]) != t["status"]]
        self._seen.update({t["id"]: t["status"] for t in self.trials})
        return self.tuning.get("status") != before, changed

    def summary(self) -> str:
        t = self.tuning
        counts = t.get("trials") or {}
        detail = f" ({t['status_detail']})" if t.get("status_detail") else ""
        text = (f"hyperparameter tuning {t.get('name')}: {t.get('status')}{detail}; trials {counts.get('completed', 0)} completed, "
                f"{counts.get('running', 0)} running, {counts.get('failed', 0)} failed")
        best = t.get("best_trial")
        if best:
            text += f"; best trial {best['number']} {t.get('objective_metric')}={best['objective_value']:.6g} ({format_params(best['parameters'])})"
        return text


def trial_line(t: dict) -> str:
    value = "" if t.get("objective_value") is None else f" objective={t['objective_value']:.6g}"
    return f"  trial {t['number']:>3} {t['status']:<19} {format_params(t.get('parameters') or {})}{value}"


def follow_text(watcher: TuningWatcher, poll: float = 1.0, write: Callable[[str], Any] | None = None) -> dict:
    write = write or write_line
    while True:
        changed, trials = watcher.poll()
        if changed:
            write(f"{watcher.tuning['name']}: {watcher.tuning['status']}")
        for t in sorted(trials, key=lambda t: t["number"]):
            write(trial_line(t))
        if watcher.done:
            write(watcher.summary())
            return watcher.tuning
        time.sleep(poll)


def tuning_view(client: Any, tuning: dict, poll: float = 1.0) -> Any:
    """A live ipywidgets view: status, counts, best trial and the trial table."""
    import html
    import threading

    import ipywidgets as widgets

    from jupyter_easymaker.magics.widgets import badge

    watcher = TuningWatcher(client, tuning)
    header, table, notice = widgets.HTML(), widgets.HTML(), widgets.HTML()
    stop = widgets.Button(description="Stop", icon="stop", button_style="warning", tooltip="Stop this tuning and its trials")
    box = widgets.VBox([widgets.HBox([header, stop], layout=widgets.Layout(justify_content="space-between")), table, notice])
    box.watcher = watcher

    def render() -> None:
        t = watcher.tuning
        header.value = f'<b>{html.escape(t["name"])}</b> {badge(t["status"])} <span style="font-size:12px;color:#616161">{html.escape(watcher.summary().split(": ", 1)[-1])}</span>'
        stop.layout.display = "none" if watcher.done else ""
        best_id = (t.get("best_trial") or {}).get("id")
        names = [p["name"] for p in t.get("spec", {}).get("parameters", [])]
        head = "".join(f"<th>{html.escape(n)}</th>" for n in ["#", "status", *names, t.get("objective_metric", "objective")])
        rows = []
        for trial in sorted(watcher.trials, key=lambda x: x["number"]):
            style = ' style="background:#e8f5e9;font-weight:600"' if trial["id"] == best_id else ""
            cells = [str(trial["number"]), badge(trial["status"]), *[html.escape(str((trial.get("parameters") or {}).get(n, ""))) for n in names],
                     "" if trial.get("objective_value") is None else f"{trial['objective_value']:.6g}"]
            rows.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        table.value = f'<table style="font-size:12px"><tr>{head}</tr>{"".join(rows)}</table>'

    def refresh() -> None:
        try:
            watcher.poll()
        except Exception as exc:  # noqa: BLE001 - show it, keep the view
            notice.value = f'<span style="color:#e53935">{html.escape(str(exc))}</span>'
            return
        render()

    def on_stop(_button: Any) -> None:
        stop.disabled = True
        try:
            client.stop_tuning(watcher.tuning["id"])
            notice.value = '<span style="color:#fb8c00">stop requested</span>'
        except Exception as exc:  # noqa: BLE001
            notice.value = f'<span style="color:#e53935">stop failed: {html.escape(str(exc))}</span>'
            stop.disabled = False

    def run() -> None:
        while not watcher.done:
            time.sleep(poll)
            refresh()

    stop.on_click(on_stop)
    refresh()
    thread = threading.Thread(target=run, name="easymaker-tuning-view", daemon=True)
    thread.start()
    box.wait = lambda timeout=None: (thread.join(timeout), watcher.tuning)[1]
    return box


# -- the commands -------------------------------------------------------------------
@command("hpo", "Tune the cell's hyperparameters: each trial runs the cell as main.py with --NAME VALUE args and EM_HP_*.",
         *HPO_ARGUMENTS, cell="the training code", cell_required=True)
def hpo(magics: Any, args: argparse.Namespace, cell: str) -> Any:
    body = tuning_body(magics, args, cell)
    client = magics.client
    try:
        tuning = client.create_tuning(body)
    except EasyMakerError as exc:
        if exc.status != 409 or exc.field != "name" or "hpo-" not in body["name"]:
            raise
        body["name"] = f"{body['name']}-{int(time.time() * 1000) % 100000}"  # two cells in the same second
        tuning = client.create_tuning(body)
    if not args.no_widget and magics._widgets_available():
        from IPython.display import display

        view = tuning_view(client, tuning)
        if not args.wait:
            return view
        display(view)
        final = view.wait()
        print(view.watcher.summary())
        return TuningResult(final)
    print(f"started hyperparameter tuning {tuning['name']} ({tuning['id']}): {tuning['strategy']} on {tuning['sampler']}, "
          f"up to {tuning['max_trials']} trials, {tuning['parallel_trials']} at a time")
    if not args.wait:
        print(f"follow it with: %easymaker tuning {tuning['name']}")
        return None
    try:
        return TuningResult(follow_text(TuningWatcher(client, tuning)))
    except KeyboardInterrupt:
        print(f"stopped waiting; tuning {tuning['name']} keeps running (%easymaker tuning {tuning['name']} --stop stops it)", file=sys.stderr)
        return None


TUNING_ACTIONS = ("list", "show", "stop", "rename", "copy", "delete", "logs", "metrics", "trials", "best", "create-model")


@command("tunings", "Hyperparameter tunings: " + ", ".join(TUNING_ACTIONS) + " (list, newest first, without an action). "
         "create-model registers the best trial's model (--new-name, --framework).",
         arg("action", nargs="?", choices=TUNING_ACTIONS, default="list"), *ra.NAME_ARGS,
         arg("--trial", metavar="N", help="logs: one trial's log (number or id)"),
         arg("--framework", help="create-model: the model's framework"),
         arg("--status", help="list: only these statuses (comma-separated)"), arg("--limit", type=positive_int, default=20))
def list_tunings(magics: Any, args: argparse.Namespace, _cell: Any) -> Any:
    if args.action != "list":
        return tuning_action(magics.client, args)
    page = magics.client.list_tunings(status=args.status, limit=args.limit)
    if not page:
        print("no hyperparameter tunings")
        return None
    rows = []
    for t in page:
        best = t.get("best_trial") or {}
        status = t["status"] + (f" ({t['status_detail']})" if t.get("status_detail") else "")
        c = t.get("trials") or {}
        rows.append([t["name"], status, f"{c.get('completed', 0)}/{c.get('running', 0)}/{c.get('failed', 0)}",
                     "" if not best else f"{best['objective_value']:.6g}", format_elapsed(t.get("elapsed_seconds")), created(t.get("created_at"))])
    print(table(rows, ["NAME", "STATUS", "DONE/RUN/FAIL", "BEST", "ELAPSED", "CREATED"]))
    return None


def tuning_action(client: Any, args: argparse.Namespace) -> Any:
    name = ra.need_name(args, "tunings")
    if args.action == "show":
        return print_tuning(client, name)
    if args.action == "stop":
        return ra.stop("hyperparameter tuning", name, client.stop_tuning)
    if args.action == "rename":
        return ra.rename("hyperparameter tuning", args, client.update_tuning)
    if args.action == "copy":
        return ra.copy(name, client.copy_tuning, **ra.copy_name(args))
    if args.action == "delete":
        return ra.delete("hyperparameter tuning", args, client.get_tuning, client.delete_tuning, "%easymaker tunings delete")
    if args.action == "logs":
        return ra.print_logs(client.tuning_logs(name, trial=args.trial, limit=10000), "tuning")
    if args.action == "metrics":
        data = client.tuning_metrics(name)
        rows = [[str(t["number"]), t["status"], format_params(t.get("parameters") or {}),
                 "" if t.get("objective_value") is None else f"{t['objective_value']:.6g}", sparkline(t.get("values") or [])]
                for t in data.get("trials", [])]
        print(f"objective {data['objective_metric']} ({data['goal']})")
        print(table(rows, ["TRIAL", "STATUS", "PARAMETERS", "OBJECTIVE", "OVER STEPS"]) if rows else "no trial metrics yet")
        return data
    if args.action == "trials":
        trials = client.tuning_trials(name)
        for t in trials:
            print(trial_line(t))
        return trials
    if args.action == "best":
        best = client.best_trial(name)
        print(f"best trial {best['number']}: {best['objective_metric']}={best['objective_value']:.6g} "
              f"({format_params(best['parameters'])}); model in {best['model_dir']}")
        return best
    if not args.new_name or not args.framework:
        raise MagicUsageError("%easymaker tunings create-model TUNING --new-name MODEL --framework F")
    model = client.create_model_from_tuning(name, args.new_name, args.framework, description=args.description or "")
    print(f"created model {model['name']} ({model['id']}) from the best trial of {name}: {model['status']}")
    return model


def print_tuning(client: Any, ref: str) -> dict:
    """A tuning and its trials (best first)."""
    watcher = TuningWatcher(client, client.get_tuning(ref))
    watcher.poll()
    print(watcher.summary())
    reverse = watcher.tuning.get("goal") == "maximize"
    done = sorted((t for t in watcher.trials if t.get("objective_value") is not None), key=lambda t: t["objective_value"], reverse=reverse)
    rest = [t for t in watcher.trials if t.get("objective_value") is None]
    for t in done + sorted(rest, key=lambda t: t["number"]):
        print(trial_line(t))
    return watcher.tuning


@command("tuning", "Show a tuning and its trials (best first); --stop stops it.",
         arg("ref", metavar="REF", help="tuning name or id"),
         arg("--stop", action="store_true", help="stop the tuning and its running trials"))
def show_tuning(magics: Any, args: argparse.Namespace, _cell: Any) -> None:
    client = magics.client
    if args.stop:
        ra.stop("hyperparameter tuning", args.ref, client.stop_tuning)
        return
    print_tuning(client, args.ref)
