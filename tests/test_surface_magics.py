"""The ``%easymaker`` actions each family offers besides creating and listing
(show, rename, copy, delete, stop, logs, results, monitoring, a model from a
tuning, templates edited ...), through a real IPython shell against a real
server; ``tests/test_surfaces.py`` checks that none is missing."""
from __future__ import annotations

import json

from batch_models import breast_cancer, save

from jupyter_easymaker.client import EasyMakerError

try:
    from tests.test_client import wait_experiment_active
    from tests.test_magics import cell, client, line, magics, run, server_url, shell  # noqa: F401 - fixtures
except ImportError:
    from test_client import wait_experiment_active
    from test_magics import cell, client, line, magics, run, server_url, shell  # noqa: F401 - fixtures

TRAIN = "print('loss=0.5 step=1')\n"
# each trial reports its objective and saves a scikit-learn model where the trial's model goes
TRIAL = (
    "import os, joblib\nfrom sklearn.linear_model import LinearRegression\n"
    "x = float(os.environ['EM_HP_X'])\n"
    "os.makedirs(os.environ['EM_MODEL_DIR'], exist_ok=True)\n"
    "joblib.dump(LinearRegression().fit([[0.0], [1.0]], [0.0, x]), os.path.join(os.environ['EM_MODEL_DIR'], 'model.joblib'))\n"
    "print(f'step=1 loss={(x - 2) ** 2}')\n"
)


async def test_experiment_magics(shell, magics, client, capsys):
    made = await line(shell, "experiments create exp-s --description first")
    assert made["name"] == "exp-s" and "created experiment exp-s" in capsys.readouterr().out
    await line(shell, "experiments show exp-s")
    shown = capsys.readouterr().out
    assert "exp-s" in shown and "first" in shown
    renamed = await line(shell, "experiments rename exp-s --new-name exp-t --description second")
    assert (renamed["name"], renamed["description"]) == ("exp-t", "second")
    assert "experiment exp-s is now exp-t: second" in capsys.readouterr().out
    # retry is for an experiment whose creation failed: an ACTIVE one is refused with the reason
    # (the controller makes a new experiment ACTIVE on its next tick: a busy host may take a while)
    await wait_experiment_active(client, "exp-t")
    assert await line(shell, "experiments retry exp-t") is None
    assert "ACTIVE cannot become CREATE REQUESTED" in capsys.readouterr().err
    copied = await line(shell, "experiments copy exp-t --new-name exp-u")
    assert copied["name"] == "exp-u" and copied["description"] == "second"
    capsys.readouterr()
    await line(shell, "experiments delete exp-u")
    assert "would delete experiment exp-u" in capsys.readouterr().out
    assert (await run(client.get_experiment, "exp-u"))["name"] == "exp-u"  # nothing deleted without --yes
    await line(shell, "experiments delete exp-u --yes")
    assert "deleted experiment exp-u" in capsys.readouterr().out
    await line(shell, "experiments")
    listing = capsys.readouterr().out
    assert "exp-t" in listing and "exp-u" not in listing
    await line(shell, "experiments show")
    assert "experiments show NAME" in capsys.readouterr().err


async def test_template_magics_create_edit_copy_delete(shell, magics, client, capsys):
    training = await cell(shell, "train --name tr-s --experiment exp-tpl --hp epochs=2 --wait", TRAIN)
    assert training["status"] == "COMPLETE"
    capsys.readouterr()
    renamed = await line(shell, "rename tr-s --description 'the first run'")
    assert renamed["description"] == "the first run" and "training tr-s is now tr-s: the first run" in capsys.readouterr().out
    metrics = await line(shell, "metrics tr-s")
    assert [m["name"] for m in metrics["metrics"]] == ["loss"] and "loss" in capsys.readouterr().out
    made = await line(shell, "templates create tpl-s --from-training tr-s --description 'from a training'")
    assert made["spec"]["hyperparameters"] == {"epochs": 2} and "created template tpl-s" in capsys.readouterr().out

    edited = await line(shell, "templates edit tpl-s --hp lr=0.1 --set max_run_seconds=600 --description edited")
    assert edited["spec"]["hyperparameters"] == {"epochs": 2, "lr": 0.1} and edited["spec"]["max_run_seconds"] == 600
    assert edited["description"] == "edited" and "saved template tpl-s" in capsys.readouterr().out
    # the merged template is checked like a new one: the field and the reason, nothing changed
    await line(shell, "templates edit tpl-s --set nodes=0")
    assert "nodes" in capsys.readouterr().err
    assert (await run(client.get_template, "tpl-s"))["spec"].get("nodes", 1) != 0
    # fields as JSON in the cell
    edited = await cell(shell, "templates edit tpl-s", json.dumps({"hyperparameters": {"epochs": 5}}))
    assert edited["spec"]["hyperparameters"] == {"epochs": 5}
    capsys.readouterr()
    # a new template from JSON fields (a copy of this one's)
    fields = await run(client.copy_template, "tpl-s", create=False)
    fields.pop("name")
    fresh = await cell(shell, "templates create tpl-json", json.dumps(fields))
    assert fresh["spec"]["hyperparameters"] == {"epochs": 5}

    await line(shell, "templates show tpl-s")
    assert '"epochs": 5' in capsys.readouterr().out
    copied = await line(shell, "templates copy tpl-s --new-name tpl-c")
    assert copied["name"] == "tpl-c"
    await line(shell, "templates delete tpl-c --yes")
    assert "deleted template tpl-c" in capsys.readouterr().out
    await line(shell, "templates")
    listing = capsys.readouterr().out
    assert "tpl-s" in listing and "tpl-json" in listing and "tpl-c" not in listing
    await line(shell, "templates create nothing")
    assert "--from-training" in capsys.readouterr().err


async def test_model_evaluation_and_batch_magics(shell, magics, client, tmp_path, capsys):
    model, X, y = breast_cancer()
    folder = save(model, str(tmp_path / "cancer"))
    made = await line(shell, f"models create cancer --framework scikit-learn --artifact {folder} --description first")
    assert made["name"] == "cancer" and made["status"] == "ACTIVE", made
    capsys.readouterr()
    await line(shell, "models")
    assert "cancer" in capsys.readouterr().out
    await line(shell, "models rename cancer --description second")
    assert (await run(client.get_model, "cancer"))["description"] == "second"
    copied = await line(shell, "models copy cancer --new-name cancer-2")
    assert copied["name"] == "cancer-2"
    await line(shell, "models show cancer-2")
    assert "scikit-learn" in capsys.readouterr().out
    await line(shell, "models delete cancer-2 --yes")
    assert "deleted model cancer-2" in capsys.readouterr().out
    await line(shell, "models create broken --framework scikit-learn")
    assert "--artifact PATH" in capsys.readouterr().err

    # an evaluation from the magic, then its results, logs, a new name; stopping a finished one is refused
    csv_path = tmp_path / "eval.csv"
    csv_path.write_text("\n".join([",".join([*(f"f{i}" for i in range(X.shape[1])), "label"])]
                                  + [",".join(map(str, [*x, t])) for x, t in zip(X[:60].tolist(), y[:60].tolist())]) + "\n")
    ev = await line(shell, f"evaluations create ev-s --model cancer --input {csv_path} --format CSV --target label "
                           "--class-names malignant,benign")
    assert ev["name"] == "ev-s"
    done = await run(client.wait_model_evaluation, ev["id"], timeout=120, poll=0.2)
    assert done["status"] == "COMPLETE", done["status_reason"]
    capsys.readouterr()
    results = await line(shell, "evaluations results ev-s")
    assert "roc_auc" in capsys.readouterr().out and results["metrics"]
    await line(shell, "evaluations logs ev-s")
    assert capsys.readouterr().out.strip()
    await line(shell, "evaluations rename ev-s --new-name ev-t")
    assert (await run(client.get_model_evaluation, "ev-t"))["name"] == "ev-t"
    capsys.readouterr()
    assert await line(shell, "evaluations stop ev-t") is None  # it has ended: refused, with the reason
    assert "COMPLETE" in capsys.readouterr().err
    await line(shell, "evaluations show ev-t")
    shown = capsys.readouterr().out
    assert "ev-t" in shown and "cancer" in shown and "label" in shown
    copy = await line(shell, "evaluations copy ev-t --new-name ev-c")
    assert copy["name"] == "ev-c"
    await run(client.wait_model_evaluation, copy["id"], timeout=120, poll=0.2)
    await line(shell, "evaluations delete ev-c --yes")
    assert "deleted model evaluation ev-c" in capsys.readouterr().out

    # a batch inference from the cell magic, then the line magic's actions on it
    body = "\n".join(json.dumps(r) for r in X[:4].tolist())
    batch = await cell(shell, "batch --model cancer --name bt-s --no-widget --wait", body)
    assert batch["status"] == "COMPLETE"
    capsys.readouterr()
    await line(shell, "batches show bt-s")
    assert "4/4 records" in capsys.readouterr().out
    page = await line(shell, "batches outputs bt-s")
    assert len(page["lines"]) == 4 and capsys.readouterr().out.count("\n") == 4
    monitoring = await line(shell, "batches monitoring bt-s")
    assert monitoring["progress"]["records_done"] == 4 and "progress" in capsys.readouterr().out
    assert monitoring["batch_inference_id"] == batch["id"] and monitoring["progress"] == (await run(client.batch_monitoring, "bt-s"))["progress"]
    await line(shell, "batches logs bt-s")
    capsys.readouterr()
    await line(shell, "batches rename bt-s --new-name bt-t")
    assert (await run(client.get_batch_inference, "bt-t"))["name"] == "bt-t"
    copy = await line(shell, "batches copy bt-t --new-name bt-c")
    stopped = await line(shell, "batches stop bt-c")
    assert stopped["name"] == "bt-c" and "stop requested for batch inference bt-c" in capsys.readouterr().out
    await run(client.wait_batch_inference, copy["id"], timeout=60, poll=0.2)
    capsys.readouterr()
    await line(shell, "batches delete bt-c --yes")
    assert "deleted batch inference bt-c" in capsys.readouterr().out
    names = [b["name"] for b in await run(client.list_batch_inferences)]
    assert "bt-t" in names and "bt-c" not in names  # (the evaluation's own batch inference is there too)


async def test_tuning_magics_and_a_model_from_the_best_trial(shell, magics, client, capsys):
    tuning = await cell(shell, "hpo --name tu-s --param x=int:1:3 --strategy grid --metric loss --goal minimize --parallel 3 "
                               "--no-widget --wait", TRIAL)
    assert tuning["status"] == "COMPLETE", tuning
    capsys.readouterr()
    best = await line(shell, "tunings best tu-s")
    assert best["parameters"]["x"] == 2 and "x=2" in capsys.readouterr().out
    trials = await line(shell, "tunings trials tu-s")
    assert len(trials) == 3
    capsys.readouterr()
    metrics = await line(shell, "tunings metrics tu-s")
    assert metrics["objective_metric"] == "loss" and "OBJECTIVE" in capsys.readouterr().out
    await line(shell, "tunings logs tu-s --trial 0")
    assert "loss=" in capsys.readouterr().out
    await line(shell, "tunings show tu-s")
    assert capsys.readouterr().out.startswith("hyperparameter tuning tu-s: COMPLETE")

    model = await line(shell, "tunings create-model tu-s --new-name from-best --framework scikit-learn")
    assert model["trial_id"] == best["trial_id"] and model["status"] == "ACTIVE", model
    assert "from the best trial of tu-s" in capsys.readouterr().out
    await line(shell, "models")
    assert "from-best" in capsys.readouterr().out
    await line(shell, "tunings create-model tu-s --new-name x")
    assert "--framework" in capsys.readouterr().err

    await line(shell, "tunings rename tu-s --new-name tu-t")
    copy = await line(shell, "tunings copy tu-t --new-name tu-c")
    assert copy["name"] == "tu-c"
    await line(shell, "tunings stop tu-c")
    assert "stop requested for hyperparameter tuning tu-c" in capsys.readouterr().out
    await run(client.wait_tuning, "tu-c", timeout=60)
    await line(shell, "tunings delete tu-c --yes")
    assert "deleted hyperparameter tuning tu-c" in capsys.readouterr().out
    await line(shell, "tunings delete tu-t --yes")  # a model was made from it: refused, with the reason
    assert "tu-t" in [t["name"] for t in await run(client.list_tunings)]
    try:
        await run(client.get_tuning, "tu-c")
        raise AssertionError("tu-c is still there")
    except EasyMakerError as exc:
        assert exc.status == 404
