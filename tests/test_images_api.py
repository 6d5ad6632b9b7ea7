"""Images and registry accounts through the real server: validation naming
fields, passwords never shown or stored in clear, the guide's two edits and
its warning, the deletion guard, base images' local availability, and a
training of an image that names a second interpreter really running in it."""
from __future__ import annotations

import asyncio
import base64
import importlib.util
import logging
import os
import subprocess
import sys

import pytest

from jupyter_easymaker.core.secrets import SecretBox

PASSWORD = "s3cr3t-Secret-Key-0042"
HOST = "example-kr1-registry.container.nhncloud.com"
ADDRESS = f"{HOST}/registry/custom-training:v1"


def account_body(name: str = "ncr", **extra) -> dict:
    return {"name": name, "registry_type": "NCR", "registry_address": HOST, "username": "AK-user", "password": PASSWORD, **extra}


def training_body(name: str, source: str, image: str) -> dict:
    return {"name": name, "experiment_name": "exp", "image": image,
            "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"}}


async def refused(api, method: str, path: str, body, status: int, field: str) -> dict:
    code, text = await api.call(method, path, body, raw=True)
    assert code == status, f"{method} {path}: {code} {text}"
    import json

    error = json.loads(text)
    assert error["field"] == field, error
    return error


async def test_registry_account_password_is_never_shown_or_stored_in_clear(api, easymaker_data, caplog):
    caplog.set_level(logging.DEBUG)
    created = await api.post("registry-accounts", account_body(description="team registry"), expect=201)
    assert created["password"] == "********" and created["username"] == "AK-user" and created["registry_address"] == HOST
    listed = await api.get("registry-accounts")
    shown = await api.get(f"registry-accounts/{created['id']}")
    renamed = await api.call("PATCH", "registry-accounts/ncr", {"name": "ncr-main", "description": "changed"}, expect=200)
    assert renamed["name"] == "ncr-main" and renamed["description"] == "changed" and renamed["username"] == "AK-user"
    changed = await api.call("POST", "registry-accounts/ncr-main/credentials", {"username": "AK-2", "password": "n3w-" + PASSWORD},
                             expect=200)
    assert changed["username"] == "AK-2" and changed["warnings"] == []  # nothing runs with its images
    for answer in (created, listed, shown, renamed, changed):
        assert PASSWORD not in str(answer)
    # the stored password is the new one, encrypted with the data dir's key (owner-only)
    key_file = easymaker_data / "secret.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    import sqlite3

    db = next(p for p in easymaker_data.rglob("*.db"))
    (token,) = sqlite3.connect(db).execute("select password from registry_accounts").fetchone()
    assert SecretBox(str(easymaker_data)).decrypt(token) == "n3w-" + PASSWORD
    # no file of the data dir (store, WAL, logs) and no log record holds it in clear
    for path in easymaker_data.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert PASSWORD.encode() not in content and base64.b64encode(PASSWORD.encode()) not in content, path
    assert all(PASSWORD not in r.getMessage() for r in caplog.records)


async def test_registry_account_validation_names_fields(api):
    await refused(api, "POST", "registry-accounts", {**account_body(), "registry_address": ""}, 422, "registry_address")
    await refused(api, "POST", "registry-accounts", {**account_body(), "registry_address": "not a host!"}, 422, "registry_address")
    await refused(api, "POST", "registry-accounts", {**account_body(), "password": ""}, 422, "password")
    await refused(api, "POST", "registry-accounts", {**account_body(), "registry_type": "ECR"}, 422, "registry_type")
    await refused(api, "POST", "registry-accounts", {**account_body(), "username": "a b"}, 422, "username")
    hub = await api.post("registry-accounts", {**account_body("hub"), "registry_type": "DOCKER_HUB", "registry_address": ""}, expect=201)
    assert hub["registry_address"] == "https://index.docker.io/v1/"
    await refused(api, "POST", "registry-accounts", account_body("hub"), 409, "name")
    await refused(api, "POST", "registry-accounts/hub/credentials", {"username": "x"}, 422, "password")
    await refused(api, "PATCH", "registry-accounts/hub", {"password": "x"}, 422, "password")  # not this edit's field


async def test_image_with_inline_account_and_the_deletion_guard(api):
    image = await api.post("images", {"name": "custom-training", "address": ADDRESS, "image_type": "TRAINING",
                                      "registry_account": account_body("inline-ncr")}, expect=201)
    assert image["registry_account_name"] == "inline-ncr" and image["address"] == ADDRESS and not image["builtin"]
    assert image["python_version"] and image["available"] is True
    account = await api.get("registry-accounts/inline-ncr")
    assert account["images"] == ["custom-training"] and account["password"] == "********"
    assert [i["name"] for i in (await api.get("images"))["items"]] == ["custom-training"]

    error = await refused(api, "DELETE", "registry-accounts/inline-ncr", None, 409, "id")
    assert "custom-training" in error["reason"] or "custom-training" in error["error"]

    # an existing account by name; the image must live in that account's registry
    await api.post("images", {"name": "second", "address": f"{HOST}/registry/other:v2", "image_type": "NOTEBOOK",
                              "registry_account_id": "inline-ncr"}, expect=201)
    await refused(api, "POST", "images", {"name": "elsewhere", "address": "ghcr.io/org/x:1", "image_type": "TRAINING",
                                          "registry_account_id": "inline-ncr"}, 422, "address")
    await refused(api, "PATCH", "images/custom-training", {"name": "base-python-notebook-cpu"}, 409, "name")
    renamed = await api.call("PATCH", "images/custom-training", {"description": "derived from the PyTorch base"}, expect=200)
    assert renamed["description"] == "derived from the PyTorch base" and renamed["name"] == "custom-training"
    await api.call("DELETE", "images/custom-training", expect=204)
    await api.call("DELETE", "images/second", expect=204)
    await api.call("DELETE", "registry-accounts/inline-ncr", expect=204)


async def test_image_validation_names_fields(api, tmp_path):
    base = {"name": "img", "address": ADDRESS, "image_type": "TRAINING"}
    await refused(api, "POST", "images", {**base, "address": "Not/A Valid:ref"}, 422, "address")
    await refused(api, "POST", "images", {**base, "address": "UPPER/case:1"}, 422, "address")
    await refused(api, "POST", "images", {**base, "image_type": "SERVING"}, 422, "image_type")
    await refused(api, "POST", "images", {**base, "registry_account_id": "nobody"}, 422, "registry_account_id")
    await refused(api, "POST", "images", {**base, "registry_account": {**account_body(), "registry_address": ""}}, 422,
                  "registry_account.registry_address")
    await refused(api, "POST", "images", {**base, "local_python": str(tmp_path / "missing" / "python")}, 422, "local_python")
    await refused(api, "POST", "images", {**base, "local_python": "relative-env"}, 422, "local_python")
    await refused(api, "POST", "images", {**base, "name": "Ubuntu 22.04 CPU PyTorch Training"}, 422, "name")
    # nothing half-stored: the inline account of a refused image is not kept
    assert (await api.get("registry-accounts"))["total"] == 0
    assert (await api.get("images"))["total"] == 0


async def test_base_images_report_local_availability_honestly(api):
    base = (await api.get("images/base"))["items"]
    assert len(base) == 10
    assert {(i["image_type"], i["core_type"], i["framework"]) for i in base} >= {
        ("NOTEBOOK", "CPU", "PYTHON"), ("NOTEBOOK", "GPU", "TENSORFLOW"), ("TRAINING", "GPU", "PYTORCH")}
    for image in base:
        module = {"PYTHON": None, "PYTORCH": "torch", "TENSORFLOW": "tensorflow"}[image["framework"]]
        expected = module is None or importlib.util.find_spec(module) is not None
        assert image["available"] is expected, image
        assert bool(image["unavailable_reason"]) is not expected
    training = (await api.get("images/base", params={"image_type": "TRAINING"}))["items"]
    assert len(training) == 4 and all(i["image_type"] == "TRAINING" for i in training)
    one = await api.get("images/base-pytorch-train-cpu")
    assert one["builtin"] and one["address"].endswith("pytorch-train:2.0.1-cpu-py310-ubuntu2204")
    await refused(api, "DELETE", "images/base-pytorch-train-cpu", None, 409, "id")


@pytest.fixture
def second_python(tmp_path):
    """A real second interpreter: a venv without pip (so without torch)."""
    env = tmp_path / "venv-second"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    return str(env / "bin" / "python")


async def test_local_python_is_probed_and_a_training_runs_in_it(api, write_script, second_python):
    refusal = await refused(api, "POST", "images", {"name": "torch-here", "address": "example.com/team/torch:1",
                                                   "image_type": "TRAINING", "framework": "PYTORCH",
                                                   "local_python": second_python}, 422, "local_python")
    assert "torch" in refusal["error"] or "torch" in refusal["reason"]
    image = await api.post("images", {"name": "venv-image", "address": "example.com/team/plain:1", "image_type": "TRAINING",
                                      "local_python": second_python}, expect=201)
    assert image["local_python"] == second_python
    assert image["python_version"] == "%d.%d.%d" % sys.version_info[:3]  # the venv's, which follows its base

    source = write_script("import sys\nprint('EXECUTABLE ' + sys.executable, flush=True)\n")
    await api.post("trainings", training_body("in-venv", source, "venv-image"), expect=201)
    await api.post("trainings", training_body("default", source, ""), expect=201)
    for name in ("in-venv", "default"):
        assert (await api.wait_status(name))["status"] == "COMPLETE"
    ran = {}
    for name in ("in-venv", "default"):
        logs = await api.get(f"trainings/{name}/logs")
        ran[name] = next(r["body"] for r in logs["records"] if r["body"].startswith("EXECUTABLE "))[len("EXECUTABLE "):]
    assert ran["in-venv"] == second_python
    assert os.path.realpath(ran["default"]) == os.path.realpath(sys.executable)  # no image: as before

    # a tuning's trials run in the image's interpreter too
    tuning_source = write_script("import sys\nprint('EXECUTABLE ' + sys.executable, flush=True)\nprint('loss=0.5', flush=True)\n",
                                 folder="tuning-algo")
    await api.post("hyperparameter-tunings", {
        "name": "tuned", "experiment_name": "exp", "image": "venv-image",
        "algorithm": {"type": "custom", "source_dir": tuning_source, "entry_point": "train.py"},
        "strategy": "Random", "random_seed": 1, "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
        "objective_metric": "loss", "goal": "minimize", "max_trials": 1, "parallel_trials": 1}, expect=201)
    deadline = asyncio.get_running_loop().time() + 90
    while (tuning := await api.get("hyperparameter-tunings/tuned"))["status"] not in ("COMPLETE", "FAIL HYPERPARAMETER TUNING"):
        assert asyncio.get_running_loop().time() < deadline, tuning
        await asyncio.sleep(0.2)
    assert tuning["status"] == "COMPLETE", tuning
    logs = await api.get("hyperparameter-tunings/tuned/trials/0/logs")
    assert f"EXECUTABLE {second_python}" in [r["body"] for r in logs["records"]]

    # a notebook image is refused for a training, naming the field
    await api.post("images", {"name": "nb", "address": "example.com/team/nb:1", "image_type": "NOTEBOOK"}, expect=201)
    await refused(api, "POST", "trainings", training_body("wrong-type", source, "nb"), 422, "image")


async def test_credentials_change_warns_while_a_training_of_its_image_runs(api, write_script, tmp_path):
    release = tmp_path / "release"
    source = write_script(
        "import os, time\nprint('started', flush=True)\n"
        f"while not os.path.exists({str(release)!r}):\n    time.sleep(0.05)\n"
    )
    await api.post("images", {"name": "private", "address": ADDRESS, "image_type": "TRAINING",
                              "registry_account": account_body("watched")}, expect=201)
    await api.post("trainings", training_body("running", source, "private"), expect=201)
    await api.wait_status("running", "RUNNING")
    changed = await api.call("POST", "registry-accounts/watched/credentials", {"username": "AK-3", "password": "other-pass"},
                             expect=200)
    assert len(changed["warnings"]) == 1 and "running" in changed["warnings"][0]
    await refused(api, "DELETE", "images/private", None, 409, "id")  # its training still resolves it
    release.write_text("go")
    assert (await api.wait_status("running"))["status"] == "COMPLETE"
    again = await api.call("POST", "registry-accounts/watched/credentials", {"username": "AK-4", "password": "third-pass"},
                           expect=200)
    assert again["warnings"] == []
    await asyncio.sleep(0)
